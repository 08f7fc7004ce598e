"""A fork of the warm-start process becoming the client's process: the client's stdin, stdout
and stderr on fds 0-2 (with text streams built as a fresh interpreter builds them), its working
directory, umask, environment, time zone and terminal, the default signal handlers; then the
same `cli.main` a cold start runs, and the exit status a cold start would have.
"""

from __future__ import annotations

import atexit
import io
import os
import signal
import sys
import time


def run(request: dict, fds: list[int]) -> int:
    stdin, stdout, stderr, cwd = fds[:4]
    for target, fd in ((0, stdin), (1, stdout), (2, stderr)):
        os.dup2(fd, target)
        os.close(fd)
    os.fchdir(cwd)
    os.close(cwd)
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["environ"])
    time.tzset()
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _standard_streams()
    if request["terminal"]:
        from hsmshell import environment
        environment.use_terminal(fds[4])
    sys.argv = ["hsmshell", *request["argv"]]
    from hsmshell.cli import main
    try:
        status = main(request["argv"])
    except SystemExit as stop:              # argparse's --help and usage errors
        status = _exit_status(stop.code)
    except KeyboardInterrupt:
        status = 130
    _flush()
    atexit._run_exitfuncs()
    return status


def _standard_streams() -> None:
    """sys.stdin/stdout/stderr on the new fds 0-2, as CPython's start-up makes them: the
    server's own (same locale, see address.start_key) give the encoding; line buffering on
    a terminal, and always for stderr."""
    def text(fd: int, like, errors: str | None = None):
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        return io.TextIOWrapper(buffered, encoding=like.encoding, errors=errors or like.errors, newline="\n",
                                line_buffering=raw.isatty() or fd == 2)
    sys.stdin = sys.__stdin__ = text(0, sys.__stdin__)
    sys.stdout = sys.__stdout__ = text(1, sys.__stdout__)
    sys.stderr = sys.__stderr__ = text(2, sys.__stderr__, "backslashreplace")


def _exit_status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):       # a reader that went away: nothing left to tell it
            pass
