"""Quorum the CloudHSM CLI way on the emulated HSMs (AWS's CloudHSM CLI pages): register
an approver key with a signed registration token, generate operation tokens as JSON files,
and accept an operation's `--approval FILE` holding the approvers' openssl signatures.

The tokens and approvals are the SDK 3 quorum store's (quorum_store.py): one token per
operation, for this login session only, 10 minutes, M from the cluster (user, quorum) or the
key (key-usage, key-management); the HSM's rule (quorum_rules.enforce) spends them.
"""

from __future__ import annotations

import os

from hsmshell.backends.emulator import quorum_rules as rules
from hsmshell.backends.emulator import quorum_setup, quorum_store as store, replay_inputs
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.emulator.firmware import QUORUM_SERVICES
from hsmshell.backends.emulator.info import cluster_type, require_hsm2m
from hsmshell.backends.emulator.topology import HSM2M
from hsmshell.model.users import OFFICERS
from hsmshell.backends.emulator.quorum_tokens import _token_request
from hsmshell.backends.emulator.sdk5_users import sdk5
from hsmshell.backends.emulator.users import _require_user
from hsmshell.backends.result import Result
from hsmshell.errors import InvalidApproval, InvalidArgument, NoSuchToken, PermissionDenied, TokenExpired
from hsmshell.model.quorum import SERVICES as SDK3_SERVICES, ApproverType, QuorumService, approvals_required
from hsmshell.model.sdk5 import key_reference, role_name
from hsmshell.quorum import sdk5_tokens as files
from hsmshell.quorum.signatures import check_registration, verify_approvals
from hsmshell.quorum.tokenfile import new_token, parse_token, render_token
from hsmshell.quorum.userfiles import read_user_file, write_user_file

REGISTRATION_BYTES = 32          # random approval data per HSM (at most 245)
# the CloudHSM CLI service word of each SDK 3 service an operation's token must be for (§4.1)
SERVICE_WORDS = {QuorumService.USER_MGMT: "user", QuorumService.MISC_CO: "quorum",
                 QuorumService.CLUSTER_MGMT: "cluster",
                 QuorumService.KEY_USAGE: "key-usage", QuorumService.KEY_MANAGEMENT: "key-management"}


# -- generate, list, delete --------------------------------------------------------------------
def generate(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    word = args["service"]
    if word == "cluster":
        require_hsm2m(cluster.db, "the cluster quorum service")
    if word == "registration":
        data = [os.urandom(REGISTRATION_BYTES) for _ in cluster.reachable_hsms()]
        write_user_file(args["token"], files.render(files.registration_document(data)), "token file")
        return Result("quorum token-sign generate", "sdk5", data={"service": word}, wire={"path": args["token"]})
    service, _ = files.SERVICES[word]
    handle = 0
    if SDK3_SERVICES[service].bound_to_key:
        from hsmshell.backends.emulator.sdk5_keys_view import KeyView
        from hsmshell.backends.emulator.keystore import KeyStore
        if not args["filter"]:
            raise InvalidArgument(f"a {word} token is for one key: add --filter")
        handle = KeyView(KeyStore(cluster)).select_one(args["filter"]).handle
    me = cluster.principal
    _token_request(cluster, {"service": int(service), "user_name": me.name, "key_handle": handle})
    at = store.now(cluster)
    store.make_room(cluster, at)
    token_id = store.next_token_id(cluster)
    recorded = replay_inputs.recorded_bytes(cluster, "token")
    if recorded is not None:                    # audit replay: the token as it was issued
        approval_data = recorded
        token = parse_token(files.split_body(recorded)[1])
    else:
        token = new_token(token_id, service, store.reference_hsm(cluster).hsm_id, me.name,
                          cluster.session_id, at, key_handle=handle, lifetime=store.token_lifetime(cluster))
        approval_data = files.body(word, render_token(token))
    store.insert_token(cluster, token, approval_data, cluster.session_id)
    document = files.operation_document(approval_data, word, key_reference(handle) if handle else None)
    if not replay_inputs.replaying(cluster):
        write_user_file(args["token"], files.render(document), "token file")
    return Result("quorum token-sign generate", "sdk5", data={"token_id": token.token_id},
                  replay={"token_id": token.token_id, "token": replay_inputs.as_base64(approval_data)},
                  wire={"path": args["token"]})


def token_list(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    at = store.now(cluster)
    held = [t for t in store.tokens(cluster) if not t.expired(at)]
    approved_by = store.approvers(cluster, [t.token_id for t in held])
    entries = []
    for t in held:
        split = files.split_body(t.body)
        word = split[0] if split else SERVICE_WORDS[t.service]
        if t.key_handle:
            entries.append({"username": t.user, "service": word,
                            "key-reference": key_reference(t.key_handle), "minimum-token-count": 1})
            continue
        entries.append({"username": t.user, "service": word,
                        "approvals-required": approvals_required(t.service, rules.required_m(cluster, t.service)),
                        "number-of-approvals": len(approved_by[t.token_id]),
                        "token-timeout-seconds": t.seconds_left(at), "cluster-coverage": "full"})
    return Result("quorum token-sign list", "sdk5", data={"count": len(entries)}, wire={"tokens": entries})


def token_delete(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    me = cluster.principal
    if args["scope"] == "all":
        if me.user_type not in OFFICERS:
            raise PermissionDenied("quorum token-sign delete --scope all is for admins",
                                   hint="--scope user deletes your own tokens")
        ids = [t.token_id for t in store.tokens(cluster)]
    else:
        ids = [t.token_id for t in store.tokens(cluster) if t.user.lower() == me.name.lower()]
    store.delete_tokens(cluster, ids)
    return Result("quorum token-sign delete", "sdk5", data={"deleted": ids},
                  wire="Deletion of quorum token(s) successful")


# -- quorum values -----------------------------------------------------------------------------
def set_quorum_value(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    word, value = args["service"], args["value"]
    service = files.SERVICES[word][0]
    if word == "user" and value > store.m_value(cluster, QuorumService.MISC_CO):
        raise InvalidArgument(f"the user quorum value cannot be above the quorum service's "
                              f"({store.m_value(cluster, QuorumService.MISC_CO)})",
                              hint="raise the quorum service's value first")
    result = quorum_setup.set_m_value(cluster, {"service": int(service), "m": value}, secrets)
    return sdk5(result, "quorum token-sign set-quorum-value", "Set Quorum Value successful")


def list_quorum_values(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    services = [("user", QuorumService.USER_MGMT), ("quorum", QuorumService.MISC_CO)]
    if cluster_type(cluster.db)[0] == HSM2M:             # AWS's hsm2m.medium output adds cluster
        services.append(("cluster", QuorumService.CLUSTER_MGMT))
    values = {word: store.m_value(cluster, service) for word, service in services}
    return Result("quorum token-sign list-quorum-values", "sdk5", data=dict(values), wire=values)


# -- registration ------------------------------------------------------------------------------
def register(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    """user change-quorum token-sign register: the logged-in user's approver key."""
    from hsmshell.quorum.signatures import MAX_PEM_BYTES

    me = cluster.principal
    # audit replay reads both files as they were (the paths may hold other files by then)
    public = replay_inputs.recorded_text(cluster, "public_key") or \
        read_user_file(args["public_key"], MAX_PEM_BYTES, "public key")
    token_file = replay_inputs.recorded_bytes(cluster, "signed_token") or \
        read_user_file(args["signed_token"], files.MAX_FILE_BYTES, "signed token file")
    replay_inputs.note(cluster, "signed_token", replay_inputs.as_base64(token_file))
    signed = files.parse_registration(token_file)
    pem = None
    for approval_data, signature in signed:     # every HSM's token, signed by the same key
        pem = check_registration(public, approval_data, signature)
    replay_inputs.note(cluster, "public_key", pem.decode("ascii"))
    holder = store.key_owner_of(cluster, pem)
    if holder is not None and holder.lower() != me.name.lower():
        raise InvalidArgument(f"this public key is already registered to {holder}",
                              hint="each approver makes a key pair of their own")

    def on_hsm(hsm) -> dict:
        user_id = _require_user(cluster, hsm, me.name)[0]
        store.store_key(cluster, hsm, user_id, pem)
        return {"user_id": user_id}

    result = quorum_setup.cluster_result(cluster, "user change-quorum token-sign register", "sdk5",
                                         {"user": me.name, "user_type": me.user_type}, on_hsm)
    return sdk5(result, result.command, {"username": me.name.lower(), "role": role_name(me.user_type)})


# -- --approval FILE on an operation -----------------------------------------------------------
def submit_approval(cluster: EmulatedCluster, action: str, args: dict, key_handle: int = 0) -> None:
    """Record the approvals of `--approval FILE` on its token, before the HSM's quorum rule
    decides (quorum_rules.enforce spends the token). Key operations call this once their
    `--filter` has selected the key; nothing to do when the operation needs no quorum."""
    path = args.get("approval")
    service = QUORUM_SERVICES.get(action)
    if not path or service is None:
        return
    bound = SDK3_SERVICES[service].bound_to_key
    if bound and not key_handle:
        return                                   # the key command calls again with its key
    if approvals_required(service, rules.required_m(cluster, service, key_handle)) == 0:
        return                                   # quorum is off: AWS needs no approval then
    data = replay_inputs.recorded_bytes(cluster, "approval_file") or \
        read_user_file(path, files.MAX_FILE_BYTES, "approval file")
    approval_data, signatures = files.parse_operation(data)
    replay_inputs.note(cluster, "approval_file", replay_inputs.as_base64(data))
    split = files.split_body(approval_data)
    if split is None:
        raise InvalidApproval("this token was not made by quorum token-sign generate",
                              hint="a getToken (CMU) token is approved with approveToken")
    word, token_bytes = split
    stored = store.token(cluster, parse_token(token_bytes).token_id)
    if stored is None or stored.body != approval_data:
        raise NoSuchToken("the approval's token is not on the HSMs (used, deleted or expired)",
                          hint="generate a new one: quorum token-sign generate")
    _check_token(cluster, stored, word, service, action, key_handle)
    eligible = rules.approver_keys(cluster, service, key_handle)
    kind = SDK3_SERVICES[service].approver_type
    from hsmshell.quorum.approval import Approval
    approvals = [Approval(name, role or kind, signature) for name, role, signature in signatures]
    for approval in approvals:
        if approval.approver_type != kind:
            raise InvalidApproval(f"approver {approval.approver_name} signed as "
                                  f"{'admin' if approval.approver_type == ApproverType.CO else 'crypto-user'}; "
                                  f"this token is approved by {'admins' if kind == ApproverType.CO else 'the key users'}")
    verify_approvals(approval_data, approvals, {name: pem for name, (_, pem) in eligible.items()})
    already = {a.lower() for a in store.approvers(cluster, [stored.token_id])[stored.token_id]}
    new = {a.approver_name.lower(): a for a in approvals if a.approver_name.lower() not in already}
    store.add_approvals(cluster, stored.token_id, list(new.values()), store.now(cluster))


def _check_token(cluster, stored, word: str, service: QuorumService, action: str, key_handle: int) -> None:
    if stored.session != cluster.session_id:
        raise InvalidApproval("the approval's token belongs to another login session",
                              hint="a token serves only the session that generated it")
    if stored.expired(store.now(cluster)):
        raise TokenExpired("the approval's token has expired", hint="generate a new one")
    wanted = SERVICE_WORDS[service]
    if word != wanted or stored.key_handle != key_handle:
        what = f"{wanted} token" + (f" for key {key_reference(key_handle)}" if key_handle else "")
        raise InvalidApproval(f"this operation needs a {what}; the file holds a {word} token",
                              hint=f"quorum token-sign generate --service {wanted} --token FILE")


HANDLERS = {
    "quorum token-sign generate": generate, "quorum token-sign list": token_list,
    "quorum token-sign delete": token_delete,
    "quorum token-sign set-quorum-value": set_quorum_value,
    "quorum token-sign list-quorum-values": list_quorum_values,
    "user change-quorum token-sign register": register,
}
