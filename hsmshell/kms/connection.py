"""Connecting a key store to its cluster and disconnecting it: KMS's side of the HSMs.

Connecting: the state goes CONNECTING, then the attempt meets
the requirements in CONNECT_ORDER; the first unmet one leaves the store FAILED with its
ConnectionErrorCode (a wrong password counts as a failed login of kmsuser on every HSM, so
repeated attempts lock kmsuser out, as on a real cluster). Otherwise KMS logs in as kmsuser
(a login held until disconnect: sessions.pid = SERVICE_PID), rotates kmsuser's password to
32 random characters only KMS knows, and adds one ENI per subnet: CONNECTED.
Every step shows in each HSM's log (CN_LOGIN, CN_CHANGE_PSWD, CN_LOGOUT) as kmsuser's.
"""

from __future__ import annotations

from hsmshell.backends.emulator import hsm_logs
from hsmshell.backends.emulator import network as vpc
from hsmshell.errors import LoginFailed, NoSuchUser
from hsmshell.kms import requirements as req
from hsmshell.kms.store import KeyStoreRow, new_password
from hsmshell.policy.engine import Principal


def session_id(store: KeyStoreRow) -> str:
    return f"kms-{store.id}"


def find_cluster(home, cluster_id: str, hint: str | None = None) -> str | None:
    """The name of the cluster whose id is `cluster_id` in the state dir (None: none)."""
    from hsmshell.state.db import ClusterDB
    from hsmshell.state.home import StateHome

    state = StateHome(home)
    names = state.cluster_names()
    for name in ([hint] if hint in names else []) + [n for n in names if n != hint]:
        db = ClusterDB(state.cluster_dir(name))
        try:
            if db.meta("cluster_id") == cluster_id:
                return name
        finally:
            db.close()
    return None


def as_kmsuser(cluster, store: KeyStoreRow) -> Principal:
    """Make `cluster` act as KMS's kmsuser login for this store (the id of the first active HSM's)."""
    rows = dict(cluster.conn.execute("SELECT hsm_id, user_id FROM users WHERE name = ?", (req.KMSUSER,)))
    active = [h for h in cluster.reachable_hsms() if h.hsm_id in rows]
    if not active:
        raise NoSuchUser("kmsuser exists on no active HSM")
    principal = Principal(req.KMSUSER, "CU", rows[active[0].hsm_id])
    cluster.principal, cluster.session_id = principal, session_id(store)
    return principal


def attempt(cluster, store: KeyStoreRow, password: str, cluster_name: str) -> tuple[str, str | None, str | None]:
    """One connection attempt: (state, ConnectionErrorCode, the new password when CONNECTED)."""
    findings = req.evaluate(cluster, cluster_name, password=password, password_from="KMS has")
    unmet = req.first_unmet(findings, req.CONNECT_ORDER)
    active = cluster.reachable_hsms()
    cluster.session_id = session_id(store)
    if unmet is not None:
        if unmet.id == "kmsuser-password":
            _failed_logins(cluster, active)
        return "FAILED", unmet.error_code, None
    principal = as_kmsuser(cluster, store)
    cluster.conn.execute(
        "INSERT OR REPLACE INTO sessions(session_id, pid, user_name, user_type, user_id, started) "
        "VALUES(?,?,?,?,?,?)", (cluster.session_id, _service_pid(), principal.name, "CU",
                                principal.user_id, cluster.clock()))
    rotated = new_password()
    from hsmshell.backends.emulator.passwords import DEFAULT_LOG2_N, hash_password
    pw_hash = hash_password(rotated, int(cluster.db.meta("kdf_log2_n", DEFAULT_LOG2_N)))
    for hsm in active:
        cluster.conn.execute("UPDATE users SET pw_hash = ?, login_failures = 0 WHERE hsm_id = ? AND name = ?",
                             (pw_hash, hsm.hsm_id, req.KMSUSER))
    _log(cluster, active, "CN_LOGIN")
    _log(cluster, active, "CN_CHANGE_PSWD")
    vpc.add_kms_enis(cluster, store.id)
    return "CONNECTED", None, rotated


def disconnect(cluster, store: KeyStoreRow) -> int:
    """KMS logs out of kmsuser and removes its ENIs; how many logins it ended (0 or 1)."""
    cluster.session_id = session_id(store)
    ended = cluster.conn.execute("DELETE FROM sessions WHERE session_id = ?", (cluster.session_id,)).rowcount
    if ended:
        _log(cluster, cluster.reachable_hsms(), "CN_LOGOUT")
    vpc.remove_kms_enis(cluster, store.id)
    return ended


def _failed_logins(cluster, active) -> None:
    """KMS's login with a wrong password: one more failed login of kmsuser on every HSM."""
    failure = LoginFailed("HSM Error: RET_USER_LOGIN_FAILURE")
    for hsm in active:
        cluster.conn.execute("UPDATE users SET login_failures = login_failures + 1 WHERE hsm_id = ? AND name = ?",
                             (hsm.hsm_id, req.KMSUSER))
    _log(cluster, active, "CN_LOGIN", failure)


def _log(cluster, hsms, opcode: str, error=None) -> None:
    hsm_logs.append(cluster.conn, [
        hsm_logs.entry(h.hsm_id, opcode, cluster.clock(), hsm_logs.session_handle(cluster.session_id, h.server),
                       error=error, user_name=req.KMSUSER, user_type="CU") for h in hsms])


def _service_pid() -> int:
    from hsmshell.backends.emulator.cluster import SERVICE_PID
    return SERVICE_PID
