"""CloudHSM CLI (Client SDK 5) words for the domain (AWS's CloudHSM CLI pages):
role names, key references, attribute names in AWS's order, key filters.

SDK 5 names what SDK 3 numbers: roles are `admin`/`crypto-user` instead of CO/CU, keys are
`key-reference`s (the SDK 3 handle as `0x` + 16 hex digits), attributes are lowercase-hyphen
PKCS#11 names. One world, two vocabularies: these tables translate, nothing more.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import Attr, KeyClass, KeyType
from hsmshell.model.users import UserType

# SDK 3 user type -> the role `user list` shows (§3.6)
ROLE_OF_USER_TYPE = {UserType.PRECO: "unactivated-admin", UserType.PCO: "admin", UserType.CO: "admin",
                     UserType.CU: "crypto-user", UserType.AU: "internal(APPLIANCE_USER)"}
# --role accepts these two only; each stands for the SDK 3 user types it covers
LOGIN_ROLES = {"admin": (UserType.CO, UserType.PCO, UserType.PRECO), "crypto-user": (UserType.CU,)}
ROLE_CHOICES = tuple(LOGIN_ROLES)

KEY_TYPE_NAMES = {KeyType.AES: "aes", KeyType.GENERIC_SECRET: "generic-secret",
                  KeyType.RSA: "rsa", KeyType.EC: "ec", KeyType.DES3: "des3",
                  KeyType.DSA: "dsa", KeyType.RC4: "rc4"}
CLASS_NAMES = {KeyClass.SECRET: "secret-key", KeyClass.PUBLIC: "public-key",
               KeyClass.PRIVATE: "private-key"}

# The flag attributes, in the order every AWS key object lists them, after
# key-type, label, id, check-value and class (§3.3).
FLAG_ORDER: tuple[tuple[str, Attr], ...] = (
    ("encrypt", Attr.ENCRYPT), ("decrypt", Attr.DECRYPT), ("token", Attr.TOKEN),
    ("always-sensitive", Attr.ALWAYS_SENSITIVE), ("derive", Attr.DERIVE),
    ("destroyable", Attr.DESTROYABLE), ("extractable", Attr.EXTRACTABLE), ("local", Attr.LOCAL),
    ("modifiable", None), ("never-extractable", Attr.NEVER_EXTRACTABLE),
    ("private", Attr.PRIVATE), ("sensitive", Attr.SENSITIVE), ("sign", Attr.SIGN),
    ("trusted", Attr.TRUSTED), ("unwrap", Attr.UNWRAP), ("verify", Attr.VERIFY),
    ("wrap", Attr.WRAP), ("wrap-with-trusted", Attr.WRAP_WITH_TRUSTED),
)
FLAG_NAMES = tuple(name for name, _ in FLAG_ORDER)
ATTRIBUTE_NAMES = ("key-type", "label", "id", "check-value", "class", *FLAG_NAMES,
                   "key-length-bytes", "public-exponent", "modulus", "modulus-size-bits",
                   "ec-point", "curve")
# `key set-attribute --name`: what the attribute table (§3.4) lets a key's owner change, by
# the SDK 3 attribute it is (trusted: admins only; token: false -> true only).
SETTABLE = {"label": Attr.LABEL, "encrypt": Attr.ENCRYPT, "decrypt": Attr.DECRYPT,
            "wrap": Attr.WRAP, "unwrap": Attr.UNWRAP, "sign": Attr.SIGN, "verify": Attr.VERIFY,
            "derive": Attr.DERIVE, "destroyable": Attr.DESTROYABLE,
            "wrap-with-trusted": Attr.WRAP_WITH_TRUSTED, "trusted": Attr.TRUSTED,
            "token": Attr.TOKEN}
# --curve values (generate-asymmetric-pair ec) -> SDK 3 curve ids (genECCKeyPair -i)
CURVES = {"prime256v1": 2, "secp256r1": 2, "secp224r1": 13, "secp384r1": 14,
          "secp256k1": 16, "secp521r1": 15, "ed25519": 1087}
HASHES = ("sha1", "sha224", "sha256", "sha384", "sha512")
# key wrap / unwrap <mechanism> words -> KMU's wrapKey -m ids (aes-zero-pad: RFC 3394, -m 5,
# over the key zero-padded to a multiple of 8 bytes; KMU has no such mechanism)
WRAP_MECHANISMS = {"aes-gcm": 10, "aes-no-pad": 5, "aes-pkcs5-pad": 4, "aes-zero-pad": 5,
                   "cloudhsm-aes-gcm": 11, "rsa-aes": 7, "rsa-oaep": 8, "rsa-pkcs": 12}
KEY_REFERENCE_RE = re.compile(r"^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$")


def role_name(user_type: str) -> str:
    return ROLE_OF_USER_TYPE.get(user_type, user_type)


def key_reference(handle: int) -> str:
    return f"0x{handle:016x}"


def parse_key_reference(text: str) -> int:
    """`0x...` hex (shorter forms too: 0xabc) or decimal, as the set-attribute page allows."""
    text = text.strip().strip('"')
    if not KEY_REFERENCE_RE.match(text):
        raise InvalidArgument(f"invalid key-reference '{text[:32]}'",
                              hint="a key reference is 0x followed by hex digits, e.g. 0x00000000000003d5")
    value = int(text, 16) if text.lower().startswith("0x") else int(text)
    if value >= 2**63:
        raise InvalidArgument("key-reference is too large")
    return value


class FilterTerm(NamedTuple):
    """A tuple, so the audit record and replay see the same plain JSON array."""
    name: str          # "key-reference" or an attribute name (key-type, label, class, ...)
    value: str

    @property
    def text(self) -> str:
        prefix = "" if self.name == "key-reference" else "attr."
        return f"{prefix}{self.name}={self.value}"


def parse_filter_term(token: str) -> FilterTerm:
    """One `--filter` word: `key-reference=0x...` or `attr.NAME=VALUE` (§3.5; the KMS pages
    also write `attr.key-reference=...`)."""
    name, eq, value = token.partition("=")
    if not eq:
        raise InvalidArgument(f"filter '{token[:40]}' is not NAME=VALUE",
                              hint="use key-reference=0x... or attr.NAME=VALUE, e.g. attr.label=my_key")
    if name.startswith("attr."):
        name = name[5:]
    elif name != "key-reference":
        raise InvalidArgument(f"filter '{token[:40]}' must start with attr. or be key-reference=",
                              hint="e.g. attr.label=my_key attr.class=private-key")
    value = value.strip('"')
    if name == "key-reference":
        parse_key_reference(value)
    elif name not in ATTRIBUTE_NAMES:
        raise InvalidArgument(f"unknown key attribute '{name[:32]}' in a filter",
                              hint="attributes: " + ", ".join(ATTRIBUTE_NAMES[:5]) + ", encrypt, ...")
    return FilterTerm(name, value)


def parse_attribute_setting(token: str) -> tuple[str, str]:
    """One `--attributes` word: NAME=VALUE."""
    name, eq, value = token.partition("=")
    if not eq or name not in ATTRIBUTE_NAMES:
        raise InvalidArgument(f"'{token[:40]}' is not KEY_ATTRIBUTE_NAME=VALUE with a known name",
                              hint="e.g. --attributes decrypt=true encrypt=true")
    return name, value


def parse_bool(text: str, what: str) -> bool:
    low = text.strip().lower()
    if low in ("true", "1"):
        return True
    if low in ("false", "0"):
        return False
    raise InvalidArgument(f"{what} must be true or false, not '{text[:32]}'")
