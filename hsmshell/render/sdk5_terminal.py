"""What `hsmshell emulate cloudhsm-cli` prints: CloudHSM CLI's pretty-printed
`{"error_code": ..., "data": ...}` for every command (AWS's CloudHSM CLI pages), its
`aws-cloudhsm > ` prompt, its password prompts, and clap-style help. One stream (stdout)."""

from __future__ import annotations

from hsmshell.render.base import BaseRenderer, OneStreamTerminal
from hsmshell.render.sdk5_views import cli_json

PROMPT = "aws-cloudhsm > "
# hsmshell's references -> the words CloudHSM CLI uses, where the reference has them (§3.2)
AWS_WORDS = {"quorum-required": "Quorum approval is required for this operation",
             "signature-invalid": "Signature verification failed",
             "already-activated": "Cluster has already been activated"}
USAGE_ERRORS = ("parse-error", "unknown-command", "invalid-argument")


def error_text(error) -> str:
    """The `data` string of a failed command: AWS's words, else hsmshell's message."""
    if error.reference in AWS_WORDS:
        return AWS_WORDS[error.reference]
    if error.reference == "user-exists":
        return f"User already exists: {error.message}"
    return error.message


class CliTerminalRenderer(OneStreamTerminal, BaseRenderer):
    PROMPT = PROMPT                           # CloudHSM CLI asks no y/n question (no caution)

    def note(self, text: str) -> None:
        self.out(text)

    def result(self, result, source: str) -> None:
        if result.error is not None:
            self.error(result.error, result.command, source)
        elif result.kind == "help":
            self.out("\n".join(help_lines(result.data)))
        elif result.command == "quit":
            return
        else:
            self.out(cli_json(0, result.json_data()))

    def error(self, error, command, source: str) -> None:
        if error.reference in USAGE_ERRORS:    # clap's usage errors are text, not JSON
            self.out(f"error: {error.message}")
            if error.hint:
                self.out(f"\n{error.hint}")
            return
        self.out(cli_json(1, error_text(error)))


def help_lines(data: dict) -> list[str]:
    """clap's layout: about, usage, options (AWS's pages: the help text is clap-style)."""
    if "commands" in data:
        width = max((len(c["command"]) for c in data["commands"]), default=0) + 2
        return ["Usage: cloudhsm-cli <COMMAND>", "", "Commands:",
                *(f"  {c['command']:<{width}}{c['summary']}" for c in data["commands"]),
                f"  {'help':<{width}}Print this message or the help of the given subcommand(s)"]
    lines = [data["summary"][:1].upper() + data["summary"][1:], "",
             f"Usage: {data['syntax']}", "", "Options:"]
    for option in data.get("options", ()):
        lines.append(f"      {option['option']}")
        lines.append(f"          {option['help']}")
    lines.append("  -h, --help")
    lines.append("          Print help")
    return lines
