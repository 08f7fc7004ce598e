"""PEM in and out: exportPubKey/importPubKey and exportPrivateKey/importPrivateKey.

Anything wrong with user-supplied PEM (not PEM at all, not a key, wrong passphrase, a key
kind the HSM does not hold) is InvalidArgument. Messages never quote the input.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from hsmshell.backends.emulator.crypto.material import (
    PublicKeyInfo, describe_public_key, load_private_key, load_public_key, private_der_of,
)
from hsmshell.model.key_formats import (load_private_der, load_private_pem, load_public_pem, pkcs8_pem,
                                        require_pem)
from hsmshell.record import record


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
    require_pem(pem)
    return describe_public_key(load_public_pem(pem), edwards=edwards)


def export_private_pem(private_der: bytes, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM; encrypted with the best scheme `cryptography` offers if a passphrase is given."""
    return pkcs8_pem(load_private_key(private_der), passphrase)


def import_private_pem(pem: bytes, passphrase: bytes | None = None) -> ImportedPrivateKey:
    """An RSA or EC private key in PEM: PKCS#8 (plain or encrypted) or traditional OpenSSL."""
    require_pem(pem)
    return _imported(load_private_pem(pem, passphrase))


def import_private_der(der: bytes) -> ImportedPrivateKey:
    """A PKCS#8 DER private key that came out of an unwrap, checked as imported PEM is."""
    return _imported(load_private_der(der, "the unwrapped data is not a private key",
                                      hint="check -kc, -kt, -m and the unwrapping key"))


def _imported(key) -> ImportedPrivateKey:
    public = describe_public_key(key.public_key())  # rejects DSA, Ed25519, unknown curves
    return ImportedPrivateKey(private_der_of(key), public)
