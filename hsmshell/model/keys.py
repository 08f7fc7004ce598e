"""Key vocabulary of key_mgmt_util (KMU) and cloudhsm_mgmt_util (CMU), as plain data.

Every number here comes from AWS's key_mgmt_util pages (section 1 for the commands, 2.3-2.5
for attributes, classes and types, 5 for the quotas). Parser, renderer and emulator all read
these tables, so a value is written down exactly once.
"""

from __future__ import annotations

from enum import IntEnum

from hsmshell.errors import InvalidArgument
from hsmshell.record import record


class KeyClass(IntEnum):
    """OBJ_ATTR_CLASS values (findKey -c, unWrapKey -kc)."""
    PUBLIC = 2
    PRIVATE = 3
    SECRET = 4


class KeyType(IntEnum):
    """OBJ_ATTR_KEY_TYPE values (genSymKey/findKey -t, unWrapKey -kt); PKCS#11 CKK numbers."""
    RSA = 0
    DSA = 1
    EC = 3
    GENERIC_SECRET = 16
    RC4 = 18
    DES3 = 21
    AES = 31


ASYMMETRIC_KEY_TYPES = frozenset({KeyType.RSA, KeyType.DSA, KeyType.EC})

# genSymKey -s is in bytes. RC4 is left out: FIPS-mode HSMs refuse it.
SYMMETRIC_KEY_SIZES: dict[KeyType, range | tuple[int, ...]] = {
    KeyType.AES: (16, 24, 32),
    KeyType.DES3: (24,),
    KeyType.GENERIC_SECRET: range(1, 3584),  # "generic secret < 3584"
}
# imSymKey -t takes only these.
IMPORTABLE_SYMMETRIC_TYPES = frozenset({KeyType.DES3, KeyType.AES})

# genRSAKeyPair -m (bits) and -e.
RSA_MODULUS_BITS = (2048, 3072, 4096)
RSA_MIN_PUBLIC_EXPONENT = 65537


def is_valid_rsa_public_exponent(exponent: int) -> bool:
    """genRSAKeyPair -e must be an odd number >= 65537."""
    return exponent >= RSA_MIN_PUBLIC_EXPONENT and exponent % 2 == 1


@record(frozen=True)
class EcCurve:
    curve_id: int       # genECCKeyPair -i
    nid_name: str       # the OpenSSL NID the KMU docs print
    name: str           # SEC 2 name, as `cryptography` and openssl spell it
    documented: bool    # listed by the current AWS docs (the rest come from the 2019 table)
    nid: int            # OBJ_ATTR_MODULUS_BITS of an EC key: its OpenSSL NID (AWS's
                        # genECCKeyPair page: 0x19f, NID_X9_62_prime256v1, for a P-256 key)


# The 2019 table minus the binary (sect*) curves, which `cryptography` cannot use.
EC_CURVES: dict[int, EcCurve] = {c.curve_id: c for c in (
    EcCurve(1, "NID_X9_62_prime192v1", "secp192r1", False, 409),
    EcCurve(2, "NID_X9_62_prime256v1", "secp256r1", True, 415),
    EcCurve(13, "NID_secp224r1", "secp224r1", False, 713),
    EcCurve(14, "NID_secp384r1", "secp384r1", True, 715),
    EcCurve(15, "NID_secp521r1", "secp521r1", False, 716),
    EcCurve(16, "NID_secp256k1", "secp256k1", True, 714),
)}
EC_CURVES_BY_NAME: dict[str, EcCurve] = {c.name: c for c in EC_CURVES.values()}
EC_CURVES_BY_NID: dict[int, EcCurve] = {c.nid: c for c in EC_CURVES.values()}
# Ed25519 (CloudHSM CLI's --curve ed25519; hsm2m.medium in non-FIPS mode only). KMU has no
# Edwards curve, so it stays out of EC_CURVES (genECCKeyPair -i); its id and NID are OpenSSL's.
ED25519 = EcCurve(1087, "NID_ED25519", "ed25519", True, 1087)
ALL_CURVES: dict[int, EcCurve] = {**EC_CURVES, ED25519.curve_id: ED25519}
ALL_CURVES_BY_NID: dict[int, EcCurve] = {**EC_CURVES_BY_NID, ED25519.nid: ED25519}
# Curve 1 fails on FIPS-mode HSMs with 0xb3 (policy violation).
FIPS_REFUSED_CURVE_IDS = frozenset({1})


class Attr(IntEnum):
    """OBJ_ATTR_* ids, from CMU listAttributes. `Attr.LABEL.constant` == "OBJ_ATTR_LABEL"."""
    CLASS = 0
    TOKEN = 1
    PRIVATE = 2
    LABEL = 3
    TRUSTED = 134
    KEY_TYPE = 256
    ID = 258
    SENSITIVE = 259
    ENCRYPT = 260
    DECRYPT = 261
    WRAP = 262
    UNWRAP = 263
    SIGN = 264
    VERIFY = 266
    DERIVE = 268
    MODULUS = 288
    MODULUS_BITS = 289
    PUBLIC_EXPONENT = 290
    VALUE_LEN = 353
    EXTRACTABLE = 354
    LOCAL = 355
    NEVER_EXTRACTABLE = 356
    ALWAYS_SENSITIVE = 357
    DESTROYABLE = 370
    KCV = 371
    ALL = 512
    WRAP_WITH_TRUSTED = 528
    WRAP_TEMPLATE = 1073742353
    UNWRAP_TEMPLATE = 1073742354

    @property
    def constant(self) -> str:
        return f"OBJ_ATTR_{self.name}"


ATTRIBUTE_NAMES: dict[int, str] = {a.value: a.constant for a in Attr}
ATTRIBUTE_IDS: dict[str, int] = {name: value for value, name in ATTRIBUTE_NAMES.items()}

# CMU `setAttribute <handle> <id> <value>`: what a CU may change on a key it owns.
CMU_SETTABLE_ATTRIBUTES = frozenset({
    Attr.LABEL, Attr.TRUSTED, Attr.ENCRYPT, Attr.DECRYPT, Attr.WRAP, Attr.UNWRAP, Attr.SIGN,
    Attr.VERIFY, Attr.DERIVE, Attr.DESTROYABLE, Attr.WRAP_WITH_TRUSTED, Attr.WRAP_TEMPLATE,
    Attr.UNWRAP_TEMPLATE,
})
# KMU `setAttribute -o <handle> -a 1`: only TOKEN, and only from 0 (session) to 1.
KMU_SETTABLE_ATTRIBUTES = frozenset({Attr.TOKEN})

KCV_LENGTH = 3  # bytes


@record(frozen=True)
class SignMechanism:
    mechanism_id: int   # sign/verify -m
    name: str
    key_type: KeyType   # RSA or EC (15-19, the DSS family, serve DSA keys too)
    padding: str        # "pkcs1v15" | "pss" | "ecdsa"
    hash_name: str      # hashlib / cryptography spelling: "sha256"


def _sign_mechanisms() -> dict[int, SignMechanism]:
    rows = [
        (0, "SHA1_RSA_PKCS", "pkcs1v15", "sha1"), (1, "SHA256_RSA_PKCS", "pkcs1v15", "sha256"),
        (2, "SHA384_RSA_PKCS", "pkcs1v15", "sha384"), (3, "SHA512_RSA_PKCS", "pkcs1v15", "sha512"),
        (4, "SHA224_RSA_PKCS", "pkcs1v15", "sha224"), (5, "SHA1_RSA_PKCS_PSS", "pss", "sha1"),
        (6, "SHA256_RSA_PKCS_PSS", "pss", "sha256"), (7, "SHA384_RSA_PKCS_PSS", "pss", "sha384"),
        (8, "SHA512_RSA_PKCS_PSS", "pss", "sha512"), (9, "SHA224_RSA_PKCS_PSS", "pss", "sha224"),
        (15, "ECDSA_SHA1", "ecdsa", "sha1"), (16, "ECDSA_SHA224", "ecdsa", "sha224"),
        (17, "ECDSA_SHA256", "ecdsa", "sha256"), (18, "ECDSA_SHA384", "ecdsa", "sha384"),
        (19, "ECDSA_SHA512", "ecdsa", "sha512"),
    ]
    return {mid: SignMechanism(mid, name, KeyType.EC if padding == "ecdsa" else KeyType.RSA,
                               padding, hash_name)
            for mid, name, padding, hash_name in rows}


SIGN_MECHANISMS: dict[int, SignMechanism] = _sign_mechanisms()
SIGN_MECHANISMS_BY_NAME: dict[str, SignMechanism] = {m.name: m for m in SIGN_MECHANISMS.values()}
# The DER DigestInfo before the hash bytes (RFC 8017 §9.2, note 1): an RSA PKCS#1 v1.5
# signature of a bare digest signs prefix + digest (the emulator's sdk5 sign, pkcs11's CKM_RSA_PKCS)
DIGEST_INFO: dict[str, bytes] = {name: bytes.fromhex(prefix) for name, prefix in (
    ("sha1", "3021300906052b0e03021a05000414"),
    ("sha224", "302d300d06096086480165030402040500041c"),
    ("sha256", "3031300d060960864801650304020105000420"),
    ("sha384", "3041300d060960864801650304020205000430"),
    ("sha512", "3051300d060960864801650304020305000440"))}


def sign_mechanism(mechanism_id: int) -> SignMechanism:
    mechanism = SIGN_MECHANISMS.get(mechanism_id)
    if mechanism is None:
        raise InvalidArgument(f"unknown signature mechanism {mechanism_id}",
                              hint="-m is 0-9 (RSA) or 15-19 (ECDSA, DSA); see 'sign -h'")
    return mechanism


class WrapMechanism(IntEnum):
    """wrapKey / unWrapKey -m."""
    AES_KEY_WRAP_PAD_PKCS5 = 4   # the default; also the only -m exSymKey/exportPrivateKey take
    NIST_AES_WRAP_NO_PAD = 5     # RFC 3394
    NIST_AES_WRAP_PAD = 6        # RFC 5649
    RSA_AES = 7
    RSA_OAEP = 8
    AES_GCM = 10
    CLOUDHSM_AES_GCM = 11
    RSA_PKCS = 12                # refused in FIPS mode after 2023


DEFAULT_WRAP_MECHANISM = WrapMechanism.AES_KEY_WRAP_PAD_PKCS5
EXPORT_WRAP_MECHANISMS = frozenset({WrapMechanism.AES_KEY_WRAP_PAD_PKCS5})
AES_WRAP_MECHANISMS = frozenset({
    WrapMechanism.AES_KEY_WRAP_PAD_PKCS5, WrapMechanism.NIST_AES_WRAP_NO_PAD,
    WrapMechanism.NIST_AES_WRAP_PAD, WrapMechanism.AES_GCM, WrapMechanism.CLOUDHSM_AES_GCM,
})
RSA_WRAP_MECHANISMS = frozenset({
    WrapMechanism.RSA_AES, WrapMechanism.RSA_OAEP, WrapMechanism.RSA_PKCS,
})


class WrapHash(IntEnum):
    """wrapKey / unWrapKey -t (RSA_AES and RSA_OAEP). SHA224 only for those two."""
    SHA1 = 2
    SHA256 = 3
    SHA384 = 4
    SHA512 = 5
    SHA224 = 6


DEFAULT_WRAP_HASH = WrapHash.SHA1  # the 2019 docs' default


class AesWrapMode(IntEnum):
    """aesWrapUnwrap -m."""
    UNWRAP = 0
    WRAP = 1


AES_WRAP_DEFAULT_IV = bytes.fromhex("A6A6A6A6A6A6A6A6")  # RFC 3394 default; KMU warns when used
AES_WRAP_UNWRAP_FILE_LIMIT = 4096  # aesWrapUnwrap takes "a file smaller than 4 KB"

# System quotas per cluster (hsm2m.medium; not adjustable).
MAX_KEYS_PER_CLUSTER = 16_666
MAX_ASYMMETRIC_KEYS_PER_CLUSTER = 3_333
