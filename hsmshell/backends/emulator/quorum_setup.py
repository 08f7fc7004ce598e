"""Quorum set-up on the emulated HSMs: registerQuorumPubKey, setMValue, getMValue."""

from __future__ import annotations

from hsmshell.backends.emulator import quorum_store as store
from hsmshell.backends.emulator import replay_inputs
from hsmshell.backends.emulator.info import require_hsm2m
from hsmshell.backends.emulator.cluster import EmulatedCluster, Hsm
from hsmshell.backends.emulator.users import _require_user, _type_matches
from hsmshell.backends.result import Result
from hsmshell.errors import InvalidArgument, LimitExceeded, PermissionDenied
from hsmshell.model.quorum import (M_OFF, REGISTRATION_TOKEN_MAX_BYTES, SERVICES, QuorumService,
                                   check_m_value)
from hsmshell.quorum.userfiles import read_user_file
from hsmshell.model.users import OFFICERS

MIN_TOKEN_SECONDS, MAX_TOKEN_SECONDS = 60, 86_400
# Read past a signature's size, so the check can say how large the file really is.
_SIGNATURE_READ_LIMIT = 4096


def cluster_result(cluster: EmulatedCluster, command: str, kind: str, data: dict,
                   on_hsm=lambda hsm: {}) -> Result:
    """A Result reporting `on_hsm` on every HSM; the first failed server's error fails it."""
    servers = cluster.on_each(on_hsm)
    return Result(command, kind, data=data, servers=servers,
                  error=next((s.error for s in servers if s.error), None))


def cluster_service(value: int, command: str) -> QuorumService:
    """Services 3 and 4 have a cluster M; a key's quorum is its own -m_value."""
    service = QuorumService(value)
    if SERVICES[service].bound_to_key:
        raise InvalidArgument(f"{command}: service {SERVICES[service].label} has no cluster M; "
                              "each key has its own (-m_value when the key is made)",
                              hint="getKeyInfo shows a key's quorum value")
    return service


def register_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    from hsmshell.quorum.signatures import check_registration, key_fingerprint

    me, name = cluster.principal, args["user_name"]
    if name.lower() != me.name.lower() or not _type_matches(args["user_type"], me.user_type):
        raise PermissionDenied(
            f"registerQuorumPubKey failed: you can register only your own key (you are {me.label})",
            hint=f"registerQuorumPubKey {'CO' if me.user_type in OFFICERS else me.user_type} "
                 f"{me.name} <token> <signed-token> <public-key.pem>")
    token, signed, public = _registration_files(cluster, args)
    pem = check_registration(public, token, signed)
    # checked: a public key, and a token and signature it verifies (no secret in the record)
    replay_inputs.note(cluster, "registration_token", replay_inputs.as_base64(token))
    replay_inputs.note(cluster, "signed_token", replay_inputs.as_base64(signed))
    replay_inputs.note(cluster, "public_key", pem.decode("ascii"))
    holder = store.key_owner_of(cluster, pem)
    if holder is not None and holder.lower() != me.name.lower():
        # One key, one approver: otherwise one person could approve twice under two names.
        raise InvalidArgument(f"registerQuorumPubKey failed: this public key is already "
                              f"registered to {holder}", hint="make a key pair of your own")

    def on_hsm(hsm: Hsm) -> dict:
        user_id = _require_user(cluster, hsm, me.name)[0]
        store.store_key(cluster, hsm, user_id, pem)
        return {"user_id": user_id}

    return cluster_result(cluster, "registerQuorumPubKey", "per_server",
                          {"user": me.name, "user_type": me.user_type,
                           "fingerprint": key_fingerprint(pem)}, on_hsm)


def _registration_files(cluster, args: dict) -> tuple[bytes, bytes, bytes]:
    """(registration token, its signature, public key PEM): from the files, or during audit
    replay as they were read."""
    from hsmshell.quorum.signatures import MAX_PEM_BYTES

    public = replay_inputs.recorded_text(cluster, "public_key")
    if public is not None:
        return (replay_inputs.recorded_bytes(cluster, "registration_token"),
                replay_inputs.recorded_bytes(cluster, "signed_token"), public)
    return (read_user_file(args["registration_token"], REGISTRATION_TOKEN_MAX_BYTES,
                           "registration token"),
            read_user_file(args["signed_token"], _SIGNATURE_READ_LIMIT, "signed registration token"),
            read_user_file(args["public_key"], MAX_PEM_BYTES, "public key"))


def set_m_value(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    service = cluster_service(args["service"], "setMValue")
    if service == QuorumService.CLUSTER_MGMT:
        require_hsm2m(cluster.db, "the cluster quorum service")
    m = check_m_value(args["m"])
    if m > M_OFF:
        officers = len(store.registered_keys(cluster, tuple(OFFICERS)))
        if m > officers:
            raise LimitExceeded(
                f"setMValue failed: M={m} needs at least {m} crypto officers with registered "
                f"quorum keys; the cluster has {officers}",
                hint="each CO registers a key with registerQuorumPubKey (create M+1 COs first)")
    previous = store.m_value(cluster, service)
    store.set_m_value(cluster, service, m)
    return cluster_result(cluster, "setMValue", "per_server",
                          {"service": int(service), "service_name": service.name,
                           "m_value": m, "previous": previous})


def get_m_value(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    service = cluster_service(args["service"], "getMValue")
    m = store.m_value(cluster, service)
    return cluster_result(cluster, "getMValue", "m_value",
                          {"service": int(service), "service_name": service.name,
                           "label": SERVICES[service].label, "m_value": m},
                          lambda hsm: {"m_value": m})


def set_token_validity(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    seconds = args["seconds"]
    if not MIN_TOKEN_SECONDS <= seconds <= MAX_TOKEN_SECONDS:
        raise InvalidArgument(f"setTokenValidity: {seconds} s is outside "
                              f"{MIN_TOKEN_SECONDS}..{MAX_TOKEN_SECONDS} s")
    previous = store.token_lifetime(cluster)
    store.set_token_lifetime(cluster, seconds)
    return cluster_result(cluster, "setTokenValidity", "per_server",
                          {"token_validity_seconds": seconds, "previous": previous})


HANDLERS = {"registerQuorumPubKey": register_key, "setMValue": set_m_value,
            "getMValue": get_m_value, "setTokenValidity": set_token_validity}
