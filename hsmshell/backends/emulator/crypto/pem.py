"""PEM in and out: exportPubKey/importPubKey and exportPrivateKey/importPrivateKey.

Anything wrong with user-supplied PEM (not PEM at all, not a key, wrong passphrase, a key
kind the HSM does not hold) is InvalidArgument. Messages never quote the input.
"""

from __future__ import annotations


from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from hsmshell.backends.emulator.crypto.material import (
    PublicKeyInfo, describe_public_key, load_private_key, load_public_key, private_der_of,
)
from hsmshell.errors import InvalidArgument
from hsmshell.record import record

_PEM_MARKER = b"-----BEGIN "
_PARSE_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm)


@record(frozen=True)
class ImportedPrivateKey:
    private_der: bytes      # PKCS#8, unencrypted
    public: PublicKeyInfo   # the matching public half, with its attributes

    @property
    def kind(self) -> str:
        return self.public.kind


def export_public_pem(spki_der: bytes) -> bytes:
    return load_public_key(spki_der).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def import_public_pem(pem: bytes, edwards: bool = False) -> PublicKeyInfo:
    """An RSA or EC public key in PEM (SubjectPublicKeyInfo or PKCS#1 "RSA PUBLIC KEY"); an
    Ed25519 one too when `edwards` (CloudHSM CLI on a non-FIPS hsm2m.medium cluster)."""
    _require_pem(pem)
    try:
        key = serialization.load_pem_public_key(pem)
    except _PARSE_ERRORS:
        raise InvalidArgument("the file does not hold a PEM public key",
                              hint="expected '-----BEGIN PUBLIC KEY-----'") from None
    return describe_public_key(key, edwards=edwards)


def export_private_pem(private_der: bytes, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM; encrypted with the best scheme `cryptography` offers if a passphrase is given."""
    if passphrase is not None and not passphrase:
        raise InvalidArgument("the passphrase is empty")
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    return load_private_key(private_der).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def import_private_pem(pem: bytes, passphrase: bytes | None = None) -> ImportedPrivateKey:
    """An RSA or EC private key in PEM: PKCS#8 (plain or encrypted) or traditional OpenSSL."""
    _require_pem(pem)
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase or None)
    except TypeError as e:
        key = _retry_without_passphrase(pem, e, passphrase)
    except _PARSE_ERRORS:
        raise _unreadable_private_key(passphrase) from None
    return _imported(key)


def import_private_der(der: bytes) -> ImportedPrivateKey:
    """A PKCS#8 DER private key that came out of an unwrap, checked as imported PEM is."""
    try:
        key = serialization.load_der_private_key(der, password=None)
    except _PARSE_ERRORS:
        raise InvalidArgument("the unwrapped data is not a private key",
                              hint="check -kc, -kt, -m and the unwrapping key") from None
    return _imported(key)


def _imported(key) -> ImportedPrivateKey:
    public = describe_public_key(key.public_key())  # rejects DSA, Ed25519, unknown curves
    return ImportedPrivateKey(private_der_of(key), public)


def _retry_without_passphrase(pem: bytes, error: TypeError, passphrase: bytes | None):
    # `cryptography` raises TypeError both for "encrypted, no password" and for "password given,
    # key not encrypted". The first is the user's to fix; the second is harmless.
    if not passphrase:
        raise InvalidArgument("the private key is encrypted",
                              hint="give its passphrase") from None
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except _PARSE_ERRORS:
        raise _unreadable_private_key(passphrase) from None


def _unreadable_private_key(passphrase: bytes | None) -> InvalidArgument:
    if passphrase:
        return InvalidArgument("cannot read the private key: wrong passphrase, or not a PEM "
                               "private key")
    return InvalidArgument("the file does not hold a PEM private key",
                           hint="expected '-----BEGIN PRIVATE KEY-----'")


def _require_pem(data: bytes) -> None:
    if not isinstance(data, (bytes, bytearray)) or _PEM_MARKER not in data:
        raise InvalidArgument("the file is not PEM", hint="PEM text starts with '-----BEGIN'")
