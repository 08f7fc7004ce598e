"""The REPL history file, with every secret removed before it is kept (in memory or on disk)."""

from __future__ import annotations

from prompt_toolkit.history import FileHistory

from hsmshell.errors import HsmshellError
from hsmshell.parse.binder import UNKNOWN_WORD, parse_line, redact_unparsed
from hsmshell.parse.lexer import split_statements

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
            redacted = redact_unparsed(statement, table)[1]
            if not redacted.startswith(NOT_KEPT):
                kept.append(redacted)
    return "; ".join(kept)


class RedactingHistory(FileHistory):
    def __init__(self, path, table):
        super().__init__(str(path))
        self.table = table

    def append_string(self, string: str) -> None:
        kept = redact_for_history(string, self.table)
        if kept:
            super().append_string(kept)
