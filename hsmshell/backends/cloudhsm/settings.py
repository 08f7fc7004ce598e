"""How the cloudhsm backend starts the real tools, and how it answers them.

From the environment first, then the "cloudhsm" section of the client configuration
(client.json in the state dir), then the defaults of an SDK 3 client installation:

  HSMSHELL_CMU_COMMAND     command that starts CMU (split like a shell), e.g.
                           `hsmshell emulate cmu --home /tmp/tools`
                           default: /opt/cloudhsm/bin/cloudhsm_mgmt_util <HSMSHELL_CMU_CONFIG>
  HSMSHELL_CMU_CONFIG      CMU's config file; default /opt/cloudhsm/etc/cloudhsm_mgmt_util.cfg
                           (added to HSMSHELL_CMU_COMMAND only when set)
  HSMSHELL_KMU_COMMAND     command that starts KMU; default /opt/cloudhsm/bin/key_mgmt_util
  HSMSHELL_CLOUDHSM_CLI_COMMAND  command that starts CloudHSM CLI (SDK 5), run with
                           `interactive` added; default /opt/cloudhsm/bin/cloudhsm-cli
  HSMSHELL_CLOUDHSM_TIMEOUT  seconds to wait for a tool's answer (default 60): then
                           hsm-unavailable, never a hang
  HSMSHELL_CLOUDHSM_TRANSCRIPT  a file to append the tools' output to (passwords never
                           reach it: they are sent with logging off, and masked)

client.json: {"cloudhsm": {"cmu_command": ..., "cmu_config": ..., "kmu_command": ..., "cli_command": ...,
"timeout": ..., "transcript": ...}}. Retry/Ignore/Abort is answered by --on-server-failure
(abort by default).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from hsmshell import client_config
from hsmshell.errors import ConfigError
from hsmshell.record import record

DEFAULT_CMU = "/opt/cloudhsm/bin/cloudhsm_mgmt_util"
DEFAULT_CMU_CONFIG = "/opt/cloudhsm/etc/cloudhsm_mgmt_util.cfg"
DEFAULT_KMU = "/opt/cloudhsm/bin/key_mgmt_util"
DEFAULT_CLI = "/opt/cloudhsm/bin/cloudhsm-cli"
DEFAULT_TIMEOUT = 60.0


@record(frozen=True)
class ToolSettings:
    cmu: tuple[str, ...]                 # argv of CMU
    kmu: tuple[str, ...]                 # argv of KMU
    timeout: float
    on_server_failure: str               # abort | ignore
    transcript: Path | None = None
    environ: dict | None = None          # the tools' environment
    cli: tuple[str, ...] = (DEFAULT_CLI,)   # argv of CloudHSM CLI (SDK 5), without `interactive`


def tool_settings(env) -> ToolSettings:
    environ = env.environ
    section = (client_config.read(env.home) or {}).get("cloudhsm") or {}
    if not isinstance(section, dict):
        raise ConfigError("the \"cloudhsm\" section of client.json must be an object")

    def setting(variable: str, key: str, default=None):
        value = environ.get(variable) or section.get(key)
        return default if value in (None, "") else value

    config = setting("HSMSHELL_CMU_CONFIG", "cmu_config")
    command = setting("HSMSHELL_CMU_COMMAND", "cmu_command")
    cmu = _argv(command, "HSMSHELL_CMU_COMMAND") if command else [DEFAULT_CMU]
    if config or not command:
        cmu.append(str(config or DEFAULT_CMU_CONFIG))
    kmu = _argv(setting("HSMSHELL_KMU_COMMAND", "kmu_command", DEFAULT_KMU), "HSMSHELL_KMU_COMMAND")
    timeout = setting("HSMSHELL_CLOUDHSM_TIMEOUT", "timeout", DEFAULT_TIMEOUT)
    try:
        timeout = float(timeout)
    except (TypeError, ValueError):
        raise ConfigError("HSMSHELL_CLOUDHSM_TIMEOUT must be a number of seconds, "
                          f"not {str(timeout)[:20]!r}") from None
    if timeout <= 0:
        raise ConfigError("HSMSHELL_CLOUDHSM_TIMEOUT must be above 0")
    transcript = setting("HSMSHELL_CLOUDHSM_TRANSCRIPT", "transcript")
    cli = _argv(setting("HSMSHELL_CLOUDHSM_CLI_COMMAND", "cli_command", DEFAULT_CLI),
                "HSMSHELL_CLOUDHSM_CLI_COMMAND")
    return ToolSettings(tuple(cmu), tuple(kmu), timeout, env.on_server_failure,
                        Path(transcript).expanduser() if transcript else None, dict(environ), tuple(cli))


def _argv(command: str, name: str) -> list[str]:
    try:
        argv = shlex.split(str(command))
    except ValueError as exc:
        raise ConfigError(f"{name} cannot be split: {exc}") from None
    if not argv:
        raise ConfigError(f"{name} is empty")
    return argv
