"""Key check values (OBJ_ATTR_KCV, findKey -kcv).

AWS's documentation (key-attribute-table) says: for symmetric keys, the first 3 bytes of the
encryption of a zero block; for asymmetric keys, the first 3 bytes of the SHA-1 of the public
key; HMAC keys have none. Choices where it is silent:
- "encryption" is the key's own block cipher in ECB mode (AES: 16 zero bytes; 3DES: 8);
- generic-secret keys are the HMAC keys, so they have no KCV (None);
- "the public key" is its SubjectPublicKeyInfo DER, the same bytes exportPubKey writes as
  PEM, and both halves of a pair share that KCV.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import KCV_LENGTH, KeyType


def symmetric_kcv(key_type: int, key: bytes) -> bytes | None:
    if key_type == KeyType.AES:
        return _first_block(algorithms.AES(key))
    if key_type == KeyType.DES3:
        return _first_block(TripleDES(key))
    if key_type == KeyType.GENERIC_SECRET:
        return None
    raise InvalidArgument(f"no key check value for key type {key_type}")


def public_kcv(spki_der: bytes) -> bytes:
    # SHA-1 is what the HSM uses here: a fingerprint, not a security boundary.
    return hashlib.sha1(spki_der, usedforsecurity=False).digest()[:KCV_LENGTH]


def _first_block(algorithm: algorithms.AES | TripleDES) -> bytes:
    zero_block = bytes(algorithm.block_size // 8)
    encryptor = Cipher(algorithm, modes.ECB()).encryptor()
    return (encryptor.update(zero_block) + encryptor.finalize())[:KCV_LENGTH]
