"""Where a warm-start process listens, who may use it, and the request's wire format.

Imported by the console script before anything else, so it uses only modules the interpreter
has loaded already (os, sys) and zlib.

A request is two length-prefixed parts. The HEADER (the protocol, the start key, whether a
terminal descriptor is passed) travels with the descriptors and is all the server reads; the
BODY (argv, environment, umask, limits: it may hold a password given as @env:VAR) is read only
by the fork that runs the command, so the long-lived server never holds it.
"""

from __future__ import annotations

import os
import sys

SWITCH = "HSMSHELL_WARM_START"                # "off": never use or start one
IDLE = "HSMSHELL_WARM_START_IDLE"             # seconds a server waits for work before it exits
DEFAULT_IDLE = 600.0
PROTOCOL = b"hsmshell-warm-2"
MAX_HEADER, MAX_BODY = 64 << 10, 16 << 20
MAX_FDS = 6                                   # stdin, stdout, stderr, working folder, terminal, connection
# Global options that take a value (cli.GLOBAL_OPTIONS; a unit test keeps the two equal): the
# client skips their values when it looks for the first word of a command line.
VALUE_OPTIONS = frozenset({"--home", "--cluster", "--roles", "--backend", "--pkcs11-module", "--token",
                           "--pkcs11-profile", "--output", "--on-server-failure"})
LOCAL_WORDS = frozenset({"emulate"})          # interactive tools of their own: always run here
# What a fresh process's start depends on (the interpreter's locale and paths, what the dynamic
# loader and OpenSSL read once): a server serves only clients that agree on all of it. The time
# zone is not among them: the fork re-reads TZ.
START_VARIABLES = ("LANG", "GLIBC_TUNABLES")
START_PREFIXES = ("PYTHON", "LC_", "LD_", "OPENSSL_")
SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")      # passed on; the fork keeps those ignored


def runtime_dir(environ) -> str:
    base = environ.get("HSMSHELL_RUNTIME_DIR") or environ.get("XDG_RUNTIME_DIR")
    return os.path.join(base, "hsmshell") if base else f"/tmp/hsmshell-{os.getuid()}"


def private_dir(path: str, create: bool) -> bool:
    """True when `path` is a real folder of this user that nobody else may enter (made so when
    `create`). Anything else (a symlink, another owner, a group- or world-open mode) is not
    used: a warm start is only an optimisation, so doubt means the command runs here."""
    if create:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (info.st_mode & 0o170000) == 0o040000 and info.st_uid == os.getuid() and not info.st_mode & 0o077


def start_key(environ) -> str:
    """The interpreter, the installed package and the environment a fresh start depends on."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    flags = sys.flags       # those that change what runs (the server's own -P does not)
    parts = [sys.executable, sys.prefix, package, sys.version, str(os.getuid()),
             repr((flags.optimize, flags.utf8_mode, flags.dev_mode, flags.no_user_site,
                   flags.ignore_environment, flags.isolated))]
    parts += sorted(f"{name}={value}" for name, value in environ.items()
                    if name in START_VARIABLES or name.startswith(START_PREFIXES))
    parts.append(_limits_text())
    return "\n".join(parts)


def _limits_text() -> str:
    """The priority and hard resource limits this process runs under: a fork can lower them,
    never raise them, so callers under different ones get servers of their own (a server
    started under `ulimit` or `nice` never serves, nor keeps alive, a caller allowed more)."""
    hard = " ".join(f"{number}={hard}" for number, _, hard in resource_limits())
    return f"nice={os.getpriority(os.PRIO_PROCESS, 0)} {hard}"


def resource_limits() -> list[tuple[int, int, int]]:
    """(number, soft, hard) of every resource limit this process runs under."""
    import resource
    found = []
    for name in sorted(dir(resource)):
        if name.startswith("RLIMIT_"):
            number = getattr(resource, name)
            try:
                found.append((number, *resource.getrlimit(number)))
            except (OSError, ValueError):
                continue
    return found


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")       # os.environ's undecodable bytes too


MAX_SOCKET_PATH = 107                          # sun_path's 108 bytes, with the final NUL


def socket_path(environ, key: str) -> str | None:
    """None when the runtime folder's path is too long for a socket: no warm start there."""
    import zlib
    path = os.path.join(runtime_dir(environ), f"warm-{zlib.crc32(_bytes(key)):08x}.sock")
    return path if len(os.fsencode(path)) <= MAX_SOCKET_PATH else None


def wanted(argv: list[str], environ) -> bool:
    """Whether this command line may run in a warm-start process: a command given on the
    command line (`-c`, a subcommand, a bare command word), not the REPL, not an emulated tool,
    not with output to a terminal (a pager there needs the terminal as its own), not switched off."""
    if environ.get(SWITCH, "").lower() in ("off", "0", "no", "false"):
        return False
    if _isatty(1):
        return False
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "-c":
            return True
        if token.startswith("-"):
            index += 2 if token in VALUE_OPTIONS else 1
            continue
        return token not in LOCAL_WORDS
    return False


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


# -- the request ----------------------------------------------------------------------------------
def _framed(fields: list[bytes]) -> bytes:
    body = b"\0".join(fields)
    return len(body).to_bytes(4, "big") + body


def receive_framed(connection, limit: int, with_fds: bool,
                   deadline: float | None = None) -> tuple[bytes, list[int]]:
    """A 4-byte length and that many bytes, and (`with_fds`) the descriptors sent with them
    (close-on-exec: the fork that keeps them decides), all by `deadline` (time.monotonic(); a
    caller that trickles bytes cannot hold the server). ValueError names no content."""
    import socket
    import time
    fds: list[int] = []
    data = b""

    def wait() -> None:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ValueError("the request came too slowly")
            connection.settimeout(left)
    try:
        while len(data) < 4:
            wait()
            if with_fds:
                chunk, ancillary, flags, _ = connection.recvmsg(4 - len(data), socket.CMSG_SPACE(MAX_FDS * 4),
                                                                 socket.MSG_CMSG_CLOEXEC)
                for level, kind, payload in ancillary:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                        fds += [int.from_bytes(payload[i:i + 4], sys.byteorder)
                                for i in range(0, len(payload) - 3, 4)]
                if flags & socket.MSG_CTRUNC:
                    raise ValueError("too many descriptors")
            else:
                chunk = connection.recv(4 - len(data))
            if not chunk:
                raise ValueError("the request ended early")
            data += chunk
        length = int.from_bytes(data, "big")
        if length > limit:
            raise ValueError("the request is too large")
        body = bytearray()
        while len(body) < length:
            wait()
            chunk = connection.recv(min(1 << 20, length - len(body)))
            if not chunk:
                raise ValueError("the request ended early")
            body += chunk
        return bytes(body), fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def encode_header(key: str, terminal: bool, priority: int, hard_limits: list[tuple[int, int]]) -> bytes:
    """What the server checks before it takes a request: the start key, whether a terminal
    comes with it, and what a fork must be able to give the command: the caller's priority and
    hard resource limits (a fork can lower limits and priority, never raise them)."""
    return _framed([PROTOCOL, _bytes(key), b"1" if terminal else b"0", b"%d" % priority,
                    b",".join(b"%d:%d" % limit for limit in hard_limits)])


def decode_header(data: bytes) -> dict:
    fields = data.split(b"\0")
    try:
        if len(fields) != 5 or fields[0] != PROTOCOL or fields[2] not in (b"0", b"1"):
            raise ValueError
        hard = [tuple(int(n) for n in limit.split(b":")) for limit in fields[4].split(b",") if limit]
        if any(len(limit) != 2 for limit in hard):
            raise ValueError
        priority = int(fields[3])
    except ValueError:
        raise ValueError("not a warm-start request header") from None
    return {"key": fields[1].decode("utf-8", "surrogateescape"), "terminal": fields[2] == b"1",
            "priority": priority, "hard_limits": hard}


def encode_body(argv: list[str], environ, *, umask: int, pid: int, pgrp: int, priority: int,
                ignored: list[int], limits: list[tuple[int, int, int]]) -> bytes:
    fields = [b"%o" % umask, b"%d:%d" % (pid, pgrp), b"%d" % priority, b",".join(b"%d" % n for n in ignored),
              b",".join(b"%d:%d:%d" % limit for limit in limits), b"%d" % len(argv)]
    fields += [os.fsencode(arg) for arg in argv]
    fields += [os.fsencode(name) + b"=" + os.fsencode(value) for name, value in environ.items()]
    return _framed(fields)


def decode_body(body: bytes) -> dict:
    """The body's fields; ValueError (naming no content) when it is not one."""
    fields = body.split(b"\0")
    try:
        umask, priority, count = int(fields[0], 8), int(fields[2]), int(fields[5])
        pid, pgrp = (int(n) for n in fields[1].split(b":"))
        ignored = [int(n) for n in fields[3].split(b",") if n]
        limits = [tuple(int(n) for n in limit.split(b":")) for limit in fields[4].split(b",") if limit]
    except (IndexError, ValueError):
        raise ValueError("malformed warm-start request body") from None
    argv, env_fields = fields[6:6 + count], fields[6 + count:]
    if count < 0 or len(argv) != count or any(len(limit) != 3 for limit in limits):
        raise ValueError("malformed warm-start request body")
    environ = {}
    for entry in env_fields:
        name, equals, value = entry.partition(b"=")
        if not equals or not name:
            raise ValueError("malformed warm-start request body")
        environ[os.fsdecode(name)] = os.fsdecode(value)
    return {"umask": umask, "pid": pid, "pgrp": pgrp, "priority": priority, "ignored": ignored, "limits": limits,
            "argv": [os.fsdecode(arg) for arg in argv], "environ": environ}
