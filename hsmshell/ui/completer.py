"""Tab completion from the command table: command names the current role may run, then each
argument's completion source (user types, known user names, paths, command names)."""

from __future__ import annotations

from prompt_toolkit.completion import Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from hsmshell.parse.lexer import split_statements

USER_TYPES = ("CO", "CU", "PRECO")


class ShellCompleter(Completer):
    def __init__(self, shell):
        self.shell = shell
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event):
        text = document.text_before_cursor
        statement = text.rsplit(";", 1)[-1].lstrip()
        words = statement.split()
        if not words or (len(words) == 1 and not statement.endswith(" ")):
            prefix = words[0] if words else ""
            yield from self._commands(prefix)
            return
        try:
            spec = self.shell.table.lookup(words[0])
        except Exception:
            return
        current = "" if statement.endswith(" ") else words[-1]
        done = words[1:] if statement.endswith(" ") else words[1:-1]
        arg = self._next_arg(spec, done)
        if arg is None or arg.complete is None:
            return
        if arg.complete == "path":
            yield from self.paths.get_completions(Document(current), complete_event)
            return
        for candidate in self._candidates(arg.complete):
            if candidate.lower().startswith(current.lower()):
                yield Completion(candidate, start_position=-len(current))

    def _commands(self, prefix: str):
        for spec in sorted(self.shell.table, key=lambda s: s.name.lower()):
            if spec.name.lower().startswith(prefix.lower()) and self.shell.allows(spec):
                yield Completion(spec.name, start_position=-len(prefix), display_meta=spec.summary)

    @staticmethod
    def _next_arg(spec, done: list[str]):
        """The argument the next word fills: after a flag, that flag's argument; else the next
        positional one."""
        if done and spec.arg_for_flag(done[-1]) is not None and not spec.arg_for_flag(done[-1]).is_switch:
            return spec.arg_for_flag(done[-1])
        count, skip = 0, False
        for word in done:
            if skip:
                skip = False
                continue
            flagged = spec.arg_for_flag(word)
            if flagged is not None:
                skip = not flagged.is_switch
                continue
            count += 1
        positional = spec.positional
        return positional[count] if count < len(positional) else None

    def _candidates(self, source: str) -> list[str]:
        if source == "user_type":
            return list(USER_TYPES)
        if source == "user_name":
            return self.shell.backend.user_names()
        if source == "command":
            return [s.name for s in self.shell.table]
        return []


def statements_of(text: str) -> list[str]:
    return split_statements(text)
