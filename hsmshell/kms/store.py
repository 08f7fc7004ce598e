"""The emulated KMS account: its custom key stores and KMS keys, in `<state dir>/kms/kms.db`.

KMS lives outside any cluster (a store names its cluster by CloudHsmClusterId, and outlives
a deleted cluster: CLUSTER_NOT_FOUND), so its state has its own SQLite database and lock.
The `kmsuser` password KMS knows (KeyStorePassword, later the one it rotated to) is stored
sealed with AES-256-GCM under `kms/kms-master.key` (0600), bound to the store id.

Lock order, always: this database's lock first, then the cluster's. An operation writes its
cluster changes and audit record in the cluster's transaction, then commits here; a crash
between the two leaves what AWS users know as orphaned key material or a store that must be
reconnected, never a lost audit record.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path

from hsmshell.record import record
from hsmshell.state.home import StateHome, write_private
from hsmshell.state.sqlite_files import open_private_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS custom_key_stores (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    cluster_id TEXT NOT NULL,
    cluster_name TEXT NOT NULL,          -- the cluster folder it was found in (ids decide)
    trust_anchor TEXT NOT NULL,
    password BLOB NOT NULL,              -- sealed: the kmsuser password KMS believes is current
    password_rotated REAL,               -- when KMS last rotated it (connect)
    state TEXT NOT NULL DEFAULT 'DISCONNECTED',
    error_code TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS kms_keys (
    key_id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES custom_key_stores(id),
    arn TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    handle INTEGER NOT NULL,             -- the backing key's handle in the cluster
    backing_key_id TEXT NOT NULL,        -- its CKA_ID, hex (CloudTrail's backingKeyId)
    alias TEXT UNIQUE,                   -- alias/NAME, usable wherever a key id is
    deletion_date REAL                   -- PendingDeletion until then (ScheduleKeyDeletion)
);
"""
MASTER_KEY = "kms-master.key"
ACCOUNT = "111122223333"                 # the emulated AWS account (AWS's documentation account)
MAX_STORES = 10                          # custom key stores per account and Region (AWS quota)


@record
class KeyStoreRow:
    id: str
    name: str
    cluster_id: str
    cluster_name: str
    trust_anchor: str
    password: bytes
    password_rotated: float | None
    state: str
    error_code: str | None
    created: float


@record
class KmsKeyRow:
    key_id: str
    store_id: str
    arn: str
    description: str
    created: float
    enabled: bool
    handle: int
    backing_key_id: str
    alias: str | None = None
    deletion_date: float | None = None


def _schema(conn) -> None:
    conn.executescript(SCHEMA)
    if "deletion_date" not in {r[1] for r in conn.execute("PRAGMA table_info(kms_keys)")}:
        conn.execute("ALTER TABLE kms_keys ADD COLUMN deletion_date REAL")   # kms.db of 0.1


class KmsDB:
    """kms.db under its own file lock; `with db:` holds the lock and one transaction."""

    def __init__(self, home: Path):
        self.directory = StateHome(home).ensure().root / "kms"
        # tables and the migration under the account's lock: two first uses at once must
        # not both add the column
        self.conn = open_private_db(self.directory / "kms.db", setup=_schema, lock=self.directory / "lock",
                                    pragmas=("foreign_keys=ON",))
        self._lock = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> "KmsDB":
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, kind, value, tb) -> None:
        try:
            self.conn.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    def commit_now(self) -> None:
        """Keep what is written so far even if the operation then fails (a FAILED connect)."""
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        self.conn.close()
        os.close(self._lock)

    # -- stores ------------------------------------------------------------------------------
    def stores(self) -> list[KeyStoreRow]:
        return [KeyStoreRow(*r) for r in self.conn.execute(
            "SELECT * FROM custom_key_stores ORDER BY created, name")]

    def store(self, name_or_id: str) -> KeyStoreRow | None:
        row = self.conn.execute("SELECT * FROM custom_key_stores WHERE id = ? OR name = ?",
                                (name_or_id, name_or_id)).fetchone()
        return KeyStoreRow(*row) if row else None

    def add_store(self, row: KeyStoreRow) -> None:
        self.conn.execute("INSERT INTO custom_key_stores VALUES(?,?,?,?,?,?,?,?,?,?)",
                          (row.id, row.name, row.cluster_id, row.cluster_name, row.trust_anchor,
                           row.password, row.password_rotated, row.state, row.error_code, row.created))

    def set_state(self, store: KeyStoreRow, state: str, error_code: str | None = None) -> None:
        store.state, store.error_code = state, error_code
        self.conn.execute("UPDATE custom_key_stores SET state = ?, error_code = ? WHERE id = ?",
                          (state, error_code, store.id))

    def update_store(self, store: KeyStoreRow, **values) -> None:
        self._update("custom_key_stores", "id", store.id, store, values)

    def delete_store(self, store: KeyStoreRow) -> None:
        self.conn.execute("DELETE FROM custom_key_stores WHERE id = ?", (store.id,))

    # -- keys --------------------------------------------------------------------------------
    def keys(self, store_id: str | None = None) -> list[KmsKeyRow]:
        where, params = ("WHERE store_id = ?", (store_id,)) if store_id else ("", ())
        return [_key(r) for r in self.conn.execute(f"SELECT * FROM kms_keys {where} ORDER BY created", params)]

    def key(self, key_id_or_arn: str) -> KmsKeyRow | None:
        row = self.conn.execute("SELECT * FROM kms_keys WHERE key_id = ? OR arn = ? OR alias = ?",
                                (key_id_or_arn, key_id_or_arn, key_id_or_arn)).fetchone()
        return _key(row) if row else None

    def add_key(self, key: KmsKeyRow) -> None:
        self.conn.execute("INSERT INTO kms_keys VALUES(?,?,?,?,?,?,?,?,?,?)",
                          (key.key_id, key.store_id, key.arn, key.description, key.created,
                           int(key.enabled), key.handle, key.backing_key_id, key.alias, key.deletion_date))

    def update_key(self, key: KmsKeyRow, **values) -> None:
        self._update("kms_keys", "key_id", key.key_id, key, values)

    def _update(self, table: str, id_column: str, row_id: str, row, values: dict) -> None:
        """Set the columns on the row object and in its table (column names come from callers, not users)."""
        for column, value in values.items():
            setattr(row, column, value)
            self.conn.execute(f"UPDATE {table} SET {column} = ? WHERE {id_column} = ?", (value, row_id))

    def delete_key(self, key: KmsKeyRow) -> None:
        self.conn.execute("DELETE FROM kms_keys WHERE key_id = ?", (key.key_id,))

    # -- the password KMS keeps --------------------------------------------------------------
    def seal_password(self, store_id: str, password: str) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        nonce = os.urandom(12)
        return nonce + AESGCM(self._master()).encrypt(nonce, password.encode(), _aad(store_id))

    def open_password(self, store: KeyStoreRow) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        blob = store.password
        return AESGCM(self._master()).decrypt(blob[:12], blob[12:], _aad(store.id)).decode()

    def _master(self) -> bytes:
        path = self.directory / MASTER_KEY
        try:
            return path.read_bytes()
        except FileNotFoundError:
            key = secrets.token_bytes(32)
            write_private(path, key, exclusive=True)
            return key


def _aad(store_id: str) -> bytes:
    return b"hsmshell-kms-keystore-password|" + store_id.encode()


def _key(row) -> KmsKeyRow:
    key = KmsKeyRow(*row)
    key.enabled = bool(key.enabled)
    return key


def new_store_id() -> str:
    return "cks-" + secrets.token_hex(9)[:17]


def new_password() -> str:
    """The password KMS rotates kmsuser to: 32 alphanumeric characters only KMS knows."""
    import string
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def key_arn(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"
