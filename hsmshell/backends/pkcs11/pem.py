"""PEM files the pkcs11 backend reads and writes (the token holds the keys; only what enters
or leaves it passes here), read and written as the emulator does: model/key_formats.py.
A token here holds RSA and EC keys only."""

from __future__ import annotations

from hsmshell.errors import InvalidArgument
from hsmshell.model.key_formats import load_private_der, load_private_pem, load_public_pem, pkcs8_pem


def _checked(key, what: str):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    if not isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey, ec.EllipticCurvePublicKey,
                            ec.EllipticCurvePrivateKey)):
        raise InvalidArgument(f"the {what} is neither RSA nor EC", hint="a token here holds RSA and EC keys")
    return key


def public_key(pem: bytes):
    return _checked(load_public_pem(pem), "public key")


def private_key(pem: bytes, passphrase: str | None):
    """PKCS#8 (plain or encrypted) or traditional PEM; a passphrase given for a plain key is moot."""
    return _checked(load_private_pem(pem, passphrase.encode() if passphrase else None,
                                     passphrase_hint="give its passphrase: -pass"), "private key")


def private_pem(der: bytes, passphrase: str | None) -> bytes:
    """PKCS#8 PEM of an unwrapped private key, encrypted when a passphrase is given."""
    key = load_private_der(der, "the token's wrapped key did not unwrap to a private key")
    return pkcs8_pem(key, passphrase.encode() if passphrase else None)
