"""`audit verify`: stream the log once, checking numbering, the hash chain, the signed
checkpoints, and that the last record is the head the cluster state remembers (so a cut tail
is caught). Constant memory; JSON is parsed only for the genesis and checkpoint records.

Whose signatures count is pinned, never taken from beside the log: the genesis record names
the cluster's audit key, and that key must be the trusted one (`TrustAnchor`: the cluster's
own audit.pub, or a key or fingerprint the user passed explicitly); every checkpoint must be
signed by it. A copy re-chained and re-signed with another key fails at record 1."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path
from typing import Callable

from hsmshell.audit import records
from hsmshell.record import record

HASH_MISMATCH = "hash mismatch: the record was changed, or one before it was removed or reordered"


def fingerprint(public: bytes) -> str:
    """How a raw Ed25519 audit key is named to people: sha256 of its 32 bytes."""
    return "sha256:" + hashlib.sha256(public).hexdigest()


@record(frozen=True)
class TrustAnchor:
    """The audit key verification trusts: `key` (raw bytes), or only its `fingerprint` (then
    the key the genesis record names, if it has that fingerprint); `source` says who said so."""
    source: str
    key: bytes | None = None
    fingerprint: str | None = None


@record
class VerifyReport:
    log: str
    records: int = 0
    checkpoints: int = 0
    ok: bool = True
    bad_seq: int | None = None
    problem: str | None = None
    head_seq: int | None = None
    head_checked: bool = False      # compared with the head the cluster state keeps
    head_problem: str | None = None  # why the head could not be checked (the state is damaged)
    restored: int = 0               # records written from the cluster state (an interrupted append)
    trusted_key: str | None = None  # fingerprint of the key the checkpoints were checked with
    trusted_from: str | None = None

    def fail(self, seq: int, problem: str) -> "VerifyReport":
        self.ok, self.bad_seq, self.problem = False, seq, problem
        self.records = max(self.records, seq - 1)     # the records before it checked out
        return self

    def to_dict(self) -> dict:
        return {"log": self.log, "ok": self.ok, "records": self.records,
                "checkpoints": self.checkpoints, "first_bad_record": self.bad_seq,
                "problem": self.problem, "head_seq": self.head_seq, "head_checked": self.head_checked,
                "head_problem": self.head_problem, "restored": self.restored,
                "trusted_key": self.trusted_key, "trusted_from": self.trusted_from}


def verify_log(path: Path, trust: TrustAnchor | None, head: tuple[int, str] | None,
               observe: Callable[[bytes], None] | None = None) -> VerifyReport:
    """Check `path` with the audit key `trust` pins (None: checkpoints cannot be checked);
    `head` is (seq, hash hex) from the state. `observe`, if given, sees the body of every
    record that checked out, in order."""
    report = VerifyReport(str(path))
    public_key = None
    prev = records.GENESIS_PREV
    expected = 1
    try:
        handle = open(path, "rb")
    except OSError as exc:
        return report.fail(1, f"cannot read the log: {exc.strerror}")
    # The loop runs once per record, and does only what a verifier must: the hash chain, the
    # bytes the hash does not cover (a record's fixed-width tail `,"hash":"<64 hex>"}\n`,
    # compared whole with the one its digest makes) and the numbering. No function calls of
    # ours, no decoding; a record that fails is looked at again by _problem, which says why.
    tail, marker, end = records.HASH_SUFFIX_LEN, records.HASH_MARKER, records.LINE_END
    domain, sha256, hexlify = records.RECORD_DOMAIN, hashlib.sha256, binascii.hexlify
    checkpoint = b'"covers_hash":'
    with handle:
        first = handle.readline()
        if first:                                   # the genesis record names the audit key
            problem = _problem(first, 1, prev)
            if problem is None:
                problem, public_key = _pin_key(first, trust, report)
            if problem:
                return report.fail(1, problem)
            if observe is not None:
                observe(first[:-tail])
            prev, expected = records.record_hash(prev, first[:-tail]), 2
        for line in handle:
            body = line[:-tail]
            prefix = b'{"seq":%d,' % expected
            digest = sha256(domain + prev + body).digest()     # records.record_hash, inlined
            if not body.startswith(prefix) or marker + hexlify(digest) + end != line[-tail:]:
                return report.fail(expected, _problem(line, expected, prev) or HASH_MISMATCH)
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


def _problem(line: bytes, expected: int, prev: bytes) -> str | None:
    """What is wrong with record `expected` (None: nothing), checked one step at a time."""
    cut = len(line) - records.HASH_SUFFIX_LEN
    marker, end = records.HASH_MARKER, records.LINE_END
    if cut <= 0 or line[cut:cut + len(marker)] != marker or not line.endswith(end):
        return "not a well-formed record (edited or cut)"
    body = line[:cut]
    if not body.startswith(b'{"seq":%d,' % expected):
        return _numbering_problem(body, expected)
    if records.record_hash(prev, body).hex().encode("ascii") != line[cut + len(marker):-len(end)]:
        return HASH_MISMATCH
    return None


def _numbering_problem(body: bytes, expected: int) -> str:
    try:
        found = int(body[len(b'{"seq":'):].split(b",", 1)[0])
    except ValueError:
        return "no sequence number"
    if found > expected:
        return f"expected record {expected}, found {found}: records were removed or reordered"
    return f"expected record {expected}, found {found}: records were reordered or repeated"


def _pin_key(line: bytes, trust: TrustAnchor | None, report: VerifyReport):
    """(problem, key to check checkpoints with) from the genesis record and the anchor."""
    try:
        genesis = json.loads(line)
        named = bytes.fromhex(genesis["audit_key"]) if genesis.get("kind") == "genesis" else b""
    except (ValueError, KeyError, TypeError):
        named = b""
    if len(named) != 32:
        return "the first record is not a genesis record naming the cluster's audit key", None
    if trust is None:
        return None, None
    named_print = fingerprint(named)
    if trust.key is not None and trust.key != named:
        return (f"the genesis record names audit key {named_print}, but the trusted key "
                f"({trust.source}) is {fingerprint(trust.key)}: not this cluster's log, or re-signed"), None
    if trust.fingerprint is not None and trust.fingerprint != named_print:
        return (f"the genesis record names audit key {named_print}, not the trusted fingerprint "
                f"{trust.fingerprint} ({trust.source})"), None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    report.trusted_key, report.trusted_from = named_print, trust.source
    return None, Ed25519PublicKey.from_public_bytes(named)


def _check_checkpoint(line: bytes, public_key, prev: bytes) -> str | None:
    if public_key is None:
        return ("a checkpoint cannot be checked: no trusted audit key (the cluster's audit.pub is "
                "missing or not this log's; pass --key FILE or --key-fingerprint FP)")
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
