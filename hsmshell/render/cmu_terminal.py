"""What `hsmshell emulate cmu` prints: cloudhsm_mgmt_util's text (AWS's cloudhsm_mgmt_util pages), one stream, prompts included.

The classic renderer already has most views; this flavour adds the start-up lines, the
prompts and questions, and CMU's way of reporting a server that failed:

    createUser failed: RET_MXN_AUTH_FAILED
    creating user on server 0(10.0.2.14) failed

(other commands: `deleteUser failed on server 0(10.0.2.14)`), followed for writes by
`Retry/Ignore/Abort?(R/I/A):`.
"""

from __future__ import annotations

from hsmshell.model.key_attributes import display_value
from hsmshell.render.classic import ClassicRenderer, server_label
from hsmshell.render.base import OneStreamTerminal
from hsmshell.render.classic_keys import key_info_lines
from hsmshell.render.text import PROGRESS

PROMPT = "aws-cloudhsm>"
PORT = 2225
CONNECTING = ("Connecting to the server(s), it may take time",
              "depending on the server(s) load, please wait...", "")
QUIT_LINE = "disconnecting from servers, please wait..."
# AWS's wording of a failed server, where it is not `<command> failed on server N(ip)`.
FAILED_ON = {"createUser": "creating user on {server} failed"}
QUORUM_TEXT = "RET_MXN_AUTH_FAILED"
# AWS's pages (createUser, changePswd, cli-users, the quorum pages) show only the progress
# line when these succeed everywhere; deleteUser's pages show a success line per server.
QUIET_SUCCESS = frozenset({"createUser", "changePswd", "setMValue"})
# The user-management writes print a blank line before the CAUTION banner; setAttribute and
# shareKey do not (each command's pages agree with each other).
BLANK_BEFORE_CAUTION = frozenset({"createUser", "changePswd", "registerQuorumPubKey", "setMValue"})


def failure_lines(command: str, status, message: str) -> list[str]:
    where = FAILED_ON.get(command, "{command} failed on {server}")
    return [f"{command} failed: {message}",
            where.format(command=command, server=server_label(status))]


def help_lines(result) -> list[str]:
    """`help` (KMU's banner, as AWS's key_mgmt_util pages show it) and `help <command>`."""
    d = result.data
    if "commands" not in d:
        options = d.get("options") or []
        width = max((len(o["option"]) for o in options), default=0) + 4
        # as the tools' `<command> -h` pages: each parameter and what its values mean
        return [d["syntax"], "", d["summary"], *([d["details"]] if d.get("details") else []),
                *([""] if options else []),
                *(f"    {o['option']:<{width}}{'' if o['required'] else '(optional) '}{o['help']}"
                  for o in options)]
    width = max(len(c["command"]) for c in d["commands"]) + 4
    return ["", "Help Commands Available:", "", "Syntax: <command> -h", "",
            *(f"   {c['command']:<{width}}{c['summary']}" for c in d["commands"])]


def hsm_message(command: str, error) -> str:
    """The error text after `<command> failed: ` (CMU names RET_* codes bare)."""
    if error.reference == "quorum-required":
        return QUORUM_TEXT
    message = error.message
    prefix = f"{command} failed: "
    return message[len(prefix):] if message.startswith(prefix) else message


class CmuTerminalRenderer(OneStreamTerminal, ClassicRenderer):
    def __init__(self, env):
        super().__init__(env)
        self.servers: list = []            # the connected HSMs (statuses), for one-HSM views
        self._announced: set[tuple[str, int]] = set()   # failures the failure question showed
        self.line = ""                     # the line being run (terminal.run_lines sets it)
        self.server_mode: int | None = None  # the server the next line goes to alone (server N)

    # -- one stream, prompts and questions ----------------------------------------------------
    def prompt(self, server_mode: int | None) -> None:
        self.server_mode = server_mode
        self.write(PROMPT if server_mode is None else f"server{server_mode}>")

    def _answering(self) -> list:
        """The servers a one-key view speaks for: in server mode that server alone."""
        if self.server_mode is None:
            return self.servers
        return [s for s in self.servers if s.server == self.server_mode] or self.servers

    def startup(self, hsms: list[dict], wanted: list[str] | None = None) -> None:
        """The connection lines, one block per HSM (those of the config file when one was
        given) and a blank line after each, as AWS's getting-started page shows them."""
        lines = list(CONNECTING)
        by_ip = {h["ip"]: h for h in hsms}
        for ip in wanted if wanted is not None else [h["ip"] for h in hsms]:
            lines.append(f"Connecting to server '{ip}': hostname '{ip}', port {PORT}...")
            hsm = by_ip.get(ip)
            if hsm is None or hsm["state"] != "ACTIVE":
                lines += [f"Failed to connect to server '{ip}': hostname '{ip}', port {PORT}.", ""]
                continue
            lines += [f"Connected to server '{ip}': hostname '{ip}', port {PORT}.", ""]
        self.out("\n".join(lines))
        self.flush()

    # -- results and errors --------------------------------------------------------------------
    def result(self, result, source: str) -> None:
        try:
            lines = getattr(self, f"_view_{result.kind}", self._view_generic)(result)
            if lines:
                self.out("\n".join(lines))
            if result.error is not None and not result.servers:
                self.error(result.error, result.command, source)
        finally:
            self._announced.clear()

    def error(self, error, command, source: str) -> None:
        if error.reference == "cancelled":
            return                         # the y/n question was answered n: nothing happened
        if command is None:
            self.out(error.message)
            return
        if error.reference == "quorum-required":
            self.out("\n".join(self._progress(command)))
        self.out(f"{command} failed: {hsm_message(command, error)}")

    def _progress(self, command: str) -> list[str]:
        """The progress line CMU prints before the HSMs refuse (AWS's quorum pages), made from
        the words typed: `createUser CU user1 ...` -> `Creating User user1(CU) on 2 nodes`."""
        words = self.line.split()
        template = PROGRESS.get(command)
        if template is None or len(words) < 3:
            return []
        fields = {"user_type": words[1], "user": words[2], "service": words[1], "m_value": words[2]}
        return [template.format(nodes=len(self.servers), **fields)]

    def server_failed(self, command: str, status) -> None:
        """A write failed on one server: said before the Retry/Ignore/Abort question."""
        self._announced.add((command, status.server))
        self.out("\n".join([*failure_lines(command, status, hsm_message(command, status.error)), ""]))

    def quorum_refused(self, command: str, status, again: bool) -> None:
        """One server's RET_MXN_AUTH_FAILED; error() said the first `<command> failed:` line."""
        lines = failure_lines(command, status, QUORUM_TEXT)
        self.out("\n".join([*(lines if again else lines[1:]), ""]))

    def caution(self, command: str, what: str | None = None) -> None:
        if command in BLANK_BEFORE_CAUTION:
            self.out("")
        ClassicRenderer.caution(self, command, what)     # the banner (OneStreamTerminal's is silent)

    def _server_lines(self, command: str, status) -> list[str]:
        if status.error is None:
            return [] if command in QUIET_SUCCESS else [f"{command} success on {server_label(status)}"]
        if (command, status.server) in self._announced or status.error.reference == "not-attempted":
            return []                      # asked about already; or never reached (after Abort)
        return failure_lines(command, status, hsm_message(command, status.error))

    # -- views -----------------------------------------------------------------------------------
    def _view_per_server(self, result) -> list[str]:
        # the progress line; a blank line for login and logout; nothing for the key writes
        lines = super()._view_per_server(result)[:1]
        if lines == [""] and result.command not in ("loginHSM", "logoutHSM"):
            lines = []
        for status in result.servers:
            lines += self._server_lines(result.command, status)
        if result.command == "loginHSM":
            lines.append("")                                  # loginLogout page: a blank follows
        return lines

    def _view_message(self, result) -> list[str]:
        message = result.data.get("message", "")
        if message == QUIT_LINE:
            return ["", QUIT_LINE]
        return [] if result.command == "exit" else [message]

    def _view_help(self, result) -> list[str]:
        return help_lines(result)

    def _view_server_mode(self, result) -> list[str]:
        message = result.data["message"]
        return ["", message] if message.startswith("Server is in") else [message]

    def _view_key_info(self, result) -> list[str]:
        d = result.data
        lines = [""]
        for status in self._answering():
            lines += [f"Key Info on {server_label(status)}:", "",
                      "        Session Key," if d["session"] else "        Token/Flash Key,",
                      *key_info_lines(d)]
            if not d["shared_with"] and not d["m_value"]:
                lines.append("")
        return lines

    def _view_key_attributes(self, result) -> list[str]:
        d = result.data
        if d["file"]:
            return [f"Attributes dumped into {d['file']} file"]
        values = [line for row in d["attributes"]
                  for line in (row["name"], display_value(row["id"], row["value"]))]
        lines = []
        for status in self._answering():
            lines += ["", f"Attribute Value on {server_label(status)}:", *values]
        return lines
