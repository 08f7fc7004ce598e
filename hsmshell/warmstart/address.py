"""Where a warm-start process listens, who may use it, and the request's wire format.

Imported by the console script before anything else, so it uses only modules the interpreter
has loaded already (os, sys) and zlib.
"""

from __future__ import annotations

import os
import sys

SWITCH = "HSMSHELL_WARM_START"                # "off": never use or start one
IDLE = "HSMSHELL_WARM_START_IDLE"             # seconds a server waits for work before it exits
DEFAULT_IDLE = 600.0
PROTOCOL = b"hsmshell-warm-1"
# Global options that take a value (cli.GLOBAL_OPTIONS; a unit test keeps the two equal): the
# client skips their values when it looks for the first word of a command line.
VALUE_OPTIONS = frozenset({"--home", "--cluster", "--roles", "--backend", "--pkcs11-module", "--token",
                           "--pkcs11-profile", "--output", "--on-server-failure"})
LOCAL_WORDS = frozenset({"emulate"})          # interactive tools of their own: always run here
# What a fresh interpreter's start depends on: a server serves only clients that agree on it.
START_VARIABLES = ("LANG", "LANGUAGE", "TZ")
START_PREFIXES = ("PYTHON", "LC_")


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
    return "\n".join(parts)


MAX_SOCKET_PATH = 107                          # sun_path's 108 bytes, with the final NUL


def socket_path(environ, key: str) -> str | None:
    """None when the runtime folder's path is too long for a socket: no warm start there."""
    import zlib
    path = os.path.join(runtime_dir(environ), f"warm-{zlib.crc32(key.encode()):08x}.sock")
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


# -- the request: NUL-separated fields after a 4-byte length --------------------------------------
def encode_request(key: str, argv: list[str], environ, umask: int, has_terminal: bool) -> bytes:
    fields = [PROTOCOL, key.encode(), b"%o" % umask, b"1" if has_terminal else b"0", b"%d" % len(argv)]
    fields += [os.fsencode(arg) for arg in argv]
    fields += [os.fsencode(name) + b"=" + os.fsencode(value) for name, value in environ.items()]
    body = b"\0".join(fields)
    return len(body).to_bytes(4, "big") + body


def decode_request(body: bytes) -> dict:
    """The fields of a request body; ValueError when it is not one."""
    fields = body.split(b"\0")
    if len(fields) < 5 or fields[0] != PROTOCOL:
        raise ValueError("not a warm-start request")
    count = int(fields[4])
    argv, env_fields = fields[5:5 + count], fields[5 + count:]
    if len(argv) != count:
        raise ValueError("truncated request")
    environ = {}
    for entry in env_fields:
        name, equals, value = entry.partition(b"=")
        if not equals:
            raise ValueError("bad environment entry")
        environ[os.fsdecode(name)] = os.fsdecode(value)
    return {"key": fields[1].decode(), "umask": int(fields[2], 8), "terminal": fields[3] == b"1",
            "argv": [os.fsdecode(arg) for arg in argv], "environ": environ}
