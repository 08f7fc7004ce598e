"""The state dir's SQLite files other than a cluster's state.db (state/db.py): the pkcs11
backend's handle map, the KMS account's kms.db.

Each is private (0600 whatever the umask; SQLite gives its -wal and -shm files the database
file's mode), in WAL mode and autocommit (the caller begins its own transactions), and waits
up to 30 s for another process's write. It is set up (journal mode, schema, migrations) under
an exclusive lock on a file beside it: SQLite answers `database is locked` at once, without
waiting, to some of several processes that set up one new file at the same instant.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

from hsmshell import fileio

BUSY_TIMEOUT = 30.0          # seconds a statement waits for another process's write
_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_private_db(path: Path, *, setup=None, lock: Path | None = None,
                    pragmas: tuple[str, ...] = ()) -> sqlite3.Connection:
    """A connection to the private SQLite file `path` (made if missing, with its folder).
    `setup(conn)` (tables, migrations) and `pragmas` run under the exclusive lock of `lock`
    (default: `path` + ".lock"), as does the switch to WAL."""
    path = Path(path)
    fileio.make_folder(path.parent)
    fileio.ensure_private_file(path)
    fd = os.open(lock or path.with_name(path.name + ".lock"), _FLAGS, fileio.PRIVATE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            for pragma in pragmas:
                conn.execute(f"PRAGMA {pragma}")
            if setup is not None:
                setup(conn)
        except BaseException:
            conn.close()
            raise
        return conn
    finally:
        os.close(fd)              # (closing it lets go of the lock)
