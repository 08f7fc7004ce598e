"""The attributes a new key gets (AWS's key-attribute table).

Where AWS's documentation is silent or inconsistent (the default usage flags), the choice is the
PKCS#11 convention: secret AES/3DES keys encrypt, decrypt, wrap and unwrap; generic secret
(HMAC) keys start with every usage flag off (AWS: set SIGN/VERIFY with setAttribute); RSA
private keys decrypt, sign and unwrap, RSA public keys encrypt, verify and wrap; EC private
keys sign and derive, EC public keys verify. docs/keys.md lists them.
"""

from __future__ import annotations

import functools

from hsmshell.backends.emulator import crypto
from hsmshell.backends.emulator.crypto.material import describe_public_key, load_public_key
from hsmshell.model.key_attributes import AttributeValue
from hsmshell.model.keys import ALL_CURVES, Attr, KeyClass, KeyType
from hsmshell.record import record

_ON = (Attr.ENCRYPT, Attr.DECRYPT, Attr.WRAP, Attr.UNWRAP, Attr.SIGN, Attr.VERIFY, Attr.DERIVE)
USAGE: dict[tuple[KeyClass, KeyType], frozenset[Attr]] = {
    (KeyClass.SECRET, KeyType.AES): frozenset({Attr.ENCRYPT, Attr.DECRYPT, Attr.WRAP, Attr.UNWRAP}),
    (KeyClass.SECRET, KeyType.DES3): frozenset({Attr.ENCRYPT, Attr.DECRYPT, Attr.WRAP, Attr.UNWRAP}),
    (KeyClass.SECRET, KeyType.GENERIC_SECRET): frozenset(),
    (KeyClass.PRIVATE, KeyType.RSA): frozenset({Attr.DECRYPT, Attr.SIGN, Attr.UNWRAP}),
    (KeyClass.PUBLIC, KeyType.RSA): frozenset({Attr.ENCRYPT, Attr.VERIFY, Attr.WRAP}),
    (KeyClass.PRIVATE, KeyType.EC): frozenset({Attr.SIGN, Attr.DERIVE}),
    (KeyClass.PUBLIC, KeyType.EC): frozenset({Attr.VERIFY}),
    (KeyClass.PRIVATE, KeyType.DSA): frozenset({Attr.SIGN}),
    (KeyClass.PUBLIC, KeyType.DSA): frozenset({Attr.VERIFY}),
}


@record(frozen=True)
class NewKey:
    key_class: KeyClass
    key_type: KeyType
    material: bytes        # raw secret, PKCS#8 DER private key, or SubjectPublicKeyInfo DER
    attributes: dict[int, AttributeValue]   # all but class, token, label, type and id
    restricted: bool = True  # -u and -m_value apply (not to the public half of a pair)


def secret_key(key_type: KeyType, key: bytes, *, extractable: bool, local: bool) -> NewKey:
    attributes = _common(KeyClass.SECRET, key_type, sensitive=True, extractable=extractable,
                         local=local)
    attributes[Attr.VALUE_LEN] = len(key)
    kcv = crypto.symmetric_kcv(key_type, key)
    if kcv is not None:                     # HMAC (generic secret) keys have none
        attributes[Attr.KCV] = kcv.hex()
    return NewKey(KeyClass.SECRET, key_type, key, _sorted(attributes))


def key_pair(pair: crypto.KeyPair, *, extractable: bool) -> tuple[NewKey, NewKey]:
    """(public, private) of a key pair generated on the HSM."""
    info = describe_public_key(load_public_key(pair.public_der), edwards=True)   # made on request only
    return public_key(info, local=True), private_key(pair.private_der, info,
                                                     extractable=extractable, local=True)


def private_key(private_der: bytes, info: crypto.PublicKeyInfo, *, extractable: bool,
                local: bool) -> NewKey:
    attributes = _common(KeyClass.PRIVATE, info.key_type, sensitive=True, extractable=extractable,
                         local=local)
    attributes.update(_public_values(info))
    # the length of the key's value, its PKCS#8 DER (AWS's genECCKeyPair page: 0x8a, 138, for P-256)
    attributes[Attr.VALUE_LEN] = len(private_der)
    return NewKey(KeyClass.PRIVATE, info.key_type, private_der, _sorted(attributes))


def public_key(info: crypto.PublicKeyInfo, *, local: bool) -> NewKey:
    # Public keys are always extractable and usable by everyone (reference: genRSAKeyPair).
    attributes = _common(KeyClass.PUBLIC, info.key_type, sensitive=False, extractable=True,
                         local=local)
    attributes.update(_public_values(info))
    if info.key_type is KeyType.RSA:    # AWS's genRSAKeyPair page: 0x200 for a 2048-bit key, i.e.
        attributes[Attr.VALUE_LEN] = 2 * len(info.modulus)   # modulus and exponent at its width
    return NewKey(KeyClass.PUBLIC, info.key_type, info.spki_der, _sorted(attributes),
                  restricted=False)


def _common(key_class: KeyClass, key_type: KeyType, *, sensitive: bool, extractable: bool,
            local: bool) -> dict[int, AttributeValue]:
    return dict(_common_template(key_class, key_type, sensitive, extractable, local))


@functools.lru_cache(maxsize=64)        # a handful of combinations; every new key needs one
def _common_template(key_class: KeyClass, key_type: KeyType, sensitive: bool, extractable: bool,
                     local: bool) -> dict[int, AttributeValue]:
    usage = USAGE.get((key_class, key_type), frozenset())
    return {
        Attr.PRIVATE: 1, Attr.TRUSTED: 0, Attr.SENSITIVE: int(sensitive),
        **{attr: int(attr in usage) for attr in _ON},
        Attr.EXTRACTABLE: int(extractable), Attr.LOCAL: int(local),
        # Never/always: true only for keys made on the HSM that kept the property since.
        Attr.NEVER_EXTRACTABLE: int(local and not extractable),
        Attr.ALWAYS_SENSITIVE: int(local and sensitive),
        Attr.DESTROYABLE: 1, Attr.WRAP_WITH_TRUSTED: 0,
    }


def _public_values(info: crypto.PublicKeyInfo) -> dict[int, AttributeValue]:
    if info.key_type is KeyType.RSA:
        values = {Attr.MODULUS: info.modulus.hex(), Attr.MODULUS_BITS: info.modulus_bits,
                  Attr.PUBLIC_EXPONENT: info.public_exponent}
    elif info.key_type is KeyType.DSA:        # the prime p and its length
        values = {Attr.MODULUS: info.modulus.hex(), Attr.MODULUS_BITS: info.modulus_bits}
    else:   # EC: MODULUS holds the DER point Q, MODULUS_BITS the curve's OpenSSL NID (AWS's pages)
        values = {Attr.MODULUS: info.ec_point.hex(), Attr.MODULUS_BITS: ALL_CURVES[info.curve_id].nid}
    values[Attr.KCV] = crypto.public_kcv(info.spki_der).hex()
    return values


def _sorted(attributes: dict) -> dict[int, AttributeValue]:
    return {int(k): v for k, v in sorted(attributes.items())}
