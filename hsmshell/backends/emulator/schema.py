"""The emulated cluster's tables, and making a new cluster in the state CloudHSM leaves it in
after initialization: PRECO admin/password and AU app_user on every HSM."""

from __future__ import annotations

import os
import secrets
import string

from hsmshell.backends.emulator.passwords import DEFAULT_LOG2_N, hash_password

SCHEMA = """
CREATE TABLE IF NOT EXISTS hsms (
    hsm_id TEXT PRIMARY KEY,
    server INTEGER NOT NULL UNIQUE,
    az TEXT NOT NULL,
    subnet TEXT NOT NULL,
    ip TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'ACTIVE',
    serial TEXT NOT NULL,
    reboot_counter INTEGER NOT NULL DEFAULT 1
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
"""

DEFAULT_AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
PRECO_NAME, PRECO_PASSWORD = "admin", "password"
AU_NAME = "app_user"
_ALPHABET = string.ascii_lowercase + string.digits


def aws_id(prefix: str) -> str:
    return prefix + "-" + "".join(secrets.choice(_ALPHABET) for _ in range(11))


def create_tables(conn) -> None:
    conn.executescript(SCHEMA)


def plan_hsms(count: int, azs=DEFAULT_AZS) -> list[dict]:
    """One HSM per availability zone (round robin), each with an ENI IP in its AZ's subnet."""
    hsms = []
    for server in range(count):
        zone = server % len(azs)
        subnet = f"10.0.{zone}.0/24"
        host = 10 + server // len(azs) + int.from_bytes(os.urandom(1), "big") % 200
        hsms.append({"hsm_id": aws_id("hsm"), "server": server, "az": azs[zone],
                     "subnet": subnet, "ip": f"10.0.{zone}.{host}",
                     "serial": f"{int.from_bytes(os.urandom(3), 'big'):08d}"})
    return hsms


def seed_cluster(db, name: str, hsm_count: int, now: float) -> dict:
    """Create the HSMs and the initial users (tables exist already). Returns what the genesis record needs."""
    conn = db.conn
    cluster_id = aws_id("cluster")
    for key, value in (("cluster_name", name), ("cluster_id", cluster_id),
                       ("cluster_state", "INITIALIZED"), ("backend", "emulator"),
                       ("kdf_log2_n", str(DEFAULT_LOG2_N)), ("created", str(now))):
        db.set_meta(key, value)
    hsms = plan_hsms(hsm_count)
    preco_hash = hash_password(PRECO_PASSWORD)
    au_password = secrets.token_urlsafe(24)          # nobody logs in as app_user
    au_hash = hash_password(au_password)
    for hsm in hsms:
        conn.execute("INSERT INTO hsms(hsm_id, server, az, subnet, ip, serial) "
                     "VALUES(:hsm_id, :server, :az, :subnet, :ip, :serial)", hsm)
        conn.execute("INSERT INTO users(hsm_id, user_id, user_type, name, pw_hash) VALUES(?,?,?,?,?)",
                     (hsm["hsm_id"], 1, "PRECO", PRECO_NAME, preco_hash))
        conn.execute("INSERT INTO users(hsm_id, user_id, user_type, name, pw_hash) VALUES(?,?,?,?,?)",
                     (hsm["hsm_id"], 2, "AU", AU_NAME, au_hash))
    return {"cluster_id": cluster_id, "hsms": hsms,
            "users": [{"id": 1, "type": "PRECO", "name": PRECO_NAME, "password": PRECO_PASSWORD},
                      {"id": 2, "type": "AU", "name": AU_NAME, "password": None}]}
