"""Password hashes for the emulated HSMs: scrypt (memory-hard), parameters stored per hash.

The default cost (N = 2**5, r = 8: 32 KiB and about 0.1 ms) is deliberately modest: the
emulator's database protects test clusters, and user-management batches must run at
thousands of commands per second (scripts/bench.py: with N = 2**7 the hash alone took a
third of a createUser/changePswd batch's time). A cluster can raise it (meta `kdf_log2_n`);
existing hashes keep verifying because each hash carries its own parameters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

DEFAULT_LOG2_N = 5


def hash_password(password: str, log2_n: int = DEFAULT_LOG2_N) -> str:
    salt = os.urandom(16)
    digest = _scrypt(password, salt, log2_n)
    return "scrypt${}$8$1${}${}".format(
        log2_n, base64.b64encode(salt).decode(), base64.b64encode(digest).decode())


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or (r, p) != ("8", "1"):
            return False
        expected = base64.b64decode(digest)
        return hmac.compare_digest(_scrypt(password, base64.b64decode(salt), int(log2_n)), expected)
    except (ValueError, TypeError):
        return False


def _scrypt(password: str, salt: bytes, log2_n: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2 ** log2_n, r=8, p=1,
                          maxmem=256 * 1024 * 1024, dklen=32)
