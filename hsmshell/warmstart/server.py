"""The warm-start process: `python -P -m hsmshell.warmstart.server`, started by client.py.

It imports hsmshell once and then hands each request to a spare fork made ahead of time
(child.py turns that fork into the client's process and runs `cli.main`). It never runs a
command and never reads a request's body (argv, environment: child.py does), so it holds no
secret, and every fork starts from the module state of a fresh import. It serves only its own
user in its own namespaces (0700 folder, peer uid and namespaces checked), only clients of the
same interpreter, package and start-up environment (address.start_key), and only while the
package's files are those it imported. It exits when idle, when its socket is removed, or when
the code changed, after its running commands end. (A fork ends with its caller by itself:
child.py.)
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

from hsmshell.warmstart import address
from hsmshell.warmstart.preload import PACKAGE, CodeFingerprint, Log, preload

HEADER_SECONDS = 2.0                     # a client sends its header at once: no stalling the server
NAMESPACES = ("mnt", "pid", "net", "user", "ipc", "uts")


def main() -> int:
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))   # hold none of the first client's pipes open
    os.chdir("/")                                  # nor its working folder busy
    environ = dict(os.environ)
    key = address.start_key(environ)
    path = address.socket_path(environ, key)
    if path is None or not address.private_dir(os.path.dirname(path), create=True):
        return 0
    stem = path[:-len(".sock")]
    lock = os.open(stem + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0                            # another one runs, or is starting
    log = Log(stem + ".log")
    if not _pidfd_works():
        log.write("no pidfd_open here (Linux >= 5.3): a fork could not end with its caller; not serving")
        return 0
    try:
        code = CodeFingerprint(PACKAGE)     # before the imports: an upgrade during them is seen
        preload(log)
        if code.changed():
            log.write("the package changed while it was imported: not serving")
            return 0
        try:
            idle = float(environ.get(address.IDLE, address.DEFAULT_IDLE))
        except ValueError:
            idle = address.DEFAULT_IDLE
        Server(path, key, code, idle, log, lock).serve()
    except Exception as error:              # its streams are /dev/null: the log says why it ended
        log.write(f"ended by {type(error).__name__}")
        return 1
    return 0


class Server:
    def __init__(self, path: str, key: str, code: CodeFingerprint, idle: float, log: Log, lock: int) -> None:
        self.path, self.key, self.code, self.idle, self.log, self.lock = path, key, code, idle, log, lock
        self.running: dict[int, socket.socket] = {}   # a fork's pid -> its caller's connection
        self.spare: Spare | None = None
        self.stopping = False
        self.listener = self._listen()
        self.inode = os.stat(path).st_ino
        self.wake_read, self.wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.namespaces = _namespaces("self")

    def _listen(self) -> socket.socket:
        try:
            os.unlink(self.path)            # a dead server's (we hold the lock: none is alive)
        except FileNotFoundError:
            pass
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            listener.bind(self.path)
        finally:
            os.umask(old)
        listener.listen(128)
        return listener

    def serve(self) -> None:
        signal.set_wakeup_fd(self.wake_write)
        signal.signal(signal.SIGCHLD, lambda number, frame: None)
        signal.siginterrupt(signal.SIGCHLD, False)      # no short writes to a spare (SA_RESTART)
        deadline = time.monotonic() + self.idle
        while self.running or not self.stopping:      # after the last command ends
            if self.spare is None and not self.stopping:
                self.spare = self._fork_spare()
            watched = [self.wake_read, *([self.listener] if not self.stopping else [])]
            ready, _, _ = select.select(watched, [], [], 1.0)
            if self.wake_read in ready:
                self._drain()
            self._reap()
            if self.listener in ready and self._accept() or self.running:
                deadline = time.monotonic() + self.idle         # idle: nothing taken, nothing running
            if not self.stopping and (time.monotonic() >= deadline or not self._still_ours()):
                self._stop_listening()
        os.close(self.lock)

    def _still_ours(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self.inode
        except OSError:
            return False

    def _stop_listening(self) -> None:
        self.stopping = True
        if self._still_ours():
            os.unlink(self.path)
        self.listener.close()
        if self.spare is not None:
            self.spare.channel.close()      # the spare reads EOF and exits
            self.spare = None

    def _drain(self) -> None:
        try:
            while os.read(self.wake_read, 512):
                pass
        except BlockingIOError:
            pass

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.spare is not None and pid == self.spare.pid:
                self.spare.channel.close()  # died waiting (killed): serve() makes another
                self.spare = None
            connection = self.running.pop(pid, None)
            if connection is not None:
                try:                        # the fork wrote its own S line too, unless killed
                    connection.sendall(b"S%d\n" % os.waitstatus_to_exitcode(status))
                except OSError:
                    pass
                connection.close()

    def _accept(self) -> bool:
        """Take one request; whether a fork now runs it (a refusal keeps nobody's server alive)."""
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return False
        fds: list[int] = []
        handed_over = False
        try:
            peer, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                     struct.calcsize("3i")))
            if uid != os.getuid():
                raise ValueError("a connection from another user")
            header, fds = address.receive_framed(connection, address.MAX_HEADER, with_fds=True,
                                                 deadline=time.monotonic() + HEADER_SECONDS)
            request = address.decode_header(header)
            refusal = self._refusal(request, peer, len(fds))
            if refusal is not None:
                connection.sendall(refusal)
                if refusal == b"R stale\n":
                    self._stop_listening()
                return False
            pid = self._hand_over(header, [*fds, connection.fileno()])
            handed_over = True              # from here on: never R (it may run), never close
            connection.settimeout(5.0)      # for the S line at the reap; the fork says P itself
            self.running[pid] = connection
            return True
        except (OSError, ValueError) as error:
            self.log.write(f"request refused: {type(error).__name__}")    # never its content
            try:
                connection.sendall(b"R failed\n")
            except OSError:
                pass
        finally:
            for fd in fds:
                os.close(fd)
            if not handed_over:
                connection.close()
        return False

    def _refusal(self, request: dict, peer: int, descriptors: int) -> bytes | None:
        if request["key"] != self.key or _namespaces(str(peer)) != self.namespaces \
                or not _can_give(request["priority"], request["hard_limits"]):
            return b"R other\n"             # another interpreter, environment, sandbox or limits
        if self.code.changed():
            return b"R stale\n"
        if descriptors != 4 + request["terminal"]:
            return b"R malformed\n"
        return None

    def _hand_over(self, header: bytes, fds: list[int]) -> int:
        """The pid of the fork now running the request: the spare made ahead of time (a fork
        takes milliseconds; serve() makes the next one once this request is answered)."""
        framed = len(header).to_bytes(4, "big") + header
        for _ in range(2):
            spare, self.spare = self.spare or self._fork_spare(extra=fds), None
            try:
                sent = spare.channel.sendmsg([framed], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                                         b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds))])
            except OSError:
                spare.channel.close()
                continue                    # that spare is gone (killed): another one
            # The spare has the descriptors now: never another one (two forks would read the
            # same connection). Nothing more to send is nothing more to send: a send of the
            # empty rest fails once the spare has read everything and closed its end.
            try:
                if sent < len(framed):
                    spare.channel.sendall(framed[sent:])
            finally:
                spare.channel.close()
            return spare.pid
        raise OSError("no fork could take the request")

    def _fork_spare(self, extra: list[int] = ()) -> "Spare":
        """A fork waiting for a request. It keeps nothing of the server's but its channel: a
        client's stdout kept open in a spare would keep its reader waiting for the end."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            status = 70
            try:
                signal.set_wakeup_fd(-1)
                ours.close()
                for fd in (self.wake_read, self.wake_write, self.lock, self.listener.fileno(), *extra,
                           *(connection.fileno() for connection in self.running.values())):
                    _close(fd)              # a spare never dies of the server's bookkeeping
                from hsmshell.warmstart import child
                status = child.serve_one(theirs)
            finally:
                os._exit(status)
        theirs.close()
        return Spare(pid, ours)


class Spare:
    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid, self.channel = pid, channel


def _pidfd_works() -> bool:
    try:
        os.close(os.pidfd_open(os.getpid()))
        return True
    except (OSError, AttributeError):
        return False


def _close(fd) -> None:
    if fd is not None and fd >= 0:
        try:
            os.close(fd)
        except OSError:
            pass


def _can_give(priority: int, hard_limits: list[tuple[int, int]]) -> bool:
    """Whether a fork of this process can run the command with the caller's priority and hard
    limits: it can lower limits and priority, never raise them."""
    import resource
    if priority < os.getpriority(os.PRIO_PROCESS, 0):
        return False
    for number, hard in hard_limits:
        try:
            ours = resource.getrlimit(number)[1]
        except (OSError, ValueError):
            continue
        if ours != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > ours):
            return False
    return True


def _namespaces(pid: str) -> tuple:
    found = []
    for name in NAMESPACES:
        try:
            found.append(os.stat(f"/proc/{pid}/ns/{name}").st_ino)
        except OSError:
            found.append(None)
    return tuple(found)


if __name__ == "__main__":
    sys.exit(main())
