"""CloudHSM's AES-ZERO-PAD key wrap (CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD; CloudHSM CLI's
`key wrap|unwrap aes-zero-pad`): RFC 3394 over the key bytes zero-padded to a multiple of 8
(and to at least 16, RFC 3394's minimum).

Zero padding does not record the key's length, so unwrapping takes it from the key itself:
AES and 3DES keys are 16/24/32 and 24 bytes (multiples of 8: never padded); a private key is
PKCS#8 DER, whose outer SEQUENCE states its length; a generic secret keeps every byte it
unwraps to, padding included (HMAC pads a key shorter than its block with zeros anyway, so
such a key MACs as the original did when both are at most one hash block long).
"""

from __future__ import annotations

from hsmshell.backends.emulator.crypto.wrapping import unwrap_failed
from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import SYMMETRIC_KEY_SIZES, KeyClass, KeyType

SEMIBLOCK, MINIMUM = 8, 16


def pad(key: bytes) -> bytes:
    size = max(MINIMUM, -(-len(key) // SEMIBLOCK) * SEMIBLOCK)
    return key + bytes(size - len(key))


def unpad(data: bytes, key_class: KeyClass, key_type: KeyType) -> bytes:
    """The key inside unwrapped, zero-padded bytes; unwrap_failed if the padding is not zeros."""
    if key_class == KeyClass.PRIVATE:
        length = _der_length(data)
    elif key_type in (KeyType.AES, KeyType.DES3):
        fitting = [n for n in SYMMETRIC_KEY_SIZES[key_type] if len(data) - SEMIBLOCK < n <= len(data)]
        if not fitting:
            raise InvalidArgument(f"the unwrapped key is {len(data)} bytes long: not an "
                                  f"{key_type.name} key (check --key-type-class and the wrapping key)")
        length = fitting[-1]
    else:
        return data
    if length is None or data[length:] != bytes(len(data) - length):
        raise unwrap_failed("aes-zero-pad (the key's zero padding)")
    return data[:length]


def _der_length(data: bytes) -> int | None:
    """Length of the DER SEQUENCE at the start of `data` (tag, length octets and content)."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first if 2 + first <= len(data) else None
    count = first & 0x7F
    if not 1 <= count <= 4 or len(data) < 2 + count:
        return None
    total = 2 + count + int.from_bytes(data[2:2 + count], "big")
    return total if total <= len(data) else None
