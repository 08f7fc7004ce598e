"""Sessions, users and HSM information through CMU (and a crypto user's login through KMU too):
loginHSM, logoutHSM, createUser, deleteUser, changePswd, listUsers, info, getHSMInfo, server.

Each returns the Result the emulator returns for the same command (backends/emulator/users.py,
info.py, server_mode.py); what CMU does not print (user ids) is asked of it with listUsers.
"""

from __future__ import annotations

import re

from hsmshell.backends.cloudhsm import cmu_text, kmu_text
from hsmshell.backends.cloudhsm.command_line import tool_line
from hsmshell.backends.result import Result
from hsmshell.errors import InvalidArgument
from hsmshell.model.users import Principal, UserType

HSM_INFO = re.compile(r"^\s*\*\*\* Server (\d+) HSM Info \*\*\*")
INFO_FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:(.*)$")


def login(backend, invocation, secrets: dict) -> Result:
    name = invocation.args["user_name"]
    text, exchange = backend.run_cmu(invocation, secrets)
    result = backend.cmu_result(invocation, text, exchange)
    if all(s.error is not None for s in result.servers):
        return result
    first = next(s.server for s in result.servers if s.error is None)
    me = next((u for u in backend.list_users().get(first, []) if u["user_name"].lower() == name.lower()),
              None)
    if me is None:
        raise InvalidArgument(f"loginHSM: {name} logged in, but listUsers does not show it")
    principal = Principal(me["user_name"], me["user_type"], me["user_id"])
    if principal.user_type == UserType.CU:
        _login_kmu(backend, invocation, secrets)
    backend.principal = principal
    result.data = {"user": principal.name, "user_type": principal.user_type, "user_id": principal.user_id}
    result.replay = {"user_id": principal.user_id}
    result.error = None
    return result


def _login_kmu(backend, invocation, secrets: dict) -> None:
    """Key commands go to KMU: log the crypto user in there too (or undo the CMU login)."""
    text = backend.kmu().run(tool_line(invocation, "kmu"), backend.exchange(invocation, secrets))
    answer = kmu_text.reply(text, backend.servers)
    if not answer.ok:
        backend.cmu_query("logoutHSM")
        raise answer.error("loginHSM")
    backend.kmu_logged_in = True


def logout(backend, invocation, secrets: dict) -> Result:
    text, exchange = backend.run_cmu(invocation, secrets)
    result = backend.cmu_result(invocation, text, exchange)
    if backend.kmu_logged_in:
        backend.kmu_query("logoutHSM")
        backend.kmu_logged_in = False
    backend.principal = None
    return result


def create_user(backend, invocation, secrets: dict) -> Result:
    name, user_type = invocation.args["user_name"], invocation.args["user_type"]
    text, exchange = backend.run_cmu(invocation, secrets)
    result = backend.cmu_result(invocation, text, exchange,
                                {"user": name, "user_type": UserType.CO if user_type == UserType.PCO else user_type})
    _add_user_ids(result, backend.user_ids(name))
    return result


def delete_user(backend, invocation, secrets: dict) -> Result:
    name = invocation.args["user_name"]
    ids = backend.user_ids(name, fresh=False)          # before it is gone
    text, exchange = backend.run_cmu(invocation, secrets)
    result = backend.cmu_result(invocation, text, exchange,
                                {"user": name, "user_type": invocation.args["user_type"]})
    backend.users_by_server = None
    _add_user_ids(result, ids)
    return result


def change_password(backend, invocation, secrets: dict) -> Result:
    name = invocation.args["user_name"]
    me = backend.principal
    activating = me is not None and me.user_type == UserType.PRECO and me.name.lower() == name.lower()
    text, exchange = backend.run_cmu(invocation, secrets)
    result = backend.cmu_result(invocation, text, exchange,
                                {"user": name, "user_type": invocation.args["user_type"]})
    _add_user_ids(result, backend.user_ids(name, fresh=False))
    if activating and result.ok:            # the PRECO became the cluster's first CO
        backend.principal = Principal(me.name, UserType.PCO, me.user_id)
        backend.users_by_server = None
        result.data["activated"] = True
    return result


def _add_user_ids(result: Result, ids: dict[int, int]) -> None:
    for status in result.servers:
        if status.error is None and status.server in ids:
            status.data["user_id"] = ids[status.server]
    result.replay = {"user_ids": {str(s.server): s.data.get("user_id") for s in result.servers
                                  if s.error is None}}


def list_users(backend, invocation, secrets: dict) -> Result:
    text, _ = backend.run_cmu(invocation, secrets)
    listing = backend.users_by_server = cmu_text.users(text)
    if not listing:
        raise cmu_text.refusal("listUsers", text)
    servers = [backend.servers[n].status(users=users) if n in backend.servers
               else cmu_text.Server(n, "", "").status(users=users) for n, users in listing.items()]
    return Result("listUsers", "users", servers=servers)


def server_info(backend, invocation, secrets: dict) -> Result:
    text, _ = backend.run_cmu(invocation, secrets)
    info = cmu_text.server_info(text)
    if info is None:
        raise cmu_text.refusal("info", text)
    return Result("info", "server_info", data={**info, "az": None, "hsm": info["partition"]})


def hsm_info(backend, invocation, secrets: dict) -> Result:
    text, _ = backend.run_cmu(invocation, secrets)
    blocks: dict[int, dict] = {}
    current = None
    for line in cmu_text.lines(text):
        if m := HSM_INFO.match(line):
            current = blocks.setdefault(int(m.group(1)), {})
        elif current is not None and (m := INFO_FIELD.match(line)):
            value = m.group(2).strip()
            current[m.group(1)] = int(value) if value.isdigit() else value
    servers = [backend.servers[n].status(info=info) for n, info in blocks.items() if n in backend.servers]
    return Result("getHSMInfo", "hsm_info", servers=servers)


def enter_server_mode(backend, invocation, secrets: dict) -> Result:
    text, _ = backend.run_cmu(invocation, secrets)
    number = invocation.args["server_id"]
    if "mode" not in text or number not in backend.servers:
        raise cmu_text.refusal("server", text)
    backend.server_mode = number
    server = backend.servers[number]
    return Result("server", "server_mode", data={"server": number, "hsm": server.hsm, "ip": server.ip,
                                                 "message": text.strip().splitlines()[-1]})


HANDLERS = {
    "loginHSM": login, "logoutHSM": logout, "createUser": create_user, "deleteUser": delete_user,
    "changePswd": change_password, "listUsers": list_users, "info": server_info,
    "getHSMInfo": hsm_info, "server": enter_server_mode,
}
