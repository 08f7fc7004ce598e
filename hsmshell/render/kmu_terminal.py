"""What `hsmshell emulate kmu` prints: key_mgmt_util's text (AWS's key_mgmt_util pages),
one stream, the `Command: ` prompt included.

KMU reports every call as `Cfm3<Operation> returned: 0x<code> : <text>`, cluster-wide calls
followed by a `Cluster Error Status` block; the key views are classic_keys.py's. This flavour
adds loginHSM, logoutHSM and listUsers as KMU prints them, and KMU's form of every error.
Codes AWS's documentation gives are used; one it does not give shows 0xff (UNDOCUMENTED_CODE).
"""

from __future__ import annotations

from hsmshell.render.classic import ClassicRenderer       # before classic_keys: it imports classic
from hsmshell.render import classic_keys
from hsmshell.render.cmu_terminal import help_lines
from hsmshell.model.opcodes import KMU_SESSION_CODES as SESSION_CODES

PROMPT = "Command: "
INDENT = " " * 8
OPERATIONS = {**classic_keys.OPERATIONS, "loginHSM": "Cfm3LoginHSM", "logoutHSM": "Cfm3LogoutHSM",
              "listUsers": "Cfm3ListUsers", "getToken": "Cfm3GetToken",
              "approveToken": "Cfm3ApproveToken", "listTokens": "Cfm3ListTokens",
              "delToken": "Cfm3DeleteToken", "getHSMInfo": "Cfm3GetHSMInfo",
              "listAttributes": "Cfm3ListAttributes"}


def kmu_code(error) -> tuple[int, str]:
    if error.reference in SESSION_CODES:
        return SESSION_CODES[error.reference]
    code, text = classic_keys.return_code(error)
    if code == classic_keys.UNDOCUMENTED_CODE:     # hsmshell's message, without its own prefixes
        text = "HSM Error: " + _bare(error.message)
    return code, text


def _bare(message: str) -> str:
    head, sep, rest = message.partition(" failed: ")
    text = rest if sep and " " not in head else message
    return text[len("HSM Error: "):] if text.startswith("HSM Error: ") else text


def returned(command: str, error=None) -> str:
    operation = OPERATIONS.get(command, f"Cfm3{command[:1].upper()}{command[1:]}")
    if error is None:
        return f"{operation} returned: 0x00 : {classic_keys.SUCCESS_TEXT}"
    code, text = kmu_code(error)
    return f"{operation} returned: 0x{code:02x} : {text}"


def cluster_status(servers) -> list[str]:
    lines = ["", "Cluster Error Status"]
    for status in servers:
        code, text = (0, classic_keys.SUCCESS_TEXT) if status.error is None else kmu_code(status.error)
        lines.append(f"Node id {status.server} and err state 0x{code:08x} : {text}")
    return lines


def users_lines(users: list[dict]) -> list[str]:
    """KMU's one merged view of the users (AWS's key_mgmt_util-listUsers page)."""
    lines = ["", f"{INDENT}Number Of Users found {len(users)}", "",
             f"{INDENT}Index       User ID     User Type       User Name           MofnPubKey    "
             "LoginFailureCnt         2FA"]
    for index, u in enumerate(users, start=1):
        # column positions measured from AWS's verbatim row
        lines.append(f"{INDENT}{index:<12}{u['user_id']:>6}{'':6}{u['user_type']:<16}"
                     f"{u['user_name']:<18}{'YES' if u['mofn_pub_key'] else 'NO':>10}"
                     f"{u['login_failure_count']:>16}{'YES' if u['two_fa'] else 'NO':>17}")
    return lines


class KmuTerminalRenderer(ClassicRenderer):
    def err(self, text: str = "") -> None:
        self.out(text)

    def write(self, text: str) -> None:
        self.env.stdout.write(text)
        self.env.stdout.flush()

    def prompt(self, server_mode: int | None = None) -> None:
        self.write(PROMPT)

    def ask(self, question: str) -> None:
        self.write(question)

    def caution(self, command: str) -> None:
        pass                                   # KMU has no CAUTION banner

    def result(self, result, source: str) -> None:
        if result.error is not None:
            lines = [returned(result.command, result.error)]
            if result.servers:
                lines += cluster_status(result.servers)
            self.out("\n".join(lines))
            return
        super().result(result, source)

    def error(self, error, command, source: str) -> None:
        if command is None or error.reference == "cancelled":
            self.out(error.message)
            return
        self.out(returned(command, error))

    def _view_per_server(self, result) -> list[str]:
        return [returned(result.command), *cluster_status(result.servers)]

    def _view_users(self, result) -> list[str]:
        first = next((s for s in result.servers if s.error is None), None)
        users = first.data["users"] if first is not None else []
        return [*users_lines(users), "", f"{INDENT}{returned(result.command)}"]

    def _view_message(self, result) -> list[str]:
        return []                              # exit: KMU just ends

    def _view_help(self, result) -> list[str]:
        return help_lines(result)
