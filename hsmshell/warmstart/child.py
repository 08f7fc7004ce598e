"""A spare fork of the warm-start process becoming the client's process: it waits for a request
on its channel, reads the request's body itself (the server never holds argv or environment),
takes the client's stdin, stdout and stderr on fds 0-2 (text streams built as a fresh
interpreter builds them), its working folder, umask, resource limits, priority, environment,
time zone, ignored signals and terminal, runs the same `cli.main` a cold start runs, and
reports the exit status on the client's connection itself (the server reports it too, and a
death by signal).
"""

from __future__ import annotations

import atexit
import io
import os
import signal
import sys
import time

from hsmshell.warmstart import address
from hsmshell.warmstart.server import receive_framed

BODY_SECONDS = 10.0


def serve_one(channel) -> int:
    """Wait for one request (EOF when the server ends first), run it; the exit status."""
    try:
        header, fds = receive_framed(channel, address.MAX_HEADER, with_fds=True)
    except (OSError, ValueError):
        return 70
    channel.close()
    *stdio, connection = fds
    os.set_inheritable(connection, False)
    import socket
    client = socket.socket(fileno=connection)
    try:
        client.settimeout(BODY_SECONDS)
        body, _ = receive_framed(client, address.MAX_BODY, with_fds=False)
        request = address.decode_body(body)
        client.settimeout(None)
    except (OSError, ValueError) as error:  # a request cut short runs nowhere, and says so
        os.write(stdio[2], f"hsmshell: error[warm-start-failed]: the command did not run: its request "
                           f"could not be read ({type(error).__name__}: {error})\n".encode())
        for fd in stdio:
            os.close(fd)
        return 70
    status = run(request, stdio, address.decode_header(header)["terminal"])
    try:
        client.sendall(b"S%d\n" % status)   # read even if the server has gone
    except OSError:
        pass
    return status


def run(request: dict, fds: list[int], terminal: bool) -> int:
    try:
        _become_the_client(request, fds, terminal)
        from hsmshell.cli import main
        status = main(request["argv"])
    except SystemExit as stop:              # argparse's --help and usage errors
        status = _exit_status(stop.code)
    except KeyboardInterrupt:
        status = 130
    except BaseException:                   # what a cold start would print before it died
        import traceback
        traceback.print_exc()
        status = 1
    _flush()
    atexit._run_exitfuncs()
    return status


def _become_the_client(request: dict, fds: list[int], terminal: bool) -> None:
    stdin, stdout, stderr, cwd = fds[:4]
    for target, fd in ((0, stdin), (1, stdout), (2, stderr)):
        os.dup2(fd, target)
        os.close(fd)
    os.fchdir(cwd)
    os.close(cwd)
    os.umask(request["umask"])
    _limits(request)
    os.environ.clear()
    os.environ.update(request["environ"])
    time.tzset()
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for number in request["ignored"]:     # nohup's, a background job's: as a cold start keeps them
        signal.signal(number, signal.SIG_IGN)
    _standard_streams(request["pid"], request["pgrp"])
    if terminal:
        from hsmshell import environment
        environment.use_terminal(fds[4], lambda: wait_for_foreground(request["pid"], request["pgrp"]))
    sys.argv = ["hsmshell", *request["argv"]]


def _limits(request: dict) -> None:
    """The client's resource limits and priority (as far as this process may take them)."""
    import resource
    for number, soft, hard in request["limits"]:
        try:
            resource.setrlimit(number, (soft, hard))
        except (OSError, ValueError):
            pass
    try:
        if request["priority"] > os.getpriority(os.PRIO_PROCESS, 0):
            os.setpriority(os.PRIO_PROCESS, 0, request["priority"])
    except OSError:
        pass


def wait_for_foreground(client: int, pgrp: int) -> None:
    """Before reading the caller's terminal: while the caller's job is in the background, stop
    it as the kernel stops a background reader (SIGTTIN) and wait until it is brought back.
    (This fork is in no terminal's session: the kernel does not do it, and tcgetpgrp() answers
    only for one's own terminal, so the caller's /proc entry says who is in the foreground.)"""
    while True:
        try:
            with open(f"/proc/{client}/stat") as stat:
                foreground = int(stat.read().rsplit(")", 1)[1].split()[5])     # tpgid
            if foreground in (pgrp, -1):                                       # or no terminal
                return
            os.killpg(pgrp, signal.SIGTTIN)
        except (OSError, ValueError, IndexError):
            return                          # the caller is gone: the server ends this fork
        time.sleep(0.1)


class _TerminalReader(io.RawIOBase):
    """fd 0 when it is the caller's terminal: every read waits until the caller is in the
    foreground, so a background job does not read what is typed at the shell."""

    def __init__(self, client: int, pgrp: int) -> None:
        super().__init__()
        self.client, self.pgrp = client, pgrp

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return 0

    def isatty(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wait_for_foreground(self.client, self.pgrp)
        return os.readv(0, [buffer])


def _standard_streams(client: int, pgrp: int) -> None:
    """sys.stdin/stdout/stderr on the new fds 0-2, as CPython's start-up makes them: the
    server's own (same locale and PYTHON* settings: address.start_key) give the encoding and
    buffering; line buffering on a terminal, and always for stderr."""
    buffered = not sys.__stdout__.write_through        # -u / PYTHONUNBUFFERED: written through

    def text(fd: int, like, errors: str | None = None):
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        tty = raw.isatty()
        if fd == 0:
            stream = io.BufferedReader(_TerminalReader(client, pgrp) if tty else raw)
        else:
            stream = io.BufferedWriter(raw)
        return io.TextIOWrapper(stream, encoding=like.encoding, errors=errors or like.errors, newline="\n",
                                line_buffering=buffered and (tty or fd == 2), write_through=not buffered)
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
