"""What every renderer shares: where text goes, and the error line format."""

from __future__ import annotations

from hsmshell.errors import HsmshellError


class BaseRenderer:
    def __init__(self, env):
        self.env = env

    def out(self, text: str = "") -> None:
        self.env.stdout.write(text + "\n")

    def err(self, text: str = "") -> None:
        self.env.stderr.write(text + "\n")

    def error_line(self, error: HsmshellError, command: str | None, source: str) -> str:
        where = f"{source}: " if source and self.env.mode == "batch" else ""
        what = f"{command}: " if command and not error.message.startswith(command) else ""
        return f"{where}error[{error.reference}]: {what}{error.message}"

    def flush(self) -> None:
        self.env.stdout.flush()
