"""The line loop of an emulated tool: prompt, read a line, run it through the pipeline.

Input is read a line at a time from stdin (a pty or a pipe alike); questions (y/n,
Retry/Ignore/Abort, passwords) are read the same way, passwords without echo when stdin is a
terminal. Everything shown goes through the tool's renderer.
"""

from __future__ import annotations

import contextlib

from hsmshell.errors import UsageError
from hsmshell.server_failure import DEFAULT, question_for
from hsmshell.status import ExitStatus


class InputEnded(UsageError):
    reference = "input-ended"


class LineReader:
    def __init__(self, stdin, renderer=None):
        self.stdin = stdin
        self.renderer = renderer            # set once the tool's renderer exists

    def line(self) -> str | None:
        text = self.stdin.readline()
        return None if not text else text.rstrip("\r\n")

    def answer(self, question: str) -> str:
        self.renderer.ask(question)
        text = self.line()
        if text is None:
            raise InputEnded("input ended while a question was asked")
        return text

    def secret(self, prompt: str) -> str:
        with self._no_echo():               # echo off before the prompt: a script answers at once
            self.renderer.ask(prompt)
            text = self.line()
        self.renderer.out("")               # the Enter, not echoed (nor is anything from a pipe)
        if text is None:
            raise InputEnded("input ended while a password was asked")
        return text

    @contextlib.contextmanager
    def _no_echo(self):
        try:
            import termios
            fd = self.stdin.fileno()
            old = termios.tcgetattr(fd) if self.stdin.isatty() else None
        except (ImportError, OSError, ValueError, AttributeError):
            old = None
        if old is None:
            yield False                     # a pipe: nothing is echoed anyway
            return
        new = list(old)
        new[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSADRAIN, new)
        try:
            yield True
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)


class FailureQuestion:
    """CMU's `Retry/Ignore/Abort?(R/I/A):` when a write fails on one server (installed as the
    emulated cluster's failure prompt; see hsmshell/server_failure.py)."""

    def __init__(self, env, renderer):
        self.env, self.renderer = env, renderer

    def __call__(self, command: str, status) -> str:
        self.renderer.server_failed(command, status)
        return self.env.choose(*question_for(command), default=DEFAULT)


def run_lines(shell, tool, reader: LineReader) -> ExitStatus:
    """Prompt, read, run, until quit/exit or the end of input; the tool's exit status is 0."""
    renderer = shell.renderer
    number = 0
    while not shell.quitting:
        renderer.prompt(shell.backend.server_mode)
        line = reader.line()
        if line is None:                     # end of input: leave as quit does
            shell.run("quit" if "quit" in shell.table else "exit", f"{tool.name}:eof")
            break
        if not line.strip():
            continue
        number += 1
        if tool.name == "kmu":
            try:
                line = _boolean_value(line, reader, renderer)
            except InputEnded:
                break
        renderer.line = line.strip()         # CMU's progress line before a quorum refusal
        outcome = shell.run(line.strip(), f"{tool.name}:{number}")
        if _refused_by_quorum(shell, outcome):
            _ask_per_server(shell, outcome.command)
        renderer.flush()
    return ExitStatus.SUCCESS


BOOLEAN_ATTRIBUTES = frozenset({"1"})     # what KMU's setAttribute -a takes: OBJ_ATTR_TOKEN


def _boolean_value(line: str, reader: LineReader, renderer) -> str:
    """KMU's setAttribute asks the value of a boolean attribute (key_mgmt_util-setAttribute):
    `setAttribute -o 262154 -a 1` then the question; the answer becomes `-v`."""
    words = line.split()
    if not words or words[0] != "setAttribute" or "-v" in words or "-a" not in words[:-1]:
        return line
    if words[words.index("-a") + 1] not in BOOLEAN_ATTRIBUTES:
        return line
    renderer.out("         This attribute is defined as a boolean value.")
    answer = reader.answer("          Enter the boolean attribute value (0 or 1):")
    return f"{line.strip()} -v {answer.strip() or '-'}"


def run_commands(shell, tool, commands: list[str]) -> ExitStatus:
    """KMU's `singlecmd`: run the commands in turn, stop at the first failure."""
    status = ExitStatus.SUCCESS
    for number, command in enumerate(commands, start=1):
        status = shell.run(command, f"{tool.name}:singlecmd:{number}").status
        if status != ExitStatus.SUCCESS:
            break
    shell.renderer.flush()
    return status


def _refused_by_quorum(shell, outcome) -> bool:
    if outcome.error is None or outcome.error.reference != "quorum-required" or not outcome.command:
        return False
    spec = shell.table.specs.get(outcome.command)
    writes = spec and (spec.caution or spec.action.startswith("user."))
    return bool(writes and hasattr(shell.renderer, "quorum_refused"))


def _ask_per_server(shell, command: str) -> None:
    """The HSMs refused a quorum-protected write one after another: each
    failed server asks Retry/Ignore/Abort; nothing changes in between, so Retry fails again."""
    env, renderer = shell.env, shell.renderer
    selected = shell.backend.server_mode
    again = False                            # the first `<command> failed:` line is shown already
    try:
        for status in renderer.servers:
            if selected is not None and status.server != selected:
                continue
            while True:
                renderer.quorum_refused(command, status, again)
                again = True
                choice = env.choose(*question_for(command), default=DEFAULT)
                if choice != "retry":
                    break
            if choice == "abort":
                return
    except InputEnded:
        return
