"""model/key_formats.py: the one reader of user-given PEM keys (emulator, pkcs11 backend, the
CA key of `cluster initialize`) and the ECDSA r||s <-> DER conversion (pkcs11 sign/verify,
CloudHSM CLI's crypto sign/verify). Everything `cryptography` cannot read is InvalidArgument,
including UnsupportedAlgorithm (a curve it does not know), which used to escape as an
internal error from the pkcs11 backend and the CA key loader."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hsmshell.errors import InvalidArgument
from hsmshell.model import key_formats
from key_fixtures import SECP112R1_PRIVATE, SECP112R1_PUBLIC

def test_a_curve_cryptography_does_not_know_is_an_invalid_argument():
    with pytest.raises(InvalidArgument, match="does not hold a PEM public key"):
        key_formats.load_public_pem(SECP112R1_PUBLIC)
    with pytest.raises(InvalidArgument, match="does not hold a PEM private key"):
        key_formats.load_private_pem(SECP112R1_PRIVATE, None)
    with pytest.raises(InvalidArgument, match="wrong passphrase"):
        key_formats.load_private_pem(SECP112R1_PRIVATE, b"some-passphrase")
    der = SECP112R1_PRIVATE.split(b"-----")[2]
    import base64
    with pytest.raises(InvalidArgument, match="unwrapped"):
        key_formats.load_private_der(base64.b64decode(der), "the unwrapped data is not a private key")


def test_passphrases_encrypted_plain_and_wrong():
    key = ec.generate_private_key(ec.SECP256R1())
    locked = key_formats.pkcs8_pem(key, b"pass-phrase-1")
    plain = key_formats.pkcs8_pem(key)
    assert b"ENCRYPTED" in locked and b"ENCRYPTED" not in plain
    numbers = key.private_numbers()
    assert key_formats.load_private_pem(locked, b"pass-phrase-1").private_numbers() == numbers
    assert key_formats.load_private_pem(plain, b"moot").private_numbers() == numbers   # harmless
    with pytest.raises(InvalidArgument, match="is encrypted") as caught:
        key_formats.load_private_pem(locked, None, passphrase_hint="give it: -pass")
    assert caught.value.hint == "give it: -pass"
    with pytest.raises(InvalidArgument, match="wrong passphrase") as caught:
        key_formats.load_private_pem(locked, b"not-it-9")
    assert "not-it-9" not in str(caught.value) and "pass-phrase-1" not in str(caught.value)
    with pytest.raises(InvalidArgument, match="empty"):
        key_formats.pkcs8_pem(key, b"")
    with pytest.raises(InvalidArgument, match="not PEM"):
        key_formats.require_pem(b"\x30\x82")


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP256K1()])
def test_ecdsa_raw_and_der_convert_both_ways(curve):
    key = ec.generate_private_key(curve)
    size = (curve.key_size + 7) // 8
    der = key.sign(b"message", ec.ECDSA(hashes.SHA256()))
    raw = key_formats.ecdsa_raw(der, size)
    assert len(raw) == 2 * size
    assert key_formats.ecdsa_der(raw) == der
    key.public_key().verify(key_formats.ecdsa_der(raw), b"message", ec.ECDSA(hashes.SHA256()))
    assert key_formats.ecdsa_raw(b"not DER", size) is None
    assert key_formats.ecdsa_raw(der, size // 2) is None          # does not fit a smaller curve


def test_public_key_pem_round_trip():
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key_formats.load_public_pem(pem).public_numbers() == key.public_numbers()
    with pytest.raises(InvalidArgument, match="does not hold a PEM public key"):
        key_formats.load_public_pem(b"-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n")
