"""The `hsmshell` console script. A command line that may run warm (address.wanted) is handed to
the warm-start process with this process's stdin, stdout, stderr, working directory and
terminal; this process then only waits for the exit status, passing on the signals a person
sends it (Ctrl-C, kill). When no warm-start process answers, the command runs here exactly as
it always did, and one is started for the next command.

Nothing here may run a command twice: the fallback to running here is taken only before the
server has forked (it says so with its `P` line); after that this process waits.
"""

from __future__ import annotations

import os
import sys

from hsmshell.warmstart import address

SIGNALS_PASSED_ON = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
# What the server's environment keeps of the first client's: what its interpreter's start and
# its own settings read. No other variable (a password in @env:VAR) lives on in it.
SERVER_ENV_KEEP = ("PATH", "HOME", "HSMSHELL_RUNTIME_DIR", "XDG_RUNTIME_DIR", address.IDLE,
                   *address.START_VARIABLES)


def main() -> int:
    argv, environ = sys.argv[1:], os.environ
    if not address.wanted(argv, environ):
        return run_here(argv)
    try:
        status = run_warm(argv, environ)
    except OSError:
        status = None                          # nobody listening, or it went away before forking
    if status is not None:
        return status
    if environ.get(address.SWITCH) == "require":         # tests and the bench: no silent fallback
        sys.stderr.write("hsmshell: error[warm-start-unavailable]: no warm-start process took the command\n"
                         f"  hint: {address.SWITCH}=on starts one when none answers\n")
        return 5                               # ExitStatus.UNAVAILABLE (status.py: not imported here)
    status = run_here(argv)
    start_server(environ)
    return status


def run_here(argv: list[str]) -> int:
    from hsmshell.cli import main as cli_main
    return cli_main(argv)


def run_warm(argv: list[str], environ) -> int | None:
    """The command's exit status, or None when no warm-start process took the command."""
    import _socket
    key = address.start_key(environ)
    path = address.socket_path(environ, key)
    if path is None or not address.private_dir(os.path.dirname(path), create=False):
        return None
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    fds = []
    try:
        connection.connect(path)
        fds = [os.dup(0), os.dup(1), os.dup(2), os.open(".", os.O_RDONLY | os.O_DIRECTORY)]
        terminal = _open_terminal()
        if terminal is not None:
            fds.append(terminal)
        umask = os.umask(0o077)
        os.umask(umask)
        request = address.encode_request(key, argv, environ, umask, terminal is not None)
        ancillary = b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds)
        sent = connection.sendmsg([request], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, ancillary)])
        if sent < len(request):
            connection.sendall(request[sent:])
        for fd in fds:
            os.close(fd)
        fds = []
        replies = _Lines(connection)
        first = replies.next()
        if not first.startswith(b"P"):
            return None                        # R... refused before forking (stale code, other key)
        return _wait(replies, int(first[1:]))
    finally:
        for fd in fds:
            os.close(fd)
        connection.close()


def _open_terminal() -> int | None:
    """This process's terminal, for a password typed with echo off (the fork has none)."""
    try:
        return os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None


def _wait(replies: "_Lines", pid: int) -> int:
    import _signal

    def pass_on(number, frame):
        try:
            os.kill(pid, number)
        except OSError:
            pass
    for name in SIGNALS_PASSED_ON:
        _signal.signal(getattr(_signal, name), pass_on)
    try:
        last = replies.next()
    except OSError:
        last = b""
    if last.startswith(b"S") and last[1:].lstrip(b"-").isdigit():
        status = int(last[1:])
        if status >= 0:
            return status
        _signal.signal(-status, _signal.SIG_DFL)      # end as the command did: by its signal
        os.kill(os.getpid(), -status)
        return 128 - status
    sys.stderr.write("hsmshell: error[warm-start-lost]: the warm-start process ended before the command "
                     "reported its exit status\n  hint: `hsmshell audit show` says what the command did; "
                     f"{address.SWITCH}=off runs commands without it\n")
    return 1                                   # ExitStatus.HSM_ERROR: what ran is unknown


class _Lines:
    """Newline-ended replies from the server."""

    def __init__(self, connection) -> None:
        self.connection, self.pending = connection, b""

    def next(self) -> bytes:
        while b"\n" not in self.pending:
            chunk = self.connection.recv(4096)
            if not chunk:
                return b""
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line


def start_server(environ) -> None:
    """A warm-start process for the next command, detached from this one (own session, no
    terminal, /dev/null for its streams). Best effort: a failure here costs only speed."""
    if address.socket_path(environ, "") is None or not address.private_dir(address.runtime_dir(environ), create=True):
        return
    keep = {name: value for name, value in environ.items()
            if name in SERVER_ENV_KEEP or name.startswith(address.START_PREFIXES)}
    null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    try:
        os.posix_spawn(sys.executable, [sys.executable, "-P", "-m", "hsmshell.warmstart.server"], keep,
                       file_actions=null, setsid=True)
    except OSError:
        pass
