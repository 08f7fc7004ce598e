"""AES key wrap (NIST SP 800-38F): RFC 3394, RFC 5649, and RFC 3394 over PKCS#5 padding.

`cryptography.hazmat.primitives.keywrap` does the work whenever the IV is the RFC default.
aesWrapUnwrap also takes a caller-chosen IV (-i), which `cryptography` cannot do, so
rfc3394_wrap / rfc3394_unwrap write RFC 3394 out for any other IV. Unwrap failures raise
`InvalidUnwrap`; wrapping.py turns them into HsmError.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import constant_time, keywrap
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap

from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import AES_WRAP_DEFAULT_IV

_SEMIBLOCK = 8


# -- wrapKey -m 5 / 6 / 4 -----------------------------------------------------------------------
def wrap_no_pad(key: bytes, payload: bytes) -> bytes:
    """NIST_AES_WRAP_NO_PAD (RFC 3394): payload a multiple of 8 bytes, at least 16."""
    _require_semiblocks(payload, "NIST_AES_WRAP_NO_PAD")
    return keywrap.aes_key_wrap(key, payload)


def unwrap_no_pad(key: bytes, wrapped: bytes) -> bytes:
    return keywrap.aes_key_unwrap(key, wrapped)


def wrap_pad(key: bytes, payload: bytes) -> bytes:
    """NIST_AES_WRAP_PAD (RFC 5649): any payload length."""
    if not payload:
        raise InvalidArgument("nothing to wrap: the payload is empty")
    return keywrap.aes_key_wrap_with_padding(key, payload)


def unwrap_pad(key: bytes, wrapped: bytes) -> bytes:
    return keywrap.aes_key_unwrap_with_padding(key, wrapped)


def wrap_pkcs5(key: bytes, payload: bytes) -> bytes:
    """AES_KEY_WRAP_PAD_PKCS5: PKCS#5-pad to a multiple of 8 bytes, then RFC 3394."""
    pad = _SEMIBLOCK - len(payload) % _SEMIBLOCK
    padded = payload + bytes([pad]) * pad
    _require_semiblocks(padded, "AES_KEY_WRAP_PAD_PKCS5")
    return keywrap.aes_key_wrap(key, padded)


def unwrap_pkcs5(key: bytes, wrapped: bytes) -> bytes:
    padded = keywrap.aes_key_unwrap(key, wrapped)
    pad = padded[-1]
    if not 1 <= pad <= _SEMIBLOCK or padded[-pad:] != bytes([pad]) * pad:
        raise InvalidUnwrap("bad PKCS#5 padding")
    return padded[:-pad]


# -- RFC 3394 section 2.2.1 / 2.2.2, index form, with any 8-byte IV ----------------------------
def rfc3394_wrap(key: bytes, plaintext: bytes, iv: bytes) -> bytes:
    _require_iv(iv)
    _require_semiblocks(plaintext, "AES key wrap")
    if iv == AES_WRAP_DEFAULT_IV:
        return keywrap.aes_key_wrap(key, plaintext)
    blocks = _semiblocks(plaintext)
    n = len(blocks)
    a = int.from_bytes(iv, "big")
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    for j in range(6):
        for i in range(n):
            b = encryptor.update(a.to_bytes(8, "big") + blocks[i])
            a = int.from_bytes(b[:8], "big") ^ (n * j + i + 1)
            blocks[i] = b[8:]
    return a.to_bytes(8, "big") + b"".join(blocks)


def rfc3394_unwrap(key: bytes, wrapped: bytes, iv: bytes) -> bytes:
    _require_iv(iv)
    if len(wrapped) < 3 * _SEMIBLOCK or len(wrapped) % _SEMIBLOCK:
        raise InvalidUnwrap("wrapped data must be a multiple of 8 bytes, at least 24")
    if iv == AES_WRAP_DEFAULT_IV:
        return keywrap.aes_key_unwrap(key, wrapped)
    a, blocks = int.from_bytes(wrapped[:8], "big"), _semiblocks(wrapped[8:])
    n = len(blocks)
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    for j in reversed(range(6)):
        for i in reversed(range(n)):
            b = decryptor.update((a ^ (n * j + i + 1)).to_bytes(8, "big") + blocks[i])
            a, blocks[i] = int.from_bytes(b[:8], "big"), b[8:]
    if not constant_time.bytes_eq(a.to_bytes(8, "big"), iv):
        raise InvalidUnwrap("integrity check failed")
    return b"".join(blocks)


def _semiblocks(data: bytes) -> list[bytes]:
    return [data[i:i + _SEMIBLOCK] for i in range(0, len(data), _SEMIBLOCK)]


def _require_semiblocks(data: bytes, what: str) -> None:
    if len(data) < 2 * _SEMIBLOCK or len(data) % _SEMIBLOCK:
        raise InvalidArgument(f"{what} needs data that is a multiple of 8 bytes and at least "
                              f"16 bytes long (got {len(data)})",
                              hint="NIST_AES_WRAP_PAD (-m 6) wraps any length")


def _require_iv(iv: bytes) -> None:
    if len(iv) != _SEMIBLOCK:
        raise InvalidArgument(f"the AES key wrap IV must be 8 bytes (got {len(iv)})")
