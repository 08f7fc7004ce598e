"""Appending to the audit log, crash-consistently with the cluster state.

Protocol, run for every command under the cluster lock (state/db.py):
1. `recover()` — the log file must be exactly as long as the state says. If it is short by
   exactly the pending record (the process died between COMMIT and the append), append it.
2. Inside the command's transaction, `stage(fields)` encodes the record, and stores it as the
   pending record together with the new head (seq, hash, log length) in the cluster state.
3. After COMMIT, `append()` writes the staged line.
So every committed state change has its record, and a record exists only for what committed.
If the log cannot be written, step 1 fails before the next command is dispatched (fail closed).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from pathlib import Path

from hsmshell.audit import records
from hsmshell.audit.keys import key_id, sign_checkpoint
from hsmshell.errors import AuditTampered, AuditWriteFailed
from hsmshell.state.db import ClusterDB

LOG_NAME = "audit.log"
CHECKPOINT_EVERY = 1000


def utc_stamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditLog:
    def __init__(self, db: ClusterDB, clock, path: Path | None = None):
        self.db = db
        self.clock = clock
        self.directory = db.directory
        self.path = path or (db.directory / LOG_NAME)
        self._fd: int | None = None
        self._staged: list[bytes] = []
        self._since = 0                      # records since the last checkpoint, as last staged

    # -- the write path -------------------------------------------------------------------------
    def _open(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise AuditWriteFailed(f"cannot open the audit log {self.path}: {exc.strerror}",
                                       hint="the command was not run; fix the log's folder") from None
        return self._fd

    def head(self, meta: dict | None = None) -> tuple[int, bytes, int]:
        meta = meta if meta is not None else self.db.meta_many("audit_seq", "audit_hash", "audit_bytes")
        return (int(meta.get("audit_seq", 0)),
                bytes.fromhex(meta.get("audit_hash", records.GENESIS_PREV.hex())),
                int(meta.get("audit_bytes", 0)))

    def recover(self) -> None:
        fd = self._open()
        expected = int(self.db.meta("audit_bytes", "0"))
        size = os.fstat(fd).st_size
        if size == expected:
            return
        pending = (self.db.meta("audit_pending") or "").encode("ascii")
        start = expected - len(pending)
        if pending and start <= size < expected and self._tail_is_prefix(start, size, pending):
            os.truncate(self.path, start)
            self._write(pending[:])
            return
        raise AuditTampered(
            f"the audit log {self.path} has {size} bytes but the cluster state says {expected}",
            hint="run `hsmshell audit verify` to find the first bad record; nothing was run")

    def _tail_is_prefix(self, start: int, size: int, pending: bytes) -> bool:
        with open(self.path, "rb") as handle:
            handle.seek(start)
            return pending.startswith(handle.read(size - start))

    def stage(self, fields: dict) -> int:
        """Encode the next record and record it as the new head (inside the transaction)."""
        # one read and one write of the meta table: this runs once per command
        meta = self.db.meta_many("audit_seq", "audit_hash", "audit_bytes", "audit_since_checkpoint")
        seq, prev, length = self.head(meta)
        seq += 1
        fields.setdefault("time", utc_stamp(self.clock()))
        line, digest = records.encode(seq, fields, prev)
        self._staged.append(line)
        pending = b"".join(self._staged).decode("ascii")
        since = self._since = int(meta.get("audit_since_checkpoint", 0)) + 1
        self.db.set_meta_many({"audit_seq": str(seq), "audit_hash": digest.hex(),
                               "audit_bytes": str(length + len(line)), "audit_pending": pending,
                               "audit_since_checkpoint": str(since)})
        return seq

    def append(self) -> None:
        """Write what the committed transaction staged."""
        lines, self._staged = self._staged, []
        if lines:
            self._write(b"".join(lines))

    def discard(self) -> None:
        """The transaction rolled back: nothing it staged exists."""
        self._staged = []

    def _write(self, line: bytes) -> None:
        try:
            written = os.write(self._open(), line)
            if written != len(line):
                raise OSError(28, "short write")
        except OSError as exc:
            raise AuditWriteFailed(
                f"the command ran, but its audit record could not be written: {exc.strerror}",
                hint="the record is kept in the cluster state and will be written before "
                     "the next command runs") from None

    def needs_checkpoint(self) -> bool:
        """Asked right after stage(), which knows the count: no second read per command."""
        return self._since >= CHECKPOINT_EVERY

    # -- checkpoints ----------------------------------------------------------------------------
    def checkpoint_fields(self) -> dict | None:
        """A signed checkpoint over the current head, or None if nothing is new since the last."""
        if int(self.db.meta("audit_since_checkpoint", "0")) == 0:
            return None
        seq, prev, _ = self.head()
        signature = sign_checkpoint(self.directory, records.checkpoint_message(seq, prev))
        public = (self.directory / "audit.pub").read_bytes()
        return {"kind": "checkpoint", "covers_seq": seq, "covers_hash": prev.hex(),
                "key_id": key_id(public), "signature": base64.b64encode(signature).decode()}

    def mark_checkpointed(self) -> None:
        self._since = 0
        self.db.set_meta("audit_since_checkpoint", "0")

    def sync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
