"""sign / verify with the KMU mechanism ids (model.keys.SIGN_MECHANISMS).

Signatures are in the formats openssl makes and checks, so files move freely between KMU and
`openssl dgst`: RSA PKCS#1 v1.5 and PSS signatures are the raw modulus-sized integer, ECDSA
and DSA signatures are DER SEQUENCE {r, s}.

DSA keys (genDSAKeyPair) sign and verify with the DSS ids 15-19: AWS's sign page lists no
DSA mechanism, only RSA (0-9) and the DSS family named ECDSA_SHA* (15-19), whose signature
form DSA shares; the id chooses the hash (docs/real-tools.md). Every mechanism hashes the data itself, so no size limit
applies to the data.

PSS: we sign with salt length = hash length (the PKCS#11 convention); verification accepts any
salt length, because `openssl dgst -sigopt rsa_padding_mode:pss` signs with the maximum one.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa

from hsmshell.backends.emulator.crypto.material import PrivateKey, load_private_key, load_public_key
from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import KeyType, SignMechanism, sign_mechanism

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


def sign(private_der: bytes, mechanism_id: int, data: bytes) -> bytes:
    return sign_with(load_private_key(private_der), mechanism_id, data)


def sign_with(key: PrivateKey, mechanism_id: int, data: bytes) -> bytes:
    """sign() with a loaded key (KeyStore.private_key keeps them for a batch group)."""
    mechanism = sign_mechanism(mechanism_id)
    _check_key_kind(key, mechanism)
    digest = _HASHES[mechanism.hash_name]()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(digest))
    if isinstance(key, dsa.DSAPrivateKey):
        return key.sign(data, digest)
    return key.sign(data, _rsa_padding(mechanism, signing=True), digest)


def verify(public_der: bytes, mechanism_id: int, data: bytes, signature: bytes) -> bool:
    """True if the signature is good; False for a bad or malformed one."""
    mechanism = sign_mechanism(mechanism_id)
    key = load_public_key(public_der)
    _check_key_kind(key, mechanism)
    digest = _HASHES[mechanism.hash_name]()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, digest)
        else:
            key.verify(signature, data, _rsa_padding(mechanism, signing=False), digest)
    except InvalidSignature:
        return False
    return True


def _rsa_padding(mechanism: SignMechanism, *, signing: bool) -> padding.AsymmetricPadding:
    if mechanism.padding == "pkcs1v15":
        return padding.PKCS1v15()
    salt_length = padding.PSS.DIGEST_LENGTH if signing else padding.PSS.AUTO
    return padding.PSS(mgf=padding.MGF1(_HASHES[mechanism.hash_name]()), salt_length=salt_length)


def _check_key_kind(key: object, mechanism: SignMechanism) -> None:
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        raise InvalidArgument(f"mechanism {mechanism.name} cannot be used with an Ed25519 key",
                              hint="KMU has no EdDSA mechanism: CloudHSM CLI's crypto sign ed25519")
    is_rsa = isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey))
    if is_rsa != (mechanism.key_type is KeyType.RSA):
        kind = "an RSA" if is_rsa else "a DSA" if isinstance(key, (dsa.DSAPrivateKey, dsa.DSAPublicKey)) else "an EC"
        raise InvalidArgument(f"mechanism {mechanism.name} cannot be used with {kind} key",
                              hint="RSA keys take -m 0-9, EC and DSA keys take -m 15-19")
