"""The `hsmshell` command (bin/hsmshell). A command line that may run warm (address.wanted) is
handed to the warm-start process with this process's stdin, stdout, stderr, working folder and
terminal; this process then only waits for the exit status, passing on the signals a person or
a script sends it (Ctrl-C, kill, hang-up, Ctrl-Z). When no warm-start process takes the command,
it runs here exactly as it always did, and one is started for the next command.

Nothing here may run a command twice: the command runs here only when the server refused it
in so many words (`R ...`) or could not be reached; once it may have run, this process waits,
and if the answer is lost it says so instead of running it again.
"""

from __future__ import annotations

import os
import sys

from hsmshell.warmstart import address

# What the server's environment keeps of the first client's: what its interpreter's start and
# its own settings read. No other variable (a password in @env:VAR) lives on in it.
SERVER_ENV_KEEP = ("PATH", "HOME", "HSMSHELL_RUNTIME_DIR", "XDG_RUNTIME_DIR", address.IDLE,
                   *address.START_VARIABLES)
LOST = 1                # ExitStatus.HSM_ERROR (status.py, not imported here): what ran is unknown
UNAVAILABLE = 5         # ExitStatus.UNAVAILABLE


def main() -> int:
    argv, environ = sys.argv[1:], os.environ
    if not address.wanted(argv, environ):
        return run_here(argv)
    try:
        status = run_warm(argv, environ)
    except Exception:               # before any request was sent (run_warm catches the rest)
        status = None
    if status is not None:
        return status
    if environ.get(address.SWITCH) == "require":         # tests and the bench: no silent fallback
        sys.stderr.write("hsmshell: error[warm-start-unavailable]: no warm-start process took the command\n"
                         f"  hint: {address.SWITCH}=on starts one when none answers; docs/performance.md "
                         "(Warm start) says when a command runs in its caller instead\n")
        return UNAVAILABLE
    status = run_here(argv)
    start_server(environ)
    return status


def run_here(argv: list[str]) -> int:
    from hsmshell.cli import main as cli_main
    return cli_main(argv)


def run_warm(argv: list[str], environ) -> int | None:
    """The command's exit status, or None when no warm-start process took the command."""
    key = address.start_key(environ)
    path = address.socket_path(environ, key)
    if path is None or not address.private_dir(os.path.dirname(path), create=False) or _inherits_descriptors():
        return None
    import _socket
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    relay = SignalRelay()
    try:
        try:
            connection.connect(path)
            _send(connection, key, argv, environ)
        except OSError:
            return relay.not_taken()          # a request cut short runs nowhere (server.py)
        replies = _Lines(connection)
        line = replies.next()
        if line.startswith(b"R"):
            return relay.not_taken()
        while line.startswith(b"P") and line[1:].isdigit():   # the fork's pid, once it runs
            if relay.pid is None:
                relay.started(int(line[1:]))
            line = replies.next()
        return _status(line)
    finally:
        relay.restore()
        connection.close()


def _inherits_descriptors() -> bool:
    """Open inheritable descriptors above 2 (`run /dev/fd/3 3<file`) are this process's own:
    such a command runs here."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return True
    for name in fds:
        fd = int(name)
        if fd > 2:
            try:
                if os.get_inheritable(fd):
                    return True
            except OSError:
                continue                        # listdir's own descriptor, closed by now
    return False


def _send(connection, key: str, argv: list[str], environ) -> None:
    import _socket
    terminal = _open_terminal()
    fds = [0, 1, 2, os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)]
    try:
        if terminal is not None:
            fds.append(terminal)
        umask = os.umask(0o077)
        os.umask(umask)
        limits, priority = address.resource_limits(), os.getpriority(os.PRIO_PROCESS, 0)
        body = address.encode_body(argv, environ, umask=umask, pid=os.getpid(), pgrp=os.getpgrp(),
                                   priority=priority, ignored=SignalRelay.ignored(), limits=limits)
        header = address.encode_header(key, terminal is not None, priority,
                                       [(number, hard) for number, _, hard in limits])
        ancillary = b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds)
        sent = connection.sendmsg([header], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, ancillary)])
        connection.sendall(header[sent:] + body)
    finally:
        for fd in fds[3:]:
            os.close(fd)


def _open_terminal() -> int | None:
    """This process's terminal, for a password typed with echo off (the fork has none)."""
    try:
        return os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return None


def _status(line: bytes) -> int:
    if line.startswith(b"S") and line[1:].lstrip(b"-").isdigit():
        status = int(line[1:])
        return status if status >= 0 else _end_by_signal(-status)
    sys.stderr.write("hsmshell: error[warm-start-lost]: the warm-start process went away before the command "
                     "reported its exit status\n  hint: `hsmshell audit show` says what the command did; "
                     f"{address.SWITCH}=off runs commands without it\n")
    return LOST


def _end_by_signal(number: int) -> int:
    """End as the command did: by its signal (SIGKILL and SIGSTOP cannot be caught or reset)."""
    import _signal
    if number not in (_signal.SIGKILL, _signal.SIGSTOP):
        _signal.signal(number, _signal.SIG_DFL)
    os.kill(os.getpid(), _signal.SIGKILL if number == _signal.SIGSTOP else number)
    return 128 + number                        # a signal whose default is to be ignored


class SignalRelay:
    """Ctrl-C, kill and hang-up reach the fork; Ctrl-Z stops it with this process. Installed
    before the request goes out: a signal that comes before the fork's pid is kept for it,
    or, if the command is not taken, delivered here once the handlers are gone."""

    def __init__(self) -> None:
        import _signal
        self.signal, self.pid, self.pending, self.saved = _signal, None, [], {}
        for name in (*address.SIGNALS, "SIGTSTP"):
            number = getattr(_signal, name)
            handler = _signal.getsignal(number)
            if handler is not _signal.SIG_IGN:
                self.saved[number] = handler
                _signal.signal(number, self._on_signal)

    @staticmethod
    def ignored() -> list[int]:
        import _signal
        return [getattr(_signal, name) for name in address.SIGNALS
                if _signal.getsignal(getattr(_signal, name)) is _signal.SIG_IGN]

    def _on_signal(self, number, frame) -> None:
        if self.pid is None:
            self.pending.append(number)
        elif number == self.signal.SIGTSTP:
            self._stop_together()
        else:
            self._send(number)

    def _send(self, number: int) -> None:
        try:
            os.kill(self.pid, number)
        except OSError:
            pass

    def _stop_together(self) -> None:
        signal = self.signal
        self._send(signal.SIGSTOP)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)   # stops here until fg/bg continues it
        signal.signal(signal.SIGTSTP, self._on_signal)
        self._send(signal.SIGCONT)

    def started(self, pid: int) -> None:
        self.pid = pid
        for number in self.pending:
            self._on_signal(number, None)
        self.pending = []

    def not_taken(self) -> None:
        self.restore()
        for number in self.pending:            # as they would have come to a cold start
            os.kill(os.getpid(), number)
        return None

    def restore(self) -> None:
        for number, handler in self.saved.items():
            self.signal.signal(number, handler)
        self.saved = {}


class _Lines:
    """Newline-ended replies from the server; b"" at the end of the connection."""

    def __init__(self, connection) -> None:
        self.connection, self.pending = connection, b""

    def next(self) -> bytes:
        while b"\n" not in self.pending:
            try:
                chunk = self.connection.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                return b""
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line


def start_server(environ) -> None:
    """A warm-start process for the next command, detached from this one (own session, no
    terminal, /dev/null for its streams). Best effort: a failure here costs only speed."""
    if address.socket_path(environ, "") is None or not address.private_dir(address.runtime_dir(environ),
                                                                            create=True):
        return
    keep = {name: value for name, value in environ.items()
            if name in SERVER_ENV_KEEP or name.startswith(address.START_PREFIXES)}
    null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    try:
        os.posix_spawn(sys.executable, [sys.executable, "-P", "-m", "hsmshell.warmstart.server"], keep,
                       file_actions=null, setsid=True)
    except OSError:
        pass
