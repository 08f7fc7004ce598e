"""Stable integer handles for the objects on a token.

PKCS#11 object handles live only as long as a session, so the shell shows its own: each
(CKA_CLASS, CKA_ID) pair seen on a token gets the next integer, kept in a small SQLite file
per token serial under the state dir (<home>/pkcs11/<serial>.db), shared by every shell on
that token. The shell sets a fresh random CKA_ID on every object it creates (both halves of a
pair share it, as pkcs11-tool does); an object another tool made without one gets one the
first time the shell lists it. The file holds ids and handles only: nothing secret.
"""

from __future__ import annotations

import re
from pathlib import Path

from hsmshell.state.sqlite_files import open_private_db

FIRST_HANDLE = 1


def _file_name(serial: str) -> str:
    return (re.sub(r"[^A-Za-z0-9_.-]", "_", serial) or "no-serial") + ".db"


class HandleMap:
    def __init__(self, home: Path, serial: str):
        self.path = Path(home) / "pkcs11" / _file_name(serial)
        # a crash of the process loses nothing in WAL mode at NORMAL; only a power cut can
        # take the last mappings (the keys stay on the token and get new handles when listed)
        self.conn = open_private_db(self.path, pragmas=("synchronous=NORMAL",), setup=lambda conn: conn.execute(
            "CREATE TABLE IF NOT EXISTS handles (handle INTEGER PRIMARY KEY, class INTEGER NOT NULL, "
            "ckid TEXT NOT NULL, UNIQUE(class, ckid))"))
        self._by_id: dict[tuple[int, str], int] = {}
        self._by_handle: dict[int, tuple[int, str]] = {}

    def handle_for(self, object_class: int, ckid: bytes) -> int:
        """The handle of (class, id), given one the first time it is seen (by any shell)."""
        key = (int(object_class), ckid.hex())
        handle = self._by_id.get(key)
        if handle is None:
            self.conn.execute("INSERT OR IGNORE INTO handles(handle, class, ckid) VALUES("
                              "(SELECT COALESCE(MAX(handle), ?) + 1 FROM handles), ?, ?)",
                              (FIRST_HANDLE - 1, *key))
            handle = self.conn.execute("SELECT handle FROM handles WHERE class = ? AND ckid = ?",
                                       key).fetchone()[0]
            self._remember(handle, key)
        return handle

    def lookup(self, handle: int) -> tuple[int, bytes] | None:
        """(class, CKA_ID) of a handle, or None if no shell ever gave it out."""
        key = self._by_handle.get(handle)
        if key is None:
            row = self.conn.execute("SELECT class, ckid FROM handles WHERE handle = ?",
                                    (handle,)).fetchone()
            if row is None:
                return None
            key = (row[0], row[1])
            self._remember(handle, key)
        return key[0], bytes.fromhex(key[1])

    def _remember(self, handle: int, key: tuple[int, str]) -> None:
        self._by_id[key] = handle
        self._by_handle[handle] = key

    def close(self) -> None:
        self.conn.close()
