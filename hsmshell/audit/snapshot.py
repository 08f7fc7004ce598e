"""A scratch copy of a cluster folder, for `run --dry-run`: the database copied consistently
(sqlite3 backup API, under the cluster lock), the key files beside it, an empty audit log.

Nothing in the real folder is written: the database is opened read-only (and `immutable`
when no write-ahead log exists, so not even SQLite's -wal/-shm files appear), and the lock
file is opened without O_CREAT. Only SQLite's shared-memory index (state.db-shm), which is
not state, may be touched when another process has the database open.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

NOT_COPIED = ("state.db", "state.db-wal", "state.db-shm", "lock", "audit.log")


def snapshot_cluster(real: Path, scratch: Path) -> bool:
    """Copy cluster folder `real` into `scratch` (created). False if `real` holds no cluster."""
    scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
    database = real / "state.db"
    if not database.is_file():
        return False
    lock = _open_lock(real)
    try:
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_SH)      # writers take LOCK_EX: none runs meanwhile
        _copy_database(database, scratch / "state.db")
        for item in real.iterdir():
            if item.is_file() and item.name not in NOT_COPIED and not item.name.endswith(".log"):
                shutil.copy2(item, scratch / item.name)       # keeps the 0600 of key files
    finally:
        if lock is not None:
            os.close(lock)
    _start_empty_log(scratch)
    return True


def _open_lock(real: Path) -> int | None:
    try:
        return os.open(real / "lock", os.O_RDONLY)
    except FileNotFoundError:
        return None


def _copy_database(source: Path, target: Path) -> None:
    immutable = "" if Path(str(source) + "-wal").exists() else "&immutable=1"
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro{immutable}", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _start_empty_log(scratch: Path) -> None:
    """The scratch log starts empty: its head keeps the real sequence and hash (so numbering
    goes on), with no bytes and nothing pending."""
    from hsmshell.audit.log import read_head, write_head
    from hsmshell.state.db import ClusterDB

    from hsmshell import fileio

    fileio.write_file(scratch / "audit.log", b"", mode=fileio.PRIVATE, atomic=True, what="scratch audit log")
    db = ClusterDB(scratch)
    try:
        with db.exclusive(), db.transaction():
            write_head(db, read_head(db)._replace(length=0, pending=""))
    finally:
        db.close()
