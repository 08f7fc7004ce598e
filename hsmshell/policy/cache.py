"""The compiled role policy, cached in the state dir: a start reads it instead of parsing the
role files with `tomllib` and checking every glob against every action id (together about 25 M
instructions, a sixth of a one-shot's budget: docs/performance.md).

Trusted only when it is exactly what the role files compile to now, and unchanged since this
shell wrote it:
- its key is the SHA-256 of the roles folder's path, every role file's name and content, and
  the action ids of the command table: any edit of a role file (or a new hsmshell) misses;
- it carries an HMAC-SHA-256 under a key of the state dir (`policy-cache.key`, 0600): a cache
  file changed by anything else fails the check.
A cache that misses or fails is never used: the role files are compiled as without a cache
(their errors reported the same way) and the cache written again. So a damaged or planted
cache can cost a start its speed, never change a decision.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from hsmshell import fileio
from hsmshell.errors import HsmshellError
from hsmshell.policy.roles import Policy, QuorumService, Role

CACHE_FILE = "policy-cache"
KEY_FILE = "policy-cache.key"
KEY_BYTES = 32
FORMAT = 1                      # bump when the cached form changes
MAX_CACHE = 1024 * 1024


def fingerprint(directory: Path, role_files: dict[str, bytes], known_actions: set[str]) -> str:
    digest = hashlib.sha256(f"hsmshell policy cache {FORMAT}\0{directory}\0".encode())
    for name in sorted(role_files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(role_files[name]).digest())
    digest.update("\0".join(sorted(known_actions)).encode())
    return digest.hexdigest()


def load(home: Path, key: str) -> Policy | None:
    """The cached policy for `key`, or None (none, stale, or failing its check)."""
    try:
        secret = _secret(home, create=False)
        data = fileio.read_regular(home / CACHE_FILE, MAX_CACHE, no_follow=True)
    except (OSError, HsmshellError):
        return None
    mac, _, body = data.partition(b"\n")
    if secret is None or not hmac.compare_digest(mac, _mac(secret, body)):
        return None
    try:
        cached = json.loads(body)
        return _policy(cached["policy"]) if cached.get("key") == key else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def store(home: Path, key: str, policy: Policy) -> None:
    """Keep `policy` for the next start; a state dir that cannot take it only costs speed."""
    body = json.dumps({"key": key, "policy": _plain(policy)}, sort_keys=True).encode()
    try:
        secret = _secret(home, create=True)
        if secret is None:              # a damaged key file: left for a person to look at
            return
        fileio.write_file(home / CACHE_FILE, _mac(secret, body) + b"\n" + body, mode=fileio.PRIVATE,
                          atomic=True, what="policy cache")
    except (OSError, HsmshellError):
        pass


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).hexdigest().encode()


def _secret(home: Path, create: bool) -> bytes | None:
    path = home / KEY_FILE
    if create and not os.path.lexists(path):
        fileio.make_folder(home)
        try:
            fileio.write_file(path, os.urandom(KEY_BYTES), mode=fileio.PRIVATE, exclusive=True,
                              what="policy cache key")
        except HsmshellError:
            pass                        # another shell made it meanwhile: read that one
    try:
        secret = fileio.read_regular(path, KEY_BYTES, no_follow=True)
    except HsmshellError:
        return None
    return secret if len(secret) == KEY_BYTES else None


def _plain(policy: Policy) -> dict:
    roles = {id(r): r for r in policy.roles.values()}.values()
    services = {id(s): s for s in policy.quorum.values()}.values()
    return {"directory": policy.directory,
            "roles": [[r.name, r.description, r.allow, r.deny, r.source, r.aliases] for r in roles],
            "services": [[s.name, s.id, s.actions, s.key_arguments,
                          sorted(a for a, t in policy.quorum.items() if t is s)] for s in services]}


def _policy(cached: dict) -> Policy:
    roles: dict[str, Role] = {}
    for name, description, allow, deny, source, aliases in cached["roles"]:
        role = Role(name, description, tuple(allow), tuple(deny), source, tuple(aliases))
        for alias in (name, *aliases):
            roles[alias.upper()] = role
    quorum: dict[str, QuorumService] = {}
    for name, number, actions, key_arguments, covers in cached["services"]:
        service = QuorumService(name, number, tuple(actions), tuple(key_arguments))
        quorum.update(dict.fromkeys(covers, service))
    return Policy(roles, quorum, cached["directory"])
