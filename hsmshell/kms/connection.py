"""Connecting a key store to its cluster and disconnecting it: KMS's side of the HSMs.

Connecting: the state goes CONNECTING, then the attempt meets
the requirements in CONNECT_ORDER; the first unmet one leaves the store FAILED with its
ConnectionErrorCode (a wrong password counts as a failed login of kmsuser on every HSM, so
repeated attempts lock kmsuser out, as on a real cluster). Otherwise KMS logs in as kmsuser
(a login held until disconnect: sessions.pid = SERVICE_PID), rotates kmsuser's password to
32 random characters only KMS knows, and adds one ENI per subnet: CONNECTED.
Every step shows in each HSM's log (CN_LOGIN, CN_CHANGE_PSWD, CN_LOGOUT) as kmsuser's
(backends/emulator/kms_side.py makes the changes).
"""

from __future__ import annotations

from hsmshell.backends.emulator import kms_side
from hsmshell.backends.emulator import network as vpc
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
    """Make `cluster` act as KMS's kmsuser login for this store."""
    principal = kms_side.kmsuser(cluster)
    cluster.principal, cluster.session_id = principal, session_id(store)
    return principal


def attempt(cluster, store: KeyStoreRow, password: str, cluster_name: str,
            effects: list) -> tuple[str, str | None, str | None]:
    """One connection attempt: (state, ConnectionErrorCode, the new password when CONNECTED);
    what it did on the HSMs is appended to `effects` (the audit record keeps them)."""
    findings = req.evaluate(cluster, cluster_name, password=password, password_from="KMS has")
    unmet = req.first_unmet(findings, req.CONNECT_ORDER)
    cluster.session_id = session_id(store)
    if unmet is not None:
        if unmet.id == "kmsuser-password":
            effects.append(kms_side.apply(cluster, {"do": "failed-login"}))
        return "FAILED", unmet.error_code, None
    rotated = new_password()
    effects.append(kms_side.apply(cluster, {"do": "login"}))
    effects.append(kms_side.apply(cluster, {"do": "rotate"}, rotated))
    vpc.add_kms_enis(cluster, store.id)
    return "CONNECTED", None, rotated


def disconnect(cluster, store: KeyStoreRow, effects: list) -> None:
    """KMS logs out of kmsuser (if it was logged in) and removes its ENIs."""
    cluster.session_id = session_id(store)
    effects.append(kms_side.apply(cluster, {"do": "logout"}))
    vpc.remove_kms_enis(cluster, store.id)
