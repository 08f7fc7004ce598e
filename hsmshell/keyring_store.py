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
from hsmshell.state import files

SERVICE = "hsmshell:{cluster}"
INDEX_NAME = "credentials.json"
ENTRY_RE = re.compile(r"^[!-~]{1,128}$")          # printable ASCII, no spaces
HOW_TO_CONFIGURE = ("install and configure a keyring backend: a desktop keyring (Secret Service, "
                    "macOS Keychain, Windows Credential Locker), or for a headless machine "
                    "`pip install keyrings.alt` and PYTHON_KEYRING_BACKEND="
                    "keyrings.alt.file.PlaintextKeyring; or give secrets as @env:VAR / @file:PATH")


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


def usable_keyring():
    """The keyring module, or keyring-unavailable when no backend can store a password."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:
        raise no_keyring("the keyring package is not installed") from None
    try:
        backend = keyring.get_keyring()
    except Exception as exc:            # e.g. PYTHON_KEYRING_BACKEND naming a missing module
        raise no_keyring(f"the keyring backend cannot be loaded ({type(exc).__name__}; "
                         f"check PYTHON_KEYRING_BACKEND)") from None
    empty_chain = isinstance(backend, chainer.ChainerBackend) and not backend.backends
    if isinstance(backend, (fail.Keyring, null.Keyring)) or empty_chain:
        raise no_keyring("no usable OS keyring backend is available")
    return keyring


def get_password(cluster: str, entry: str) -> str | None:
    keyring = usable_keyring()
    try:
        return keyring.get_password(service_name(cluster), entry)
    except Exception as exc:            # backends raise their own types; never show a value
        raise no_keyring(f"the keyring could not be read ({type(exc).__name__})") from None


def set_password(cluster: str, entry: str, value: str) -> None:
    keyring = usable_keyring()
    try:
        keyring.set_password(service_name(cluster), entry, value)
    except Exception as exc:
        raise no_keyring(f"the keyring could not store the password ({type(exc).__name__})") from None


def delete_password(cluster: str, entry: str) -> bool:
    """Remove the entry; False if the keyring had none."""
    keyring = usable_keyring()
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
        files.make_folder(self.path.parent)
        lock = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read()
            yield data
            text = json.dumps({k: v for k, v in data.items() if v}, indent=1, sort_keys=True)
            files.write_file(self.path, text.encode(), mode=files.PRIVATE, atomic=True,
                             what="credential index")
        finally:
            os.close(lock)
