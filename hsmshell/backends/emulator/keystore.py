"""The emulated HSMs' key store: the rules every key command shares.

A key lives on every reachable HSM where its owner exists, as one `keys` row per HSM that
names the owner by that HSM's user id (schema.py). Handles are unique in the cluster:
`key_objects` holds one row per handle, and the quotas count those rows. Key material is
sealed with the cluster's key-encryption key (AES-256-GCM, bound to the cluster id and the
handle), so the same sealed blob serves every HSM's copy.

Who may do what: the owner may use, export, wrap, delete, share and change a
key; users it is shared with may only use it; every crypto user may use a public key. Session
keys belong to the login that made them: other logins do not see them, and they vanish when
that login ends.
"""

from __future__ import annotations

import functools
from typing import Callable, Iterable

from hsmshell import jsontext
from hsmshell.backends.emulator import crypto
from hsmshell.backends.emulator.cluster import KEY_OBJECTS, EmulatedCluster, Hsm
from hsmshell.backends.result import ServerStatus
from hsmshell.errors import (ClusterStateDamaged, InvalidArgument, KeyAccessDenied, NoSuchKey,
                             NoSuchUser)
from hsmshell.model.key_attributes import AttributeValue, attribute_name
from hsmshell.model.keys import Attr, KeyClass
from hsmshell import fileio
from hsmshell.record import record
from hsmshell.state.home import KEK_FILE
from hsmshell.model.users import UserType

USE = "use"        # the access every key command needs at least; other needs are owner-only
TRUST = "trust"    # an admin marking any key trusted (firmware lets only COs ask for it)
NO_SUCH_KEY = "HSM Error: Invalid object handle is passed to this operation"
ACCESS_DENIED = "HSM Error: Key Access is denied."
KEY_COLUMNS = ("k.handle, k.hsm_id, owner, key_class, key_type, label, key_id, attributes, material, "
               "session_id, m_value, manage_m_value, (SELECT GROUP_CONCAT(user_id) FROM key_shares s "
               "WHERE s.handle = k.handle AND s.hsm_id = k.hsm_id)")
# The copy of key ? a command works on: the first reachable HSM's (Hsm.reachable) in server
# order, as KeyStore.hsms lists them. CROSS JOIN keeps SQLite walking the HSMs by server and
# stopping at the first copy, so it reads one key row (sealed material and shares) of N.
FIRST_REACHABLE_COPY = ("hsms h CROSS JOIN keys k ON k.hsm_id = h.hsm_id AND k.handle = ? "
                        "WHERE h.state = 'ACTIVE' ORDER BY h.server LIMIT 1")
KEY_OF_HANDLE = f"SELECT {KEY_COLUMNS} FROM {FIRST_REACHABLE_COPY}"
# Attributes kept in their own columns; the rest are the JSON `attributes` column.
COLUMN_ATTRIBUTES = frozenset({Attr.CLASS, Attr.TOKEN, Attr.LABEL, Attr.KEY_TYPE, Attr.ID})


@record(frozen=True)
class StoredKey:
    """One HSM's copy of a key (never its plaintext material)."""
    handle: int
    hsm_id: str
    owner: int
    key_class: int
    key_type: int
    label: str
    key_id: str
    other_attributes: dict[int, AttributeValue]
    sealed: bytes
    session_id: str | None
    m_value: int                    # use quorum (KMU -m_value, SDK 5 use-key-quorum-value)
    manage_m_value: int             # manage quorum (SDK 5 manage-key-quorum-value)
    shares: tuple[int, ...]

    @classmethod
    def from_row(cls, row) -> "StoredKey":
        *head, attributes, sealed, session_id, m_value, manage_m_value, shares = row
        others = dict(_parsed_attributes(attributes))       # a copy: the parse is shared
        shared = tuple(sorted(int(u) for u in shares.split(","))) if shares else ()
        return cls(*head, others, sealed, session_id, m_value, manage_m_value, shared)

    @property
    def is_session(self) -> bool:
        return self.session_id is not None

    @property
    def is_public(self) -> bool:
        return self.key_class == KeyClass.PUBLIC

    def attributes(self) -> dict[int, AttributeValue]:
        values = {Attr.CLASS: self.key_class, Attr.TOKEN: 0 if self.is_session else 1,
                  Attr.LABEL: self.label, Attr.KEY_TYPE: self.key_type, Attr.ID: self.key_id,
                  **self.other_attributes}
        return {int(k): values[k] for k in sorted(values)}

    def attribute(self, attr: int) -> AttributeValue | None:
        # attributes().get(attr) without building and sorting them all (every key command
        # checks a usage flag or two)
        attr = int(attr)
        if attr in self.other_attributes:
            return self.other_attributes[attr]
        column = {Attr.CLASS: self.key_class, Attr.TOKEN: 0 if self.is_session else 1,
                  Attr.LABEL: self.label, Attr.KEY_TYPE: self.key_type, Attr.ID: self.key_id}
        return column.get(attr)

    def access_of(self, user_id: int | None) -> str | None:
        """"owner", "shared", "public" (usable as a public key) or None."""
        if user_id is None:
            return None
        if self.owner == user_id:
            return "owner"
        if user_id in self.shares:
            return "shared"
        return "public" if self.is_public else None


@functools.lru_cache(maxsize=256)
def _parsed_attributes(text: str) -> dict[int, AttributeValue]:
    # Keyed by the JSON text itself, so it cannot go stale; a batch using one key reads the
    # same text every command, and parsing it (about 20 attributes) was a tenth of that
    # command's Python. Callers get a copy (StoredKey.from_row).
    return {int(k): v for k, v in jsontext.loads_flat(text).items()}


class KeyStore:
    """One command's view of the key store: the HSMs, who asks, and the sealing key."""

    def __init__(self, cluster: EmulatedCluster):
        self.cluster = cluster
        self.conn = cluster.conn
        self.principal = cluster.principal
        self.hsms = cluster.hsms()
        self._users: dict[str, dict[str, tuple[int, str]]] = {}
        self._home: Hsm | None = None
        held = cluster.db.held            # once per lock hold is often enough (state/db.py)
        if held is None or "sessions_reaped" not in held:
            forget_ended_sessions(self.conn)
            if held is not None:
                held["sessions_reaped"] = True

    # -- users ---------------------------------------------------------------------------------
    def user_ids(self, name: str) -> dict[str, tuple[int, str]]:
        """{hsm_id: (user id, user type)} of the user called `name` on each HSM."""
        key = name.lower()
        if key not in self._users:
            self._users[key] = {hsm_id: (uid, utype) for hsm_id, uid, utype in self.cluster.db.read(
                "SELECT hsm_id, user_id, user_type FROM users WHERE name = ?", (name,))}
        return self._users[key]

    def my_id(self, hsm_id: str) -> int | None:
        entry = self.user_ids(self.principal.name).get(hsm_id) if self.principal else None
        return entry[0] if entry else None

    def home_hsm(self) -> Hsm:
        """The HSM this command works on: the next reachable one in turn where the user exists
        (round robin, cluster.pick_hsm); the same one for the whole command."""
        if self._home is None:
            mine = self.user_ids(self.principal.name)
            candidates = [h for h in self.hsms if h.reachable and h.hsm_id in mine]
            if not candidates:
                raise NoSuchUser(f"{self.principal.name} exists on no reachable HSM")
            self._home = self.cluster.pick_hsm(candidates)
        return self._home

    def crypto_user_names(self, hsm: Hsm, user_ids: Iterable[int], owner: int) -> list[str]:
        """Names of the crypto users `user_ids` (ids on `hsm`) a key of `owner` is shared with."""
        names = []
        for user_id in dict.fromkeys(user_ids):
            if user_id == owner:
                raise InvalidArgument(f"user {user_id} owns the key: it cannot be shared with its owner",
                                      hint="list the ids of other crypto users (listUsers)")
            row = self.conn.execute("SELECT name, user_type FROM users WHERE hsm_id = ? AND user_id = ?",
                                    (hsm.hsm_id, user_id)).fetchone()
            if row is None:
                raise NoSuchUser(f"no user with id {user_id} on server {hsm.server}({hsm.ip})")
            if row[1] != UserType.CU:
                raise InvalidArgument(f"user {user_id} ({row[0]}) is a {row[1]}: keys are shared "
                                      "with crypto users (CU) only")
            names.append(row[0])
        return names

    def local_ids(self, names: Iterable[str], hsm_id: str) -> list[int]:
        """The ids the users called `names` have on one HSM (users missing there are left out)."""
        return [self.user_ids(n)[hsm_id][0] for n in names if hsm_id in self.user_ids(n)]

    # -- finding keys --------------------------------------------------------------------------
    def all_copies(self, handle: int) -> dict[str, StoredKey]:
        """Every HSM's copy of the key, reachable or not, by HSM id."""
        return {hsm_id: StoredKey.from_row(row) for hsm_id, row in self._rows(handle).items()}

    def _rows(self, handle: int) -> dict[str, tuple]:
        rows = self.conn.execute(f"SELECT {KEY_COLUMNS} FROM keys k WHERE handle = ?", (handle,))
        return {row[1]: row for row in rows}

    def key(self, handle: int, need: str = USE) -> StoredKey:
        """The key, if this login may `need` it ("use", or an owner-only verb such as "delete")."""
        rows = self.cluster.db.read(KEY_OF_HANDLE, (handle,))
        key = StoredKey.from_row(rows[0]) if rows else None
        if key is None or (key.is_session and key.session_id != self.cluster.session_id):
            raise NoSuchKey(f"{NO_SUCH_KEY}: there is no key with handle {handle}")
        if need == TRUST:
            return key
        access = key.access_of(self.my_id(key.hsm_id))
        if access is None:
            raise KeyAccessDenied(f"{ACCESS_DENIED} Key {handle} belongs to user {key.owner} "
                                  "and is not shared with you",
                                  hint="its owner can share it with you: shareKey")
        if need != USE and access != "owner":
            raise KeyAccessDenied(f"{ACCESS_DENIED} Only the owner of key {handle} (user "
                                  f"{key.owner}) may {need} it",
                                  hint="users a key is shared with may only use it")
        return key

    def visible_keys(self, hsm: Hsm) -> list[StoredKey]:
        """Every key this login can use on `hsm`: owned, shared with it, or public."""
        me = self.my_id(hsm.hsm_id)
        rows = self.conn.execute(
            f"SELECT {KEY_COLUMNS} FROM keys k WHERE hsm_id = ? AND (owner = ? OR key_class = ? "
            "OR EXISTS (SELECT 1 FROM key_shares s WHERE s.handle = k.handle AND "
            "s.hsm_id = k.hsm_id AND s.user_id = ?)) AND (session_id IS NULL OR session_id = ?) "
            "ORDER BY handle", (hsm.hsm_id, me, int(KeyClass.PUBLIC), me, self.cluster.session_id))
        return [StoredKey.from_row(r) for r in rows]

    def keys_on(self, hsm: Hsm) -> list[StoredKey]:
        rows = self.conn.execute(f"SELECT {KEY_COLUMNS} FROM keys k WHERE hsm_id = ? ORDER BY handle",
                                 (hsm.hsm_id,))
        return [StoredKey.from_row(r) for r in rows]

    # -- material ------------------------------------------------------------------------------
    def private_key(self, key: StoredKey):
        """The key's private-key object, unsealed and loaded once per lock hold: a batch group
        of 1,000 signatures with one key unseals and loads it once, and OpenSSL's per-key
        set-up (blinding, Montgomery contexts: as much as a signature) is paid once. Kept in
        memory only (never written, named by handle and sealed blob, not by material); dropped
        with the lock hold, at login and logout, and when a key is deleted or changed
        (EmulatedCluster.forget_key_objects)."""
        held = self.cluster.db.held
        loaded = held.setdefault(KEY_OBJECTS, {}) if held is not None else {}
        name = (key.handle, key.sealed)
        found = loaded.get(name)
        if found is None:
            found = loaded[name] = crypto.load_private_key(self.material(key))
        return found

    def material(self, key: StoredKey) -> bytes:
        return self.unseal(key.handle, key.sealed)

    def seal(self, handle: int, material: bytes) -> bytes:
        return crypto.seal(self._kek(), material, self._aad(handle))

    def unseal(self, handle: int, blob: bytes) -> bytes:
        return crypto.open_sealed(self._kek(), blob, self._aad(handle))

    def _aad(self, handle: int) -> bytes:
        cluster_id = self.cluster.caches.get("cluster_id")
        if cluster_id is None:
            cluster_id = self.cluster.caches["cluster_id"] = self.cluster.db.meta("cluster_id", "")
        return crypto.key_record_aad(cluster_id, handle)

    def _kek(self) -> bytes:
        """The cluster's key-encryption key, made (0600) with the cluster. Never made here: a
        new one would leave every stored key undecryptable (docs/hardening.md)."""
        kek = self.cluster.caches.get("kek")
        if kek is None:
            path = self.cluster.db.directory / KEK_FILE
            size = len(crypto.new_kek())
            kek = fileio.read_regular(path, size, "cluster key-encryption key", no_follow=True,
                                     error=ClusterStateDamaged)
            if len(kek) != size:
                raise ClusterStateDamaged(f"the cluster key-encryption key {path} is damaged "
                                          f"({len(kek)} bytes, not {size})")
            self.cluster.caches["kek"] = kek
        return kek

    # -- changing every copy -----------------------------------------------------------------------
    def on_copies(self, handle: int,
                  operation: Callable[[Hsm, StoredKey], dict | None]) -> list[ServerStatus]:
        """Run `operation` on every HSM holding a copy (an unreachable one reports failure).
        HSMs without a copy (the owner does not exist there) are drift, not part of it."""
        copies = self.all_copies(handle)
        holders = [h for h in self.hsms if h.hsm_id in copies]
        return self.cluster.on_each(lambda hsm: operation(hsm, copies[hsm.hsm_id]), holders)

    def set_attribute(self, copy: StoredKey, attr: Attr, value: AttributeValue) -> None:
        self.cluster.forget_key_objects()
        where = (copy.handle, copy.hsm_id)
        if attr == Attr.LABEL:
            self.conn.execute("UPDATE keys SET label = ? WHERE handle = ? AND hsm_id = ?", (value, *where))
        elif attr == Attr.TOKEN:
            self.conn.execute("UPDATE keys SET session_id = NULL WHERE handle = ? AND hsm_id = ?", where)
        elif attr in COLUMN_ATTRIBUTES:
            raise InvalidArgument(f"{attribute_name(attr)} cannot be changed")
        else:
            others = {**copy.other_attributes, int(attr): value}
            self.conn.execute("UPDATE keys SET attributes = ? WHERE handle = ? AND hsm_id = ?",
                              (jsontext.compact(others), *where))

    def delete_copy(self, copy: StoredKey) -> None:
        self.cluster.forget_key_objects()
        self.conn.execute("DELETE FROM keys WHERE handle = ? AND hsm_id = ?", (copy.handle, copy.hsm_id))
        forget_handles(self.conn, [copy.handle])


def forget_handles(conn, handles: list[int]) -> None:
    """Drop the cluster-wide record of handles no HSM holds any more."""
    conn.executemany("DELETE FROM key_objects WHERE handle = ? AND NOT EXISTS "
                     "(SELECT 1 FROM keys WHERE keys.handle = ?)", [(h, h) for h in handles])


def drop_session_keys(cluster: EmulatedCluster, session_id: str) -> None:
    """A login ended: its session keys vanish (the session-end hook of EmulatedCluster)."""
    cluster.forget_key_objects()
    with cluster.db.savepoint("session_keys"):
        _drop_keys(cluster.conn, "session_id = ?", (session_id,))


def forget_ended_sessions(conn) -> None:
    """Session keys of logins that ended without a logout (a killed shell) vanish too."""
    _drop_keys(conn, "session_id IS NOT NULL AND session_id NOT IN (SELECT session_id FROM sessions)", ())


def _drop_keys(conn, where: str, params: tuple) -> None:
    # No DISTINCT: it would make SQLite walk every key instead of the session-key index.
    handles = {r[0] for r in conn.execute(f"SELECT handle FROM keys WHERE {where}", params)}
    if handles:
        conn.execute(f"DELETE FROM keys WHERE {where}", params)
        forget_handles(conn, sorted(handles))
