"""The shapes of the command table: what a command is, and how its arguments are spelled.

One `CommandSpec` holds a command's whole definition (name, policy action id, argument
grammar, which arguments are secret, whether it needs the CAUTION confirmation, its CloudHSM
audit opcode, its help, the HSM's own rule for it, the kinds of result it shows and the
backends that implement it). Help, completion, parsing, policy, the emulated firmware,
dispatch, rendering and tests all read it; tests/unit/test_command_table.py fails when a spec
lacks a piece.

Arguments accept both tool styles at once: CMU positional (`createUser CU alice pw`) and KMU
flags (`loginHSM -u CU -s alice -p pw`). A token that is one of an argument's `flags` binds
the next token to it; every other token fills the positional arguments in order.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, Iterator

from hsmshell.errors import UnknownCommand
from hsmshell.model.capabilities import Capability, capability_of
from hsmshell.model.hsm_rules import HsmRule, PerAction
from hsmshell.record import field, record

PHRASE_TOOL = "sdk5"            # CommandSpec.tool of the noun-verb (CloudHSM CLI) commands


@record(frozen=True)
class Arg:
    name: str                       # binding name, e.g. "user_name"
    kind: str = "str"               # a converter in parse/types.py, or "flag" / "secret"
    position: int | None = None     # CMU positional slot, if the argument has one
    flags: tuple[str, ...] = ()     # KMU-style flags, e.g. ("-s",)
    required: bool = True
    default: Any = None
    help: str = ""
    complete: str | None = None     # completion source: "user_type", "user_name", "path", ...
    choices: tuple[str, ...] = ()
    prompt: str = "Enter password: "      # for secrets given as -hpswd
    confirm_prompt: str | None = None     # ask twice (new passwords)
    check: Callable[[str], None] | None = None   # a secret's rule, checked as soon as it is known

    @property
    def secret(self) -> bool:
        return self.kind == "secret"

    @property
    def is_switch(self) -> bool:    # a flag that takes no value (-nex, -sess)
        return self.kind == "flag"


WRITE_ACTIONS = ("user.create", "user.delete", "user.password", "user.sync", "quorum.register",
                 "quorum.m_value.set", "key.generate", "key.import", "key.unwrap",
                 "key.attributes.set", "key.share", "key.delete", "key.sync")


@record(frozen=True)
class CommandSpec:
    name: str
    action: str                                 # policy action id, e.g. "user.create"
    summary: str
    syntax: str = ""
    args: tuple[Arg, ...] = ()
    caution: bool = False                       # CAUTION banner + y/n before dispatch
    # asks Retry/Ignore/Abort when one HSM fails; None: as caution (a tool may drop the
    # CAUTION question and keep this one, as CMU's deleteUser does)
    asks_on_failure: bool | None = None
    opcode: str | None = None                   # CloudHSM audit opcode name
    local: bool = False                         # answered by the shell, not the backend
    tool: str = "cmu"                           # "cmu", "kmu", "both" or "shell"
    aliases: tuple[str, ...] = ()
    # Some commands are different actions depending on their arguments and who runs them
    # (changePswd of yourself vs of another user); returns the action id to check.
    resolve_action: Callable[[dict, Any], str] | None = None
    details: str = ""                           # longer help text
    # Reads key material from a user's file (imSymKey ...): the audit log cannot keep it, so
    # replay stands in a key of the recorded kind and reports the record as not reproducible.
    secret_input: bool = False
    # The backend capability it needs (model/capabilities.py); None: read from the action
    capability: Capability | None = None
    # Who the HSM itself lets run it, whatever roles/ says (model/hsm_rules.py): a set of user
    # types, ANYONE, or per_action(...) for a command checked as several actions. The emulated
    # firmware applies it; a command answered by the shell (local) has none.
    hsm: HsmRule | PerAction | None = None
    # The kinds of Result it shows (Result.kind), the main one first: each has a view in every
    # output format (render/: rich and classic; JSON shows any kind)
    views: tuple[str, ...] = ()
    # The backends that have a handler for it (backends/<name>/); a local command runs on all
    backends: tuple[str, ...] = ()

    @functools.cached_property
    def needs(self) -> Capability:
        return self.capability or capability_of(self.action)

    def hsm_rule(self, action: str) -> HsmRule | None:
        """Who the HSM lets run this command as `action` (None: nobody; no rule declared)."""
        return self.hsm.get(action) if isinstance(self.hsm, PerAction) else self.hsm

    def served_by(self, backend: str) -> bool:
        return self.local or backend in self.backends

    def action_for(self, args: dict, principal: Any) -> str:
        return self.resolve_action(args, principal) if self.resolve_action else self.action

    @functools.cached_property         # every parse reads it (the spec is frozen: computed once)
    def positional(self) -> tuple[Arg, ...]:
        return tuple(sorted((a for a in self.args if a.position is not None), key=lambda a: a.position))

    @functools.cached_property         # every option word of every parse looks one up
    def flag_args(self) -> dict[str, Arg]:
        """{flag: the argument it binds}; the first argument naming a flag has it."""
        found: dict[str, Arg] = {}
        for arg in self.args:
            for flag in arg.flags:
                found.setdefault(flag, arg)
        return found

    def arg_for_flag(self, token: str) -> Arg | None:
        return self.flag_args.get(token)

    @functools.cached_property          # every command's result asks (pipeline.py)
    def changes_hsms(self) -> bool:
        """Whether a success changes what the HSMs hold (so one a server missed leaves them
        out of step): every command whose action is one of WRITE_ACTIONS or under it."""
        return any(a == w or a.startswith(w + ".") for a in self.actions() for w in WRITE_ACTIONS)

    def actions(self) -> set[str]:
        """Every action id this command can be checked as."""
        found = {self.action}
        found.update(getattr(self.resolve_action, "possible_actions", ()))
        return found

    def usage(self) -> str:
        return self.syntax or self.name


@record
class CommandTable:
    """The commands of one shell instance (built per shell, never a module global)."""

    _specs: dict[str, CommandSpec] = field(default_factory=dict)
    # Action ids of operations that are not shell commands (`hsmshell kms ...`: commands/kms.py):
    # role files may name them, and the policy checks them, like any command's
    other_actions: frozenset[str] = frozenset()

    def add(self, spec: CommandSpec) -> None:
        if spec.tool == PHRASE_TOOL:             # CloudHSM CLI: named by a phrase of words
            words = tuple(spec.name.split())
            if words in self._phrases or spec.name in self._specs:
                raise ValueError(f"duplicate command name {spec.name}")
            self._phrases[words] = spec
            self._specs[spec.name] = spec
            self._roots = None
            return
        for name in (spec.name, *spec.aliases):
            if name.lower() in self._lower:
                raise ValueError(f"duplicate command name {name}")
            self._lower[name.lower()] = spec
        self._specs[spec.name] = spec

    def __post_init__(self) -> None:
        self._lower: dict[str, CommandSpec] = {}
        self._phrases: dict[tuple[str, ...], CommandSpec] = {}
        self._deferred = None
        self._roots: frozenset[str] | None = None

    # -- specs added when first needed (the noun-verb phrases: commands/__init__.py) ------------
    def defer(self, specs: Callable[[], Iterable[CommandSpec]], roots: frozenset[str], key: Callable[[], str]) -> None:
        """Add `specs()` only when something needs them: a one-shot of an SDK 3 command never
        builds them (docs/performance.md). `roots`: their first words (a line is parsed as a
        phrase only if it starts with one); `key()`: a digest of what they are built from,
        for actions_key()."""
        self._deferred = (specs, roots, key)

    def _complete(self) -> None:
        if self._deferred is not None:
            specs, self._deferred = self._deferred[0], None
            for spec in specs():
                self.add(spec)

    @property
    def specs(self) -> dict[str, CommandSpec]:
        self._complete()
        return self._specs

    @property
    def phrases(self) -> dict[tuple[str, ...], CommandSpec]:
        self._complete()
        return self._phrases

    def actions_key(self) -> str:
        """A digest that changes whenever actions() could: of the action ids added so far and,
        while specs are deferred, of what they are built from (the policy cache's key)."""
        import hashlib
        added = {a for spec in self._specs.values() for a in spec.actions()} | set(self.other_actions)
        pending = self._deferred[2]() if self._deferred is not None else "complete"
        return hashlib.sha256("\0".join([*sorted(added), pending]).encode()).hexdigest()

    # -- CloudHSM CLI's noun-verb phrases (parse/nounverb.py reads them) -----------------------
    @property
    def phrase_roots(self) -> frozenset[str]:
        if self._deferred is not None:
            return self._deferred[1]
        # every line's parse asks (parse/nounverb.py): built once, again after an add()
        if self._roots is None:
            self._roots = frozenset(words[0] for words in self._phrases)
        return self._roots

    def phrase_children(self, prefix: tuple[str, ...]) -> list[str]:
        """The words that may follow `prefix` in a phrase (`key` -> delete, generate-file, ...)."""
        n = len(prefix)
        return sorted({w[n] for w in self.phrases if len(w) > n and w[:n] == prefix})

    def match_phrase(self, words) -> tuple[CommandSpec | None, int]:
        """The longest phrase `words` start with, and how many words it took (None, 0: none)."""
        for n in range(min(len(words), 4), 0, -1):
            spec = self.phrases.get(tuple(words[:n]))
            if spec is not None:
                return spec, n
        return None, 0

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self.specs.values())

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._lower

    def names(self) -> list[str]:
        return sorted(self.specs)

    def actions(self) -> set[str]:
        return {a for spec in self for a in spec.actions()} | set(self.other_actions)

    def lookup(self, word: str) -> CommandSpec:
        """Exact name (case-insensitive), else a unique prefix as CMU allows (`listU`)."""
        low = word.lower()
        if low in self._lower:
            return self._lower[low]
        matches = {spec.name: spec for name, spec in self._lower.items() if name.startswith(low)}
        if len(matches) == 1:
            return next(iter(matches.values()))
        shown = _printable(word)
        if len(matches) > 1:
            raise UnknownCommand(
                f"'{shown}' is ambiguous: it could be {', '.join(sorted(matches))}",
                hint="type more of the command name", detail={"candidates": sorted(matches)})
        import difflib      # only for a typo: kept off every start's import path
        close = difflib.get_close_matches(low, list(self._lower), n=3, cutoff=0.6)
        if close:
            hint = "did you mean " + " or ".join(sorted({self._lower[c].name for c in close})) + "?"
            raise UnknownCommand(f"unknown command '{shown}'", hint=hint)
        # Far from every name, the word may be a password typed when nothing asked for one:
        # the message (shown, and kept in the audit log) does not repeat it.
        raise UnknownCommand("unknown command: the first word is not a command name")


def build_table(specs: Iterable[CommandSpec]) -> CommandTable:
    table = CommandTable()
    for spec in specs:
        table.add(spec)
    return table


def _printable(word: str, limit: int = 40) -> str:
    text = word if word.isprintable() else word.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."
