"""The cluster's SQLite database and the lock that serialises every command on a cluster.

Every command of every process on one cluster runs under one exclusive file lock, inside a
SQLite transaction (its own, or in batch mode one shared by a group of commands, each in a
savepoint: hsmshell/transactions.py); the audit records are appended after COMMIT and before
the lock is released. That gives one total order for state changes and audit records, across
processes.
WAL with synchronous=NORMAL keeps a commit durable against a crash of the process (not of
the machine), which is what docs/architecture.md asks; checkpoints fsync.

While the lock is held nobody else can change the database, so a `meta` value is read at most
once per lock hold and then served from memory (every command reads several: the audit head,
the round-robin turn, the next key handle, M values); a rollback forgets them. Inside a
transaction a `meta` write is kept in memory too and written once, right before COMMIT (a
batch transaction sets the round-robin turn and the next key handle dozens of times);
savepoints keep track of such writes so that undoing one step keeps the others.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from hsmshell.errors import ClusterBusy, ClusterStateDamaged
from hsmshell import fileio

# sqlite3 binds exact int, float and str values directly but looks every other value (None,
# bytes, bool) up in its adapter registry and then probes it for __adapt__ / __conform__: a
# few microseconds per value, and a batch command binds dozens. Registered adapters that hand
# the value back as it is (C callables: no Python frame) make that one dictionary lookup.
sqlite3.register_adapter(type(None), {}.get)       # {}.get(None) is None: bound as NULL
sqlite3.register_adapter(bytes, bytes)              # bytes(b) is b: bound as a BLOB
sqlite3.register_adapter(bool, int)                 # as sqlite3 binds a bool anyway: 0 or 1

STATE_DB = "state.db"
LOCK_TIMEOUT = 60.0          # seconds a command waits for the cluster lock
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
META_SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
META_UPSERT = ("INSERT INTO meta(key, value) VALUES(?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
HELD_READS = "reads"         # held's entry for ClusterDB.read: (total_changes, {query: rows})


class ClusterDB:
    def __init__(self, directory: Path, create: bool = False):
        """Open the cluster state in `directory`; only `create` (a new cluster, under its
        lock: clusters.py) makes the file. A missing, empty or unreadable state.db is
        refused (ClusterStateDamaged) with nothing written: a cluster is never rebuilt in place."""
        self.directory = directory
        self.path = directory / STATE_DB
        self.created = False                     # this object made the state file
        if not create and not os.path.lexists(self.path):
            raise ClusterStateDamaged(f"the cluster state {self.path} is missing: refused, nothing was written")
        try:
            self._lock_fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC,
                                    fileio.PRIVATE)
        except OSError as exc:
            raise ClusterStateDamaged(f"cannot open the cluster lock {directory / 'lock'}: "
                                      f"{exc.strerror}") from None
        try:
            if create:
                # held from here to the end of the creator's first exclusive(): a second shell
                # starting at the same moment waits, then finds the cluster made
                _acquire(self._lock_fd, directory)
                self.created = not os.path.lexists(self.path)
                if self.created:
                    _require_empty(directory)
            try:
                self.conn = _connect(self.path, create and self.created)
            except ClusterStateDamaged:
                if create:
                    raise
                # a shell making this cluster right now holds the lock from its first file to
                # its last: once it lets go, look again (damage then is damage)
                _acquire(self._lock_fd, directory)
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                self.conn = _connect(self.path, False)
        except BaseException:
            os.close(self._lock_fd)
            raise
        self._depth = 0
        self._meta: dict[str, str | None] | None = None   # meta values read under the lock
        self._unwritten: dict[str, str] = {}      # meta writes of the open transaction, for COMMIT
        # Other values derived from the database under the lock (the HSM list, each HSM log's
        # next sequence number); the same life as _meta: a rollback or the unlock forgets them.
        self.held: dict | None = None
        # Called inside a transaction right before its COMMIT, and after a ROLLBACK: the audit
        # log writes its head once per transaction, however many records it staged, and
        # forgets them if the transaction is undone.
        self.before_commit: list = []
        self.after_rollback: list = []

    # -- locking and transactions -----------------------------------------------------------
    # Plain context-manager objects rather than @contextmanager generators: every command
    # enters three of them, and a generator costs several times more per use.
    def exclusive(self) -> "_Exclusive":
        """The cluster-wide lock (re-entrant within this object)."""
        return _Exclusive(self)

    def transaction(self) -> "_Transaction":
        return _Transaction(self)

    def savepoint(self, name: str = "dispatch") -> "_Savepoint":
        """Undo a failed step's writes while the surrounding transaction goes on."""
        return _Savepoint(self, name)

    def lock(self) -> None:
        if self._depth == 0:
            _acquire(self._lock_fd, self.directory)
            self._meta, self.held = {}, {}     # other processes may have changed them meanwhile
        self._depth += 1

    def unlock(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._meta = self.held = None
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        try:
            for hook in self.before_commit:
                hook()
            if self._unwritten:
                self.conn.executemany(META_UPSERT, self._unwritten.items())
                self._unwritten = {}
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        self._forget_meta()
        if self.conn.in_transaction:      # (a failed restart() may have ended it)
            self.conn.execute("ROLLBACK")
        for hook in self.after_rollback:
            hook()

    def restart(self) -> None:
        """Undo everything the open transaction wrote and begin a new one, under the same lock
        (cheaper than a savepoint around a step that nearly always succeeds)."""
        self.rollback()
        self.begin()

    # -- meta key/value -------------------------------------------------------------------
    # While the lock is held `_meta` is a dict of the values read or written so far (None for
    # an absent key); otherwise it is None and every read goes to the database.
    def _forget_meta(self, unwritten: dict[str, str] | None = None) -> None:
        """Forget what was read; `unwritten`: the meta writes still to make (none by default)."""
        self._unwritten = dict(unwritten or {})
        self._meta, self.held = (dict(self._unwritten), {}) if self._depth else (None, None)

    def meta(self, key: str, default: str | None = None) -> str | None:
        cached = self._meta
        if cached is not None and key in cached:
            value = cached[key]
        else:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            value = row[0] if row else None
            if cached is not None:
                cached[key] = value
        return default if value is None else value

    def meta_many(self, *keys: str) -> dict[str, str]:
        """The keys' values; absent keys are left out."""
        cached = self._meta
        wanted = keys if cached is None else [k for k in keys if k not in cached]
        if wanted:
            marks = ",".join("?" * len(wanted))
            found = dict(self.conn.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", wanted))
            if cached is None:
                return found
            for key in wanted:
                cached[key] = found.get(key)
        return {key: cached[key] for key in keys if cached[key] is not None}

    def read(self, sql: str, params: tuple = ()) -> tuple:
        """The rows of a deterministic read-only query, as a tuple. While the lock is held an
        answer is kept until this connection next writes: nobody else can write then, and
        `total_changes` counts every row it inserts, updates or deletes (triggers and
        foreign-key cascades included), so an unchanged count means unchanged tables. A
        rollback forgets `held` (it undoes writes, not the count); schema changes are not
        counted and happen only when a backend opens the database. A batch of 1,000 `sign`
        lines asks the same key row, user ids and quorum probe 1,000 times."""
        held = self.held
        if held is None:
            return tuple(self.conn.execute(sql, params))
        changes = self.conn.total_changes
        reads = held.get(HELD_READS)
        if reads is None or reads[0] != changes:
            reads = held[HELD_READS] = (changes, {})
        key = (sql, params)
        rows = reads[1].get(key)
        if rows is None:
            rows = reads[1][key] = tuple(self.conn.execute(sql, params))
        return rows

    def set_meta(self, key: str, value: str) -> None:
        self.set_meta_many({key: value})

    def set_meta_many(self, items: dict[str, str]) -> None:
        if self._meta is None or not self.conn.in_transaction:
            self.conn.executemany(META_UPSERT, items.items())
        else:
            self._unwritten.update(items)          # written by commit()
        if self._meta is not None:
            self._meta.update(items)

    def checkpoint(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(FULL)")

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            os.close(self._lock_fd)


def _acquire(fd: int, directory: Path) -> None:
    """The cluster lock, waiting at most LOCK_TIMEOUT seconds for another shell to let go
    (then cluster-busy, exit 5: a shell stuck holding it must not hang every other one)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    deadline, delay = time.monotonic() + LOCK_TIMEOUT, 0.001
    while True:
        time.sleep(delay)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise ClusterBusy(f"another shell has held the lock of the cluster in {directory} for "
                                  f"{LOCK_TIMEOUT:g} s: nothing was run") from None
            delay = min(delay * 2, 0.02)


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    if create:
        fileio.write_file(path, b"", mode=fileio.PRIVATE, exclusive=True, what="cluster state",
                         error=ClusterStateDamaged)
    # mode=rw: SQLite never creates the file here (an empty one would be a new, empty state)
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, isolation_level=None,
                           timeout=30.0)
    try:
        if not create and conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                       "AND name = 'meta'").fetchone() is None:
            raise ClusterStateDamaged(f"the cluster state {path} holds no cluster (empty, or not "
                                      f"hsmshell's): refused, nothing was written")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        # A batch command's savepoint copies each page it first changes to a sub-journal:
        # kept in memory, not in a temporary file created and deleted per command
        conn.execute("PRAGMA temp_store=MEMORY")
        if create:
            conn.execute(META_SCHEMA)
    except sqlite3.Error as exc:
        conn.close()
        raise state_damaged(path, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _require_empty(directory: Path) -> None:
    """A new cluster's state is made only in a folder that holds nothing of an older one."""
    found = sorted(name for name in os.listdir(directory) if name != "lock")
    if found:
        raise ClusterStateDamaged(f"the cluster folder {directory} holds {', '.join(found[:6])} but no "
                                  f"state.db: refused, nothing was written (a cluster is never "
                                  f"re-created in place)")


def state_damaged(path: Path, exc: Exception) -> ClusterStateDamaged:
    """What a SQLite failure on the cluster state means to the user: one line, exit 5."""
    return ClusterStateDamaged(f"the cluster state {path} cannot be used: {str(exc)[:120]}")


class _Exclusive:
    __slots__ = ("db",)

    def __init__(self, db: ClusterDB):
        self.db = db

    def __enter__(self) -> None:
        self.db.lock()

    def __exit__(self, *exc) -> None:
        self.db.unlock()


class _Transaction:
    __slots__ = ("db",)

    def __init__(self, db: ClusterDB):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.begin()
        return self.db.conn

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.db.commit()
        else:
            self.db.rollback()


class _Savepoint:
    __slots__ = ("db", "name", "unwritten")

    def __init__(self, db: ClusterDB, name: str):
        self.db, self.name = db, name

    def __enter__(self) -> "_Savepoint":
        self.db.conn.execute(f"SAVEPOINT {self.name}")
        self.unwritten = dict(self.db._unwritten)     # meta writes made before it stay
        return self

    def undo(self) -> None:
        """Undo what was written since the savepoint; it stays open."""
        self.db._forget_meta(self.unwritten)
        self.db.conn.execute(f"ROLLBACK TO {self.name}")

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.undo()
        self.db.conn.execute(f"RELEASE {self.name}")
