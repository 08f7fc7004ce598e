"""Bind a command's tokens to its CommandSpec, producing an Invocation.

The redacted text (secrets replaced) is built here, so that everything downstream (audit,
history, error messages) only ever sees the redacted form.
"""

from __future__ import annotations


from hsmshell.commands.spec import Arg, CommandSpec, CommandTable
from hsmshell.errors import HsmshellError, InvalidArgument, ParseError
from hsmshell.parse import nounverb
from hsmshell.parse.grammar import DANGLING, FLAG, POSITIONAL, PROMPT, SWITCH, VALUE, Walk
from hsmshell.parse.lexer import quote as _quote, tokenize
from hsmshell.parse.secrets import SecretRef, secret_from_token
from hsmshell.parse.types import CONVERTERS
from hsmshell.record import field, record

MASK = "********"                        # what logs show for a word that may be a secret
UNKNOWN_WORD = "<unknown command>"


@record
class Invocation:
    spec: CommandSpec
    args: dict[str, object]
    text: str                                   # redacted command text
    history_text: str                           # what the REPL history may keep
    source: str = ""
    secrets: dict[str, SecretRef] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name


def parse_line(text: str, table: CommandTable, source: str = "") -> Invocation:
    """Parse one command. Raises only HsmshellError subclasses; their `detail` carries the
    redacted text when the command was recognised (see redact_unparsed)."""
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("empty command")
    if nounverb.speaks_noun_verb(tokens, table):
        spec, values, shown, history, secrets = nounverb.parse_phrase(tokens, table)
        return Invocation(spec, values, shown, history, source, secrets)
    spec = table.lookup(tokens[0])
    if tokens[1:] in (["-h"], ["--help"]) and "help" in table and spec.name != "help":
        # `<command> -h`, as the tools have it: that command's help
        return _bind(table.lookup("help"), [spec.name], source)
    try:
        return _bind(spec, tokens[1:], source)
    except HsmshellError as exc:
        exc.detail.setdefault("command", spec.name)
        raise


def redact_unparsed(text: str, table: CommandTable) -> tuple[str | None, str]:
    """A loggable (command, text) for a line that failed to parse: the command name when it is
    known and the arguments with its secret positions masked; otherwise only the first word.
    A typo must not put a password into the audit log or the history."""
    try:
        tokens = tokenize(text)
    except HsmshellError:
        return None, "<unparsable line>"
    if not tokens:
        return None, ""
    if nounverb.speaks_noun_verb(tokens, table):
        return nounverb.redact_phrase(tokens, table)
    try:
        spec = table.lookup(tokens[0])
    except HsmshellError as error:
        extra = f" <{len(tokens) - 1} argument(s) not logged>" if len(tokens) > 1 else ""
        # The word may be a password typed when no prompt asked for it: keep it only if it is
        # a prefix or a near miss of a command name.
        known = error.detail.get("candidates") or (error.hint or "").startswith("did you mean")
        return None, (tokens[0][:40] if known else UNKNOWN_WORD) + extra
    masked = [spec.name]
    # A word left out shifts the others: then any of them may be the password.
    words = [t for t in tokens[1:] if not t.startswith("-")]
    shifted = len(words) < len(spec.positional) and any(a.secret for a in spec.positional)
    for token, arg, kind in Walk(spec).steps(tokens[1:]):       # the words as _bind reads them
        if kind == VALUE:
            masked.append(MASK if arg.secret else token)
        elif kind == POSITIONAL:
            masked.append(MASK if arg is None or arg.secret or shifted else token)
        else:                               # an option word, or -hpswd
            masked.append(token)
    return spec.name, " ".join(masked)


def _bind(spec: CommandSpec, tokens: list[str], source: str) -> Invocation:
    values: dict[str, object] = {}
    shown: list[str] = [spec.name]
    history: list[str] | None = None        # as `shown` until a secret makes them differ
    secrets: dict[str, SecretRef] = {}

    def put(arg: Arg, token: str, via_flag: str | None) -> None:
        nonlocal history
        if arg.name in values:
            raise InvalidArgument(f"{spec.name}: {arg.name} given twice", hint=f"usage: {spec.usage()}")
        if via_flag:
            shown.append(via_flag)
            if history is not None:
                history.append(via_flag)
        if arg.kind == "secret":
            ref = secret_from_token(token)
            values[arg.name] = ref
            secrets[arg.name] = ref
            if history is None:
                history = list(shown)
            shown.append(ref.display)
            history.append(ref.history_text)
            return
        values[arg.name] = _convert(spec, arg, token)
        quoted = _quote(token)
        shown.append(quoted)
        if history is not None:
            history.append(quoted)

    flag = None
    for token, arg, kind in Walk(spec).steps(tokens):          # parse/grammar.py
        if kind == FLAG:
            flag = token
        elif kind == VALUE:
            put(arg, token, flag)
        elif kind == SWITCH:
            values[arg.name] = True
            shown.append(token)
            if history is not None:
                history.append(token)
        elif kind == DANGLING:
            raise InvalidArgument(f"{spec.name}: {token} needs a value", hint=f"usage: {spec.usage()}")
        elif kind == PROMPT:
            if arg is None:
                raise InvalidArgument(f"{spec.name} takes no password", hint=f"usage: {spec.usage()}")
            put(arg, token, None)
        else:
            # A password may start with '-' (CMU is positional): bind it, never echo it as an option.
            if token.startswith("-") and len(token) > 1 and not token[1:].isdigit() \
                    and not (arg is not None and arg.secret):
                shown_option = "" if any(a.secret for a in spec.args) else f" {token[:32]}"
                raise InvalidArgument(f"{spec.name}: unknown option{shown_option}", hint=f"usage: {spec.usage()}")
            if arg is None:
                raise InvalidArgument(f"{spec.name}: too many arguments", hint=f"usage: {spec.usage()}")
            put(arg, token, None)

    for arg in spec.args:
        if arg.name in values:
            continue
        if arg.required:
            raise InvalidArgument(f"{spec.name}: missing {arg.name.replace('_', ' ')}",
                                  hint=f"usage: {spec.usage()}")
        values[arg.name] = False if arg.kind == "flag" else arg.default
    text = " ".join(shown)
    return Invocation(spec, values, text, text if history is None else " ".join(history), source, secrets)


def _convert(spec: CommandSpec, arg: Arg, token: str) -> object:
    try:
        return CONVERTERS[arg.kind](arg, token)         # parse/types.py convert(), one call less
    except InvalidArgument as error:
        # In a command that takes a password, a word in the wrong place may be the password:
        # the message (shown and logged) names the argument, not the word.
        if any(a.secret for a in spec.args) and token[:20] in error.message:
            raise InvalidArgument(f"{spec.name}: invalid {arg.name.replace('_', ' ')}",
                                  hint=error.hint or (arg.help or None)) from None
        raise
