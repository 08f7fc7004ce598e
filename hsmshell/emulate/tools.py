"""The two emulated tools: which commands each has, its renderer, and the shell they run on."""

from __future__ import annotations


from hsmshell.commands import command_table
from hsmshell.commands.spec import build_table
from hsmshell.emulate.hsm_policy import hsm_side_policy
from hsmshell.errors import HsmError
from hsmshell.model.users import UserType
from hsmshell.record import record, replace


NO_CAUTION = frozenset({"deleteUser"})


@record(frozen=True)
class Tool:
    name: str                       # cmu | kmu
    program: str                    # the real program's name
    table_tools: frozenset          # CommandSpec.tool values it has
    caution: bool                   # asks the CAUTION y/n question before writes
    also: frozenset = frozenset()   # shell commands it has besides (cloudhsm-cli: help, quit)

    @property
    def mode(self) -> str:          # Environment.mode, and the audit records' "mode"
        return f"emulate-{self.name}"

    def spec(self, spec):
        """A command as this tool has it: AWS's deleteUser sessions ask no CAUTION question."""
        if self.name == "cmu" and spec.name in NO_CAUTION:
            return replace(spec, caution=False, asks_on_failure=spec.caution)
        return spec

    def policy(self):
        return hsm_side_policy()

    def hsm_side(self, backend):
        """The emulator backend as this tool sees it (KMU: crypto-user logins only)."""
        return CryptoUserLogins(backend) if self.name == "kmu" else backend


CMU = Tool("cmu", "cloudhsm_mgmt_util", frozenset({"cmu", "both"}), caution=True)
KMU = Tool("kmu", "key_mgmt_util", frozenset({"kmu", "both"}), caution=False)
CLOUDHSM_CLI = Tool("cloudhsm-cli", "cloudhsm-cli", frozenset({"sdk5"}), caution=False,
                    also=frozenset({"help", "quit"}))
TOOLS = {tool.name: tool for tool in (CMU, KMU, CLOUDHSM_CLI)}


def tool_of_mode(mode: str | None) -> Tool | None:
    """The emulated tool an audit record's mode names (emulate-cmu, emulate-kmu), if any."""
    return next((tool for tool in TOOLS.values() if tool.mode == mode), None)


def renderer_for(tool: Tool, env):
    if tool is CMU:
        from hsmshell.render.cmu_terminal import CmuTerminalRenderer
        return CmuTerminalRenderer(env)
    if tool is CLOUDHSM_CLI:
        from hsmshell.render.sdk5_terminal import CliTerminalRenderer
        return CliTerminalRenderer(env)
    from hsmshell.render.kmu_terminal import KmuTerminalRenderer
    return KmuTerminalRenderer(env)


def tool_environment(env, tool: Tool, reader):
    """The Environment of one tool run: one output stream, classic text, questions read a
    line at a time from stdin by `reader` (terminal.LineReader)."""
    return replace(
        env, stderr=env.stdout, output="classic", color=False, backend="emulator",
        assume_yes=not tool.caution, interactive=True, mode=tool.mode,
        ask_secret_fn=reader.secret, ask_yes_no_fn=reader.answer)


def open_tool_shell(env, tool: Tool, renderer):
    from hsmshell.clusters import open_shell

    table = build_table(tool.spec(spec) for spec in command_table()
                        if spec.tool in tool.table_tools or spec.name in tool.also)
    shell = open_shell(env, table=table, policy=tool.policy(), renderer=renderer)
    shell.backend = tool.hsm_side(shell.backend)
    return shell


class CryptoUserLogins:
    """KMU logs in crypto users only; any other user type is the HSM's 0xdb.
    Everything else is the emulator backend's."""

    def __init__(self, backend):
        self._backend = backend

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def execute(self, invocation, secrets: dict, context=None):
        if invocation.name == "loginHSM" and invocation.args.get("user_type") != UserType.CU:
            raise HsmError("loginHSM failed: HSM Error: Invalid User Type.",
                           hint="key_mgmt_util logs in crypto users only: loginHSM -u CU -s <name> -hpswd",
                           reference="invalid-user-type")
        return self._backend.execute(invocation, secrets, context)
