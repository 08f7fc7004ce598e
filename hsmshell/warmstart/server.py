"""The warm-start process: `python -P -m hsmshell.warmstart.server`, started by client.py.

It imports hsmshell once and then, per request, forks a child that becomes the client's process
(child.py) and runs `cli.main`. It never runs a command itself, so every child starts from the
module state of a fresh import (empty caches, no open database, no session). It serves only its
own user (the socket lives in a 0700 folder and each caller's uid is checked), only clients of
the same interpreter, package and start-up environment (address.start_key), and only while the
package's files are those it imported; it exits when idle, when its socket is removed, or when
the code changed (after its running commands end).
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

MAX_REQUEST = 4 << 20                    # argv and environment; far above any real command line
MAX_FDS = 5                              # stdin, stdout, stderr, working dir, terminal
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEVER_PRELOADED = ("hsmshell.__main__", "hsmshell.warmstart", "hsmshell.ui", "hsmshell.modes.repl")
# Standard-library and third-party modules hsmshell imports inside functions on common paths.
ALSO_PRELOADED = ("sqlite3", "json", "hmac", "hashlib", "base64", "fcntl", "shlex", "getpass", "termios",
                  "tempfile", "subprocess", "argparse", "secrets", "uuid", "datetime", "decimal", "tomllib",
                  "rich.console", "rich.table", "rich.text", "rich.markup",
                  "cryptography.hazmat.primitives.asymmetric.ed25519",
                  "cryptography.hazmat.primitives.asymmetric.rsa", "cryptography.hazmat.primitives.asymmetric.ec",
                  "cryptography.hazmat.primitives.asymmetric.padding", "cryptography.hazmat.primitives.hashes",
                  "cryptography.hazmat.primitives.serialization", "cryptography.hazmat.primitives.keywrap",
                  "cryptography.hazmat.primitives.ciphers.aead", "cryptography.x509")


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
    try:
        preload(log)
        try:
            idle = float(environ.get(address.IDLE, address.DEFAULT_IDLE))
        except ValueError:
            idle = address.DEFAULT_IDLE
        Server(path, key, CodeFingerprint(PACKAGE), idle, log, lock).serve()
    except Exception as error:              # its streams are /dev/null: the log says why it ended
        log.write(f"ended by {type(error).__name__}: {error}")
        return 1
    return 0


def preload(log: "Log") -> None:
    """Every hsmshell module a command line may need (not the REPL's), and the library modules
    they import lazily; then the heap is frozen so forks share it instead of copying it."""
    import gc
    import importlib
    names = [*ALSO_PRELOADED]
    for folder, subfolders, files in os.walk(PACKAGE):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        parts = os.path.relpath(folder, os.path.dirname(PACKAGE)).split(os.sep)
        for name in sorted(files):
            if name.endswith(".py"):
                module = ".".join(parts + ([] if name == "__init__.py" else [name[:-3]]))
                if not module.startswith(NEVER_PRELOADED):
                    names.append(module)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:          # a child that needs it meets the same error itself
            log.write(f"preload {name}: {type(error).__name__}")
    warm_up(log)
    gc.collect()
    gc.freeze()


def warm_up(log: "Log") -> None:
    """Work every command repeats that depends on nothing but the code: done once here.
    (Never anything of a state dir, a user or a clock: children must start as fresh as a cold
    start; the code it depends on is what CodeFingerprint guards.)"""
    try:
        from hsmshell.commands import sdk5_source_key
        sdk5_source_key()
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        Ed25519PrivateKey.from_private_bytes(bytes(32)).sign(b"")   # OpenSSL's Ed25519 set up, no RNG
    except Exception as error:
        log.write(f"warm-up: {type(error).__name__}")


class CodeFingerprint:
    """The package's folders and .py files as imported: a pip upgrade or an edit changes a
    file's or folder's (inode, size, mtime), and the server then stops serving."""

    def __init__(self, package: str) -> None:
        self.paths = []
        for folder, subfolders, files in os.walk(package):
            subfolders[:] = [d for d in subfolders if d != "__pycache__"]
            self.paths.append(folder)
            self.paths += [os.path.join(folder, name) for name in files if name.endswith(".py")]
        self.seen = self._stat()

    def _stat(self) -> list:
        out = []
        for path in self.paths:
            try:
                info = os.stat(path)
            except OSError:
                out.append(None)
                continue
            out.append((info.st_ino, info.st_size, info.st_mtime_ns))
        return out

    def changed(self) -> bool:
        return self._stat() != self.seen


class Log:
    """Why the server refused or failed something (never a request's content), mode 0600."""

    def __init__(self, path: str) -> None:
        self.path = path

    def write(self, line: str) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError:
            return
        try:
            if os.fstat(fd).st_size < (1 << 20):
                os.write(fd, f"{time.strftime('%Y-%m-%dT%H:%M:%S')} pid {os.getpid()}: {line}\n".encode())
        finally:
            os.close(fd)


class Server:
    def __init__(self, path: str, key: str, code: CodeFingerprint, idle: float, log: Log, lock: int) -> None:
        self.path, self.key, self.code, self.idle, self.log, self.lock = path, key, code, idle, log, lock
        self.running: dict[int, socket.socket] = {}     # child pid -> its client's connection
        self.spare: Spare | None = None
        self.stopping = False
        self.listener = self._listen()
        self.inode = os.stat(path).st_ino
        self.wake_read, self.wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

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
        deadline = time.monotonic() + self.idle
        while self.running or not self.stopping:      # after the last command ends
            ready, _, _ = select.select([self.wake_read] + ([self.listener] if not self.stopping else []),
                                        [], [], 1.0)
            if self.wake_read in ready:
                self._drain()
            self._reap()
            if self.listener in ready:
                self._accept()
                deadline = time.monotonic() + self.idle
            if self.spare is None and not self.stopping:
                self.spare = self._fork_spare()
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
            connection = self.running.pop(pid, None)
            if connection is not None:
                try:
                    connection.sendall(b"S%d\n" % os.waitstatus_to_exitcode(status))
                except OSError:
                    pass                    # the client went away; the command ran to its end
                connection.close()

    def _accept(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        fds: list[int] = []
        try:
            connection.settimeout(5.0)
            _, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                  struct.calcsize("3i")))
            if uid != os.getuid():
                raise ValueError(f"a connection from uid {uid}")
            body, fds = _receive(connection)
            request = address.decode_request(body)
            if request["key"] != self.key:
                connection.sendall(b"R other\n")
            elif self.code.changed():
                connection.sendall(b"R stale\n")
                self._stop_listening()
            elif len(fds) != 4 + request["terminal"]:
                raise ValueError(f"{len(fds)} descriptors")
            else:
                pid = self._hand_over(body, fds)
                self.running[pid] = connection
                connection.sendall(b"P%d\n" % pid)
                return
        except (OSError, ValueError) as error:
            self.log.write(f"request refused: {type(error).__name__}: {error}")
        finally:
            for fd in fds:
                os.close(fd)
        connection.close()

    def _hand_over(self, body: bytes, fds: list[int]) -> int:
        """The pid of the fork now running the request: the spare made ahead of time (a fork
        takes milliseconds; serve() makes the next one once this request is answered)."""
        for _ in range(2):
            spare, self.spare = self.spare or self._fork_spare(), None
            try:
                spare.channel.sendmsg([len(body).to_bytes(4, "big") + body],
                                      [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                        b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds))])
            except OSError:
                continue                    # that spare is gone (killed): another one
            finally:
                spare.channel.close()
            return spare.pid
        raise OSError("no fork could take the request")

    def _fork_spare(self) -> "Spare":
        """A fork waiting for a request. Made only when the server holds no client's
        descriptors but its connections (closed in the fork): a client's stdout kept open in a
        spare would keep its reader waiting for the end of the output."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            status = 70
            try:
                signal.set_wakeup_fd(-1)
                ours.close()
                for fd in (self.wake_read, self.wake_write, self.lock, self.listener.fileno(),
                           *(other.fileno() for other in self.running.values())):
                    os.close(fd)
                body, fds = _receive(theirs, timeout=None)      # EOF when the server ends
                theirs.close()
                from hsmshell.warmstart import child
                status = child.run(address.decode_request(body), fds)
            finally:
                os._exit(status)
        theirs.close()
        return Spare(pid, ours)


class Spare:
    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid, self.channel = pid, channel


def _receive(connection: socket.socket, timeout: float | None = 5.0) -> tuple[bytes, list[int]]:
    """A request's body and the descriptors sent with it (a length, then the body)."""
    connection.settimeout(timeout)
    fds: list[int] = []
    data = b""
    try:
        while len(data) < 4:
            chunk, ancillary, flags, _ = connection.recvmsg(65536, socket.CMSG_SPACE(MAX_FDS * 4))
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds += [int.from_bytes(payload[i:i + 4], sys.byteorder) for i in range(0, len(payload) - 3, 4)]
            if flags & socket.MSG_CTRUNC:
                raise ValueError("too many descriptors")
            if not chunk:
                raise ValueError("the client closed the connection")
            data += chunk
        length = int.from_bytes(data[:4], "big")
        if length > MAX_REQUEST:
            raise ValueError("request too large")
        body = data[4:]
        while len(body) < length:
            chunk = connection.recv(min(1 << 20, length - len(body)))
            if not chunk:
                raise ValueError("the client closed the connection")
            body += chunk
        return body, fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


if __name__ == "__main__":
    sys.exit(main())
