"""Quorum through the tools (AWS's cloudhsm_mgmt_util pages): registerQuorumPubKey, setMValue,
getMValue, getToken, approveToken, listTokens, delToken, and the quorum state the policy step
asks for (M of a service; approvals on this session's token).

Tokens live in the session of the tool that issued them: services 3 and 4 (crypto officers)
in CMU's, key-usage tokens (service 5, used by KMU's key commands) in KMU's; approveToken,
listTokens and delToken go to the tool that issued the session's last token.
"""

from __future__ import annotations

import time
from pathlib import Path

from hsmshell.backends.cloudhsm import cmu_text
from hsmshell.backends.cloudhsm.terminal import Exchange
from hsmshell.backends.result import Result
from hsmshell.errors import BackendUnavailable, HsmshellError
from hsmshell.model.quorum import SERVICES, QuorumService


def register_key(backend, invocation, secrets: dict) -> Result:
    from hsmshell.quorum.signatures import MAX_PEM_BYTES, key_fingerprint
    from hsmshell.quorum.userfiles import read_user_file

    text, exchange = backend.run_cmu(invocation, secrets)
    me = backend.principal
    result = backend.cmu_result(invocation, text, exchange, {
        "user": me.name if me else invocation.args["user_name"],
        "user_type": me.user_type if me else invocation.args["user_type"]})
    if result.ok:
        pem = read_user_file(invocation.args["public_key"], MAX_PEM_BYTES, "public key")
        result.data["fingerprint"] = key_fingerprint(pem)
        ids = backend.user_ids(result.data["user"], fresh=False)
        for status in result.servers:
            if status.error is None and status.server in ids:
                status.data["user_id"] = ids[status.server]
    return result


def set_m_value(backend, invocation, secrets: dict) -> Result:
    service = QuorumService(invocation.args["service"])
    previous = _m_values(backend, service)
    text, exchange = backend.run_cmu(invocation, secrets)
    return backend.cmu_result(invocation, text, exchange, {
        "service": int(service), "service_name": service.name, "m_value": invocation.args["m"],
        "previous": next(iter(previous.values()), None)})


def get_m_value(backend, invocation, secrets: dict) -> Result:
    service = QuorumService(invocation.args["service"])
    text, _ = backend.run_cmu(invocation, secrets)
    found = cmu_text.m_values(text)
    if not found:
        raise cmu_text.refusal("getMValue", text)
    servers = [backend.servers[n].status(m_value=m) for n, m in found.items() if n in backend.servers]
    return Result("getMValue", "m_value", servers=servers, data={
        "service": int(service), "service_name": service.name, "label": SERVICES[service].label,
        "m_value": next(iter(found.values()))})


def _m_values(backend, service: QuorumService) -> dict[int, int]:
    if backend.principal is None:
        return {}
    return cmu_text.m_values(backend.cmu_query(f"getMValue {int(service)}"))


# -- tokens --------------------------------------------------------------------------------------
def _token_tool(backend, service: int):
    backend.token_tool = "kmu" if SERVICES[QuorumService(service)].bound_to_key else "cmu"
    return backend.token_tool


def _run(backend, tool: str, invocation, secrets: dict) -> tuple[str, Exchange]:
    from hsmshell.backends.cloudhsm.command_line import tool_line
    exchange = backend.exchange(invocation, secrets)
    terminal = backend.kmu() if tool == "kmu" else backend.cmu()
    return terminal.run(tool_line(invocation, "cmu"), exchange), exchange


def get_token(backend, invocation, secrets: dict) -> Result:
    from hsmshell.quorum.tokenfile import parse_token

    args = invocation.args
    text, exchange = _run(backend, _token_tool(backend, args["service"]), invocation, secrets)
    printed = [t for tokens in _printed_tokens(text).values() for t in tokens]
    result = backend.cmu_result(invocation, text, exchange, kind="token")
    if not result.ok or not printed:
        return result
    file = str(Path(args["token_file"]).expanduser())
    token = parse_token(Path(file).read_bytes())
    listed = _token_row(backend, token.token_id)
    service = QuorumService(token.service)
    result.data = {
        "token_id": token.token_id, "service": int(service), "service_name": service.name,
        "node": token.node, "node_server": int(printed[0].get("Node", 0)),
        "key_handle": token.key_handle, "user": token.user, "file": file,
        "expires_at": token.expires_at, "valid_seconds": max(0, token.expires_at - int(time.time())),
        "approvals_required": int(listed.get("Required num of approvers", 0)) if listed else None}
    for status in result.servers:
        status.data["token_id"] = token.token_id
    result.replay = {"token_id": token.token_id}
    return result


def _printed_tokens(text: str) -> dict[int, list[dict]]:
    """getToken prints `getToken success on server N(ip)` and a Token block per server."""
    marked = "\n".join(f"    Server {m.group(2)}({m.group(3)})" if (m := cmu_text.SUCCESS.match(line))
                       else line for line in cmu_text.lines(text))
    return cmu_text.tokens(marked)


def _token_row(backend, token_id: int) -> dict | None:
    terminal = backend.kmu() if backend.token_tool == "kmu" else backend.cmu()
    for tokens in cmu_text.tokens(terminal.run("listTokens", Exchange())).values():
        for token in tokens:
            if token.get("Id") == str(token_id):
                return token
    return None


def list_tokens(backend, invocation, secrets: dict) -> Result:
    text, _ = _run(backend, backend.token_tool, invocation, secrets)
    per_server = cmu_text.tokens(text)
    me = backend.principal.name.lower() if backend.principal else None
    servers = [backend.servers[n].status(tokens=[_row(t, backend, me) for t in tokens])
               for n, tokens in per_server.items() if n in backend.servers]
    count = len(next(iter(per_server.values()), []))
    return Result("listTokens", "tokens", data={"count": count}, servers=servers)


def _row(token: dict, backend, me: str | None) -> dict:
    service = QuorumService(int(token.get("Service", 3)))
    node_server = int(token.get("Node", 0))
    seconds = int(token.get("Token Validity", 0))
    return {"token_id": int(token.get("Id", 0)), "service": int(service), "service_name": service.name,
            "node": backend.servers[node_server].hsm if node_server in backend.servers else None,
            "node_server": node_server, "key_handle": int(token.get("Key Handle", 0)),
            "user": token.get("User"), "valid_seconds": seconds, "expired": seconds == 0,
            "approvals_required": int(token.get("Required num of approvers", 0)),
            "approvals": int(token.get("Current num of approvals", 0)),
            "approvers": token["approvers"],
            "this_session": (token.get("User") or "").lower() == me}     # CMU does not say


def approve_token(backend, invocation, secrets: dict) -> Result:
    from hsmshell.quorum.approval import load_approval_file
    from hsmshell.quorum.tokenfile import parse_token

    bundle = load_approval_file(invocation.args["approval_file"])
    token = parse_token(bundle.token)
    text, exchange = _run(backend, backend.token_tool, invocation, secrets)
    result = backend.cmu_result(invocation, text, exchange, kind="approval")
    if not result.ok:
        return result
    listed = _token_row(backend, token.token_id) or {}
    approvals = int(listed.get("Current num of approvals", 0))
    required = int(listed.get("Required num of approvers", 0))
    service = QuorumService(token.service)
    result.data = {
        "token_id": token.token_id, "service": int(service), "service_name": service.name,
        "key_handle": token.key_handle, "approvers": list(bundle.approver_names),
        "approvals": approvals, "approvals_required": required, "approved": approvals >= required,
        "valid_seconds": int(listed.get("Token Validity", 0))}
    return result


def delete_tokens(backend, invocation, secrets: dict) -> Result:
    text, exchange = _run(backend, backend.token_tool, invocation, secrets)
    return backend.cmu_result(invocation, text, exchange)


# -- what the policy step asks -------------------------------------------------------------------
def current_m_value(backend, service_id: int) -> int:
    """M of a service, as the HSMs say (1: quorum off). Not logged in: 1, the HSM decides."""
    try:
        values = _m_values(backend, QuorumService(service_id))
    except (HsmshellError, ValueError):
        return 1
    return max(values.values(), default=1)


def session_approvals(backend, service_id: int, key_handle: int = 0) -> tuple[int, bool]:
    """(approvals on this user's best token for the service, approved?) from listTokens."""
    me = backend.principal
    if me is None:
        return 0, False
    try:
        terminal = backend.kmu() if backend.token_tool == "kmu" else backend.cmu()
        listing = cmu_text.tokens(terminal.run("listTokens", Exchange()))
    except BackendUnavailable:
        return 0, False
    best = (0, False)
    for token in next(iter(listing.values()), []):
        if token.get("Service") != str(service_id) or (token.get("User") or "").lower() != me.name.lower() \
                or token.get("Key Handle", "0") != str(key_handle) or token.get("Token Validity") == "0":
            continue
        present = int(token.get("Current num of approvals", 0))
        best = max(best, (present, present >= int(token.get("Required num of approvers", 0)) > 0))
    return best


HANDLERS = {
    "registerQuorumPubKey": register_key, "setMValue": set_m_value, "getMValue": get_m_value,
    "getToken": get_token, "approveToken": approve_token, "listTokens": list_tokens,
    "delToken": delete_tokens,
}
