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


class OneStreamTerminal:
    """The emulated tools' terminal I/O (put before the renderer in the bases): everything on
    one stream (stdout), the tool's PROMPT and its questions written without a newline, and no
    CAUTION banner unless the tool overrides caution()."""

    PROMPT = ""

    def err(self, text: str = "") -> None:
        self.out(text)                         # the real tools write everything to one stream

    def write(self, text: str) -> None:
        self.env.stdout.write(text)
        self.env.stdout.flush()

    def prompt(self, server_mode: int | None = None) -> None:
        self.write(self.PROMPT)

    def ask(self, question: str) -> None:
        self.write(question)

    def caution(self, command: str, what: str | None = None) -> None:
        pass
