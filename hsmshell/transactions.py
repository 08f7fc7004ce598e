"""How commands map to cluster transactions (the pipeline's step between policy and render).

Each command runs under the cluster lock inside a transaction whose COMMIT also stores its
audit record as pending; the record is appended after COMMIT and before the result is shown
(audit/log.py). Interactive modes give every command its own transaction (`OwnTransaction`).
Batch mode (`run FILE`, `-c`) lets consecutive commands share one lock hold and one
transaction (`CommitGroup`): each command gets a savepoint, so a failed command undoes only its
own writes; the group commits after GROUP_COMMANDS commands or GROUP_SECONDS, before anything
asks the user a question, and at the end of the batch. Results are shown only after that
commit and the append of their records, so the audit rule holds; a crash loses the
uncommitted commands together with their records, and their results were never shown.
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


def _finish(db, audit, committed: bool) -> None:
    try:
        if committed:
            db.commit()
            audit.append()
        else:
            db.rollback()
    finally:
        db.unlock()


class OwnTransaction:
    """One command, one lock hold, one transaction."""

    __slots__ = ("db", "audit")

    def __init__(self, db, audit):
        self.db, self.audit = db, audit

    def __enter__(self) -> "OwnTransaction":
        _start(self.db, self.audit)
        return self

    def undo(self) -> None:
        """Undo the command's writes; its record goes in a fresh transaction."""
        self.db.restart()

    def __exit__(self, kind, value, traceback) -> None:
        _finish(self.db, self.audit, kind is None)


class CommitGroup:
    """Batch mode: consecutive commands in one lock hold and one transaction."""

    def __init__(self, db, audit):
        self.db, self.audit = db, audit
        self.open = False
        self.commands = 0
        self.deadline = 0.0
        self._savepoint = None

    # -- one command's part ------------------------------------------------------------------
    def __enter__(self) -> "CommitGroup":
        if not self.open:
            _start(self.db, self.audit)
            self.open, self.commands = True, 0
            self.deadline = time.monotonic() + GROUP_SECONDS
        self._savepoint = self.db.savepoint("command").__enter__()
        return self

    def undo(self) -> None:
        self._savepoint.undo()

    def __exit__(self, kind, value, traceback) -> None:
        savepoint, self._savepoint = self._savepoint, None
        savepoint.__exit__(kind, value, traceback)   # an exception undoes only this command
        self.commands += 1

    @property
    def full(self) -> bool:
        return self.commands >= GROUP_COMMANDS or time.monotonic() >= self.deadline

    # -- the whole group -----------------------------------------------------------------------
    def commit(self) -> None:
        """COMMIT, append the records, release the lock (every step even if one fails)."""
        if not self.open:
            return
        self.open = False
        _finish(self.db, self.audit, True)
