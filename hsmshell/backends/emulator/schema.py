"""The emulated cluster's tables, and making a new cluster: either in the state CloudHSM leaves
it in after initialization (PRECO admin/password and AU app_user on every HSM), or, for
`cluster create`, UNINITIALIZED (HSMs, no users) until `cluster initialize` seeds the users."""

from __future__ import annotations

import json

from hsmshell.backends.emulator import cluster_events, hsm_logs, topology
from hsmshell.backends.emulator.passwords import DEFAULT_LOG2_N, hash_password
from hsmshell.backends.emulator.topology import DEFAULT_AZS, aws_id  # noqa: F401  (re-exported)
from hsmshell.model.users import UserType

SCHEMA = """
CREATE TABLE IF NOT EXISTS hsms (
    hsm_id TEXT PRIMARY KEY,
    server INTEGER NOT NULL UNIQUE,
    az TEXT NOT NULL,
    subnet TEXT NOT NULL,
    ip TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'ACTIVE',
    serial TEXT NOT NULL,
    reboot_counter INTEGER NOT NULL DEFAULT 1,
    eni_id TEXT,
    failed_at REAL,                 -- when the HSM became unreachable (state DEGRADED)
    replace_at REAL                 -- when it is replaced automatically (NULL: never)
);
CREATE TABLE IF NOT EXISTS users (
    hsm_id TEXT NOT NULL REFERENCES hsms(hsm_id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    user_type TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    pw_hash TEXT NOT NULL,
    mofn_pubkey TEXT,
    login_failures INTEGER NOT NULL DEFAULT 0,
    twofa INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hsm_id, user_id),
    UNIQUE (hsm_id, name)
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    user_name TEXT NOT NULL COLLATE NOCASE,
    user_type TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    started REAL NOT NULL
);
-- Keys (backends/emulator/keystore.py). One key_objects row per handle in the cluster (the
-- quotas count these); one keys row per HSM holding a copy, owned by a user id of that HSM.
CREATE TABLE IF NOT EXISTS key_objects (
    handle INTEGER PRIMARY KEY,
    asymmetric INTEGER NOT NULL,
    key_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS key_objects_by_id ON key_objects(key_id) WHERE key_id != '';
CREATE INDEX IF NOT EXISTS key_objects_asymmetric ON key_objects(handle) WHERE asymmetric = 1;
CREATE TABLE IF NOT EXISTS keys (
    handle INTEGER NOT NULL REFERENCES key_objects(handle),
    hsm_id TEXT NOT NULL REFERENCES hsms(hsm_id) ON DELETE CASCADE,
    owner INTEGER NOT NULL,
    key_class INTEGER NOT NULL,
    key_type INTEGER NOT NULL,
    label TEXT NOT NULL,
    key_id TEXT NOT NULL DEFAULT '',
    attributes TEXT NOT NULL,
    material BLOB NOT NULL,
    session_id TEXT,
    m_value INTEGER NOT NULL DEFAULT 0,         -- use quorum (KMU -m_value; SDK 5 use-key-quorum-value)
    manage_m_value INTEGER NOT NULL DEFAULT 0,  -- manage quorum (SDK 5 manage-key-quorum-value)
    PRIMARY KEY (handle, hsm_id),
    FOREIGN KEY (hsm_id, owner) REFERENCES users(hsm_id, user_id)
);
CREATE INDEX IF NOT EXISTS keys_by_owner ON keys(hsm_id, owner);
CREATE INDEX IF NOT EXISTS keys_of_sessions ON keys(session_id) WHERE session_id IS NOT NULL;
-- nearly no key has a quorum: every key command asks, and this index answers without a row read
CREATE INDEX IF NOT EXISTS keys_with_quorum ON keys(handle) WHERE m_value > 0;
CREATE TABLE IF NOT EXISTS key_shares (
    handle INTEGER NOT NULL,
    hsm_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (handle, hsm_id, user_id),
    FOREIGN KEY (handle, hsm_id) REFERENCES keys(handle, hsm_id) ON DELETE CASCADE,
    FOREIGN KEY (hsm_id, user_id) REFERENCES users(hsm_id, user_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS key_shares_by_user ON key_shares(hsm_id, user_id);
-- A user by name on every HSM (key commands look up the logged-in user's ids by name).
CREATE INDEX IF NOT EXISTS users_by_name ON users(name);
"""
# How many distinct user names the cluster has (the AWS quota counts them), kept by triggers
# so createUser does not count every user of every HSM (COUNT(DISTINCT name) is O(users)).
COUNTS = """
CREATE TABLE IF NOT EXISTS counts (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS user_name_added AFTER INSERT ON users
  WHEN NOT EXISTS (SELECT 1 FROM users WHERE name = NEW.name AND rowid != NEW.rowid)
  BEGIN UPDATE counts SET value = value + 1 WHERE name = 'user_names'; END;
CREATE TRIGGER IF NOT EXISTS user_name_removed AFTER DELETE ON users
  WHEN NOT EXISTS (SELECT 1 FROM users WHERE name = OLD.name)
  BEGIN UPDATE counts SET value = value - 1 WHERE name = 'user_names'; END;
CREATE TRIGGER IF NOT EXISTS user_name_changed AFTER UPDATE OF name ON users WHEN OLD.name != NEW.name
  BEGIN
    UPDATE counts SET value = value - 1 WHERE name = 'user_names'
      AND NOT EXISTS (SELECT 1 FROM users WHERE name = OLD.name);
    UPDATE counts SET value = value + 1 WHERE name = 'user_names'
      AND NOT EXISTS (SELECT 1 FROM users WHERE name = NEW.name AND rowid != NEW.rowid);
  END;
"""

PRECO_NAME, PRECO_PASSWORD = "admin", "password"
AU_NAME = "app_user"
# columns added to hsms after the first release: added in place to older databases
_LATER_HSM_COLUMNS = (("eni_id", "TEXT"), ("failed_at", "REAL"), ("replace_at", "REAL"))
# a key's manage quorum, added after keys had one -m_value (which guarded use and management)
MANAGE_QUORUM_INDEX = ("CREATE INDEX IF NOT EXISTS keys_with_manage_quorum ON keys(handle) "
                       "WHERE manage_m_value > 0")


def create_tables(conn) -> None:
    conn.executescript(SCHEMA + hsm_logs.SCHEMA + cluster_events.SCHEMA + COUNTS)
    present = {row[1] for row in conn.execute("PRAGMA table_info(hsms)")}
    for column, kind in _LATER_HSM_COLUMNS:
        if column not in present:
            conn.execute(f"ALTER TABLE hsms ADD COLUMN {column} {kind}")
    if "manage_m_value" not in {row[1] for row in conn.execute("PRAGMA table_info(keys)")}:
        conn.execute("ALTER TABLE keys ADD COLUMN manage_m_value INTEGER NOT NULL DEFAULT 0")
        conn.execute("UPDATE keys SET manage_m_value = m_value WHERE m_value > 0")
    conn.execute(MANAGE_QUORUM_INDEX)
    if conn.execute("SELECT 1 FROM counts WHERE name = 'user_names'").fetchone() is None:
        # a new database, or one made before the counter: count once (the triggers exist
        # already, so a user added meanwhile by another process is counted either way)
        conn.execute("INSERT OR IGNORE INTO counts(name, value) "
                     "SELECT 'user_names', COUNT(DISTINCT name) FROM users")


def user_name_count(conn) -> int:
    """How many distinct user names the cluster has (what COUNT(DISTINCT name) would say)."""
    return conn.execute("SELECT value FROM counts WHERE name = 'user_names'").fetchone()[0]


def insert_hsm(conn, hsm: dict) -> None:
    conn.execute("INSERT INTO hsms(hsm_id, server, az, subnet, ip, serial, eni_id) "
                 "VALUES(:hsm_id, :server, :az, :subnet, :ip, :serial, :eni_id)", hsm)


def seed_cluster(db, name: str, hsm_count: int, now: float, *, azs=DEFAULT_AZS, subnets=None,
                 initialized: bool = True, replace_after: float | None = topology.DEFAULT_REPLACE_AFTER,
                 hsm_type: str = topology.DEFAULT_HSM_TYPE, mode: str = topology.DEFAULT_MODE) -> dict:
    """Create the HSMs (tables exist already) and, if `initialized`, the initial users.
    Returns what the genesis record needs."""
    conn = db.conn
    cluster_id = aws_id("cluster")
    network = topology.plan_network(cluster_id, azs, subnets, ip_seed=name,
                                    hsm_type=hsm_type, mode=mode)
    hsms = topology.plan_hsms(network, hsm_count)
    state = "INITIALIZED" if initialized else "UNINITIALIZED"
    for key, value in (("cluster_name", name), ("cluster_id", cluster_id),
                       ("cluster_state", state), ("backend", "emulator"),
                       ("kdf_log2_n", str(DEFAULT_LOG2_N)), ("created", str(now)),
                       ("network", json.dumps(network, sort_keys=True)),
                       ("replace_after", "never" if replace_after is None else repr(float(replace_after)))):
        db.set_meta(key, value)
    for hsm in hsms:
        insert_hsm(conn, hsm)
    cluster_events.record(conn, now, "create", hsms=len(hsms), state=state)
    users = seed_users(conn, hsms, now, db.held) if initialized else []
    return {"cluster_id": cluster_id, "hsms": hsms, "users": users, "state": state, "network": network}


def seed_users(conn, hsms: list[dict], now: float, held: dict | None) -> list[dict]:
    """The users an initialized cluster starts with, on every HSM; the first HSM logs its
    initialization. Returns them for the audit record (with the PRECO's default password)."""
    preco_hash = hash_password(PRECO_PASSWORD)
    import secrets          # only when a cluster is made: off every start's import path
    au_hash = hash_password(secrets.token_urlsafe(24))      # nobody logs in as app_user
    conn.executemany("INSERT INTO users(hsm_id, user_id, user_type, name, pw_hash) VALUES(?,?,?,?,?)",
                     [row for hsm in hsms for row in ((hsm["hsm_id"], 1, UserType.PRECO.value, PRECO_NAME, preco_hash),
                                                      (hsm["hsm_id"], 2, UserType.AU.value, AU_NAME, au_hash))])
    hsm_logs.record_initialization(conn, hsms[0], now, AU_NAME, held)
    return [{"id": 1, "type": UserType.PRECO.value, "name": PRECO_NAME, "password": PRECO_PASSWORD},
            {"id": 2, "type": UserType.AU.value, "name": AU_NAME, "password": None}]
