"""`audit verify`: stream the log once, checking numbering, the hash chain, the signed
checkpoints, and that the last record is the head the cluster state remembers (so a cut tail
is caught). Constant memory; JSON is parsed only for checkpoint records."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hsmshell.audit import records
from hsmshell.audit.keys import load_verify_key


@dataclass
class VerifyReport:
    log: str
    records: int = 0
    checkpoints: int = 0
    ok: bool = True
    bad_seq: int | None = None
    problem: str | None = None
    head_seq: int | None = None
    head_checked: bool = False      # compared with the head the cluster state keeps
    restored: int = 0               # records written from the cluster state (an interrupted append)

    def fail(self, seq: int, problem: str) -> "VerifyReport":
        self.ok, self.bad_seq, self.problem = False, seq, problem
        self.records = max(self.records, seq - 1)     # the records before it checked out
        return self

    def to_dict(self) -> dict:
        return {"log": self.log, "ok": self.ok, "records": self.records,
                "checkpoints": self.checkpoints, "first_bad_record": self.bad_seq,
                "problem": self.problem, "head_seq": self.head_seq, "head_checked": self.head_checked,
                "restored": self.restored}


def verify_log(path: Path, key_dir: Path | None, head: tuple[int, str] | None,
               observe: Callable[[bytes], None] | None = None) -> VerifyReport:
    """Check `path`; `key_dir` holds audit.pub; `head` is (seq, hash hex) from the state.
    `observe`, if given, sees the body of every record that checked out, in order."""
    report = VerifyReport(str(path))
    try:
        public_key = load_verify_key(key_dir) if key_dir is not None else None
    except (OSError, ValueError):
        public_key = None
    prev = records.GENESIS_PREV
    expected = 1
    try:
        handle = open(path, "rb")
    except OSError as exc:
        return report.fail(1, f"cannot read the log: {exc.strerror}")
    # The loop runs once per record: no function calls of ours in it, no decoding (a
    # record's fixed-width tail, `,"hash":"<64 hex>"}\n`, is found by its length).
    tail, marker, end = records.HASH_SUFFIX_LEN, records.HASH_MARKER, records.LINE_END
    start, stop = len(marker), -len(end)
    domain, sha256, hexlify = records.RECORD_DOMAIN, hashlib.sha256, binascii.hexlify
    checkpoint = b'"covers_hash":'
    with handle:
        for line in handle:
            cut = len(line) - tail
            if cut <= 0 or line[cut:cut + start] != marker or not line.endswith(end):
                return report.fail(expected, "not a well-formed record (edited or cut)")
            body = line[:cut]
            prefix = b'{"seq":%d,' % expected
            if not body.startswith(prefix):
                return report.fail(expected, _numbering_problem(body, expected))
            digest = sha256(domain + prev + body).digest()     # records.record_hash, inlined
            if hexlify(digest) != line[cut + start:stop]:
                return report.fail(expected, "hash mismatch: the record was changed, or one "
                                             "before it was removed or reordered")
            # fields are sorted, so only a checkpoint starts with "covers_hash" (checked in O(1))
            if body.startswith(checkpoint, len(prefix)):
                problem = _check_checkpoint(line, public_key, prev)
                if problem:
                    return report.fail(expected, problem)
                report.checkpoints += 1
            if observe is not None:
                observe(body)
            prev = digest
            expected += 1
    report.records = expected - 1
    report.head_seq = report.records
    if head is not None:
        report.head_checked = True
        seq, digest_hex = head
        if report.records < seq:
            return report.fail(report.records + 1,
                               f"the log ends at record {report.records} but the cluster state's "
                               f"head is record {seq}: the tail was cut")
        if report.records == seq and prev.hex() != digest_hex:
            return report.fail(seq, "the last record is not the head the cluster state remembers")
        if report.records > seq:
            return report.fail(seq + 1, f"records after the cluster state's head ({seq}) were added")
    return report


def _numbering_problem(body: bytes, expected: int) -> str:
    try:
        found = int(body[len(b'{"seq":'):].split(b",", 1)[0])
    except ValueError:
        return "no sequence number"
    if found > expected:
        return f"expected record {expected}, found {found}: records were removed or reordered"
    return f"expected record {expected}, found {found}: records were reordered or repeated"


def _check_checkpoint(line: bytes, public_key, prev: bytes) -> str | None:
    if public_key is None:
        return "a checkpoint cannot be checked: the audit public key (audit.pub) is missing"
    try:
        data = json.loads(line)
        signature = base64.b64decode(data["signature"], validate=True)
        message = records.checkpoint_message(int(data["covers_seq"]), bytes.fromhex(data["covers_hash"]))
        if data.get("kind") != "checkpoint":
            return "a record shaped like a checkpoint is not one"
        if data["covers_seq"] != data["seq"] - 1 or data["covers_hash"] != prev.hex():
            return "checkpoint covers the wrong record"
        public_key.verify(signature, message)
    except Exception:                # any malformed field or a bad signature means the same
        return "checkpoint signature does not verify"
    return None
