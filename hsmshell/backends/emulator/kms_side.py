"""What the HSMs see of AWS KMS when a custom key store uses the cluster: KMS logging in as
kmsuser and staying logged in, rotating kmsuser's password, failing a login, logging out,
generating a KMS key's AES-256 material as kmsuser (AWS's KMS developer guide and API
reference). hsmshell/kms/ decides when; this module makes the change and logs it on each HSM.

Each change is an "effect" (a small dict) that `apply` performs; the `kms` audit record keeps
the effects of an operation, so `audit replay` applies the same ones to its cluster (a
rotated password is random both times: nobody but KMS ever knew it).
"""

from __future__ import annotations

from contextlib import contextmanager

from hsmshell.backends.emulator import hsm_logs
from hsmshell.backends.emulator.cluster import SERVICE_PID
from hsmshell.backends.emulator.passwords import DEFAULT_LOG2_N, hash_password
from hsmshell.errors import HsmError, LoginFailed, NoSuchUser
from hsmshell.policy.engine import Principal
from hsmshell.model.users import UserType

KMSUSER = "kmsuser"


def kmsuser(cluster) -> Principal:
    """kmsuser as the first active HSM knows it (the principal KMS acts as)."""
    rows = dict(cluster.conn.execute("SELECT hsm_id, user_id FROM users WHERE name = ?", (KMSUSER,)))
    active = [h for h in cluster.reachable_hsms() if h.hsm_id in rows]
    if not active:
        raise NoSuchUser("kmsuser exists on no active HSM")
    return Principal(KMSUSER, UserType.CU, rows[active[0].hsm_id])


def apply(cluster, effect: dict, password: str | None = None) -> dict:
    """Perform one effect as KMS's session (cluster.session_id); returns it as the audit
    record keeps it. `password`: the rotated password (a random one when None)."""
    what = effect.get("do")
    active = cluster.reachable_hsms()
    if what == "failed-login":
        for hsm in active:
            cluster.conn.execute("UPDATE users SET login_failures = login_failures + 1 "
                                 "WHERE hsm_id = ? AND name = ?", (hsm.hsm_id, KMSUSER))
        _log(cluster, active, "CN_LOGIN", LoginFailed("HSM Error: RET_USER_LOGIN_FAILURE"))
    elif what == "login":
        principal = kmsuser(cluster)
        cluster.conn.execute(
            "INSERT OR REPLACE INTO sessions(session_id, pid, user_name, user_type, user_id, started) "
            "VALUES(?,?,?,?,?,?)", (cluster.session_id, SERVICE_PID, KMSUSER, UserType.CU, principal.user_id,
                                    cluster.clock()))
        _log(cluster, active, "CN_LOGIN")
    elif what == "rotate":
        import secrets
        pw_hash = hash_password(password or secrets.token_urlsafe(24),
                                int(cluster.db.meta("kdf_log2_n", DEFAULT_LOG2_N)))
        for hsm in active:
            cluster.conn.execute("UPDATE users SET pw_hash = ?, login_failures = 0 WHERE hsm_id = ? AND name = ?",
                                 (pw_hash, hsm.hsm_id, KMSUSER))
        _log(cluster, active, "CN_CHANGE_PSWD")
    elif what == "logout":
        if cluster.conn.execute("DELETE FROM sessions WHERE session_id = ?", (cluster.session_id,)).rowcount:
            _log(cluster, active, "CN_LOGOUT")
    elif what == "delete-key":
        delete_key(cluster, int(effect["handle"]))
    elif what == "key":
        handle = generate_key(cluster, effect["label"], effect["key_id"])
        if effect.get("handle") not in (None, handle):
            raise HsmError(f"the key got handle {handle}, not {effect['handle']}", reference="replay-mismatch")
        return {**effect, "handle": handle}
    else:
        raise HsmError(f"unknown KMS effect {str(what)[:40]}", reference="replay-mismatch")
    return dict(effect)


def generate_key(cluster, label: str, key_id: str) -> int:
    """A KMS key's material: as kmsuser, a persistent non-extractable AES-256 key on every HSM
    where kmsuser is (at least two, KMS's rule); CN_GENERATE_KEY on the HSM that made it,
    CN_INSERT_MASKED_OBJECT_USER on the others."""
    from hsmshell.backends.emulator import crypto
    from hsmshell.backends.emulator.key_creation import Placement, plan_creation
    from hsmshell.backends.emulator.key_templates import secret_key
    from hsmshell.backends.emulator.keystore import KeyStore
    from hsmshell.model.keys import KeyType

    run = cluster.running()          # a command of KMS's own: pick_hsm notes the HSM in its context
    with _as_kmsuser(cluster):
        store = KeyStore(run)
        plan = plan_creation(store, Placement(label=label, key_id=key_id, min_servers=2))
        material = crypto.generate_symmetric(int(KeyType.AES), 32)
        created = plan.create([secret_key(KeyType.AES, material, extractable=False, local=True)])
    handle = created.handles[0]
    made = sorted((s for s in created.servers if s.error is None), key=lambda s: s.hsm != run.last_pick)
    hsm_logs.append(cluster.conn, [
        hsm_logs.entry(s.hsm, "CN_GENERATE_KEY" if i == 0 else "CN_INSERT_MASKED_OBJECT_USER", cluster.clock(),
                       hsm_logs.session_handle(cluster.session_id, s.server), key_handle=handle)
        for i, s in enumerate(made)], cluster.db.held)
    return handle


def delete_key(cluster, handle: int) -> None:
    """A KMS key's material deleted as kmsuser (its owner) from every HSM holding it."""
    from hsmshell.backends.emulator.keystore import KeyStore

    with _as_kmsuser(cluster):
        store = KeyStore(cluster)
        store.key(handle, "delete")
        servers = store.on_copies(handle, lambda hsm, copy: store.delete_copy(copy))
    failed = next((s.error for s in servers if s.error is not None), None)
    hsm_logs.append(cluster.conn, [
        hsm_logs.entry(s.hsm, "CN_DESTROY_OBJECT", cluster.clock(),
                       hsm_logs.session_handle(cluster.session_id, s.server), error=s.error, key_handle=handle)
        for s in servers if s.error is None], cluster.db.held)
    if failed is not None:
        raise failed


@contextmanager
def _as_kmsuser(cluster):
    """The cluster acts as kmsuser (KMS's principal) inside, as whoever it was after."""
    saved = cluster.principal
    cluster.principal = kmsuser(cluster)
    try:
        yield
    finally:
        cluster.principal = saved


def _log(cluster, hsms, opcode: str, error=None) -> None:
    hsm_logs.append(cluster.conn, [
        hsm_logs.entry(h.hsm_id, opcode, cluster.clock(), hsm_logs.session_handle(cluster.session_id, h.server),
                       error=error, user_name=KMSUSER, user_type=UserType.CU) for h in hsms], cluster.db.held)
