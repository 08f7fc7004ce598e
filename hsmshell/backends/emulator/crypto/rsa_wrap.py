"""RSA wrapping mechanisms: RSA_OAEP (-m 8), RSA_PKCS (-m 12) and RSA_AES (-m 7).

Wrapping takes the RSA public key (SubjectPublicKeyInfo DER); unwrapping the private key
(PKCS#8 DER). RSA_AES follows PKCS#11 CKM_RSA_AES_KEY_WRAP: a fresh AES-256 key is
RSA-OAEP-encrypted, and the payload is wrapped under it with RFC 5649; the output is the two
concatenated. Decryption failures raise ValueError; wrapping.py turns them into HsmError.

RSA_PKCS unwrap cannot always report a bad ciphertext: OpenSSL's PKCS#1 v1.5 decryption uses
implicit rejection (the Marvin-attack defence) and returns unrelated bytes instead, so callers
must check the unwrapped length against the key type.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import WrapHash, WrapMechanism

_HASHES: dict[WrapHash, type[hashes.HashAlgorithm]] = {
    WrapHash.SHA1: hashes.SHA1, WrapHash.SHA224: hashes.SHA224, WrapHash.SHA256: hashes.SHA256,
    WrapHash.SHA384: hashes.SHA384, WrapHash.SHA512: hashes.SHA512,
}
_EPHEMERAL_AES_BYTES = 32
_PKCS1_OVERHEAD = 11


def rsa_wrap(mechanism: WrapMechanism, public_der: bytes, payload: bytes,
             hash_id: WrapHash) -> bytes:
    key = _load(mechanism, lambda: serialization.load_der_public_key(public_der),
                rsa.RSAPublicKey, "public")
    if mechanism is WrapMechanism.RSA_AES:
        ephemeral = os.urandom(_EPHEMERAL_AES_BYTES)
        return key.encrypt(ephemeral, _oaep(hash_id)) + \
            keywrap.aes_key_wrap_with_padding(ephemeral, payload)
    pad = _oaep(hash_id) if mechanism is WrapMechanism.RSA_OAEP else padding.PKCS1v15()
    limit = _max_payload(mechanism, key.key_size // 8, hash_id)
    if len(payload) > limit:
        raise InvalidArgument(f"{mechanism.name} with this key wraps at most {limit} bytes "
                              f"(the key is {len(payload)})", hint="use RSA_AES (-m 7)")
    return key.encrypt(payload, pad)


def rsa_unwrap(mechanism: WrapMechanism, private_der: bytes, wrapped: bytes,
               hash_id: WrapHash) -> bytes:
    key = _load(mechanism, lambda: serialization.load_der_private_key(private_der, None),
                rsa.RSAPrivateKey, "private")
    if mechanism is WrapMechanism.RSA_AES:
        modulus_bytes = key.key_size // 8
        ephemeral = key.decrypt(wrapped[:modulus_bytes], _oaep(hash_id))
        return keywrap.aes_key_unwrap_with_padding(ephemeral, wrapped[modulus_bytes:])
    pad = _oaep(hash_id) if mechanism is WrapMechanism.RSA_OAEP else padding.PKCS1v15()
    return key.decrypt(wrapped, pad)


def _max_payload(mechanism: WrapMechanism, modulus_bytes: int, hash_id: WrapHash) -> int:
    if mechanism is WrapMechanism.RSA_OAEP:
        return modulus_bytes - 2 * _HASHES[hash_id].digest_size - 2
    return modulus_bytes - _PKCS1_OVERHEAD


def _oaep(hash_id: WrapHash) -> padding.OAEP:
    algorithm = _HASHES[hash_id]()
    return padding.OAEP(mgf=padding.MGF1(algorithm), algorithm=algorithm, label=None)


def _load(mechanism: WrapMechanism, loader, expected: type, half: str):
    try:
        key = loader()
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, expected):
        raise InvalidArgument(f"{mechanism.name} needs an RSA {half} key as the wrapping key")
    return key
