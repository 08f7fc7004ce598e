"""Where the emulated HSMs keep quorum state: tokens, their approvals, M values, approver keys.

Choices (docs/quorum.md): every HSM of the cluster holds the same tokens (getToken issues a
token cluster-wide, as CMU asks every server), so one table serves all of them and the
1,024-token limit of an HSM is a limit on this table. M values are cluster settings (meta
`m_value_<service>`). Approver keys live in each HSM's users table (users.mofn_pubkey); the
first reachable HSM answers questions about them.
"""

from __future__ import annotations


from hsmshell.errors import BackendUnavailable, LimitExceeded
from hsmshell.model.quorum import M_OFF, MAX_TOKENS_PER_HSM, TOKEN_LIFETIME_SECONDS, QuorumService
from hsmshell.record import record

SCHEMA = """
CREATE TABLE IF NOT EXISTS quorum_tokens (
    token_id INTEGER PRIMARY KEY,
    service INTEGER NOT NULL,
    key_handle INTEGER NOT NULL DEFAULT 0,
    node TEXT NOT NULL,
    user_name TEXT NOT NULL COLLATE NOCASE,
    session_id TEXT NOT NULL,
    body BLOB NOT NULL,                    -- the token file's bytes: what approvers sign
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS quorum_tokens_by_session ON quorum_tokens(session_id, service, key_handle);
CREATE TABLE IF NOT EXISTS quorum_approvals (
    token_id INTEGER NOT NULL REFERENCES quorum_tokens(token_id) ON DELETE CASCADE,
    approver TEXT NOT NULL COLLATE NOCASE,
    approver_type INTEGER NOT NULL,
    approved_at INTEGER NOT NULL,
    PRIMARY KEY (token_id, approver)
);
"""

TOKEN_SEQUENCE = "quorum_token_seq"          # meta: the last token id given (ids never repeat)
TOKEN_LIFETIME = "quorum_token_seconds"      # meta: the cluster's token validity
_TOKEN_COLUMNS = "token_id, service, key_handle, node, user_name, session_id, body, issued_at, expires_at"


@record(frozen=True)
class StoredToken:
    token_id: int
    service: QuorumService
    key_handle: int
    node: str
    user: str
    session: str
    body: bytes
    issued_at: int
    expires_at: int

    def expired(self, now: int) -> bool:
        return now >= self.expires_at

    def seconds_left(self, now: int) -> int:
        return max(0, self.expires_at - now)


def create_tables(conn) -> None:
    conn.executescript(SCHEMA)


def now(cluster) -> int:
    return int(cluster.clock())


# -- cluster settings ----------------------------------------------------------------------
def m_value(cluster, service: int) -> int:
    return int(cluster.db.meta(f"m_value_{int(service)}", str(M_OFF)))


def set_m_value(cluster, service: int, m: int) -> None:
    cluster.db.set_meta(f"m_value_{int(service)}", str(m))


def token_lifetime(cluster) -> int:
    return int(cluster.db.meta(TOKEN_LIFETIME, str(TOKEN_LIFETIME_SECONDS)))


def set_token_lifetime(cluster, seconds: int) -> None:
    cluster.db.set_meta(TOKEN_LIFETIME, str(seconds))


def reference_hsm(cluster):
    """The HSM that answers cluster-wide questions (approver keys): the first reachable one."""
    hsms = cluster.reachable_hsms()
    if not hsms:
        raise BackendUnavailable("no HSM of the cluster is reachable")
    return hsms[0]


# -- approver keys -------------------------------------------------------------------------
def registered_keys(cluster, user_types: tuple[str, ...] | None = None) -> dict[str, tuple[str, bytes]]:
    """name -> (user type, registered PEM) of the users with a quorum key."""
    rows = cluster.conn.execute(
        "SELECT name, user_type, mofn_pubkey FROM users WHERE hsm_id = ? AND mofn_pubkey IS NOT NULL",
        (reference_hsm(cluster).hsm_id,))
    return {name: (kind, pem.encode("ascii")) for name, kind, pem in rows
            if user_types is None or kind in user_types}


def key_owner_of(cluster, pem: bytes) -> str | None:
    row = cluster.conn.execute("SELECT name FROM users WHERE mofn_pubkey = ? LIMIT 1",
                               (pem.decode("ascii"),)).fetchone()
    return row[0] if row else None


def store_key(cluster, hsm, user_id: int, pem: bytes) -> None:
    cluster.conn.execute("UPDATE users SET mofn_pubkey = ? WHERE hsm_id = ? AND user_id = ?",
                         (pem.decode("ascii"), hsm.hsm_id, user_id))


# -- tokens --------------------------------------------------------------------------------
def next_token_id(cluster) -> int:
    last = int(cluster.db.meta(TOKEN_SEQUENCE, "0"))
    cluster.db.set_meta(TOKEN_SEQUENCE, str(last + 1))
    return last + 1


def make_room(cluster, at: int) -> int:
    """Before a new token: when the HSM is full, purge the expired ones. Returns how many."""
    count = cluster.conn.execute("SELECT COUNT(*) FROM quorum_tokens").fetchone()[0]
    if count < MAX_TOKENS_PER_HSM:
        return 0
    purged = cluster.conn.execute("DELETE FROM quorum_tokens WHERE expires_at <= ?", (at,)).rowcount
    if count - purged >= MAX_TOKENS_PER_HSM:
        raise LimitExceeded(f"the HSMs hold {count} quorum tokens, none expired "
                            f"(at most {MAX_TOKENS_PER_HSM})",
                            hint="delete unused tokens with delToken, or wait for some to expire")
    return purged


def insert_token(cluster, token, body: bytes, session: str) -> None:
    """Keep a token for the login `session` (the one in its file, except in audit replay)."""
    cluster.conn.execute(
        f"INSERT INTO quorum_tokens({_TOKEN_COLUMNS}) VALUES(?,?,?,?,?,?,?,?,?)",
        (token.token_id, int(token.service), token.key_handle, token.node, token.user,
         session, body, token.issued_at, token.expires_at))


def token(cluster, token_id: int) -> StoredToken | None:
    row = cluster.conn.execute(f"SELECT {_TOKEN_COLUMNS} FROM quorum_tokens WHERE token_id = ?",
                               (token_id,)).fetchone()
    return _stored(row) if row else None


def tokens(cluster, *, session: str | None = None, service: int | None = None,
           key_handle: int | None = None) -> list[StoredToken]:
    where, params = [], []
    for column, value in (("session_id", session), ("service", service), ("key_handle", key_handle)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = cluster.conn.execute(f"SELECT {_TOKEN_COLUMNS} FROM quorum_tokens {clause} "
                                "ORDER BY token_id", params)
    return [_stored(row) for row in rows]


def approvers(cluster, token_ids: list[int]) -> dict[int, list[str]]:
    """token id -> approver names, in the order they approved."""
    found: dict[int, list[str]] = {token_id: [] for token_id in token_ids}
    if not token_ids:
        return found
    marks = ",".join("?" * len(token_ids))
    for token_id, name in cluster.conn.execute(
            f"SELECT token_id, approver FROM quorum_approvals WHERE token_id IN ({marks}) "
            "ORDER BY approved_at, rowid", token_ids):
        found[token_id].append(name)
    return found


def add_approvals(cluster, token_id: int, approvals, at: int) -> None:
    cluster.conn.executemany(
        "INSERT INTO quorum_approvals(token_id, approver, approver_type, approved_at) VALUES(?,?,?,?)",
        [(token_id, a.approver_name, int(a.approver_type), at) for a in approvals])


def delete_tokens(cluster, token_ids) -> None:
    cluster.conn.executemany("DELETE FROM quorum_tokens WHERE token_id = ?",
                             [(token_id,) for token_id in token_ids])


def drop_session_tokens(conn, session_id: str) -> None:
    """A login session's tokens die with it (logout, quit, a lost connection)."""
    conn.execute("DELETE FROM quorum_tokens WHERE session_id = ?", (session_id,))


def _stored(row) -> StoredToken:
    token_id, service, key_handle, node, user, session, body, issued, expires = row
    return StoredToken(token_id, QuorumService(service), key_handle, node, user, session,
                       bytes(body), issued, expires)
