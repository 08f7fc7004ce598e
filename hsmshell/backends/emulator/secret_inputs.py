"""Keys imported from files the audit log must not keep: imSymKey, importPrivateKey, unWrapKey.

Their material is a secret, so the record keeps only the kind of key made (class, type and
size: what getAttribute shows anyone who may use the key), and `audit replay` puts a new
random key of that kind in its place. Handles, owners, sharing and every later check then
replay as they ran; what the material itself decides (a KCV, a signature's bytes) cannot,
and replay lists these records as "not reproducible (secret input)" (docs/batch-and-audit.md).
"""

from __future__ import annotations

from hsmshell.backends.emulator import crypto, replay_inputs
from hsmshell.backends.emulator.key_templates import NewKey
from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import EC_CURVES_BY_NID, Attr, KeyClass, KeyType

KIND = "secret_input"


def recorded_kind(cluster) -> dict | None:
    """During replay, the kind of key the replayed record made (None otherwise)."""
    kind = replay_inputs.recorded(cluster, KIND)
    if kind is not None and not isinstance(kind, dict):
        raise InvalidArgument("the record's secret_input is not a key kind")
    return kind


def note_kind(cluster, key: NewKey) -> None:
    """Keep the kind of `key` (never its material) in the command's audit record."""
    attributes = key.attributes
    kind = {"class": int(key.key_class), "type": int(key.key_type)}
    if key.key_class == KeyClass.SECRET:
        kind["bytes"] = attributes[Attr.VALUE_LEN]
    elif key.key_type == KeyType.RSA:
        kind.update(modulus_bits=attributes[Attr.MODULUS_BITS],
                    public_exponent=attributes[Attr.PUBLIC_EXPONENT])
    else:                       # EC: OBJ_ATTR_MODULUS_BITS holds the curve's NID
        kind["curve"] = EC_CURVES_BY_NID[attributes[Attr.MODULUS_BITS]].curve_id
    replay_inputs.note(cluster, KIND, kind)


def secret_stand_in(kind: dict) -> bytes:
    """Random material for a secret key of the recorded kind."""
    return crypto.generate_symmetric(kind.get("type"), kind.get("bytes"))


def private_stand_in(kind: dict) -> crypto.ImportedPrivateKey:
    """A new key pair of the recorded kind, as if its private key had been imported."""
    from hsmshell.backends.emulator.crypto.material import describe_public_key, load_public_key

    if kind.get("type") == KeyType.RSA:
        pair = crypto.generate_rsa(kind.get("modulus_bits"), kind.get("public_exponent"))
    elif kind.get("type") == KeyType.EC:
        pair = crypto.generate_ec(kind.get("curve"))
    else:
        raise InvalidArgument(f"the record's secret_input has no private key type: {kind.get('type')}")
    return crypto.ImportedPrivateKey(pair.private_der, describe_public_key(load_public_key(pair.public_der)))
