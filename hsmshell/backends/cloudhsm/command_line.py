"""An invocation as the line a real tool reads: CMU positional, KMU flags.

Secrets are never in the line: their place says `-hpswd`, and the tool asks for them
(terminal.py answers). Every value is checked at this boundary: the tools split lines at
blanks and know no quoting, so a value holding a control character, a blank, a quote or a
leading `-` could end the command early, add arguments or inject another command; it is
refused (invalid-argument), whatever the parser already checked.
"""

from __future__ import annotations

import os
import re

from hsmshell.errors import InvalidArgument
from hsmshell.parse.grammar import spell
from hsmshell.parse.secrets import PROMPT_TOKEN

_SAFE_VALUE = re.compile(r"[A-Za-z0-9_.,:/@=+~%#-]+")


def safe_value(name: str, value: str) -> str:
    if not value.isprintable():
        raise InvalidArgument(f"{name}: the value holds a control character (a newline could "
                              "inject a command into the tool); it was not sent")
    if not _SAFE_VALUE.fullmatch(value) or (value.startswith("-") and not value[1:].isdigit()):
        raise InvalidArgument(f"{name}: '{value[:32]}' cannot be passed to the tool safely",
                              hint="the real tools split lines at blanks and know no quotes: use "
                                   "letters, digits and _ . , : / @ = + - (not first)")
    return value


def _text(arg, value) -> str:
    if isinstance(value, (tuple, list)):
        value = ",".join(str(v) for v in value)
    elif arg.kind == "path":
        value = os.path.abspath(os.path.expanduser(str(value)))   # the tool's cwd may differ
    return safe_value(arg.name, str(value))


def tool_line(invocation, style: str, **overrides) -> str:
    """`style` "cmu": positional arguments in order, then flags; "kmu": flags where the
    argument has one. `overrides` replace (or, as None, drop) argument values."""
    spec = invocation.spec
    words = [spec.name]
    for arg, value, placed in spell(spec, {**invocation.args, **overrides}, positional=style == "cmu"):
        if placed:
            words.append(PROMPT_TOKEN if arg.secret else _text(arg, value))
            continue
        if arg.secret:
            if value is not None:
                words.append(PROMPT_TOKEN)
            continue
        if value is None or value is False or value in ("", ()) or \
                (not arg.required and value == arg.default and arg.default in (0, "0")):
            continue                       # not given, or the tool's own "off" default
        if not arg.flags:
            words.append(_text(arg, value))
        elif arg.is_switch:
            words.append(arg.flags[0])
        else:
            words += [arg.flags[0], _text(arg, value)]
    return " ".join(words)
