"""The cluster's SQLite database and the lock that serialises every command on a cluster.

Every command of every process on one cluster runs under one exclusive file lock, inside one
SQLite transaction; the audit record is appended after COMMIT and before the lock is
released. That gives one total order for state changes and audit records, across processes.
WAL with synchronous=NORMAL keeps a commit durable against a crash of the process (not of
the machine), which is what DESIGN.md asks; checkpoints fsync.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

META_SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
META_UPSERT = ("INSERT INTO meta(key, value) VALUES(?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value")


class ClusterDB:
    def __init__(self, directory: Path):
        self.directory = directory
        self.path = directory / "state.db"
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute(META_SCHEMA)
        self._lock_fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        self._depth = 0

    # -- locking and transactions -----------------------------------------------------------
    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """The cluster-wide lock (re-entrant within this object)."""
        if self._depth == 0:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def savepoint(self, name: str = "dispatch") -> Iterator[None]:
        """Undo a failed step's writes while the surrounding transaction goes on."""
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        self.conn.execute(f"RELEASE {name}")

    # -- meta key/value -------------------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(META_UPSERT, (key, value))

    def set_meta_many(self, items: dict[str, str]) -> None:
        """Several keys in one statement (the audit head changes four per command)."""
        self.conn.executemany(META_UPSERT, items.items())

    def meta_many(self, *keys: str) -> dict[str, str]:
        marks = ",".join("?" * len(keys))
        return dict(self.conn.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", keys))

    def checkpoint(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(FULL)")

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            os.close(self._lock_fd)
