"""sign / verify with the KMU mechanism ids (model.keys.SIGN_MECHANISMS), and with CloudHSM
CLI's crypto sign/verify options (a Scheme: sdk5_crypto.py), one code for both.

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
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa, utils

from hsmshell.backends.emulator.crypto.material import PrivateKey, load_private_key, load_public_key
from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import KeyType, SignMechanism, sign_mechanism
from hsmshell.record import record

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


@record(frozen=True)
class Scheme:
    """How a signature is made: KMU's sign -m (scheme_of) or CloudHSM CLI's crypto sign
    options. `prehashed`: the data is the digest already; PSS's `salt_length` None is KMU's
    convention above."""
    padding: str                       # "pkcs1v15" | "pss" | "ecdsa"
    hash_name: str
    mgf_hash: str | None = None        # PSS: MGF1's hash (KMU: the signature's hash)
    salt_length: int | None = None
    prehashed: bool = False


def scheme_of(mechanism: SignMechanism) -> Scheme:
    return Scheme(mechanism.padding, mechanism.hash_name)


def sign(private_der: bytes, mechanism_id: int, data: bytes) -> bytes:
    return sign_with(load_private_key(private_der), mechanism_id, data)


def sign_with(key: PrivateKey, mechanism_id: int, data: bytes) -> bytes:
    """sign() with a loaded key (KeyStore.private_key keeps them for a batch group)."""
    mechanism = sign_mechanism(mechanism_id)
    _check_key_kind(key, mechanism)
    return sign_scheme(key, scheme_of(mechanism), data)


def verify(public_der: bytes, mechanism_id: int, data: bytes, signature: bytes) -> bool:
    """True if the signature is good; False for a bad or malformed one."""
    mechanism = sign_mechanism(mechanism_id)
    key = load_public_key(public_der)
    _check_key_kind(key, mechanism)
    return verify_scheme(key, scheme_of(mechanism), data, signature)


def sign_scheme(key, scheme: Scheme, data: bytes) -> bytes:
    """The signature of `data` by the private key object `key` (ECDSA, DSA: DER, as openssl)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(_algorithm(scheme)))
    if isinstance(key, dsa.DSAPrivateKey):
        return key.sign(data, _algorithm(scheme))
    return key.sign(data, _rsa_padding(scheme, signing=True), _algorithm(scheme))


def verify_scheme(key, scheme: Scheme, data: bytes, signature: bytes) -> bool:
    """True if `signature` (ECDSA, DSA: DER) is the public key object `key`'s signature of `data`."""
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(_algorithm(scheme)))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, _algorithm(scheme))
        else:
            key.verify(signature, data, _rsa_padding(scheme, signing=False), _algorithm(scheme))
    except InvalidSignature:
        return False
    return True


def _algorithm(scheme: Scheme):
    algorithm = HASHES[scheme.hash_name]()
    return utils.Prehashed(algorithm) if scheme.prehashed else algorithm


def _rsa_padding(scheme: Scheme, *, signing: bool) -> padding.AsymmetricPadding:
    if scheme.padding == "pkcs1v15":
        return padding.PKCS1v15()
    salt_length = scheme.salt_length
    if salt_length is None:
        salt_length = padding.PSS.DIGEST_LENGTH if signing else padding.PSS.AUTO
    return padding.PSS(mgf=padding.MGF1(HASHES[scheme.mgf_hash or scheme.hash_name]()), salt_length=salt_length)


def _check_key_kind(key: object, mechanism: SignMechanism) -> None:
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        raise InvalidArgument(f"mechanism {mechanism.name} cannot be used with an Ed25519 key",
                              hint="KMU has no EdDSA mechanism: CloudHSM CLI's crypto sign ed25519")
    is_rsa = isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey))
    if is_rsa != (mechanism.key_type is KeyType.RSA):
        kind = "an RSA" if is_rsa else "a DSA" if isinstance(key, (dsa.DSAPrivateKey, dsa.DSAPublicKey)) else "an EC"
        raise InvalidArgument(f"mechanism {mechanism.name} cannot be used with {kind} key",
                              hint="RSA keys take -m 0-9, EC and DSA keys take -m 15-19")
