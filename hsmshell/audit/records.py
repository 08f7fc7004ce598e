"""The on-disk form of an audit record, and its hash.

A record is one line: `{"seq":N,<the other fields, sorted, compact JSON>,"hash":"<hex>"}`.
The hash is SHA-256 over a domain tag, the previous record's hash (32 zero bytes before the
first record) and the line's bytes up to (not including) `,"hash"`. Putting `seq` first and
`hash` last lets `audit verify` check the chain and the numbering without parsing JSON, so it
runs close to the speed of a bare SHA-256 loop.
"""

from __future__ import annotations

import hashlib

from hsmshell import jsontext

RECORD_DOMAIN = b"hsmshell-audit-record-v1\x00"
CHECKPOINT_DOMAIN = b"hsmshell-audit-checkpoint-v1\x00"
GENESIS_PREV = bytes(32)
HASH_MARKER, LINE_END = b',"hash":"', b'"}\n'
HASH_SUFFIX_LEN = len(HASH_MARKER) + 64 + len(LINE_END)     # a record's fixed-width tail


def encode(seq: int, fields: dict, prev: bytes) -> tuple[bytes, bytes]:
    """(line bytes, record hash) for the record `seq` with `fields` after `prev`."""
    rest = jsontext.sorted_ascii(fields)
    head = b'{"seq":%d' % seq
    body = head + b"," + rest[1:-1] if len(rest) > 2 else head
    digest = record_hash(prev, body)
    return body + HASH_MARKER + digest.hex().encode("ascii") + LINE_END, digest


def record_hash(prev: bytes, body: bytes) -> bytes:
    # audit/verify.py inlines this in its per-record loop
    return hashlib.sha256(RECORD_DOMAIN + prev + body).digest()


def stored_hash(line: bytes) -> bytes:
    """The hash a well-formed stored line ends with."""
    return bytes.fromhex(line[-HASH_SUFFIX_LEN + len(HASH_MARKER):-len(LINE_END)].decode("ascii"))


def checkpoint_message(covers_seq: int, covers_hash: bytes) -> bytes:
    return CHECKPOINT_DOMAIN + covers_seq.to_bytes(8, "big") + covers_hash


def parse(line: bytes) -> dict:
    return jsontext.loads_any(line)
