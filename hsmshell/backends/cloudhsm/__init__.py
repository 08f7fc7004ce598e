"""The cloudhsm backend: each command, once hsmshell's policy allowed it, is sent to the real
cloudhsm_mgmt_util (CMU) or key_mgmt_util (KMU) through pexpect, and the tool's text is read
back into the same Result structures the emulator returns.

Which tool gets a command follows the command table's `tool`: CMU for user management,
quorum and server information, KMU for key commands; a crypto user's loginHSM goes to both.
The tools are started when first needed (CMU prints the servers it connected to; `info
server N` names each HSM). How they are started: settings.py; the terminal: terminal.py.
"""

from __future__ import annotations

from hsmshell.backends import shellside
from hsmshell.backends.cloudhsm import cmu_text, kmu_text
from hsmshell.backends.cloudhsm.command_line import tool_line
from hsmshell.backends.cloudhsm.settings import tool_settings
from hsmshell.backends.cloudhsm.terminal import CMU_PROMPT, KMU_PROMPT, Exchange, ToolTerminal
from hsmshell.backends.base import BackendBase, not_supported
from hsmshell.backends.result import Result
from hsmshell.errors import BackendUnavailable, ConfirmationRequired, PermissionDenied
from hsmshell.model.capabilities import Capability
from hsmshell.model.users import UserType

REFUSED_BY_ALL = ("quorum-required",)    # the HSMs refused before doing anything: no servers


class CloudHsmBackend(BackendBase):
    name = "cloudhsm"
    docs = "docs/real-tools.md"
    # the tools' per-HSM log streams are not read through them: `hsmshell logs` is emulator-only
    capabilities = frozenset(Capability) - {Capability.LOGS}

    def __init__(self, env):
        self.env = env
        self.settings = tool_settings(env)
        self.principal = None
        self.server_mode: int | None = None
        self.servers: dict[int, cmu_text.Server] = {}
        self.users_by_server: dict[int, list[dict]] | None = None     # the last listUsers
        self.token_tool = "cmu"            # the tool that holds this session's last token
        self._cmu: ToolTerminal | None = None
        self._kmu: ToolTerminal | None = None
        self.kmu_logged_in = False
        self._cli: ToolTerminal | None = None      # CloudHSM CLI (SDK 5): cli_tool.py

    # -- the tools ---------------------------------------------------------------------------
    def cmu(self) -> ToolTerminal:
        if self._cmu is None or not self._cmu.alive:
            self._lost()
            s = self.settings
            tool = ToolTerminal("cloudhsm_mgmt_util", s.cmu, CMU_PROMPT, s.timeout, s.environ,
                                s.transcript, quit_command="quit")
            ips = cmu_text.server_ips(tool.start())
            self._cmu = tool
            self.servers = {n: cmu_text.Server(n, self._hsm_id(n), ip) for n, ip in enumerate(ips)}
        return self._cmu

    def kmu(self) -> ToolTerminal:
        self.cmu()                         # the server table comes from CMU
        if self._kmu is None or not self._kmu.alive:
            s = self.settings
            tool = ToolTerminal("key_mgmt_util", s.kmu, KMU_PROMPT, s.timeout, s.environ,
                                s.transcript, quit_command="exit")
            tool.start()
            self._kmu, self.kmu_logged_in = tool, False
        return self._kmu

    def cli(self) -> ToolTerminal:
        if self._cli is None or not self._cli.alive:
            if self._cli is not None:
                self._lost()
            from hsmshell.backends.cloudhsm import cli_tool
            self._cli = cli_tool.start(self.settings)
        return self._cli

    def cli_alive(self) -> bool:
        return self._cli is not None and self._cli.alive

    def _hsm_id(self, server: int) -> str:
        """The HSM's id: the Partition `info server N` shows (called while CMU starts)."""
        info = cmu_text.server_info(self._cmu.run(f"info server {server}", Exchange()))
        return info["partition"] if info else ""

    def cmu_query(self, line: str) -> str:
        """A read-only CMU command the backend asks for itself (no secret, no confirmation)."""
        return self.cmu().run(line, Exchange())

    def kmu_query(self, line: str) -> str:
        return self.kmu().run(line, Exchange())

    def exchange(self, invocation, secrets: dict) -> Exchange:
        return Exchange(confirmed=invocation.spec.caution, secret=next(iter(secrets.values()), None),
                        on_failure=self.settings.on_server_failure)

    def run_cmu(self, invocation, secrets: dict, **overrides) -> tuple[str, Exchange]:
        line = tool_line(invocation, "cmu", **overrides)
        exchange = self.exchange(invocation, secrets)
        text = self.cmu().run(line, exchange)
        _check_confirmation(invocation, exchange)
        return text, exchange

    def run_kmu(self, invocation, secrets: dict, **overrides) -> kmu_text.Reply:
        if self.principal is not None and self.principal.user_type != UserType.CU:
            # KMU holds crypto-user logins only: the HSM refuses key commands to anyone else
            raise PermissionDenied(f"{invocation.name} failed: HSM Error: The current logged in user "
                                   f"is not authorized to do this operation (you are {self.principal.label})",
                                   hint="key commands are for crypto users (CU)")
        line = tool_line(invocation, "kmu", **overrides)
        exchange = self.exchange(invocation, secrets)
        text = self.kmu().run(line, exchange)
        _check_confirmation(invocation, exchange)
        return kmu_text.reply(text, self.servers)

    # -- reading CMU's per-server answers --------------------------------------------------------
    def cmu_result(self, invocation, text: str, exchange: Exchange, data: dict | None = None,
                   kind: str = "per_server") -> Result:
        aborted = bool({"A", "B"} & set(exchange.answers)) and self.server_mode is None
        addressed = None if self.server_mode is None else [self.server_mode]
        report = cmu_text.per_server(text, self.servers, invocation.name, aborted, addressed)
        if not report.statuses:
            raise cmu_text.refusal(invocation.name, text)
        failed = [s for s in report.statuses if s.error is not None]
        tried = [s for s in failed if s.error.reference != "not-attempted"]
        if tried and len(failed) == len(report.statuses) and \
                all(s.error.reference in REFUSED_BY_ALL for s in tried):
            raise tried[0].error
        return Result(invocation.name, kind, data=data or {}, servers=report.statuses,
                      error=failed[0].error if failed else None)

    def list_users(self) -> dict[int, list[dict]]:
        self.users_by_server = cmu_text.users(self.cmu_query("listUsers"))
        return self.users_by_server

    def user_ids(self, name: str, fresh: bool = True) -> dict[int, int]:
        """The user's id on each server (ids may differ between HSMs)."""
        listing = self.users_by_server if not fresh and self.users_by_server else self.list_users()
        return {server: u["user_id"] for server, users in listing.items() for u in users
                if u["user_name"].lower() == name.lower()}

    # -- the pipeline's interface ------------------------------------------------------------------
    def commands(self):
        from hsmshell.backends.cloudhsm.handlers import HANDLERS
        from hsmshell.commands import sdk5
        return HANDLERS.keys() | shellside.HANDLERS.keys() | {spec.name for spec in sdk5.SPECS}

    def execute(self, invocation, secrets: dict[str, str], context=None) -> Result:
        from hsmshell.backends.cloudhsm.handlers import HANDLERS

        name = invocation.spec.name
        if invocation.spec.tool == "sdk5":          # CloudHSM CLI's words go to cloudhsm-cli
            from hsmshell.backends.cloudhsm import cli_tool
            try:
                return cli_tool.execute(self, invocation, secrets)
            except BackendUnavailable:
                self._lost()
                raise
        if name in shellside.HANDLERS:              # made on this machine (signToken)
            return shellside.HANDLERS[name](None, invocation.args, secrets)
        handler = HANDLERS.get(name)
        if handler is None:
            raise not_supported(self, name)
        try:
            return handler(self, invocation, secrets)
        except BackendUnavailable:
            if not (self._cmu and self._cmu.alive) or (self._kmu and not self._kmu.alive):
                self._lost()
            raise

    def _lost(self) -> None:
        """A tool died or was stopped: its logins and tokens are gone with it."""
        for tool in (self._cmu, self._kmu, self._cli):
            if tool is not None:
                tool.close_now()
        self._cmu = self._kmu = self._cli = None
        self.principal, self.server_mode, self.kmu_logged_in = None, None, False

    def leave_server_mode(self) -> int | None:
        server, self.server_mode = self.server_mode, None
        if server is not None and self._cmu is not None and self._cmu.alive:
            self._cmu.run("exit", Exchange())
        return server

    def summary(self) -> dict:
        return {"cluster": self.env.cluster, "cluster_id": None, "state": None,
                "backend": self.name, "hsms_total": len(self.servers),
                "hsms_reachable": len(self.servers),
                "hsms": [{"server": s.server, "hsm": s.hsm, "ip": s.ip, "az": None, "state": "ACTIVE"}
                         for s in self.servers.values()]}

    def user_names(self) -> list[str]:
        return sorted({u["user_name"] for users in (self.users_by_server or {}).values() for u in users})

    # QuorumLedger for the policy step: asked of the HSMs (M is 1, quorum off, until logged in)
    def m_value(self, service_id: int) -> int:
        from hsmshell.backends.cloudhsm import cli_tool
        from hsmshell.backends.cloudhsm.quorum import current_m_value
        from_cli = cli_tool.quorum_value(self, service_id)     # a CloudHSM CLI session asks it
        return from_cli if from_cli is not None else current_m_value(self, service_id)

    def approvals(self, service_id: int, key_handle: int = 0) -> tuple[int, bool]:
        from hsmshell.backends.cloudhsm.quorum import session_approvals
        return session_approvals(self, service_id, key_handle)

    def pending_tokens(self) -> list[dict]:
        return []

    def close(self) -> None:
        """Quit the tools (they log out as they go)."""
        for tool in (self._kmu, self._cmu, self._cli):
            if tool is not None:
                tool.close()
        self._cmu = self._kmu = self._cli = None
        self.principal = None


def _check_confirmation(invocation, exchange: Exchange) -> None:
    if "confirm" in exchange.asked and not exchange.confirmed:
        raise ConfirmationRequired(f"the tool asked to confirm {invocation.name}, which hsmshell "
                                   "does not treat as a write; it was answered n")
