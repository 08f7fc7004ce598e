"""`hsmshell emulate cloudhsm-cli`: a terminal program that behaves as CloudHSM CLI
(`cloudhsm-cli`, Client SDK 5) does, on an emulated cluster (AWS's CloudHSM CLI pages).

    hsmshell emulate cloudhsm-cli interactive        the `aws-cloudhsm > ` prompt
    hsmshell emulate cloudhsm-cli user list          one command; with CLOUDHSM_ROLE and
                                                     CLOUDHSM_PIN=user:password it logs in first

Every command prints `{"error_code": ..., "data": ...}`; the exit status is 0 only when
error_code is 0. As for `emulate cmu|kmu`, only the HSM's own rules apply (hsm_policy.py).
The password from CLOUDHSM_PIN answers the login's password prompt: it is never part of a
command line, the audit log or the screen.
"""

from __future__ import annotations

from hsmshell.errors import InvalidArgument
from hsmshell.parse.lexer import quote
from hsmshell.status import ExitStatus

PIN_VARIABLE, ROLE_VARIABLE = "CLOUDHSM_PIN", "CLOUDHSM_ROLE"


def run(env, shell, reader, words: list[str]) -> ExitStatus:
    from hsmshell.emulate.terminal import run_lines
    from hsmshell.emulate.tools import CLOUDHSM_CLI

    if words[:1] == ["interactive"]:
        if len(words) > 1:
            raise InvalidArgument(f"interactive takes no arguments, not '{words[1][:32]}'")
        return run_lines(shell, CLOUDHSM_CLI, reader)
    if not words or words[:1] in (["--help"], ["-h"], ["help"]):
        shell.run("help" + "".join(f" {quote(w)}" for w in words[1:]), "cloudhsm-cli:help")
        return ExitStatus.SUCCESS if words else ExitStatus.USAGE
    status = _login_from_environment(env, shell)
    if status is not None:
        return status
    outcome = shell.run(" ".join(quote(w) for w in words), "cloudhsm-cli:command")
    shell.renderer.flush()
    return outcome.status


def _login_from_environment(env, shell) -> ExitStatus | None:
    """Single-command mode's login from CLOUDHSM_ROLE and CLOUDHSM_PIN (None: logged in, or
    nothing to log in with); its JSON is not shown, only a failure is."""
    pin, role = env.environ.get(PIN_VARIABLE), env.environ.get(ROLE_VARIABLE)
    if not pin:
        return None
    username, colon, password = pin.partition(":")
    if not colon or not username:
        raise InvalidArgument(f"{PIN_VARIABLE} must be <username>:<password>")
    line = f"login --username {quote(username)} --role {quote(role or 'crypto-user')}"
    renderer = shell.renderer
    answers = iter([password])
    original = env.ask_secret_fn
    shell.env.ask_secret_fn = lambda prompt: next(answers, "")
    shell.renderer = _Silent(renderer)
    try:
        outcome = shell.run(line, "cloudhsm-cli:login")
    finally:
        shell.renderer = renderer
        shell.env.ask_secret_fn = original
    if outcome.error is not None:
        renderer.error(outcome.error, "login", "cloudhsm-cli:login")
        return outcome.status
    return None


class _Silent:
    """The renderer of the implicit login: shows nothing (a failure is shown afterwards)."""

    def __init__(self, renderer):
        self._renderer = renderer

    def __getattr__(self, name):
        if name in ("result", "error", "out", "note", "caution", "flush"):
            return lambda *args, **kwargs: None
        return getattr(self._renderer, name)
