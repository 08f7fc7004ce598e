"""Quorum tokens on the emulated HSMs: getToken, approveToken, listTokens, delToken.

A token serves one operation, only in the login session that asked for it, until it expires
(10 minutes unless the cluster says otherwise); logging out deletes it. Every check of an
approval runs before anything is written, so a refused approval file changes nothing.
"""

from __future__ import annotations

import base64

from hsmshell.backends.emulator import quorum_rules as rules
from hsmshell.backends.emulator import quorum_store as store
from hsmshell.backends.emulator import replay_inputs
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.emulator.quorum_setup import cluster_result
from hsmshell.backends.result import Result
from hsmshell.errors import (InvalidApproval, InvalidArgument, KeyAccessDenied, NoSuchKey,
                             NoSuchToken, PermissionDenied, TokenExpired)
from hsmshell.model.quorum import SERVICES, ApproverType, QuorumService, approvals_required
from hsmshell.quorum.ledger import evaluate_token
from hsmshell.quorum.tokenfile import new_token, parse_token, render_token
from hsmshell.quorum.userfiles import write_user_file
from hsmshell.model.users import UserType

_WHO = {UserType.CO: "crypto officers (CO)", UserType.CU: "crypto users (CU)"}


def get_token(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    service, key_handle, required = _token_request(cluster, args)
    at = store.now(cluster)
    store.make_room(cluster, at)
    token_id = store.next_token_id(cluster)
    recorded = replay_inputs.recorded(cluster, "token")
    if recorded is not None:                    # audit replay: the token as it was issued
        body = recorded.encode("ascii")
        token = parse_token(body)
    else:
        token = new_token(token_id, service, store.reference_hsm(cluster).hsm_id,
                          cluster.principal.name, cluster.session_id, at, key_handle=key_handle,
                          lifetime=store.token_lifetime(cluster))
        body = render_token(token)
    store.insert_token(cluster, token, body, cluster.session_id)
    if not replay_inputs.replaying(cluster):
        write_user_file(args["token_file"], body, "token file")
    result = cluster_result(cluster, "getToken", "token", {
        "token_id": token.token_id, "service": int(service), "service_name": service.name,
        "node": token.node, "node_server": cluster_server_of(cluster, token.node),
        "key_handle": key_handle, "user": token.user, "file": str(args["token_file"]),
        "expires_at": token.expires_at, "valid_seconds": token.seconds_left(at),
        "approvals_required": required},
        lambda hsm: {"token_id": token.token_id})
    result.replay = {"token_id": token.token_id, "token": body.decode("ascii")}
    return result


def _token_request(cluster, args: dict) -> tuple[QuorumService, int, int]:
    """Check a getToken request: (service, key handle, approvals the token will need)."""
    me = cluster.principal
    service = QuorumService(args["service"])
    info, key_handle = SERVICES[service], int(args.get("key_handle") or 0)
    if args["user_name"].lower() != me.name.lower():
        raise InvalidArgument(f"getToken: a token is issued to the logged-in user ({me.name}), "
                              f"not to {args['user_name']}")
    if me.user_type not in rules.APPROVER_USER_TYPES[info.approver_type]:
        raise PermissionDenied(f"getToken failed: service {info.label} tokens are for "
                               f"{_WHO[info.approver_type.name]}; you are {me.label}")
    if info.bound_to_key != bool(key_handle):
        raise InvalidArgument(f"getToken: service {info.label} " + (
            "tokens are bound to a key: add -k <key-handle>" if info.bound_to_key
            else "tokens are not bound to a key: drop -k"))
    if info.bound_to_key and me.name.lower() not in {
            n.lower() for n in rules.key_users(cluster, key_handle)}:
        raise KeyAccessDenied(f"getToken failed: key {key_handle} is not owned by or shared "
                              f"with {me.name}")
    required = approvals_required(service, rules.required_m(cluster, service, key_handle))
    if required == 0:
        what = (f"key {key_handle}'s quorum value for service {info.label} is 0" if key_handle
                else f"M is 1 for service {info.label}")
        raise InvalidArgument(f"getToken: quorum is off ({what}); no token is needed")
    return service, key_handle, required


def approve_token(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    from hsmshell.quorum.signatures import verify_approvals

    bundle = _approval_bundle(cluster, args)
    token = parse_token(bundle.token)
    replay_inputs.note(cluster, "approval", {     # a token, names and signatures: no secret
        "token": replay_inputs.as_base64(bundle.token), "approvals": [
            {"approver": a.approver_name, "type": int(a.approver_type),
             "signature": replay_inputs.as_base64(a.signature)} for a in bundle.approvals]})
    stored = store.token(cluster, token.token_id)
    if stored is None:
        raise NoSuchToken(f"approveToken failed: token {token.token_id} is not on the HSMs "
                          "(used, deleted, expired and purged, or from another cluster)")
    if stored.body != bundle.token:
        raise InvalidApproval(f"approveToken failed: the token file does not match token "
                              f"{token.token_id} on the HSMs", hint="give the file getToken wrote, unchanged")
    if stored.session != cluster.session_id:
        raise InvalidApproval(f"approveToken failed: token {token.token_id} belongs to another "
                              "login session", hint="a token serves only the session that asked for it")
    at = store.now(cluster)
    if stored.expired(at):
        raise TokenExpired(f"approveToken failed: token {token.token_id} expired "
                           f"{at - stored.expires_at} s ago", hint="get a new one with getToken")
    info = SERVICES[stored.service]
    eligible = rules.approver_keys(cluster, stored.service, stored.key_handle)
    _check_approvers(bundle.approvals, info, eligible, cluster, stored)
    already = {a.lower() for a in store.approvers(cluster, [stored.token_id])[stored.token_id]}
    again = [a.approver_name for a in bundle.approvals if a.approver_name.lower() in already]
    if again:
        raise InvalidApproval(f"approveToken failed: {again[0]} already approved token "
                              f"{stored.token_id}", hint="each approver counts once")
    verify_approvals(bundle.token, bundle.approvals,
                     {name: pem for name, (_, pem) in eligible.items()})
    store.add_approvals(cluster, stored.token_id, bundle.approvals, at)
    state = evaluate_token(stored, [*already, *(a.approver_name for a in bundle.approvals)],
                           eligible, rules.required_m(cluster, stored.service, stored.key_handle), at)
    result = cluster_result(cluster, "approveToken", "approval", {
        "token_id": stored.token_id, "service": int(stored.service),
        "service_name": stored.service.name, "key_handle": stored.key_handle,
        "approvers": list(bundle.approver_names), "approvals": state.present,
        "approvals_required": state.required, "approved": state.approved,
        "valid_seconds": stored.seconds_left(at)})
    result.replay = {"token_id": stored.token_id}
    return result


def _approval_bundle(cluster, args: dict):
    """The approval file's contents (with the token and signatures it names); during audit
    replay, as they were read."""
    from hsmshell.quorum.approval import Approval, ApprovalBundle, load_approval_file

    recorded = replay_inputs.recorded(cluster, "approval")
    if recorded is None:
        return load_approval_file(args["approval_file"])
    return ApprovalBundle(base64.b64decode(recorded["token"]), tuple(
        Approval(a["approver"], ApproverType(a["type"]), base64.b64decode(a["signature"]))
        for a in recorded["approvals"]))


def _check_approvers(approvals, info, eligible: dict, cluster, stored) -> None:
    """Name the first approver who cannot approve this token, and why."""
    names = {name.lower(): kind for name, (kind, _) in eligible.items()}
    for approval in approvals:
        name = approval.approver_name
        if approval.approver_type != info.approver_type:
            raise InvalidApproval(f"approveToken failed: approver {name} is listed as "
                                  f"{approval.approver_type.name}; service {info.label} tokens "
                                  f"are approved by {_WHO[info.approver_type.name]}")
        if name.lower() in names:
            continue
        row = cluster.conn.execute("SELECT user_type, mofn_pubkey IS NOT NULL FROM users "
                                   "WHERE hsm_id = ? AND name = ?",
                                   (store.reference_hsm(cluster).hsm_id, name)).fetchone()
        if row is None:
            reason = "is not a user of the HSMs"
        elif not row[1]:
            reason = "has no registered quorum key (registerQuorumPubKey)"
        elif info.bound_to_key:
            reason = f"is not a user of key {stored.key_handle} (owner or shared)"
        else:
            reason = f"is a {row[0]}, not one of the {_WHO[info.approver_type.name]}"
        raise InvalidApproval(f"approveToken failed: approver {name} {reason}")


def list_tokens(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    at = store.now(cluster)
    held = store.tokens(cluster)
    approved_by = store.approvers(cluster, [t.token_id for t in held])
    servers = {h.hsm_id: h.server for h in cluster.hsms()}
    rules_of: dict[tuple, tuple[int, dict]] = {}      # (service, key) -> (M, eligible approvers)
    rows = []
    for t in held:
        where = (t.service, t.key_handle)
        if where not in rules_of:
            try:
                rules_of[where] = (rules.required_m(cluster, *where), rules.approver_keys(cluster, *where))
            except NoSuchKey:                   # its key was deleted: list the token anyway
                rules_of[where] = (0, {})
        state = evaluate_token(t, approved_by[t.token_id], rules_of[where][1], rules_of[where][0], at)
        rows.append({
            "token_id": t.token_id, "service": int(t.service), "service_name": t.service.name,
            "node": t.node, "node_server": servers.get(t.node), "key_handle": t.key_handle,
            "user": t.user, "valid_seconds": t.seconds_left(at), "expired": t.expired(at),
            "approvals_required": state.required, "approvals": state.present,
            "approvers": approved_by[t.token_id], "this_session": t.session == cluster.session_id})
    return cluster_result(cluster, "listTokens", "tokens", {"count": len(rows)},
                          lambda hsm: {"tokens": rows})


def delete_tokens(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    me, wanted = cluster.principal, args["tokens"]
    mine = {t.token_id: t for t in store.tokens(cluster) if t.user.lower() == me.name.lower()}
    if wanted == "all":
        ids = sorted(mine)
    else:
        ids = list(dict.fromkeys(wanted))
        for token_id in ids:
            if token_id in mine:
                continue
            other = store.token(cluster, token_id)
            if other is None:
                raise NoSuchToken(f"delToken failed: no token {token_id} on the HSMs")
            raise PermissionDenied(f"delToken failed: token {token_id} belongs to {other.user}",
                                   hint="you can delete only your own tokens")
    store.delete_tokens(cluster, ids)
    return cluster_result(cluster, "delToken", "per_server", {"deleted": ids})


def cluster_server_of(cluster, hsm_id: str) -> int | None:
    return next((h.server for h in cluster.hsms() if h.hsm_id == hsm_id), None)


HANDLERS = {"getToken": get_token, "approveToken": approve_token, "listTokens": list_tokens,
            "delToken": delete_tokens}
