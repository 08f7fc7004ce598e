"""The progress bar of long batch runs: only for rich output on a terminal, never in JSON
output or when stdout is a file or a pipe (so captured output stays exactly the results)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

MIN_STATEMENTS = 50            # shorter runs finish before a bar would help


def wants_progress(renderer, total: int) -> bool:
    console = getattr(renderer, "console", None)
    env = renderer.env
    return (env.output == "rich" and console is not None and total >= MIN_STATEMENTS
            and env.stdout_is_terminal and console.is_terminal)


@contextmanager
def batch_progress(renderer, total: int, label: str) -> Iterator[Callable[[], None]]:
    """Yields `advance()`, called once per statement run."""
    if not wants_progress(renderer, total):
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    # the renderer prints results through this same console, so they scroll above the bar
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=renderer.console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)
