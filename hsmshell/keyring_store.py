"""Passwords kept in the OS keyring (through the `keyring` package, service `hsmshell:<cluster>`),
and the index of their names.

keyring has no listing API, so `credentials list` reads an index of entry names kept in the
state dir (`credentials.json`: names only, never a value). keyring is imported only here, and
only when a keyring entry is used, so one-shot commands stay quick to start.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from hsmshell.errors import HsmshellError, InvalidArgument
from hsmshell import fileio

SERVICE = "hsmshell:{cluster}"
INDEX_NAME = "credentials.json"
ENTRY_RE = re.compile(r"^[!-~]{1,128}$")          # printable ASCII, no spaces
HOW_TO_CONFIGURE = ("install and configure a keyring backend: a desktop keyring (Secret Service, "
                    "macOS Keychain, Windows Credential Locker); or give secrets as @env:VAR / @file:PATH")
OPT_IN = "HSMSHELL_ALLOW_INSECURE_KEYRING"
# Backends that keep a password readable by anyone who can read a file (or drop it): refused
# unless the user opts in, since "stored in the keyring" would otherwise be a false comfort.
INSECURE_NAMES = ("plaintext", "base64", "unencrypted")


def service_name(cluster: str) -> str:
    return SERVICE.format(cluster=cluster)


def check_entry_name(name: str) -> str:
    if not ENTRY_RE.match(name):
        raise InvalidArgument(f"invalid credential name '{name[:40]}'",
                              hint="printable ASCII without spaces, at most 128 characters; "
                                   "for loginHSM ... @keyring use the HSM user name")
    return name


def no_keyring(message: str) -> HsmshellError:
    return InvalidArgument(message, reference="keyring-unavailable", hint=HOW_TO_CONFIGURE)


def insecure_allowed(environ) -> bool:
    """The explicit opt-in: HSMSHELL_ALLOW_INSECURE_KEYRING=1 (or the config file's
    `allow_insecure_keyring = true`, which the front end turns into the same variable)."""
    return str(environ.get(OPT_IN, "")).strip().lower() in ("1", "yes", "true", "on")


def backend_name(backend) -> str:
    """`module.Class` of the backend that stores passwords (a chain's first member)."""
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def is_insecure(backend) -> bool:
    return is_insecure_name(type(backend).__qualname__)


def is_insecure_name(name: str) -> bool:
    return any(word in name.rsplit(".", 1)[-1].lower() for word in INSECURE_NAMES)


def effective_backend(keyring):
    """The backend a password goes to: keyring's chain stores in its first member."""
    from keyring.backends import chainer
    backend = keyring.get_keyring()
    if isinstance(backend, chainer.ChainerBackend):
        return backend.backends[0] if backend.backends else None
    return backend


def usable_keyring(allow_insecure: bool = False):
    """(the keyring module, the name of the backend in use); keyring-unavailable when no
    backend can store a password, keyring-insecure when it would keep it in the clear and
    the user has not opted in."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        raise no_keyring("the keyring package is not installed") from None
    try:
        backend = effective_backend(keyring)
    except Exception as exc:            # e.g. PYTHON_KEYRING_BACKEND naming a missing module
        raise no_keyring(f"the keyring backend cannot be loaded ({type(exc).__name__}; "
                         f"check PYTHON_KEYRING_BACKEND)") from None
    if backend is None or isinstance(backend, (fail.Keyring, null.Keyring)):
        raise no_keyring("no usable OS keyring backend is available")
    name = backend_name(backend)
    if is_insecure(backend) and not allow_insecure:
        raise InvalidArgument(
            f"the keyring backend in use ({name}) keeps passwords unencrypted; refusing it",
            reference="keyring-insecure",
            hint=f"use a desktop keyring or @env:VAR / @file:PATH; to accept it anyway set "
                 f"{OPT_IN}=1 (or allow_insecure_keyring = true in the config file)")
    return keyring, name


def get_password(cluster: str, entry: str, allow_insecure: bool = False) -> str | None:
    keyring, _ = usable_keyring(allow_insecure)
    try:
        return keyring.get_password(service_name(cluster), entry)
    except Exception as exc:            # backends raise their own types; never show a value
        raise no_keyring(f"the keyring could not be read ({type(exc).__name__})") from None


def set_password(cluster: str, entry: str, value: str, allow_insecure: bool = False) -> None:
    keyring, _ = usable_keyring(allow_insecure)
    try:
        keyring.set_password(service_name(cluster), entry, value)
    except Exception as exc:
        raise no_keyring(f"the keyring could not store the password ({type(exc).__name__})") from None


def delete_password(cluster: str, entry: str, allow_insecure: bool = False) -> bool:
    """Remove the entry; False if the keyring had none."""
    keyring, _ = usable_keyring(allow_insecure)
    from keyring.errors import PasswordDeleteError
    try:
        keyring.delete_password(service_name(cluster), entry)
    except PasswordDeleteError:
        return False
    except Exception as exc:
        raise no_keyring(f"the keyring could not delete the entry ({type(exc).__name__})") from None
    return True


class CredentialIndex:
    """`<state dir>/credentials.json`: {"<cluster>": ["name", ...]} — names only."""

    def __init__(self, home: Path):
        self.path = home / INDEX_NAME

    def names(self, cluster: str) -> list[str]:
        return sorted(self._read().get(cluster, []))

    def add(self, cluster: str, name: str) -> None:
        with self._locked() as data:
            data[cluster] = sorted(set(data.get(cluster, [])) | {name})

    def remove(self, cluster: str, name: str) -> None:
        with self._locked() as data:
            data[cluster] = [n for n in data.get(cluster, []) if n != name]

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise InvalidArgument(f"the credential index {self.path} is unreadable",
                                  hint="delete it; `credentials set` rebuilds it") from None
        return data if isinstance(data, dict) else {}

    @contextmanager
    def _locked(self) -> Iterator[dict]:
        """Read-modify-write under a lock, replacing the file atomically."""
        fileio.make_folder(self.path.parent)
        lock = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read()
            yield data
            text = json.dumps({k: v for k, v in data.items() if v}, indent=1, sort_keys=True)
            fileio.write_file(self.path, text.encode(), mode=fileio.PRIVATE, atomic=True,
                             what="credential index")
        finally:
            os.close(lock)
