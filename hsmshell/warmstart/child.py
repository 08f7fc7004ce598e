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
import select
import signal
import sys
import time

from hsmshell.warmstart import address

BODY_SECONDS = 10.0


def serve_one(channel) -> int:
    """Wait for one request (EOF when the server ends first), run it; the exit status."""
    try:
        header, fds = address.receive_framed(channel, address.MAX_HEADER, with_fds=True)
    except (OSError, ValueError):
        return 70
    channel.close()
    *stdio, connection = fds
    os.set_inheritable(connection, False)
    import socket
    client = socket.socket(fileno=connection)
    try:
        client.settimeout(BODY_SECONDS)
        body, _ = address.receive_framed(client, address.MAX_BODY, with_fds=False)
        request = address.decode_body(body)
        client.settimeout(None)
    except (OSError, ValueError) as error:  # a request cut short runs nowhere, and says so
        os.write(stdio[2], f"hsmshell: error[warm-start-failed]: the command did not run: its request "
                           f"could not be read ({type(error).__name__}: {error})\n".encode())
        for fd in stdio:
            os.close(fd)
        return 70
    try:
        client.sendall(b"P%d\n" % os.getpid())   # the caller relays signals to this pid
    except OSError:
        pass
    if not _end_with(request["pid"]):
        for fd in stdio:                    # its caller is gone: nobody waits for it
            os.close(fd)
        return 70
    status = run(request, stdio, address.decode_header(header)["terminal"])
    try:
        client.sendall(b"S%d\n" % status)   # read even if the server has gone
    except OSError:
        pass
    return status


def _end_with(caller: int) -> bool:
    """A caller that dies (kill -9) takes its command with it, as it would a cold start's: a
    thread of this fork waits on the caller's pidfd (also when the server has died). False
    when the caller is gone already."""
    import threading
    try:
        watched = os.pidfd_open(caller)
    except (OSError, AttributeError):
        return False

    def watch() -> None:
        select.select([watched], [], [])
        os.kill(os.getpid(), signal.SIGKILL)
    threading.Thread(target=watch, name="caller-watch", daemon=True).start()
    return True


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
    from hsmshell.warmstart import terminal as job_control

    def gate() -> None:
        job_control.wait_for_foreground(request["pid"], request["pgrp"])
    _standard_streams(gate)
    if terminal:
        from hsmshell import environment
        environment.use_terminal(fds[4], gate, lambda: job_control.readable(fds[4], gate))
    sys.argv = ["hsmshell", *request["argv"]]


def _limits(request: dict) -> None:
    """The client's resource limits and priority (as far as this process may take them)."""
    import resource
    for number, soft, hard in request["limits"]:
        try:
            resource.setrlimit(number, (soft, hard))
        except (OSError, ValueError):       # a hard limit this process cannot reach: the soft one
            try:                            # still applies (the server refuses what it cannot give)
                current = resource.getrlimit(number)[1]
                resource.setrlimit(number, (soft if current == resource.RLIM_INFINITY or 0 <= soft <= current
                                            else current, current))
            except (OSError, ValueError):
                pass
    try:
        if request["priority"] > os.getpriority(os.PRIO_PROCESS, 0):
            os.setpriority(os.PRIO_PROCESS, 0, request["priority"])
    except OSError:
        pass


def _standard_streams(gate) -> None:
    """sys.stdin/stdout/stderr on the new fds 0-2, as CPython's start-up makes them: the
    server's own (same locale and PYTHON* settings: address.start_key) give the encoding and
    buffering (-u, PYTHONUNBUFFERED: no buffer at all); line buffering on a terminal, and always
    for stderr; a terminal on stdin is read only while the caller is in the foreground."""
    from hsmshell.warmstart.terminal import TerminalReader
    buffered = not sys.__stdout__.write_through

    def text(fd: int, like, errors: str | None = None):
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        tty = raw.isatty()
        if fd == 0:
            stream = io.BufferedReader(TerminalReader(gate) if tty else raw)
        else:
            stream = io.BufferedWriter(raw) if buffered else raw
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
    sys.stderr.write(f"{code}\n")       # what the interpreter does with SystemExit("text")
    return 1


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):       # a reader that went away: nothing left to tell it
            pass
