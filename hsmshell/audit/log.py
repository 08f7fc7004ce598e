"""Appending to the audit log, crash-consistently with the cluster state.

Protocol, run under the cluster lock (state/db.py) for every transaction, which holds one
command (or, in batch mode, several: pipeline.py):
1. `recover()` — the log file must be exactly as long as the state says. If it is short by
   at most the pending lines (the process died between COMMIT and the append), append the
   rest. It writes nothing to the state, so it may run first inside the transaction (the
   pipeline does: its read of the head is then that transaction's first read).
2. Inside the transaction, `stage(fields)` encodes each record; right before COMMIT the
   new head (seq, hash, log length) and the staged lines, as the pending lines, are stored in
   the cluster state: one meta row, `audit_head`, written once per transaction.
3. After COMMIT, `append()` writes the staged lines.
So every committed state change has its record, and a record exists only for what committed.
If the log cannot be written, step 1 fails before the next command is dispatched (fail closed).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import os
from pathlib import Path
from typing import NamedTuple

from hsmshell.audit import records
from hsmshell.audit.keys import VERIFY_KEY, key_id, read_audit_key, sign_checkpoint
from hsmshell.errors import AuditTampered, AuditWriteFailed
from hsmshell.state.db import ClusterDB

LOG_NAME = "audit.log"
CHECKPOINT_EVERY = 1000


HEAD_KEY = "audit_head"
TAIL_WINDOW = 1 << 20          # the last two records fit (a record is a few hundred bytes)


def utc_stamp(epoch: float) -> str:
    """`2026-12-04T23:20:07.123456Z`. The date and the seconds are formatted once per second
    (a batch stamps thousands of records a second; only the microseconds change)."""
    seconds = int(epoch // 1)
    micros = round((epoch - seconds) * 1_000_000)
    if micros >= 1_000_000:                     # as datetime rounds: up to the next second
        seconds, micros = seconds + 1, micros - 1_000_000
    if _last_second[0] != seconds:
        _last_second[:] = [seconds, _whole_seconds(seconds)]
    return f"{_last_second[1]}.{micros:06d}Z"


def _whole_seconds(seconds: int) -> str:
    # isoformat is the C formatter (strftime goes through time.strftime): same text, faster
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat(timespec="seconds")[:-6]


_last_second: list = [None, ""]


class Head(NamedTuple):
    """The log as the cluster state knows it: the last record's sequence number and hash, the
    log's length in bytes, records since the last checkpoint, and the lines of the last
    transaction (appended after its COMMIT; recover() appends them if a crash came between)."""
    seq: int = 0
    hash: bytes = records.GENESIS_PREV
    length: int = 0
    since: int = 0
    pending: str = ""


@functools.lru_cache(maxsize=8)
def _parse_head(text: str) -> Head:
    # recover() and stage() read the same cached row: it is parsed once per command
    numbers, _, pending = text.partition("\n")
    seq, digest, length, since = numbers.split(" ")
    return Head(int(seq), bytes.fromhex(digest), int(length), int(since), pending)


def read_head(db: ClusterDB) -> Head:
    text = db.meta(HEAD_KEY)
    return Head() if text is None else _parse_head(text)


def write_head(db: ClusterDB, head: Head) -> None:
    """One row, written once per transaction (the pending text is ASCII JSON lines)."""
    db.set_meta(HEAD_KEY, f"{head.seq} {head.hash.hex()} {head.length} {head.since}\n{head.pending}")


class AuditLog:
    def __init__(self, db: ClusterDB, clock, path: Path | None = None, create: bool = False):
        self.db = db
        # Only a new cluster's log is created; a missing one is refused (never re-started)
        self._flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC | (os.O_CREAT | os.O_EXCL if create else 0)
        self.clock = clock
        self.directory = db.directory
        self.path = path or (db.directory / LOG_NAME)
        self._fd: int | None = None
        self._tail_checked = False
        self._staged: list[bytes] = []
        self._head: Head | None = None       # the head as staged, until the transaction ends
        db.before_commit.append(self._write_head)
        db.after_rollback.append(self.discard)

    # -- the write path -------------------------------------------------------------------------
    def _open(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, self._flags | getattr(os, "O_NOFOLLOW", 0), 0o600)
                self._flags &= ~(os.O_CREAT | os.O_EXCL)
            except FileNotFoundError:
                raise AuditTampered(f"the audit log {self.path} is missing",
                                    hint="restore it from a copy; nothing was run") from None
            except OSError as exc:
                raise AuditWriteFailed(f"cannot open the audit log {self.path}: {exc.strerror}",
                                       hint="the command was not run; fix the log's folder") from None
        return self._fd

    def recover(self) -> None:
        fd = self._open()
        head = read_head(self.db)          # under the lock: stage() reuses this read (db.py)
        expected = head.length
        size = os.fstat(fd).st_size
        if size == expected:
            if not self._tail_checked:
                self._check_last_record(fd, head)
            return
        pending = head.pending.encode("ascii")
        start = expected - len(pending)
        if pending and start <= size < expected and self._tail_is_prefix(start, size, pending):
            os.truncate(self.path, start)
            self._write(pending[:])
            return
        raise AuditTampered(
            f"the audit log {self.path} has {size} bytes but the cluster state says {expected}",
            hint="run `hsmshell audit verify` to find the first bad record; nothing was run")

    def _check_last_record(self, fd: int, head: Head) -> None:
        """Once per open: the log's last record is the head the state remembers (its hash
        recomputed from the line before it), so a same-size edit of it is caught."""
        if head.seq:
            window = min(head.length, TAIL_WINDOW)
            lines = os.pread(fd, window, head.length - window).split(b"\n")[:-1]
            if window < head.length:
                lines = lines[1:]                       # the first may be cut
            wanted = 1 if head.seq == 1 else 2
            if len(lines) >= wanted and not self._is_head(lines[-wanted:], head):
                raise AuditTampered(
                    f"the last record of the audit log {self.path} is not the head the cluster "
                    f"state remembers (record {head.seq})",
                    hint="run `hsmshell audit verify` to find the first bad record; nothing was run")
        self._tail_checked = True

    @staticmethod
    def _is_head(lines: list[bytes], head: Head) -> bool:
        last = lines[-1] + b"\n"
        if len(last) <= records.HASH_SUFFIX_LEN or not last.startswith(b'{"seq":%d,' % head.seq):
            return False
        try:
            prev = records.stored_hash(lines[0] + b"\n") if len(lines) == 2 else records.GENESIS_PREV
            stored = records.stored_hash(last)
        except ValueError:
            return False
        body = last[:-records.HASH_SUFFIX_LEN]
        return stored == head.hash and records.record_hash(prev, body) == head.hash

    def _tail_is_prefix(self, start: int, size: int, pending: bytes) -> bool:
        with open(self.path, "rb") as handle:
            handle.seek(start)
            return pending.startswith(handle.read(size - start))

    def head(self) -> Head:
        """The head including what this transaction staged so far."""
        return self._head or read_head(self.db)

    def stage(self, fields: dict) -> int:
        """Encode the next record (inside the transaction); COMMIT stores the new head."""
        head = self.head()
        seq = head.seq + 1
        fields.setdefault("time", utc_stamp(self.clock()))
        line, digest = records.encode(seq, fields, head.hash)
        self._staged.append(line)
        self._head = Head(seq, digest, head.length + len(line), head.since + 1)
        return seq

    def _write_head(self) -> None:
        """Right before COMMIT (ClusterDB.before_commit): the one write of the head."""
        if self._head is not None:
            write_head(self.db, self._head._replace(pending=b"".join(self._staged).decode("ascii")))

    def append(self) -> None:
        """Write what the committed transaction staged."""
        lines, self._staged, self._head = self._staged, [], None
        if lines:
            self._write(b"".join(lines))

    def mark(self) -> tuple:
        return len(self._staged), self._head

    def rewind(self, mark: tuple) -> None:
        """Forget what was staged since mark() (a command that failed while being staged)."""
        count, self._head = mark
        del self._staged[count:]

    def discard(self) -> None:
        """The transaction rolled back: nothing it staged exists."""
        self._staged, self._head = [], None

    def _write(self, line: bytes) -> None:
        try:
            written = os.write(self._open(), line)
            if written != len(line):
                raise OSError(28, "short write")
        except OSError as exc:
            raise AuditWriteFailed(
                f"what ran has no audit record yet: the log could not be written: {exc.strerror}",
                hint="the record is kept in the cluster state and will be written before "
                     "the next command runs") from None

    def needs_checkpoint(self) -> bool:
        return self.head().since >= CHECKPOINT_EVERY

    # -- checkpoints ----------------------------------------------------------------------------
    def checkpoint_fields(self) -> dict | None:
        """A signed checkpoint over the current head, or None if nothing is new since the last."""
        head = self.head()
        if head.since == 0:
            return None
        seq, prev = head.seq, head.hash
        signature = sign_checkpoint(self.directory, records.checkpoint_message(seq, prev))
        public = read_audit_key(self.directory, VERIFY_KEY)
        return {"kind": "checkpoint", "covers_seq": seq, "covers_hash": prev.hex(),
                "key_id": key_id(public), "signature": base64.b64encode(signature).decode()}

    def mark_checkpointed(self) -> None:
        self._head = self.head()._replace(since=0)

    def sync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
