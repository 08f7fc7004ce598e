"""CloudHSM's "fake PEM" (`key generate-file --encoding reference-pem`): a private-key PEM
that openssl can read, holding the real public values and, in place of the private ones, the
key's reference. No private key material leaves the HSM (AWS's CloudHSM CLI pages).

RSA: an RSAPrivateKey with the real n and e, d = the key reference, the CRT values 0.
EC: an ECPrivateKey whose private scalar is the key reference, with the real curve and point.
KMU's getCaviumPrivKey writes the RSA form; IsValidKeyHandlefile tells it from a real key
(reference_of, is_real_rsa_key).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hsmshell.backends.emulator.crypto.material import load_private_key
from hsmshell.errors import InvalidArgument

# DER object identifiers of the named curves the emulator makes (RFC 5480, SEC 2)
CURVE_OIDS = {"secp256r1": "1.2.840.10045.3.1.7", "secp384r1": "1.3.132.0.34",
              "secp521r1": "1.3.132.0.35", "secp224r1": "1.3.132.0.33",
              "secp256k1": "1.3.132.0.10", "secp192r1": "1.2.840.10045.3.1.1"}


def reference_pem(private_der: bytes, handle: int) -> bytes:
    key = load_private_key(private_der)
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        body = _sequence(_integer(0), _integer(numbers.n), _integer(numbers.e), _integer(handle),
                         *(_integer(0) for _ in range(5)))
        return _pem("RSA PRIVATE KEY", body)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = (key.curve.key_size + 7) // 8
        point = key.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
        body = _sequence(_integer(1), _tlv(0x04, handle.to_bytes(size, "big")),
                         _tlv(0xA0, _oid(CURVE_OIDS[key.curve.name])),
                         _tlv(0xA1, _tlv(0x03, b"\x00" + point)))
        return _pem("EC PRIVATE KEY", body)
    raise InvalidArgument("reference PEM files are made for RSA and EC (NIST and secp256k1 "
                          "curve) private keys", hint="an Ed25519 key has no reference PEM in hsmshell")


def reference_of(pem: bytes) -> int | None:
    """The key reference an RSA fake PEM holds (as reference_pem writes it: version 0, the CRT
    values 0); None for any other file."""
    import base64
    import binascii
    begin, end = b"-----BEGIN RSA PRIVATE KEY-----", b"-----END RSA PRIVATE KEY-----"
    head, found, rest = pem.partition(begin)
    body, closed, _ = rest.partition(end)
    if not found or not closed or head.strip():
        return None
    try:
        values = _integers(base64.b64decode(b"".join(body.split()), validate=True))
    except (binascii.Error, ValueError, IndexError):
        return None
    if len(values) == 9 and values[0] == 0 and values[3] > 0 and not any(values[4:]):
        return values[3]
    return None


def is_real_rsa_key(pem: bytes) -> bool:
    """Whether `pem` is an unencrypted RSA private key openssl would use as one."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        return False
    return isinstance(key, rsa.RSAPrivateKey)


def _integers(der: bytes) -> list[int]:
    """The INTEGERs of a DER SEQUENCE that holds nothing else (ValueError otherwise)."""
    tag, body, end = _read_tlv(der, 0)
    if tag != 0x30 or end != len(der):
        raise ValueError("not one SEQUENCE")
    values, at = [], 0
    while at < len(body):
        tag, value, at = _read_tlv(body, at)
        if tag != 0x02 or not value:
            raise ValueError("not an INTEGER")
        values.append(int.from_bytes(value, "big", signed=True))
    return values


def _read_tlv(data: bytes, at: int) -> tuple[int, bytes, int]:
    tag, n = data[at], data[at + 1]
    at += 2
    if n & 0x80:
        size = n & 0x7F
        if not 0 < size <= 4:
            raise ValueError("bad DER length")
        n, at = int.from_bytes(data[at:at + size], "big"), at + size
    if at + n > len(data):
        raise ValueError("DER value runs past the end")
    return tag, data[at:at + n], at + n


def _pem(label: str, der: bytes) -> bytes:
    import base64
    text = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def _tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + value


def _integer(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")   # room for the sign bit
    return _tlv(0x02, raw)


def _sequence(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))
