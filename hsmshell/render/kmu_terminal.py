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
from hsmshell.render.base import OneStreamTerminal
from hsmshell.render.cmu_terminal import help_lines
from hsmshell.model.opcodes import KMU_SESSION_CODES as SESSION_CODES, kmu_call
from hsmshell.render.kmu_views import T, KmuKeyViews, failed, nodes

PROMPT = "Command: "
# Refusals each node makes itself, listed per node though the emulator refuses before any node
# runs: an unknown handle (deleteKey's page), a FIPS-refused curve (genECCKeyPair's page).
NODE_REFUSALS = frozenset({"no-such-key", "fips-policy-violation"})
INDENT = " " * 8
SESSION_COMMANDS = frozenset({"loginHSM", "logoutHSM", "listUsers", "getToken", "approveToken",
                              "listTokens", "delToken", "getHSMInfo"})


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
    operation = kmu_call(command)
    if error is None:
        return f"{operation} returned: 0x00 : {classic_keys.SUCCESS_TEXT}"
    code, text = kmu_code(error)
    return f"{operation} returned: 0x{code:02x} : {text}"


def users_lines(users: list[dict]) -> list[str]:
    """KMU's one merged view of the users (AWS's key_mgmt_util-listUsers page)."""
    lines = ["", f"{INDENT}Number Of Users found {len(users)}", "",
             f"{INDENT}Index       User ID     User Type       User Name           MofnPubKey    "
             "LoginFailureCnt         2FA"]
    for index, u in enumerate(users, start=1):
        # column positions measured from key_mgmt_util-listUsers (MofnPubKey left-aligned)
        lines.append(f"{INDENT}{index:<12}{u['user_id']:>6}{'':6}{u['user_type']:<16}"
                     f"{u['user_name']:<26}{'YES' if u['mofn_pub_key'] else 'NO':<3}"
                     f"{u['login_failure_count']:>15}{'YES' if u['two_fa'] else 'NO':>17}")
    return lines


class KmuTerminalRenderer(OneStreamTerminal, KmuKeyViews, ClassicRenderer):
    PROMPT = PROMPT                            # KMU has no CAUTION banner (no caution)

    def __init__(self, env):
        super().__init__(env)
        self.servers: list = []                # the connected HSMs (statuses)
        self.line = ""

    def result(self, result, source: str) -> None:
        if result.error is not None:
            self.error(result.error, result.command, source, result.servers)
            return
        super().result(result, source)
        if result.command != "exit":
            self.out("")                       # a blank line before the next prompt (the pages)

    def error(self, error, command, source: str, servers=None) -> None:
        if command is None or error.reference == "cancelled":
            self.out(error.message)
            return
        if command == "verify" and error.reference == "signature-invalid":
            self.out("Cfm3Verify returned: 0x1b\n\nCSP Error: ERR_BAD_PKCS_DATA\n")
            return
        if command in SESSION_COMMANDS:
            self.out("\n".join(["", returned(command, error), *(nodes(servers, kmu_code, "") if servers else []),
                                 ""]))
            return
        line = failed(command, error, kmu_code)
        if error.reference == "key-access-denied":
            self.out("\n".join(["", T + line, ""]))  # no node block (deleteKey, Error2String pages)
            return
        block = nodes(servers, kmu_code) if servers else []
        if not servers and error.reference in NODE_REFUSALS:     # every node says it (0xa8, 0xb3)
            code, text = kmu_code(error)
            block = ["", f"{T}Cluster Error Status",
                     *(f"{T}Node id {s.server} and err state 0x{code:08x} : {text}" for s in self.servers)]
        self.out("\n".join(["", T + line, *block, ""]))

    def _view_per_server(self, result) -> list[str]:
        # loginHSM's page: `Cluster Status`, flush left (getting started: `Cluster Error Status`)
        return ["", returned(result.command), *nodes(result.servers, kmu_code, "", "Cluster Status")]

    def _view_users(self, result) -> list[str]:
        first = next((s for s in result.servers if s.error is None), None)
        users = first.data["users"] if first is not None else []
        return [*users_lines(users), "", f"{INDENT}{returned(result.command)}"]

    def _view_message(self, result) -> list[str]:
        return []                              # exit: KMU just ends

    def _view_cert_file(self, result) -> list[str]:
        return ["", "Cfm3GetCert() returned 0 :HSM Return: SUCCESS"]     # key_mgmt_util-getCert

    def _view_error_string(self, result) -> list[str]:
        return ["", T + result.data["message"]]

    def _view_help(self, result) -> list[str]:
        if "commands" in result.data:          # the real tool's fixed table (its help page)
            from hsmshell.render.kmu_help import HELP_TABLE
            return HELP_TABLE.rstrip("\n").split("\n")
        return help_lines(result)
