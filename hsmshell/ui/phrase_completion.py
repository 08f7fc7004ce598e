"""Tab completion for CloudHSM CLI's noun-verb commands: word by word through the phrase
(`key` -> `generate-symmetric` -> `aes`), then the command's `--options` (those not given
yet), then an option's values (choices, user names, paths)."""

from __future__ import annotations

from prompt_toolkit.completion import Completion
from prompt_toolkit.document import Document

ONE_WORD_PHRASES = ("login", "logout")


def wants_phrase(table, words: list[str]) -> bool:
    """Does the line being typed complete as a noun-verb command?"""
    if not words or words[0] not in table.phrase_roots:
        return False
    if words[0] in ONE_WORD_PHRASES:
        return len(words) == 1 or words[1].startswith("-")
    return True


def phrase_completions(completer, words: list[str], current: str, event):
    """Completions for the word being typed (`current`), after the finished `words`."""
    table = completer.shell.table
    spec, used = table.match_phrase(words)
    if spec is None:
        for child in table.phrase_children(tuple(words)):
            if child.startswith(current) and _allowed_under(completer, words + [child]):
                yield Completion(child, start_position=-len(current))
        return
    if used == len(words) and not current:
        # `login` then Tab: a longer phrase may follow (none does today), else options
        for child in table.phrase_children(tuple(words)):
            yield Completion(child, start_position=0)
    given = set(words[used:])
    previous = spec.arg_for_flag(words[-1]) if len(words) > used else None
    if previous is not None and not previous.is_switch and not current.startswith("-"):
        yield from _values(completer, previous, current, event)
        if previous.kind not in ("filter", "attributes", "sdk5_user_names"):
            return
    if current.startswith("-") or not current:
        for arg in spec.args:
            flag = next((f for f in arg.flags if f.startswith("--")), arg.flags[0])
            if flag.startswith(current) and not given & set(arg.flags):
                yield Completion(flag, start_position=-len(current), display_meta=arg.help[:60])


def _values(completer, arg, current: str, event):
    if arg.complete == "path":
        yield from completer.paths.get_completions(Document(current), event)
        return
    if arg.choices:
        candidates = list(arg.choices)
    elif arg.complete == "user_name":
        candidates = [name.lower() for name in completer.shell.backend.user_names()]
    else:
        candidates = []
    for candidate in candidates:
        if candidate.startswith(current):
            yield Completion(candidate, start_position=-len(current))


def _allowed_under(completer, words: list[str]) -> bool:
    """Is some command under this phrase prefix allowed for the current login?"""
    prefix = tuple(words)
    return any(completer.shell.allows(spec) for phrase, spec in completer.shell.table.phrases.items()
               if phrase[:len(prefix)] == prefix)


def root_completions(completer, prefix: str):
    """The first words of the noun-verb commands the current login may run."""
    table = completer.shell.table
    for root in sorted(table.phrase_roots):
        if root.startswith(prefix) and _allowed_under(completer, [root]):
            yield Completion(root, start_position=-len(prefix), display_meta="CloudHSM CLI (SDK 5)")
