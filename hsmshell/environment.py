"""One Environment passed everywhere (as httpie does): streams, clock, home, options, and the
two questions a command may ask a person (a hidden secret, the CAUTION y/n).

Tests build one with fake streams and answers; nothing else reads sys.* or os.environ.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Callable, TextIO

from hsmshell.errors import ConfirmationRequired
from hsmshell.record import field, record


@record
class Environment:
    home: Path
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: dict = field(default_factory=lambda: dict(os.environ))
    cluster: str = "default"
    roles_dir: Path | None = None
    backend: str = "emulator"
    pkcs11: dict = field(default_factory=dict)   # --pkcs11-module/--token/--pkcs11-profile
    output: str = "rich"                     # rich | json | classic
    color: bool = True
    pager: bool = True                       # page long output on a terminal (--no-pager)
    assume_yes: bool = False                 # --yes: answer the CAUTION question
    interactive: bool | None = None          # None: decide from stdin being a terminal
    mode: str = "command"                    # repl | batch | command | replay
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep      # waits (logs --follow); tests pass a fake
    on_server_failure: str = "abort"       # answer to Retry/Ignore/Abort when nobody can be asked
    ask_secret_fn: Callable[[str], str] | None = None
    ask_yes_no_fn: Callable[[str], str] | None = None

    def __post_init__(self) -> None:
        if self.interactive is None:
            self.interactive = _isatty(self.stdin)
        if "NO_COLOR" in self.environ:
            self.color = False

    @property
    def stdout_is_terminal(self) -> bool:
        return _isatty(self.stdout)

    @property
    def stderr_is_terminal(self) -> bool:
        return _isatty(self.stderr)

    def ask_secret(self, prompt: str) -> str:
        if self.ask_secret_fn is not None:
            return self.ask_secret_fn(prompt)
        if not self.interactive:
            raise ConfirmationRequired(
                "cannot ask for a password: no terminal",
                hint="give it as @env:VAR, @file:PATH or @keyring", reference="invalid-argument")
        return read_hidden(prompt)

    @property
    def can_confirm(self) -> bool:
        return self.assume_yes or self.ask_yes_no_fn is not None or bool(self.interactive)

    def confirm(self, question: str) -> bool:
        """The CMU y/n question; --yes answers it; without a terminal it cannot be asked."""
        if self.assume_yes:
            return True
        if self.ask_yes_no_fn is None and not self.interactive:
            raise ConfirmationRequired("this command changes the HSMs and needs confirmation")
        while True:
            answer = (self.ask_yes_no_fn or self._read_answer)(question).strip().lower()
            if answer in ("y", "n"):
                return answer == "y"
            self.stderr.write("Invalid option, please type 'y' or 'n'\n\n")   # CMU's blank line

    @property
    def can_ask(self) -> bool:
        return self.ask_yes_no_fn is not None or bool(self.interactive)

    def choose(self, question: str, choices: dict[str, str], default: str) -> str:
        """A one-letter question such as CMU's `Retry/Ignore/Abort?(R/I/A):`; returns the
        value of the letter answered (choices: letter -> value), or `default` after five
        answers that are none of them (input that has ended gives nothing else)."""
        for _ in range(5):
            answer = (self.ask_yes_no_fn or self._read_answer)(question).strip().lower()
            if answer in choices:
                return choices[answer]
            self.stderr.write(f"Invalid option, please type one of {'/'.join(c.upper() for c in choices)}\n")
        return default



    def _read_answer(self, question: str) -> str:
        self.stdout.write(question)
        self.stdout.flush()
        return self.stdin.readline() or "n"


# The terminal of the process that handed this one its command (a warm start's fork has no
# controlling terminal of its own, so /dev/tty, which getpass opens, is not it): warmstart/child.py.
# The terminal of the process that handed this one its command (a warm start's fork has no
# controlling terminal of its own, so /dev/tty, which getpass opens, is not it), with the job
# control the kernel would do for that process: `gate()` returns once its job is in the
# foreground (OSError EIO: it never can be), `wait_readable()` waits for input the same way
# (warmstart/terminal.py, set by warmstart/child.py).
_passed_terminal: tuple[int, Callable[[], None], Callable[[], None]] | None = None


def use_terminal(fd: int, gate: Callable[[], None], wait_readable: Callable[[], None]) -> None:
    global _passed_terminal
    _passed_terminal = (fd, gate, wait_readable)


def read_hidden(prompt: str) -> str:
    """A line typed on the terminal with echo off. When echo cannot be turned off (getpass
    would warn and read the password in the clear) it is refused instead."""
    if _passed_terminal is not None:
        try:
            return _read_hidden_on(*_passed_terminal, prompt)
        except OSError as error:
            raise ConfirmationRequired(
                f"cannot read the password on the terminal: {error.strerror or error}",
                hint="give it as @env:VAR, @file:PATH or @keyring", reference="invalid-argument") from None
    import getpass
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return getpass.getpass(prompt)
        except getpass.GetPassWarning:
            raise ConfirmationRequired(
                "cannot hide the password on this terminal: refused rather than echo it",
                hint="give it as @env:VAR, @file:PATH or @keyring", reference="invalid-argument") from None


def _read_hidden_on(fd: int, gate: Callable[[], None], wait_readable: Callable[[], None], prompt: str) -> str:
    """getpass's own way, on a terminal given by descriptor: echo off, prompt, one line, echo
    restored (also on Ctrl-C); the terminal is touched only while the caller is in the foreground."""
    import io
    import termios
    terminal = io.TextIOWrapper(io.FileIO(fd, "r+", closefd=False))
    gate()
    before = termios.tcgetattr(fd)
    quiet = before[:]
    quiet[3] &= ~termios.ECHO
    line = b""
    try:
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        terminal.write(prompt)
        terminal.flush()
        while not line.endswith(b"\n"):
            wait_readable()
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            line += chunk
    finally:
        try:
            gate()
        except OSError:
            pass
        termios.tcsetattr(fd, termios.TCSAFLUSH, before)
        terminal.write("\n")
        terminal.flush()
    if not line:
        raise EOFError
    return line.decode(terminal.encoding, "surrogateescape").rstrip("\n")


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
