"""The REPL history file, with every secret removed before it is kept (in memory or on disk)."""

from __future__ import annotations

from prompt_toolkit.history import FileHistory

from hsmshell.parse.binder import parse_line, redact_unparsed
from hsmshell.parse.lexer import split_statements


def redact_for_history(text: str, table) -> str:
    """Each statement as the history may keep it: literal secrets become -hpswd."""
    kept = []
    try:
        statements = split_statements(text)
    except Exception:
        return "<line not kept>"
    for statement in statements:
        try:
            kept.append(parse_line(statement, table).history_text)
        except Exception:
            kept.append(redact_unparsed(statement, table)[1])
    return "; ".join(kept)


class RedactingHistory(FileHistory):
    def __init__(self, path, table):
        super().__init__(str(path))
        self.table = table

    def append_string(self, string: str) -> None:
        super().append_string(redact_for_history(string, self.table))
