"""Tab completion from the command table: command names the current role may run, then each
argument's completion source (user types, known user names, paths, command names)."""

from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.key_binding import KeyBindings
from hsmshell.model.users import UserType
from hsmshell.parse.grammar import Walk, next_argument

from hsmshell.ui import phrase_completion as phrases


USER_TYPES = (UserType.CO, UserType.CU, UserType.PRECO)     # the ones a user types


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
        current = "" if statement.endswith(" ") else words[-1]
        done = words[1:] if statement.endswith(" ") else words[1:-1]
        if phrases.wants_phrase(self.shell.table, words):
            yield from phrases.phrase_completions(self, [words[0], *done], current, complete_event)
            return
        try:
            spec = self.shell.table.lookup(words[0])
        except Exception:
            return
        if current.startswith("-"):           # an option: the flags not given yet, with their help
            walk = Walk(spec)               # given as the binder reads them (by flag or position)
            for _ in walk.steps(done):
                pass
            given = walk.filled
            for flag_arg in spec.args:
                for flag in flag_arg.flags:
                    if flag.startswith(current) and flag_arg.name not in given and flag != "-hpswd":
                        yield Completion(flag, start_position=-len(current), display_meta=flag_arg.help)
            return
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
        yield from phrases.root_completions(self, prefix)
        for spec in sorted(self.shell.table, key=lambda s: s.name.lower()):
            if " " in spec.name or spec.name in self.shell.table.phrase_roots:
                continue                        # the noun-verb phrases complete word by word
            if spec.name.lower().startswith(prefix.lower()) and self.shell.allows(spec):
                yield Completion(spec.name, start_position=-len(prefix), display_meta=spec.summary)

    @staticmethod
    def _next_arg(spec, done: list[str]):
        """The argument the next word fills, as the parser reads the line (parse/grammar.py)."""
        return next_argument(spec, done)

    def _candidates(self, source: str) -> list[str]:
        if source == "user_type":
            return list(USER_TYPES)
        if source == "user_name":
            return self.shell.backend.user_names()
        if source == "command":
            return [s.name for s in self.shell.table if self.shell.serves(s)]
        return []


def tab_completes_at_once(completer: Completer) -> KeyBindings:
    """Tab with one candidate completes before the next key is read. prompt_toolkit completes
    in a background task, so a key typed right after Tab (fast typing, a loaded machine, a
    test driving the terminal) could land first and the completion be dropped; this
    completer is quick enough to ask synchronously. Several candidates open the usual menu."""
    bindings = KeyBindings()

    @bindings.add("tab")
    def _complete(event) -> None:
        buffer = event.current_buffer
        if buffer.complete_state:                 # a menu is open: Tab moves through it
            buffer.complete_next()
            return
        found = list(completer.get_completions(buffer.document, CompleteEvent(completion_requested=True)))
        if len(found) == 1:
            buffer.apply_completion(found[0])
        elif found:
            buffer.start_completion(insert_common_part=True)

    return bindings
