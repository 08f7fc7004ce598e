"""The cluster's audit secrets: the Ed25519 checkpoint key and the HMAC key for secrets.

Both live in the cluster folder with 0600 permissions. cryptography is imported only when a
checkpoint is signed or verified, so one-shot commands stay quick to start.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from hsmshell.errors import AuditKeyDamaged
from hsmshell import fileio

SIGNING_KEY = "audit.key"
VERIFY_KEY = "audit.pub"
HMAC_KEY = "audit.hmac"


def create_audit_keys(directory: Path) -> bytes:
    """Make both keys; returns the raw Ed25519 public key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization as ser

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption())
    public = key.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    # made once, with the cluster: an existing key is never replaced (docs/hardening.md)
    for name, data, mode in ((SIGNING_KEY, raw, fileio.PRIVATE), (VERIFY_KEY, public, fileio.PUBLIC),
                             (HMAC_KEY, os.urandom(32), fileio.PRIVATE)):
        fileio.write_file(directory / name, data, mode=mode, exclusive=True, what=name,
                         error=AuditKeyDamaged)
    return public


def read_audit_key(directory: Path, name: str, size: int = 32) -> bytes:
    """One of the cluster's audit keys (exactly `size` bytes); AuditKeyDamaged otherwise."""
    data = fileio.read_regular(directory / name, size, name, no_follow=True, error=AuditKeyDamaged)
    if len(data) != size:
        raise AuditKeyDamaged(f"the audit key {directory / name} is damaged ({len(data)} bytes, not {size})")
    return data


class SecretHasher:
    """Replaces a secret by a salted HMAC, so the log can show two passwords were equal
    (and replay can match them) without holding either."""

    def __init__(self, directory: Path):
        self._path = directory / HMAC_KEY
        self._key: bytes | None = None

    def __call__(self, secret: str) -> str:
        if self._key is None:
            self._key = read_audit_key(self._path.parent, HMAC_KEY)
        digest = hmac.new(self._key, secret.encode("utf-8"), hashlib.sha256).hexdigest()
        return "hmac-sha256:" + digest[:32]


# What the log keeps of a secret's length: only whether it fits the password rules, so
# replay can make a stand-in that passes or fails them as the secret did (replay_cluster.py).
IN_RANGE, TOO_SHORT, TOO_LONG = "in-range", "too-short", "too-long"


def length_class(secret: str) -> str:
    from hsmshell.model.users import MAX_LENGTH, MIN_LENGTH
    return TOO_SHORT if len(secret) < MIN_LENGTH else TOO_LONG if len(secret) > MAX_LENGTH else IN_RANGE


def sign_checkpoint(directory: Path, message: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    key = Ed25519PrivateKey.from_private_bytes(read_audit_key(directory, SIGNING_KEY))
    return key.sign(message)


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]
