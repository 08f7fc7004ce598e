"""Key material: generate it, load it from DER, and describe a public key's attributes.

Formats used everywhere in the emulator: symmetric keys are raw bytes; private keys are
unencrypted PKCS#8 DER; public keys are SubjectPublicKeyInfo DER.
"""

from __future__ import annotations

import functools
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from hsmshell.backends.emulator.crypto.rsa_exponent import generate_rsa_private_key
from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.model.keys import (
    ED25519, EC_CURVES, EC_CURVES_BY_NAME, RSA_MIN_PUBLIC_EXPONENT, RSA_MODULUS_BITS,
    SYMMETRIC_KEY_SIZES, KeyType, is_valid_rsa_public_exponent,
)
from hsmshell.record import record

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | dsa.DSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | dsa.DSAPublicKey | ed25519.Ed25519PublicKey
PRIVATE_KINDS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, dsa.DSAPrivateKey, ed25519.Ed25519PrivateKey)
PUBLIC_KINDS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, dsa.DSAPublicKey, ed25519.Ed25519PublicKey)


@record(frozen=True)
class KeyPair:
    private_der: bytes  # PKCS#8, unencrypted
    public_der: bytes   # SubjectPublicKeyInfo


@record(frozen=True)
class PublicKeyInfo:
    """What the HSM records about a public key (OBJ_ATTR_MODULUS, _MODULUS_BITS, ...)."""
    key_type: KeyType                   # KeyType.RSA or KeyType.EC
    spki_der: bytes
    modulus_bits: int | None = None     # RSA
    modulus: bytes | None = None        # RSA, big-endian
    public_exponent: int | None = None  # RSA
    curve_id: int | None = None         # EC: genECCKeyPair -i
    ec_point: bytes | None = None       # EC: DER OCTET STRING of the uncompressed point Q

    @property
    def kind(self) -> str:
        return {KeyType.RSA: "rsa", KeyType.DSA: "dsa"}.get(self.key_type, "ec")


# -- generation -------------------------------------------------------------------------------
def generate_symmetric(key_type: int, size: int) -> bytes:
    """Random key bytes for genSymKey -t/-s (size in bytes). 3DES keys get odd DES parity."""
    try:
        kt = KeyType(key_type)
        allowed = SYMMETRIC_KEY_SIZES[kt]
    except (ValueError, KeyError):
        raise InvalidArgument(f"unsupported symmetric key type {key_type}",
                              hint="-t is 16 (generic secret), 21 (3DES) or 31 (AES)") from None
    if size not in allowed:
        raise InvalidArgument(f"invalid key size {size} bytes for {kt.name}",
                              hint=f"valid sizes: {_describe_sizes(allowed)}")
    key = os.urandom(size)
    return with_des_parity(key) if kt is KeyType.DES3 else key


def with_des_parity(key: bytes) -> bytes:
    """Set the low bit of each byte so every byte has odd parity, as DES keys must."""
    return bytes((b & 0xFE) | (bin(b >> 1).count("1") + 1) % 2 for b in key)


def generate_rsa(modulus_bits: int, public_exponent: int = RSA_MIN_PUBLIC_EXPONENT) -> KeyPair:
    """genRSAKeyPair -m/-e."""
    if modulus_bits not in RSA_MODULUS_BITS:
        raise InvalidArgument(f"unsupported RSA modulus length {modulus_bits}",
                              hint=f"-m is one of {', '.join(map(str, RSA_MODULUS_BITS))}")
    if not is_valid_rsa_public_exponent(public_exponent):
        raise InvalidArgument(f"invalid RSA public exponent {public_exponent}",
                              hint="-e must be an odd number >= 65537")
    if public_exponent == RSA_MIN_PUBLIC_EXPONENT:
        key = rsa.generate_private_key(public_exponent, modulus_bits)
    else:  # `cryptography` only generates e=65537; other exponents need our own primes
        key = generate_rsa_private_key(modulus_bits, public_exponent)
    return key_pair_of(key)


DSA_MODULUS_BITS = (2048, 3072)            # FIPS 186-4 sizes (key_mgmt_util-genDSAKeyPair: -m 2048)


def generate_dsa(modulus_bits: int) -> KeyPair:
    """genDSAKeyPair -m."""
    if modulus_bits not in DSA_MODULUS_BITS:
        raise InvalidArgument(f"unsupported DSA modulus length {modulus_bits}",
                              hint=f"-m is one of {', '.join(map(str, DSA_MODULUS_BITS))}")
    return key_pair_of(_dsa_parameters(modulus_bits).generate_private_key())


@functools.lru_cache(maxsize=2)
def _dsa_parameters(modulus_bits: int) -> dsa.DSAParameters:
    """Domain parameters (p, q, g) take seconds to make; keys share them, as FIPS 186-4
    allows: each pair still gets its own private x."""
    return dsa.generate_parameters(modulus_bits)


def generate_ec(curve_id: int) -> KeyPair:
    """genECCKeyPair -i."""
    return key_pair_of(ec.generate_private_key(ec_curve(curve_id)))


def generate_ed25519() -> KeyPair:
    """CloudHSM CLI's --curve ed25519 (KMU offers no Edwards curve)."""
    return key_pair_of(ed25519.Ed25519PrivateKey.generate())


def ec_curve(curve_id: int) -> ec.EllipticCurve:
    curve = EC_CURVES.get(curve_id)
    if curve is None:
        raise InvalidArgument(f"unsupported ECC curve id {curve_id}",
                              hint=f"-i is one of {', '.join(map(str, sorted(EC_CURVES)))}")
    return _CURVE_CLASSES[curve.name]()


_CURVE_CLASSES: dict[str, type[ec.EllipticCurve]] = {
    "secp192r1": ec.SECP192R1, "secp224r1": ec.SECP224R1, "secp256r1": ec.SECP256R1,
    "secp384r1": ec.SECP384R1, "secp521r1": ec.SECP521R1, "secp256k1": ec.SECP256K1,
}


def key_pair_of(private_key: PrivateKey) -> KeyPair:
    return KeyPair(private_der=private_der_of(private_key),
                   public_der=public_der_of(private_key.public_key()))


def private_der_of(private_key: PrivateKey) -> bytes:
    return private_key.private_bytes(serialization.Encoding.DER,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def public_der_of(public_key: PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


# -- loading stored material (the emulator's own; a failure means corrupt state) ---------------
def load_private_key(private_der: bytes) -> PrivateKey:
    # Not cached here (a process-wide cache keyed by the plaintext would keep every key a
    # process ever used, past logout): KeyStore.private_key keeps loaded keys for one batch
    # group, which also spares a freshly loaded RSA key's set-up on its first use.
    try:
        # Stored material was checked when it was generated or imported, and it is
        # authenticated by its seal; re-checking an RSA key costs ~50 ms per use (every sign).
        key = serialization.load_der_private_key(private_der, password=None,
                                                 unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError):
        raise HsmError("stored private key material is unreadable") from None
    if not isinstance(key, PRIVATE_KINDS):
        raise HsmError("stored private key is neither RSA, DSA nor EC")
    return key


def load_public_key(public_der: bytes) -> PublicKey:
    try:
        key = serialization.load_der_public_key(public_der)
    except (ValueError, TypeError):
        raise HsmError("stored public key material is unreadable") from None
    if not isinstance(key, PUBLIC_KINDS):
        raise HsmError("stored public key is neither RSA, DSA nor EC")
    return key


def public_der_of_private(private_der: bytes) -> bytes:
    return public_der_of(load_private_key(private_der).public_key())


# -- describing -------------------------------------------------------------------------------
def describe_public_key(public_key: object, edwards: bool = False) -> PublicKeyInfo:
    """Attributes of an RSA or EC public key (an Ed25519 one too when `edwards`: the point is
    its 32 bytes, as PKCS#11's CKA_EC_POINT has it); InvalidArgument for any other kind."""
    if edwards and isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return PublicKeyInfo(KeyType.EC, public_der_of(public_key), curve_id=ED25519.curve_id,
                             ec_point=der_octet_string(raw))
    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        return PublicKeyInfo(KeyType.RSA, public_der_of(public_key),
                             modulus_bits=public_key.key_size,
                             modulus=numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"),
                             public_exponent=numbers.e)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curve = EC_CURVES_BY_NAME.get(public_key.curve.name)
        if curve is None:
            raise InvalidArgument(f"unsupported EC curve {public_key.curve.name}",
                                  hint="supported curves: " + ", ".join(EC_CURVES_BY_NAME))
        point = public_key.public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
        return PublicKeyInfo(KeyType.EC, public_der_of(public_key), curve_id=curve.curve_id,
                             ec_point=der_octet_string(point))
    if isinstance(public_key, dsa.DSAPublicKey):
        numbers = public_key.public_numbers()
        p = numbers.parameter_numbers.p
        return PublicKeyInfo(KeyType.DSA, public_der_of(public_key), modulus_bits=public_key.key_size,
                             modulus=p.to_bytes((p.bit_length() + 7) // 8, "big"))
    raise InvalidArgument(f"unsupported key kind {type(public_key).__name__}",
                          hint="only RSA, DSA and EC keys are supported")


def der_octet_string(value: bytes) -> bytes:
    """DER OCTET STRING, the encoding PKCS#11 uses for an EC point."""
    n = len(value)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + \
        n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x04" + length + value


def _describe_sizes(allowed: range | tuple[int, ...]) -> str:
    if isinstance(allowed, range):
        return f"{allowed.start} to {allowed.stop - 1}"
    return ", ".join(map(str, allowed))
