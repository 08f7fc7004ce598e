"""What every renderer shares: where text goes, and the error line format."""

from __future__ import annotations

from hsmshell.errors import HsmshellError


class BaseRenderer:
    _held: list[str] | None = None           # stdout text waiting for release()

    def __init__(self, env):
        self.env = env

    # A batch group's results are shown together (pipeline.py): held, then written at once
    # (one write instead of one per line; a line written through a pipe costs a system call
    # when Python's streams are unbuffered). Anything for stderr writes what waits first, so
    # the two streams keep their order.
    def hold(self) -> None:
        if self._held is None:
            self._held = []

    def release(self) -> None:
        held, self._held = self._held, None
        if held:
            self.env.stdout.write("".join(held))
            self.env.stdout.flush()

    def _write_out(self, text: str) -> None:
        if self._held is not None:
            self._held.append(text)
        else:
            self.env.stdout.write(text)

    def _flush_held(self) -> None:
        if self._held:
            self.release()
            self.hold()

    def out(self, text: str = "") -> None:
        self._write_out(text + "\n")

    def err(self, text: str = "") -> None:
        self._flush_held()
        self.env.stderr.write(text + "\n")

    def error_line(self, error: HsmshellError, command: str | None, source: str) -> str:
        where = f"{source}: " if source and self.env.mode == "batch" else ""
        what = f"{command}: " if command and not error.message.startswith(command) else ""
        return f"{where}error[{error.reference}]: {what}{error.message}"

    def flush(self) -> None:
        self._flush_held()
        self.env.stdout.flush()


class OneStreamTerminal:
    """The emulated tools' terminal I/O (put before the renderer in the bases): everything on
    one stream (stdout), the tool's PROMPT and its questions written without a newline, and no
    CAUTION banner unless the tool overrides caution()."""

    PROMPT = ""

    def err(self, text: str = "") -> None:
        self.out(text)                         # the real tools write everything to one stream

    def write(self, text: str) -> None:
        self._flush_held()
        self.env.stdout.write(text)
        self.env.stdout.flush()

    def prompt(self, server_mode: int | None = None) -> None:
        self.write(self.PROMPT)

    def ask(self, question: str) -> None:
        self.write(question)

    def caution(self, command: str, what: str | None = None) -> None:
        pass
