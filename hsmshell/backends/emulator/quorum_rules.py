"""The HSM's own quorum rule, and the quorum state the policy step reads.

A quorum-protected action (firmware.QUORUM_SERVICES) runs only when this login session holds
a token for its service (and key) approved by M distinct eligible approvers; the token is then
consumed. The emulator applies this whatever roles/ says, as RET_MXN_AUTH_FAILED, which the
shell reports as `quorum-required` (exit 4), the same refusal the policy step gives.
"""

from __future__ import annotations

from hsmshell.backends.emulator import quorum_store as store
from hsmshell.backends.emulator.firmware import QUORUM_KEY_ARGUMENTS, QUORUM_SERVICES
from hsmshell.errors import HsmshellError, NoSuchKey, QuorumRequired
from hsmshell.model.quorum import SERVICES, ApproverType, QuorumService, approvals_required
from hsmshell.model.users import OFFICERS, UserType
from hsmshell.quorum.ledger import LedgerEntry, QuorumLedger, QuorumState, evaluate_token

APPROVER_USER_TYPES = {ApproverType.CO: tuple(OFFICERS), ApproverType.CU: (UserType.CU,)}


# the keys column holding each key service's quorum value
KEY_QUORUM_COLUMNS = {QuorumService.KEY_USAGE: "m_value", QuorumService.KEY_MANAGEMENT: "manage_m_value"}
# whether any copy of key ? has a quorum value for the service (made once: asked twice per command)
KEY_QUORUM_PROBES = {service: f"SELECT 1 FROM keys WHERE handle = ? AND {column} > 0 LIMIT 1"
                     for service, column in KEY_QUORUM_COLUMNS.items()}


def required_m(cluster, service: QuorumService, key_handle: int = 0) -> int:
    """The M that applies: the cluster's for services 3 and 4, the key's use quorum value
    for 5 (KEY_USAGE), its manage quorum value for 6 (KEY_MANAGEMENT)."""
    if SERVICES[service].bound_to_key:
        return key_m_value(cluster, key_handle, service)
    return store.m_value(cluster, service)


def approver_keys(cluster, service: QuorumService, key_handle: int = 0) -> dict[str, tuple[str, bytes]]:
    """Who may approve a token for this service (and key): name -> (user type, PEM)."""
    user_types = APPROVER_USER_TYPES[SERVICES[service].approver_type]
    keys = store.registered_keys(cluster, user_types)
    if SERVICES[service].bound_to_key:
        users = {name.lower() for name in key_users(cluster, key_handle)}
        keys = {name: value for name, value in keys.items() if name.lower() in users}
    return keys


def session_state(cluster, service: QuorumService, key_handle: int = 0,
                  m: int | None = None) -> QuorumState:
    """The best token this login session holds for the service (and key)."""
    m = required_m(cluster, service, key_handle) if m is None else m
    held = store.tokens(cluster, session=cluster.session_id, service=int(service),
                        key_handle=key_handle)
    approved_by = store.approvers(cluster, [t.token_id for t in held])
    ledger = QuorumLedger(
        tuple(LedgerEntry(t, frozenset(approved_by[t.token_id])) for t in held),
        frozenset(approver_keys(cluster, service, key_handle)))
    return ledger.state_for(service, cluster.session_id, store.now(cluster),
                            key_handle=key_handle, m=m)


def enforce(cluster, action: str, args: dict, command: str) -> list[int]:
    """RET_MXN_AUTH_FAILED unless approved tokens allow `action` (one for the service, or one
    per quorum-controlled key it uses); consumes them and returns their ids."""
    service = QUORUM_SERVICES.get(action)
    if service is None:
        return []
    used = []
    for key_handle in _keys_used(service, args):
        try:
            m = _m_to_enforce(cluster, service, key_handle)
        except NoSuchKey:
            continue                                    # the command itself reports the handle
        if approvals_required(service, m) == 0:
            continue                                    # quorum off: the common case, kept cheap
        state = session_state(cluster, service, key_handle, m)
        if not state.approved:
            raise quorum_refusal(command, service, state, key_handle)
        store.delete_tokens(cluster, [state.token_id])  # good for one operation
        used.append(state.token_id)
    return used


def _m_to_enforce(cluster, service: QuorumService, key_handle: int) -> int:
    """required_m, after one cheap probe for a key's service: a key with no -m_value on any
    copy (or no such key) needs no approvals, the case of nearly every key command."""
    if SERVICES[service].bound_to_key and not cluster.db.read(KEY_QUORUM_PROBES[service], (key_handle,)):
        return 0
    return required_m(cluster, service, key_handle)


def _keys_used(service: QuorumService, args: dict) -> list[int]:
    if not SERVICES[service].bound_to_key:
        return [0]
    handles = (args.get(name) for name in QUORUM_KEY_ARGUMENTS)
    return list(dict.fromkeys(int(h) for h in handles if h))


def quorum_refusal(command: str, service: QuorumService, state: QuorumState,
                   key_handle: int = 0) -> QuorumRequired:
    label = SERVICES[service].label
    if state.expired:
        have = f"token {state.token_id} has expired"
    else:
        have = f"this session has {state.present} approval(s)"
    key = f" -k {key_handle}" if key_handle else ""
    return QuorumRequired(
        f"{command} failed: RET_MXN_AUTH_FAILED: service {label} requires {state.required} "
        f"approvals; {have}",
        f"getToken {int(service)} <your-name> <token-file>{key}, have {state.required} "
        "approvers sign it, then approveToken <approval-file>",
        detail={"quorum": {"service": int(service), "service_name": service.name,
                           "m": state.required, "approvals": state.present,
                           "token_id": state.token_id, "key_handle": key_handle}})


# -- what the policy step and the toolbar ask ---------------------------------------------------
def session_approvals(cluster, service_id: int, key_handle: int = 0) -> tuple[int, bool]:
    """(approvals present on this session's best live token, approved?) — never raises."""
    try:
        state = session_state(cluster, QuorumService(service_id), key_handle)
    except (HsmshellError, ValueError):
        return 0, False
    return (0 if state.expired else state.present), state.approved


def key_approvals_required(cluster, key_handle: int,
                           service: QuorumService = QuorumService.KEY_USAGE) -> int:
    """Approvals the key's quorum value for `service` requires (0: none, or no such key —
    the command reports it)."""
    try:
        return approvals_required(service, _m_to_enforce(cluster, service, key_handle))
    except (HsmshellError, ValueError):
        return 0


def pending_tokens(cluster) -> list[dict]:
    """This session's live tokens, with approvals x/M and seconds left."""
    at = store.now(cluster)
    held = [t for t in store.tokens(cluster, session=cluster.session_id) if not t.expired(at)]
    approved_by = store.approvers(cluster, [t.token_id for t in held])
    out = []
    for t in held:
        try:
            state = evaluate_token(t, approved_by[t.token_id],
                                   approver_keys(cluster, t.service, t.key_handle),
                                   required_m(cluster, t.service, t.key_handle), at)
        except NoSuchKey:                   # its key was deleted: the token serves nothing
            continue
        out.append({"token_id": t.token_id, "service": int(t.service),
                    "service_name": t.service.name, "key_handle": t.key_handle,
                    "approvals": state.present, "required": state.required,
                    "approved": state.approved, "seconds_left": t.seconds_left(at)})
    return out


# -- per-key quorum (use and manage values) ---------------------------------------------------
def _key_copy(cluster, key_handle: int, service: QuorumService = QuorumService.KEY_USAGE) -> tuple[str, int, int]:
    """(HSM id, quorum value for `service`, owner id) of the key's first reachable copy."""
    row = cluster.conn.execute(
        f"SELECT k.hsm_id, k.{KEY_QUORUM_COLUMNS[service]}, k.owner FROM keys k "
        "JOIN hsms h ON h.hsm_id = k.hsm_id "
        "WHERE k.handle = ? AND h.state = 'ACTIVE' ORDER BY h.server LIMIT 1", (key_handle,)).fetchone()
    if row is None:
        raise NoSuchKey(f"HSM Error: Invalid object handle is passed to this operation: "
                        f"there is no key with handle {key_handle}")
    return row


def key_m_value(cluster, key_handle: int, service: QuorumService = QuorumService.KEY_USAGE) -> int:
    return int(_key_copy(cluster, key_handle, service)[1])


def key_users(cluster, key_handle: int) -> list[str]:
    """Names of the key's users: its owner and the users it is shared with."""
    hsm_id, _, owner = _key_copy(cluster, key_handle)
    return [name for (name,) in cluster.conn.execute(
        "SELECT name FROM users WHERE hsm_id = ? AND (user_id = ? OR user_id IN "
        "(SELECT user_id FROM key_shares WHERE handle = ? AND hsm_id = ?)) ORDER BY user_id",
        (hsm_id, owner, key_handle, hsm_id))]
