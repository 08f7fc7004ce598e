"""Batch mode: `-c "A; B"`, `run FILE` and `run -`. Stops at the first failure, naming
file:line, the command and the error, unless --continue-on-error; the exit status is the
first failure's. Reading the file (continuations, variables, includes) is modes/batchfile.py;
`--dry-run` is modes/dryrun.py."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from hsmshell.errors import HsmshellError
from hsmshell.parse.binder import parse_line
from hsmshell.parse.lexer import split_statements, tokenize
from hsmshell.record import record
from hsmshell.status import ExitStatus

REFUSED = (ExitStatus.DENIED, ExitStatus.QUORUM)
WARN_LINES = 3                  # a literal-password warning names at most this many lines
LITERAL_WARNING = ("warning: {where} {verb} a password written in the batch file; keep it out of "
                   "the file with @keyring (the user's stored password), @keyring:NAME or @env:VAR "
                   "(`hsmshell credentials set NAME` stores one)")


@record
class BatchSummary:
    ran: int = 0
    failed: int = 0
    denied: int = 0
    first_failure: ExitStatus = ExitStatus.SUCCESS
    stopped_at: str | None = None
    stopped_command: str | None = None

    def count(self, status: ExitStatus, source: str, command: str | None) -> None:
        self.ran += 1
        self.note(status, source, command)

    def note(self, status: ExitStatus, source: str, command: str | None) -> None:
        if status == ExitStatus.SUCCESS:
            return
        self.failed += 1
        if status in REFUSED:
            self.denied += 1
        if self.first_failure == ExitStatus.SUCCESS:
            self.first_failure, self.stopped_at, self.stopped_command = status, source, command

    def line(self, stopped: bool = False) -> str:
        text = f"ran {self.ran}, failed {self.failed}, denied {self.denied}"
        if stopped and self.stopped_at:
            text += f"; stopped at {self.stopped_at} ({self.stopped_command or 'unparsed line'})"
        return text


def command_statements(text: str) -> list[tuple[str, str]]:
    return [(s, f"-c:{i}") for i, s in enumerate(split_statements(text), start=1)]


def run_statements(shell, statements: Iterable[tuple[str, str]], continue_on_error: bool = False,
                   advance: Callable[[], None] = lambda: None) -> BatchSummary:
    summary = BatchSummary()
    source = "end"
    with shell.grouped_commits():       # several commands per transaction (transactions.py)
        for text, source in statements:
            outcome = shell.run(text, source)
            summary.count(outcome.status, source, outcome.command)
            advance()
            if outcome.status != ExitStatus.SUCCESS and not continue_on_error:
                break
            if shell.quitting:
                break
        failed = shell.commit_group(None, source)
    if failed is not None:              # the last commands' records could not be written
        summary.note(failed.status, source, None)
    return summary


def run_command_string(env, text: str):
    """`hsmshell -c "A; B"`: one process, stop at the first failure."""
    from hsmshell.clusters import open_shell
    shell = open_shell(env)
    try:
        return run_statements(shell, command_statements(text)).first_failure
    finally:
        shell.close()


def run_batch_file(env, path: str, continue_on_error: bool, dry_run: bool = False):
    from hsmshell.modes.batchfile import read_batch
    env.mode = "batch"
    script = read_batch(path, env.environ, env.stdin)
    if dry_run:
        from hsmshell.modes.dryrun import run_dry
        return run_dry(env, script, continue_on_error)
    from hsmshell.clusters import open_shell
    from hsmshell.render.progress import batch_progress
    shell = open_shell(env)
    try:
        warn_literal_passwords(shell.table, shell.renderer, script.statements)
        pairs = [(s.text, s.source) for s in script.statements]
        with batch_progress(shell.renderer, len(pairs), f"running {Path(path).name}") as advance:
            summary = run_statements(shell, pairs, continue_on_error, advance)
    finally:
        shell.close()
    shell.renderer.note(summary.line(stopped=not continue_on_error))
    return summary.first_failure


def literal_password_sources(table, statements, most: int = WARN_LINES + 1) -> list[str]:
    """Where a batch file holds a password in clear (a literal secret that did not come from
    ${env:VAR}): the first `most` such lines."""
    secret_commands = {spec.name for spec in table if any(arg.secret for arg in spec.args)}
    found = []
    for statement in statements:
        if len(found) >= most:
            break
        try:
            if table.lookup(tokenize(statement.text)[0]).name not in secret_commands:
                continue
            invocation = parse_line(statement.text, table)
        except (HsmshellError, IndexError):
            continue                         # the run reports it, audited
        if any(ref.source == "literal" and ref.literal not in statement.env_values
               for ref in invocation.secrets.values()):
            found.append(statement.source)
    return found


def warn_literal_passwords(table, renderer, statements) -> None:
    sources = literal_password_sources(table, statements)
    if not sources:
        return
    where = ", ".join(sources[:WARN_LINES]) + (" and more lines" if len(sources) > WARN_LINES else "")
    renderer.note(LITERAL_WARNING.format(where=where, verb="has" if len(sources) == 1 else "have"))
