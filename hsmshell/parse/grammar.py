"""THE walker of a CMU/KMU command's argument grammar (CommandSpec.args): which argument each
word of a line fills. The binder (binder.py), the redaction of a line that does not parse
(binder.redact_unparsed), the completer's next argument (ui/completer.py) and the real tools'
command line (backends/cloudhsm/command_line.py, the other direction: `spell`) all read the
grammar through this module, so they cannot disagree about where a secret is.

The rules: a word that is one of an argument's flags binds the next word to that argument (a
switch binds none); `-hpswd` fills the first secret argument not filled yet; any other word
fills the first positional argument not filled yet (by position or by flag).
"""

from __future__ import annotations

from typing import Iterator

from hsmshell.commands.spec import Arg, CommandSpec
from hsmshell.parse.secrets import PROMPT_TOKEN

# what a word is, in its line
FLAG = "flag"                   # an option word that takes the next word as its value
VALUE = "value"                 # that value
SWITCH = "switch"               # an option word that takes no value
DANGLING = "dangling"           # an option word at the end of the line: its value is missing
PROMPT = "prompt"               # -hpswd: the secret is asked for (arg None: no secret left)
POSITIONAL = "positional"       # fills the next positional argument (arg None: none is left)


class Walk:
    """The words of one line, each with the argument it fills and how; `filled` holds the
    names of the arguments the line gave (each step adds its argument before the next)."""

    __slots__ = ("spec", "filled")

    def __init__(self, spec: CommandSpec):
        self.spec, self.filled = spec, set()

    def steps(self, tokens: list[str]) -> Iterator[tuple[str, Arg | None, str]]:
        spec, filled, flag_args = self.spec, self.filled, self.spec.flag_args
        index, count = 0, len(tokens)
        while index < count:
            token = tokens[index]
            index += 1
            arg = flag_args.get(token) if token[:1] == "-" else None
            if arg is not None:
                if arg.kind == "flag":          # arg.is_switch, without the property call
                    filled.add(arg.name)
                    yield token, arg, SWITCH
                elif index >= count:
                    yield token, arg, DANGLING
                else:
                    yield token, arg, FLAG
                    filled.add(arg.name)
                    yield tokens[index], arg, VALUE
                    index += 1
                continue
            if token == PROMPT_TOKEN:
                arg = next((a for a in spec.args if a.secret and a.name not in filled), None)
                kind = PROMPT
            else:
                arg = self.next_positional()
                kind = POSITIONAL
            if arg is not None:
                filled.add(arg.name)
            yield token, arg, kind

    def next_positional(self) -> Arg | None:
        """The positional argument the next plain word fills (None: none is left)."""
        return next((a for a in self.spec.positional if a.name not in self.filled), None)


def next_argument(spec: CommandSpec, done: list[str]) -> Arg | None:
    """The argument the word after `done` fills (the completer asks): the value of a
    dangling option, else the next positional argument."""
    walk = Walk(spec)
    last = None
    for last in walk.steps(done):
        pass
    if last is not None and last[2] == DANGLING:
        return last[1]
    return walk.next_positional()


def spell(spec: CommandSpec, values: dict, positional: bool) -> Iterator[tuple[Arg, object, bool]]:
    """The other direction: (argument, value, placed) in the order a tool reads them.
    `positional` (CMU): the positional arguments first, in position order, up to the first
    one without a value (placed: True, written without a flag); then every other argument
    (placed: False: by its first flag, or bare if it has none). Which values count as given
    is the caller's choice (tool_line)."""
    placed = set()
    if positional:
        for arg in spec.positional:
            value = values.get(arg.name)
            if value is None:
                break                      # optional trailing positions
            placed.add(arg.name)
            yield arg, value, True
    for arg in spec.args:
        if arg.name not in placed:
            yield arg, values.get(arg.name), False
