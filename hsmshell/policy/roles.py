"""Load and validate the role files in roles/ (or --roles DIR).

Validation happens against the command table's action ids, so a typo in a role file is a
clear start-up error instead of a silently denied (or silently allowed) command.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Callable

from hsmshell import fileio
from hsmshell.errors import ConfigError
from hsmshell.record import field, record

ANONYMOUS = "anonymous"


@record(frozen=True)
class Role:
    name: str
    description: str
    allow: tuple[str, ...]
    deny: tuple[str, ...]
    source: str                       # file name, for messages ("cu.toml")
    aliases: tuple[str, ...] = ()
    # rule_for's answers: a role never changes once loaded, and batches ask thousands of times
    _decided: dict = field(default_factory=dict, compare=False, repr=False)

    def rule_for(self, action: str) -> tuple[bool, str]:
        """(allowed, the entry that decided) — deny wins over allow; no match is a deny."""
        if action not in self._decided:
            self._decided[action] = self._match(action)
        return self._decided[action]

    def _match(self, action: str) -> tuple[bool, str]:
        for pattern in self.deny:
            if fnmatch.fnmatchcase(action, pattern):
                return False, f"{self.source}: deny {pattern}"
        for pattern in self.allow:
            if fnmatch.fnmatchcase(action, pattern):
                return True, f"{self.source}: allow {pattern}"
        return False, f"{self.source}: no allow entry matches {action}"


@record(frozen=True)
class QuorumService:
    name: str
    id: int
    actions: tuple[str, ...]
    # For per-key quorum: the arguments naming the keys a command uses; each key's own M
    # (its -m_value) applies instead of the cluster's M for the service.
    key_arguments: tuple[str, ...] = ()


@record
class Policy:
    roles: dict[str, Role]                          # by role name and alias, upper-case
    quorum: dict[str, QuorumService] = field(default_factory=dict)   # by action id
    directory: str = ""

    def role(self, name: str) -> Role | None:
        return self.roles.get(name.upper())

    def roles_allowing(self, action: str) -> list[str]:
        names = {r.name for r in self.roles.values() if r.rule_for(action)[0]}
        return sorted(names, key=lambda n: (n == ANONYMOUS, n))

    def service_for(self, action: str) -> QuorumService | None:
        return self.quorum.get(action)


def default_roles_dir() -> Path:
    """roles/ beside the package in a source checkout, else the copy inside the wheel."""
    package = Path(__file__).resolve().parent.parent          # .../hsmshell
    checkout = package.parent / "roles"
    if (checkout / "co.toml").is_file():
        return checkout
    return package / "roles"        # the wheel installs roles/ as the data package hsmshell.roles


def load_policy(directory: Path | None, known_actions: set[str] | Callable[[], set[str]],
                cache_home: Path | None = None, actions_key: str | None = None) -> Policy:
    """The policy of the role files in `directory` (else the shipped ones), checked against
    the action ids `known_actions` (or a function giving them, asked only when the role files
    are compiled). `cache_home`: a state dir where the compiled policy is kept between starts
    (policy/cache.py); `actions_key`: a digest standing for the action ids in its key."""
    actions = known_actions if callable(known_actions) else (lambda: known_actions)
    directory = Path(directory) if directory else default_roles_dir()
    if not directory.is_dir():
        raise ConfigError(f"roles directory {directory} does not exist")
    files = {name: _read_bytes(directory / name)
             for name in sorted(os.listdir(directory))
             if name.endswith(".toml") and not name.startswith(".")}   # as glob("*.toml")
    if cache_home is None:
        return _compile(directory, files, actions())
    from hsmshell.policy import cache
    key = cache.fingerprint(directory, files, actions_key or cache.actions_digest(actions()))
    policy = cache.load(cache_home, key)
    if policy is None:
        policy = _compile(directory, files, actions())
        cache.store(cache_home, key, policy)
    return policy


def _compile(directory: Path, files: dict[str, bytes], known_actions: set[str]) -> Policy:
    roles: dict[str, Role] = {}
    quorum: dict[str, QuorumService] = {}
    for name, content in files.items():
        path = directory / name
        data = _parse(path, content)
        if path.name == "quorum.toml":
            quorum = _quorum_services(path, data, known_actions)
            continue
        role = _role(path, data, known_actions)
        for key in (role.name, *role.aliases):
            if key.upper() in roles:
                raise ConfigError(f"{path.name}: role {key} is defined twice (also in "
                                  f"{roles[key.upper()].source})")
            roles[key.upper()] = role
    if ANONYMOUS.upper() not in roles:
        roles[ANONYMOUS.upper()] = Role(ANONYMOUS, "nobody logged in", (), (), "(no anonymous.toml)")
    return Policy(roles, quorum, str(directory))


MAX_ROLE_FILE = 256 * 1024


def _read_bytes(path: Path) -> bytes:
    # a FIFO, a device or a huge file named *.toml must not hang the shell or fill its memory
    return fileio.read_regular(path, MAX_ROLE_FILE, "role file", shown_as=path.name, error=ConfigError)


def _parse(path: Path, data: bytes) -> dict:
    import tomllib              # only when the role files are compiled: a cached policy needs none
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot read role file: {str(exc)[:200]}") from None


def _role(path: Path, data: dict, known: set[str]) -> Role:
    name = data.get("role")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{path.name}: missing `role = \"NAME\"`")
    allow = _patterns(path, data, "allow", known)
    deny = _patterns(path, data, "deny", known)
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ConfigError(f"{path.name}: aliases must be a list of role names")
    unknown = set(data) - {"role", "description", "allow", "deny", "aliases"}
    if unknown:
        raise ConfigError(f"{path.name}: unknown key(s) {', '.join(sorted(unknown))}")
    return Role(name, str(data.get("description", "")), allow, deny, path.name, tuple(aliases))


def _patterns(path: Path, data: dict, key: str, known: set[str]) -> tuple[str, ...]:
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ConfigError(f"{path.name}: {key} must be a list of action ids")
    for entry in entries:
        if not any(fnmatch.fnmatchcase(action, entry) for action in known):
            raise ConfigError(f"{path.name}: {key} entry '{entry}' matches no action",
                              hint="run `hsmshell help --actions` for the action ids")
    return tuple(entries)


def _quorum_services(path: Path, data: dict, known: set[str]) -> dict[str, QuorumService]:
    by_action: dict[str, QuorumService] = {}
    for name, body in (data.get("services") or {}).items():
        if not isinstance(body, dict) or not isinstance(body.get("id"), int):
            raise ConfigError(f"{path.name}: service {name} needs an integer id")
        actions = _patterns(path, body, "actions", known)
        key_arguments = body.get("key_arguments", [])
        if not isinstance(key_arguments, list) or not all(isinstance(a, str) for a in key_arguments):
            raise ConfigError(f"{path.name}: service {name}: key_arguments must be a list of argument names")
        unknown = set(body) - {"id", "actions", "key_arguments"}
        if unknown:
            raise ConfigError(f"{path.name}: service {name}: unknown key(s) {', '.join(sorted(unknown))}")
        service = QuorumService(name, body["id"], actions, tuple(key_arguments))
        for action in known:
            if any(fnmatch.fnmatchcase(action, p) for p in actions):
                by_action[action] = service
    return by_action
