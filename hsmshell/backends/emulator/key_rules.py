"""Checks the key-using commands share: the kind of key a command needs, the usage flag it
needs (OBJ_ATTR_SIGN for sign, ...), extractability, and the host <-> HSM wrap that KMU's
export and import commands go through."""

from __future__ import annotations

from hsmshell.backends.emulator import crypto
from hsmshell.backends.key_files import read_input
from hsmshell.backends.emulator.keystore import StoredKey
from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.model.key_attributes import attribute_name, class_name, type_name
from hsmshell.model.keys import DEFAULT_WRAP_MECHANISM, Attr, KeyClass, KeyType


def describe(key: StoredKey) -> str:
    return f"key {key.handle} is {'an' if type_name(key.key_type)[0] in 'AEIOU' else 'a'} " \
           f"{type_name(key.key_type)} {class_name(key.key_class)} key"


def require_kind(key: StoredKey, classes: set[KeyClass], needed: str,
                 types: set[KeyType] | None = None) -> StoredKey:
    if key.key_class not in classes or (types is not None and key.key_type not in types):
        raise InvalidArgument(f"{describe(key)}; {needed}")
    return key


def require_flag(key: StoredKey, attr: Attr, purpose: str) -> StoredKey:
    if key.attribute(attr) != 1:
        raise HsmError(f"key {key.handle} cannot be used to {purpose}: {attribute_name(attr)} is 0",
                       reference="key-function-not-permitted",
                       hint=f"its owner can allow it: setAttribute {key.handle} {int(attr)} 1")
    return key


def require_extractable(key: StoredKey) -> StoredKey:
    if key.attribute(Attr.EXTRACTABLE) != 1:
        raise HsmError(f"key {key.handle} is not extractable: its material never leaves the HSM",
                       reference="key-not-extractable")
    return key


def wrapping_aes_key(key: StoredKey, *flags: Attr) -> StoredKey:
    """A secret AES key used to wrap or unwrap, with the usage flags the command needs."""
    require_kind(key, {KeyClass.SECRET}, "the wrapping key must be an AES key", {KeyType.AES})
    for flag in flags:
        require_flag(key, flag, "wrap or unwrap keys")
    return key


def host_key(path: str | None) -> bytes | None:
    """-wk: the same AES key, kept on the host, for the host's half of an export or import."""
    return read_input(path, "wrapping key", limit=64) if path else None


def through_wrap(wrap_with: bytes, unwrap_with: bytes, payload: bytes) -> bytes:
    """Carry `payload` across the host <-> HSM boundary as KMU does: wrapped with one copy of
    the AES key, unwrapped with the other. A -wk file holding another key fails here."""
    wrapped = crypto.wrap_key(DEFAULT_WRAP_MECHANISM, wrap_with, payload)
    return crypto.unwrap_key(DEFAULT_WRAP_MECHANISM, unwrap_with, wrapped)


def export_mechanism(mechanism: int | None) -> None:
    if mechanism is not None and mechanism != DEFAULT_WRAP_MECHANISM:
        raise InvalidArgument(f"this command only takes -m {int(DEFAULT_WRAP_MECHANISM)} "
                              f"(AES_KEY_WRAP_PAD_PKCS5), not {mechanism}")
