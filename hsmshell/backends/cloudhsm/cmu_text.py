"""Reading cloudhsm_mgmt_util's text (AWS's cloudhsm_mgmt_util pages): the servers it connected to,
per-server success and failure lines, listUsers tables, `info server`, getMValue, tokens."""

from __future__ import annotations

import re

from hsmshell.backends.cloudhsm.text_errors import error_from_text
from hsmshell.backends.result import ServerStatus
from hsmshell.errors import NotAttempted
from hsmshell.record import field, record

SERVER = r"server (\d+)\(([^)]*)\)"
CONNECTING = re.compile(r"^Connecting to server '([^']*)'")
SUCCESS = re.compile(rf"^(\w+) success on {SERVER}\s*$")
FAILED = re.compile(r"^(\w+) failed: (.*)$")
FAILED_ON = re.compile(rf"^(?:\w+ failed on {SERVER}|.* on {SERVER} failed)\s*$")
# The progress line of a cluster-wide write; AWS's pages show createUser, changePswd and
# setMValue print nothing more on the servers that succeed.
PROGRESS = re.compile(r"^(?:Creating User|Deleting user|Changing password for|Setting M Value)\b.* on \d+ nodes\s*$")
USERS_ON = re.compile(rf"^Users on {SERVER}:")
M_VALUE = re.compile(r"^MValue of service (\d+)\[(\w+)\] on server (\d+) : \[(\d+)\]")
TOKEN_SERVER = re.compile(r"^\s*Server (\d+)\(([^)]*)\)\s*$")
TOKEN_FIELD = re.compile(r"^(Id|Service|Node|Key Handle|User|Token Validity|Required num of approvers|"
                         r"Current num of approvals|Approver-\d+)\s*:\s*(.*?)\s*(?:sec)?\s*$")


@record(frozen=True)
class Server:
    server: int
    hsm: str
    ip: str

    def status(self, error=None, **data) -> ServerStatus:
        return ServerStatus(self.server, self.hsm, self.ip, "failed" if error else "success",
                            error, data)


@record
class PerServer:
    statuses: list[ServerStatus] = field(default_factory=list)

    @property
    def error(self):
        return next((s.error for s in self.statuses if s.error is not None), None)


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.replace("\r", "").split("\n")]


def server_ips(text: str) -> list[str]:
    """The servers of CMU's config, in its order (their numbers), connected or not."""
    return [m.group(1) for m in map(CONNECTING.match, lines(text)) if m]


def per_server(text: str, servers: dict[int, Server], command: str, aborted: bool,
               addressed: list[int] | None = None) -> PerServer:
    """Success and failure lines, in order; a failure's message is the `<command> failed: ...`
    line before its server line. Servers never reached after an abort are not-attempted.
    After a progress line, an `addressed` server (all, or the one of server mode) no line
    names has succeeded quietly."""
    found: dict[int, ServerStatus] = {}         # by server: the last word on it (after a retry)
    pending = None
    progress = False
    for line in lines(text):
        if PROGRESS.match(line):
            progress = True
        elif m := SUCCESS.match(line):
            found[int(m.group(2))] = _server(servers, m.group(2), m.group(3)).status()
        elif m := FAILED_ON.match(line):
            number, ip = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            error = error_from_text(pending or f"{command} failed")
            found[int(number)] = _server(servers, number, ip).status(error)
            pending = None
        elif m := FAILED.match(line):
            pending = m.group(2).strip()
    if progress:
        failures = [n for n, s in found.items() if s.error is not None]
        for n in (sorted(servers) if addressed is None else addressed):
            if n not in found and n in servers and not (aborted and failures and n > max(failures)):
                found[n] = servers[n].status()
    report = PerServer([found[n] for n in sorted(found)])     # none: refused as a whole (refusal())
    seen = {s.server for s in report.statuses}
    if aborted and report.error is not None:
        last = max(s.server for s in report.statuses if s.error is not None)
        report.statuses += [s.status(NotAttempted(f"not attempted: {command} was aborted after "
                                                  f"server {last} failed"))
                            for n, s in sorted(servers.items()) if n not in seen and n > last]
        report.statuses.sort(key=lambda s: s.server)
    return report


def _server(servers: dict[int, Server], number: str, ip: str) -> Server:
    return servers.get(int(number)) or Server(int(number), "", ip)


def users(text: str) -> dict[int, list[dict]]:
    """listUsers: server number -> its users (the columns of the listUsers page)."""
    found: dict[int, list[dict]] = {}
    current = None
    for line in lines(text):
        if m := USERS_ON.match(line):
            current = found.setdefault(int(m.group(1)), [])
            continue
        fields = line.split()
        if current is not None and len(fields) == 6 and fields[0].isdigit():
            current.append({"user_id": int(fields[0]), "user_type": fields[1], "user_name": fields[2],
                            "mofn_pub_key": fields[3] == "YES", "login_failure_count": int(fields[4]),
                            "two_fa": fields[5] == "YES"})
    return found


def server_info(text: str) -> dict | None:
    """`info server N`: the values line under the header (LoginState may hold blanks)."""
    for line in lines(text):
        fields = line.split(None, 6)
        if len(fields) >= 6 and fields[0].isdigit() and fields[3].isdigit():
            return {"server": int(fields[0]), "name": fields[1], "hostname": fields[2],
                    "port": int(fields[3]), "state": fields[4], "partition": fields[5],
                    "login_state": fields[6] if len(fields) > 6 else ""}
    return None


def m_values(text: str) -> dict[int, int]:
    return {int(m.group(3)): int(m.group(4)) for m in map(M_VALUE.match, lines(text)) if m}


def tokens(text: str) -> dict[int, list[dict]]:
    """listTokens (and getToken's printout): server number -> its tokens' fields."""
    found: dict[int, list[dict]] = {}
    current, token = None, None
    for line in lines(text):
        if m := TOKEN_SERVER.match(line):
            current, token = found.setdefault(int(m.group(1)), []), None
            continue
        if line.startswith("Token:") and current is not None:
            token = {"approvers": []}
            current.append(token)
            continue
        m = TOKEN_FIELD.match(line)
        if m and token is not None:
            name, value = m.group(1), m.group(2)
            if name.startswith("Approver-"):
                token["approvers"].append(value)
            else:
                token[name] = value
    return found


def refusal(command: str, text: str):
    """A command the tool refused as a whole (no server line): its message as an error."""
    message = failure_message(text)
    if message is None:
        message = next((line.strip() for line in lines(text) if line.strip()), "no answer from the tool")
    return error_from_text(f"{command} failed: {message}")


def failure_message(text: str) -> str | None:
    """The first `<command> failed: ...` message (a command refused before any server)."""
    for line in lines(text):
        if m := FAILED.match(line):
            return m.group(2).strip()
    return None
