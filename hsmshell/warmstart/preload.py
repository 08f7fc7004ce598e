"""What the warm-start process loads before it serves, how it knows that is still the code on
disk, and its log."""

from __future__ import annotations

import os
import time

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
        except Exception as error:          # a fork that needs it meets the same error itself
            log.write(f"preload {name}: {type(error).__name__}")
    warm_up(log)
    gc.collect()
    gc.freeze()


def warm_up(log: "Log") -> None:
    """Work every command repeats that depends on nothing but the code: done once here.
    (Never anything of a state dir, a user or a clock: forks must start as fresh as a cold
    start; the code it depends on is what CodeFingerprint guards.)"""
    try:
        from hsmshell.commands import sdk5_source_key
        sdk5_source_key()
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        Ed25519PrivateKey.from_private_bytes(bytes(32)).sign(b"")   # OpenSSL's Ed25519 set up, no RNG
    except Exception as error:
        log.write(f"warm-up: {type(error).__name__}")


class CodeFingerprint:
    """The package's folders and .py files as imported (and, for an installed package, the
    site-packages folder, whose entries change when any dependency is upgraded): a pip upgrade
    or an edit changes a file's or folder's (inode, size, mtime), and the server then stops."""

    def __init__(self, package: str) -> None:
        self.paths = []
        parent = os.path.dirname(package)
        if os.path.basename(parent) == "site-packages":
            self.paths.append(parent)
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
