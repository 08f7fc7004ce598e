"""Batch mode: `-c "A; B"`, `run FILE` and `run -`. Stops at the first failure, naming
file:line, unless --continue-on-error; the exit status is the first failure's."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from hsmshell.errors import InvalidArgument
from hsmshell.parse.lexer import split_statements
from hsmshell.status import ExitStatus

MAX_BATCH_FILE = 64 * 1024 * 1024


@dataclass
class BatchSummary:
    ran: int = 0
    failed: int = 0
    denied: int = 0
    first_failure: ExitStatus = ExitStatus.SUCCESS
    stopped_at: str | None = None
    statuses: list[ExitStatus] = field(default_factory=list)

    def line(self) -> str:
        return f"ran {self.ran}, failed {self.failed}, denied {self.denied}"


def command_statements(text: str) -> list[tuple[str, str]]:
    return [(s, f"-c:{i}") for i, s in enumerate(split_statements(text), start=1)]


def file_statements(path: str, stdin) -> Iterator[tuple[str, str]]:
    """(line, "file:N") for each command line of a batch file; `-` reads standard input."""
    name = "<stdin>" if path == "-" else path
    for number, line in enumerate(_read_lines(path, stdin), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield stripped, f"{name}:{number}"


def _read_lines(path: str, stdin) -> Iterable[str]:
    if path == "-":
        return stdin.read().splitlines()
    file = Path(path)
    try:
        if file.stat().st_size > MAX_BATCH_FILE:
            raise InvalidArgument(f"batch file {path} is larger than {MAX_BATCH_FILE // 2**20} MiB")
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidArgument(f"cannot read batch file {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"batch file {path} is not UTF-8 text (byte {exc.start})") from None


def run_statements(shell, statements: Iterable[tuple[str, str]],
                   continue_on_error: bool = False) -> BatchSummary:
    summary = BatchSummary()
    for text, source in statements:
        outcome = shell.run(text, source)
        summary.ran += 1
        if outcome.status != ExitStatus.SUCCESS:
            summary.failed += 1
            if outcome.status in (ExitStatus.DENIED, ExitStatus.QUORUM):
                summary.denied += 1
            if summary.first_failure == ExitStatus.SUCCESS:
                summary.first_failure = outcome.status
                summary.stopped_at = source
            if not continue_on_error:
                break
        if shell.quitting:
            break
    return summary


def run_command_string(env, text: str):
    """`hsmshell -c "A; B"`: one process, stop at the first failure."""
    return _run(env, command_statements(text), False)


def run_batch_file(env, path: str, continue_on_error: bool):
    env.mode = "batch"
    return _run(env, file_statements(path, env.stdin), continue_on_error)


def _run(env, statements, continue_on_error: bool):
    from hsmshell.clusters import open_shell
    shell = open_shell(env)
    try:
        summary = run_statements(shell, statements, continue_on_error)
    finally:
        shell.close()
    if env.mode == "batch":
        stopped = f" (stopped at {summary.stopped_at})" if summary.stopped_at and not continue_on_error else ""
        shell.renderer.note(summary.line() + stopped)
    return summary.first_failure
