"""Output of the `hsmshell <subcommand>` reports (credentials, audit ...): the JSON envelope of
docs/architecture.md, or plain lines for people. Errors go through cli.report_error like any other."""

from __future__ import annotations

from hsmshell import jsontext
from hsmshell.status import ExitStatus


def envelope(command: str, data: dict | None, error: dict | None = None,
             status: int = ExitStatus.SUCCESS) -> str:
    return jsontext.line({"command": command, "source": "hsmshell", "error_code": int(status),
                          "data": data, "error": error})


def report(env, command: str, data: dict, lines: list[str]) -> None:
    """One JSON object with `--output json`; otherwise the lines, on stdout."""
    if env.output == "json":
        env.stdout.write(envelope(command, data) + "\n")
    elif lines:
        env.stdout.write("\n".join(lines) + "\n")
