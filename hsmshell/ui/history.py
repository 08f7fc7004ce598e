"""The REPL history file, with every secret removed before it is kept (in memory or on disk)."""

from __future__ import annotations

from prompt_toolkit.history import FileHistory

from hsmshell.errors import HsmshellError
from hsmshell.parse.binder import UNKNOWN_WORD, parse_line, redact_unparsed
from hsmshell.parse.lexer import split_statements, tokenize

NOT_KEPT = ("<unparsable line>", UNKNOWN_WORD)   # nothing in them is worth recalling


def redact_for_history(text: str, table) -> str:
    """Each statement as the history may keep it: literal secrets become -hpswd; a statement
    that is no command at all (perhaps a password typed at the wrong moment) is dropped.
    Empty when nothing is worth keeping."""
    kept = []
    for statement in split_statements(text):
        try:
            kept.append(parse_line(statement, table).history_text)
        except HsmshellError:
            redacted = _typo(statement, table) or redact_unparsed(statement, table)[1]
            if not redacted.startswith(NOT_KEPT):
                kept.append(redacted)
    return "; ".join(kept)


def _typo(statement: str, table) -> str | None:
    """A misspelt command word (`logniHSM CU alice -hpswd`) is kept as typed, so Up-arrow
    recalls it for fixing, when the commands it may stand for take no secret, or when it
    parses as one of them (then with that command's secrets removed). Else None."""
    import difflib
    try:
        word, *rest = tokenize(statement)
    except (HsmshellError, ValueError):
        return None
    if word in table or word in getattr(table, "phrase_roots", ()):
        return None                           # a known command (or phrase) with bad arguments
    names = {name.lower(): spec for spec in table for name in (spec.name, *spec.aliases) if " " not in name}
    close = [names[n] for n in difflib.get_close_matches(word.lower(), list(names), n=3, cutoff=0.6)]
    if not close:
        return None                           # far from every name: maybe a password
    secret_flags = {flag for spec in table for arg in spec.args if arg.secret for flag in arg.flags}
    if not any(arg.secret for spec in close for arg in spec.args) and not secret_flags & set(rest):
        return statement.strip()
    for spec in close:
        try:
            parsed = parse_line(" ".join([spec.name, *map(_quoted, rest)]), table)
        except HsmshellError:
            continue
        return " ".join([word, *parsed.history_text.split(" ")[1:]])
    return None


def _quoted(token: str) -> str:
    import shlex
    return shlex.quote(token)


class RedactingHistory(FileHistory):
    def __init__(self, path, table):
        super().__init__(str(path))
        self.table = table

    def append_string(self, string: str) -> None:
        kept = redact_for_history(string, self.table)
        if kept:
            super().append_string(kept)
