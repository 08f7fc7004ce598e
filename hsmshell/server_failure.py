"""What to do when one server fails a write command (CMU asks `Retry/Ignore/Abort?(R/I/A)`).

In the REPL the question is asked, through the Environment like the CAUTION confirmation.
Without anyone to ask (batch, -c, --json runs) the configured answer is used:
`--on-server-failure abort|ignore` or $HSMSHELL_ON_SERVER_FAILURE; the default is abort.
  retry   try the same server again
  ignore  go on with the next servers (the failed one misses the change: users drift)
  abort   stop; the servers after it are not tried (reported as not-attempted)
Servers that already succeeded keep the change either way, as on CloudHSM.
"""

from __future__ import annotations

from hsmshell.errors import ConfigError

QUESTION = "Retry/Ignore/Abort?(R/I/A):"
CHOICES = {"r": "retry", "i": "ignore", "a": "abort"}
# deleteUser asks this instead (AWS's quorum page); rollBack has no documented meaning:
# hsmshell stops there, as abort does (servers that succeeded keep the change).
ROLLBACK_QUESTION = "Retry/rollBack/Ignore?(R/B/I):"
ROLLBACK_CHOICES = {"r": "retry", "b": "abort", "i": "ignore"}
ROLLBACK_COMMANDS = frozenset({"deleteUser"})


def question_for(command: str) -> tuple[str, dict[str, str]]:
    if command in ROLLBACK_COMMANDS:
        return ROLLBACK_QUESTION, ROLLBACK_CHOICES
    return QUESTION, CHOICES
CONFIGURABLE = ("abort", "ignore")            # retry would loop without a person to stop it
DEFAULT = "abort"
ENV_VAR = "HSMSHELL_ON_SERVER_FAILURE"


def configured_choice(option: str | None, environ: dict) -> str:
    value = (option or environ.get(ENV_VAR) or DEFAULT).strip().lower()
    if value not in CONFIGURABLE:
        raise ConfigError(f"on-server-failure must be abort or ignore, not '{value[:20]}'",
                          hint=f"--on-server-failure abort|ignore, or {ENV_VAR}")
    return value


class ServerFailurePrompt:
    """Installed on the emulated cluster by the shell: (command, failed status) -> choice."""

    def __init__(self, env, renderer):
        self.env = env
        self.renderer = renderer

    def __call__(self, command: str, status) -> str:
        self.renderer.note(f"{command} failed on server {status.server}({status.ip}): {status.error.message}")
        if self.env.can_ask:
            return self.env.choose(QUESTION, CHOICES, default=DEFAULT)
        choice = self.env.on_server_failure
        self.renderer.note(f"{QUESTION}{choice[0].upper()}   (non-interactive: --on-server-failure {choice})")
        return choice
