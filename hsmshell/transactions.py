"""The one audited-transaction protocol of every write to a cluster, and how commands map to it.

Whatever writes (a command, the end of a session, a `hsmshell cluster` operation, the
creation of a cluster) does it inside `AuditedTransaction`: under the cluster lock, the log
recovered, BEGIN; the writer changes the state and stages its records; COMMIT also stores
them as pending; then they are appended (audit/log.py), and fsynced when asked. Interactive
modes give every command its own (`AuditedTransaction`).
Batch mode (`run FILE`, `-c`) lets consecutive commands share one lock hold and one
transaction (`CommitGroup`): a command after the first runs in a savepoint, so a failed
command undoes only its own writes; the group commits after GROUP_COMMANDS commands or GROUP_SECONDS, before anything
asks the user a question, right after a command that wrote key material to a file (exSymKey,
exportPrivateKey, wrapKey, aesWrapUnwrap: a rollback cannot take it back, so its record is
committed as soon as it is written, as with a transaction of its own), and at the end of the
batch. Results are shown only after that commit and the append of their records, so the
audit rule holds; a crash loses the uncommitted commands together with their records, and
none of their results were shown. Other files a command writes (a signature, a public key, a
token) may exist up to one group before their records are committed. Only backends whose
whole state is in the cluster database group at all (the emulator; not the real tools).
"""

from __future__ import annotations

import time


GROUP_COMMANDS = 64       # commands per batch transaction: a commit costs as much as a command
GROUP_SECONDS = 0.05      # other shells on the cluster wait for the lock at most about this long


def _start(db, audit) -> None:
    db.lock()
    try:
        db.begin()
        # first inside the transaction: its read of the head is the transaction's first
        # read, and nothing else has written in it when a failed command is undone
        audit.recover()
    except BaseException:
        db.rollback()
        db.unlock()
        raise


def _finish(db, audit, committed: bool, sync: bool = False) -> None:
    try:
        if committed:
            db.commit()
            audit.append()
            if sync:
                audit.sync()
        else:
            db.rollback()
    finally:
        db.unlock()


class AuditedTransaction:
    """One lock hold, one transaction, its records appended after COMMIT (the lock is
    re-entrant: a writer that must do something under the lock first may hold it already).
    `sync`: fsync the log afterwards (end of a session, admin operations); settable inside."""

    __slots__ = ("db", "audit", "sync")

    def __init__(self, db, audit, sync: bool = False):
        self.db, self.audit, self.sync = db, audit, sync

    def __enter__(self) -> "AuditedTransaction":
        _start(self.db, self.audit)
        return self

    def undo(self) -> None:
        """Undo the command's writes; its record goes in a fresh transaction."""
        self.db.restart()

    def __exit__(self, kind, value, traceback) -> None:
        _finish(self.db, self.audit, kind is None, self.sync)


class CommitGroup:
    """Batch mode: consecutive commands in one lock hold and one transaction."""

    def __init__(self, db, audit):
        self.db, self.audit = db, audit
        self.open = False
        self.commands = 0              # in this lock hold
        self.uncommitted = 0           # in the open transaction
        self.deadline = 0.0
        self.done_outside = False      # the last command wrote key material out: commit now
        self._savepoint = None
        self._mark = None

    # -- one command's part ------------------------------------------------------------------
    def __enter__(self) -> "CommitGroup":
        if not self.open:
            _start(self.db, self.audit)
            self.open, self.commands, self.uncommitted = True, 0, 0
            self.deadline = time.monotonic() + GROUP_SECONDS
        # the first command of a transaction is undone by rolling it back, as AuditedTransaction
        # does; a savepoint is needed only to keep earlier commands' writes
        self._savepoint = self.db.savepoint("command").__enter__() if self.uncommitted else None
        self._mark = self.audit.mark()
        self.done_outside = False      # the pipeline sets it from the command's context
        return self

    def undo(self) -> None:
        if self._savepoint is not None:
            self._savepoint.undo()
        else:
            self.db.restart()

    def __exit__(self, kind, value, traceback) -> None:
        savepoint, self._savepoint = self._savepoint, None
        if kind is not None:                         # an exception undoes only this command,
            self.audit.rewind(self._mark)            # its writes and any record it staged
        if savepoint is not None:
            savepoint.__exit__(kind, value, traceback)
        elif kind is not None:
            self.db.restart()
        self.commands += 1
        self.uncommitted += 1

    @property
    def full(self) -> bool:
        """Time to commit and let other shells have the lock."""
        return self.commands >= GROUP_COMMANDS or time.monotonic() >= self.deadline

    # -- the whole group -----------------------------------------------------------------------
    def commit(self, keep_lock: bool = False) -> None:
        """COMMIT, append the records, release the lock (every step even if one fails).
        `keep_lock`: go on in a new transaction under the same lock hold instead (a command
        that wrote a file needs its record now; the lock hold's limits still apply). Nobody
        else can have written meanwhile, so the log needs no new recover()."""
        if not self.open:
            return
        if keep_lock:
            try:
                self.db.commit()
                self.audit.append()
                self.db.begin()
                self.uncommitted = 0
                return
            except BaseException:
                self.open = False
                if self.db.conn.in_transaction:
                    self.db.rollback()
                self.db.unlock()
                raise
        self.open = False
        _finish(self.db, self.audit, True)
