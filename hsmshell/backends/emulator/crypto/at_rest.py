"""Key material at rest: AES-256-GCM under the cluster's key-encryption key (KEK).

A sealed blob is  version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes).
The caller's AAD, normally key_record_aad(cluster id, key handle), is authenticated with it,
so a blob copied onto another key's row, or into another cluster, fails to open.
"""

from __future__ import annotations

import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hsmshell.errors import HsmError

KEK_BYTES = 32
NONCE_BYTES = 12
SEAL_VERSION = 1
_HEADER = bytes([SEAL_VERSION])
_TAG_BYTES = 16


def new_kek() -> bytes:
    return os.urandom(KEK_BYTES)


def key_record_aad(cluster_id: str, key_handle: int) -> bytes:
    """Binds a blob to one key of one cluster. Length-prefixed, so no two inputs collide."""
    cluster = cluster_id.encode()
    return b"hsmshell/key-material/v1" + len(cluster).to_bytes(4, "big") + cluster + \
        key_handle.to_bytes(8, "big")


def seal(kek: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return _HEADER + nonce + _aead(kek).encrypt(nonce, plaintext, _HEADER + aad)


def open_sealed(kek: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < len(_HEADER) + NONCE_BYTES + _TAG_BYTES or not blob.startswith(_HEADER):
        raise HsmError("stored key material is damaged (not a sealed blob)")
    nonce = blob[len(_HEADER):len(_HEADER) + NONCE_BYTES]
    try:
        return _aead(kek).decrypt(nonce, blob[len(_HEADER) + NONCE_BYTES:], _HEADER + aad)
    except InvalidTag:
        raise HsmError("stored key material failed authentication: it was altered, moved "
                       "to another key, or the cluster key-encryption key is wrong") from None


@functools.lru_cache(maxsize=8)           # one per cluster KEK: every seal/open uses it
def _aead(kek: bytes) -> AESGCM:
    if len(kek) != KEK_BYTES:
        raise HsmError(f"the cluster key-encryption key must be {KEK_BYTES} bytes")
    return AESGCM(kek)
