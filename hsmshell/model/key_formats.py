"""The key and signature formats users bring and take away, in one place for every backend,
the CA key of `cluster initialize` and `audit verify --key`: PEM keys read through
`cryptography`, and ECDSA signatures as PKCS#11 and CloudHSM CLI give them (r || s) or as
openssl does (DER). (Quorum keys keep their own RSA-2048 reader: quorum/signatures.py.)

`cryptography` says "cannot read" three ways: ValueError, TypeError (encrypted or not) and
UnsupportedAlgorithm (a curve or key kind it does not know); each becomes InvalidArgument
here, never an internal error. Messages never quote the input or the passphrase.
`cryptography` is imported inside the functions: this module is on no start-up path.
"""

from __future__ import annotations

from hsmshell.errors import InvalidArgument

PEM_MARKER = b"-----BEGIN "
PUBLIC_PEM_HINT = "expected '-----BEGIN PUBLIC KEY-----'"
PRIVATE_PEM_HINT = "expected '-----BEGIN PRIVATE KEY-----'"


def unreadable_errors():
    from cryptography.exceptions import UnsupportedAlgorithm
    return ValueError, TypeError, UnsupportedAlgorithm


def require_pem(data: bytes) -> None:
    """Refuse, before any parsing, what is not PEM text at all."""
    if not isinstance(data, (bytes, bytearray)) or PEM_MARKER not in data:
        raise InvalidArgument("the file is not PEM", hint="PEM text starts with '-----BEGIN'")


def load_public_pem(pem: bytes, *, what: str = "public key", hint: str = PUBLIC_PEM_HINT):
    """The public key in `pem` (SubjectPublicKeyInfo or PKCS#1 "RSA PUBLIC KEY")."""
    from cryptography.hazmat.primitives import serialization
    try:
        return serialization.load_pem_public_key(bytes(pem))
    except unreadable_errors():
        raise InvalidArgument(f"the file does not hold a PEM {what}", hint) from None


def load_private_pem(pem: bytes, passphrase: bytes | None, *, what: str = "private key",
                     passphrase_hint: str = "give its passphrase"):
    """The private key in `pem`: PKCS#8 (plain or encrypted) or traditional OpenSSL PEM. A
    passphrase given for a key that is not encrypted does no harm."""
    from cryptography.hazmat.primitives import serialization
    unreadable = unreadable_errors()
    pem = bytes(pem)
    try:
        return serialization.load_pem_private_key(pem, password=passphrase or None)
    except TypeError:
        # both "encrypted, no password" and "password given, key not encrypted"
        if not passphrase:
            raise InvalidArgument(f"the {what} is encrypted", passphrase_hint) from None
    except unreadable:
        raise _unreadable_private(what, passphrase) from None
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except unreadable:
        raise _unreadable_private(what, passphrase) from None


def load_private_der(der: bytes, message: str, hint: str | None = None):
    """An unencrypted PKCS#8 DER private key (one that came out of an unwrap); `message`
    (and `hint`) say what is wrong if it is not one."""
    from cryptography.hazmat.primitives import serialization
    try:
        return serialization.load_der_private_key(bytes(der), password=None)
    except unreadable_errors():
        raise InvalidArgument(message, hint=hint) from None


def pkcs8_pem(private_key, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM of a `cryptography` private key, encrypted with the best scheme it offers
    when a passphrase is given."""
    from cryptography.hazmat.primitives import serialization
    if passphrase is not None and not passphrase:
        raise InvalidArgument("the passphrase is empty")
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     encryption)


def ecdsa_der(raw: bytes) -> bytes:
    """An r || s ECDSA signature (two equal halves) as the DER openssl makes and checks."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def ecdsa_raw(der: bytes, field_bytes: int) -> bytes | None:
    """A DER ECDSA signature as r || s of `field_bytes` each; None if it is not DER or does
    not fit that curve (so it cannot match any signature on it)."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    try:
        r, s = decode_dss_signature(der)
    except ValueError:
        return None
    if max(r, s).bit_length() > field_bytes * 8:
        return None
    return r.to_bytes(field_bytes, "big") + s.to_bytes(field_bytes, "big")


def _unreadable_private(what: str, passphrase: bytes | None):
    if passphrase:
        return InvalidArgument(f"cannot read the {what}: wrong passphrase, or not a PEM private key", None)
    return InvalidArgument(f"the file does not hold a PEM {what}", PRIVATE_PEM_HINT)
