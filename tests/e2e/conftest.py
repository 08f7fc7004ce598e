"""End-to-end tier: the real REPL in a pseudo-terminal, driven by pexpect.

What the program writes is fed to a VT100 emulator (pyte), so a test reads the screen as a
person sees it (prompt_toolkit draws with cursor movements, not plain text). Every wait is
for something to appear on the screen, with a generous deadline; there are no sleeps.
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
from pathlib import Path

import pexpect
import pyte
import pytest

ROWS, COLUMNS = 60, 140
CPR_REQUEST = "\x1b[6n"            # "where is the cursor?"; xterm answers ESC [ row ; col R
# seconds to wait for anything: generous, so a slow shared machine does not fail a test
DEADLINE = float(os.environ.get("E2E_DEADLINE", "30"))


class _Screen(pyte.Screen):
    """A pyte screen that counts the lines scrolled off the top, so rows have absolute numbers."""

    scrolled = 0

    def index(self) -> None:
        top, bottom = self.margins or pyte.screens.Margins(0, self.lines - 1)
        if self.cursor.y == bottom:
            self.scrolled += 1
        super().index()


class Terminal:
    """One `hsmshell` REPL in a pty, with its own state dir."""

    def __init__(self, home: Path, *args: str, env: dict | None = None, pycache: Path | None = None,
                 answer_cpr: bool = False):
        self.home = home
        self.answer_cpr = answer_cpr        # answer cursor-position requests, as xterm does
        environ = {k: v for k, v in os.environ.items()
                   if not k.startswith("HSMSHELL_") and k != "PYTHONDONTWRITEBYTECODE"}
        environ.update({"TERM": "xterm", **(env or {})})
        if not answer_cpr:
            environ["PROMPT_TOOLKIT_NO_CPR"] = "1"
        if pycache is not None:             # compile the modules once per test run, not per test
            environ["PYTHONPYCACHEPREFIX"] = str(pycache)
        self.raw = io.StringIO()            # every character the program wrote, escapes and all
        self.screen = _Screen(COLUMNS, ROWS)
        self.stream = pyte.Stream(self.screen)
        self.submitted_row = -1             # the line last sent with Enter
        self.child = pexpect.spawn(sys.executable, ["-m", "hsmshell", "--home", str(home), *args],
                                   env=environ, encoding="utf-8", codec_errors="replace",
                                   dimensions=(ROWS, COLUMNS), timeout=DEADLINE)
        self.child.delaybeforesend = None   # waits are on the screen, not on timers

    # -- reading the screen ----------------------------------------------------------------------
    def _pump(self, timeout: float) -> None:
        try:
            data = self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return
        self.raw.write(data)
        if self.answer_cpr and CPR_REQUEST in data:
            before, *rest = data.split(CPR_REQUEST)
            self.stream.feed(before)
            for after in rest:          # report where the cursor is at each request
                self.child.send(f"\x1b[{self.screen.cursor.y + 1};{self.screen.cursor.x + 1}R")
                self.stream.feed(after)
            return
        self.stream.feed(data)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(line for line in self.lines() if line)

    def cursor_line(self) -> str:
        return self.screen.display[self.screen.cursor.y].rstrip()

    def row(self) -> int:
        return self.screen.scrolled + self.screen.cursor.y

    def wait_for(self, predicate, what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{self.text()}")
            try:
                self._pump(min(left, 1.0))
            except pexpect.EOF:
                if predicate():
                    return
                raise AssertionError(f"hsmshell exited while waiting for {what}; the screen shows:\n"
                                     f"{self.text()}") from None

    def wait_text(self, pattern: str) -> re.Match:
        """Wait until the screen contains `pattern` (a regular expression)."""
        found: list[re.Match] = []

        def seen() -> bool:
            match = re.search(pattern, self.text())
            if match:
                found.append(match)
            return match is not None
        self.wait_for(seen, f"/{pattern}/")
        return found[0]

    def wait_input(self, expected: str) -> None:
        """Wait until a line below the last one submitted is being edited and reads `expected`,
        with the cursor at its end (so the program waits for the next key)."""
        self.wait_for(lambda: self.row() > self.submitted_row
                      and self.cursor_line() == expected.rstrip()
                      and self.screen.cursor.x == len(expected),
                      f"the input line {expected!r}")

    def wait_prompt(self, who: str, cluster: str = "default") -> str:
        prompt = f"{cluster}:{who}> "
        self.wait_input(prompt)
        return prompt

    # -- typing ----------------------------------------------------------------------------------
    def type(self, text: str) -> None:
        self.child.send(text)

    def tab(self) -> None:
        """Press Tab. The shell completes a single candidate before it reads the next key
        (ui/completer.py), so the test may type on at once."""
        self.child.send("\t")

    def complete(self, line: str, typed: str, completed: str) -> str:
        """On an input line reading `line`, type `typed`, press Tab and wait until the line reads
        `line + completed`; returns that."""
        self.type(typed)
        self.wait_input(line + typed)
        self.tab()
        self.wait_input(line + completed)
        return line + completed

    def submit(self, text: str, echo: str | None = None) -> None:
        """Type `text`, wait until the line shows it (or `echo`: asterisks for a hidden
        input), then press Enter."""
        self.type(text)
        shown = text if echo is None else echo
        self.wait_for(lambda: self.cursor_line().endswith(shown.rstrip())
                      and self.row() > self.submitted_row, f"the typed text {shown!r}")
        self.submitted_row = self.row()
        self.child.send("\r")

    def command(self, text: str, then: str) -> None:
        """Run one command at the prompt and wait for the next prompt (`then`: who is logged in)."""
        self.submit(text)
        self.wait_prompt(then)

    def control(self, char: str) -> None:
        if char.lower() in "cd":             # both end the line being edited
            self.submitted_row = self.row()
        self.child.sendcontrol(char)

    # -- ending ------------------------------------------------------------------------------------
    def wait_exit(self) -> int:
        deadline = time.monotonic() + DEADLINE
        while True:
            if time.monotonic() > deadline:
                raise AssertionError(f"hsmshell did not exit; the screen shows:\n{self.text()}")
            try:
                self._pump(1.0)
            except pexpect.EOF:
                break
        self.child.close()
        if self.child.exitstatus is None:
            raise AssertionError(f"hsmshell was killed by signal {self.child.signalstatus}")
        return self.child.exitstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()


@pytest.fixture(scope="session")
def pycache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture
def terminal(tmp_path, pycache):
    """Start the REPL on a fresh state dir; the test drives it, the fixture cleans up."""
    started: list[Terminal] = []

    def start(*args: str, home: Path | None = None, env: dict | None = None,
              answer_cpr: bool = False) -> Terminal:
        term = Terminal(home or tmp_path / "home", *args, env=env, pycache=pycache, answer_cpr=answer_cpr)
        started.append(term)
        return term
    yield start
    for term in started:
        term.close()
