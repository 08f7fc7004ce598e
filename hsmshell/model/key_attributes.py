"""Key attribute values as plain data: which kind each OBJ_ATTR_* id holds, how a value is
shown (getAttribute, its files, the renderers), and how a typed value is read (setAttribute).

Values are ints (flags, class, type, lengths), text (label, id) or bytes kept as lowercase
hex text (modulus, EC point, KCV), so one representation serves the database, JSON and the
screen. Shown as KMU does: numbers as 4-byte hex (`0x00000001`), bytes as `0x...`, text as is.
"""

from __future__ import annotations

from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import ATTRIBUTE_NAMES, Attr, KeyClass, KeyType

TEXT_ATTRIBUTES = frozenset({Attr.LABEL, Attr.ID})
BYTES_ATTRIBUTES = frozenset({Attr.MODULUS, Attr.KCV})
BOOLEAN_ATTRIBUTES = frozenset({
    Attr.TOKEN, Attr.PRIVATE, Attr.TRUSTED, Attr.SENSITIVE, Attr.ENCRYPT, Attr.DECRYPT,
    Attr.WRAP, Attr.UNWRAP, Attr.SIGN, Attr.VERIFY, Attr.DERIVE, Attr.EXTRACTABLE, Attr.LOCAL,
    Attr.NEVER_EXTRACTABLE, Attr.ALWAYS_SENSITIVE, Attr.DESTROYABLE, Attr.WRAP_WITH_TRUSTED,
})
# Templates are attributes of attributes; the emulator does not keep them.
TEMPLATE_ATTRIBUTES = frozenset({Attr.WRAP_TEMPLATE, Attr.UNWRAP_TEMPLATE})
MAX_TEXT_ATTRIBUTE = 127          # label and id length, in characters

AttributeValue = int | str


def attribute_name(attr_id: int) -> str:
    return ATTRIBUTE_NAMES.get(attr_id, f"OBJ_ATTR_{attr_id}")


def known_attribute(attr_id: int) -> Attr:
    try:
        return Attr(attr_id)
    except ValueError:
        raise InvalidArgument(f"unknown attribute id {attr_id}",
                              hint="listAttributes shows the attribute ids") from None


def display_value(attr_id: int, value: AttributeValue) -> str:
    if attr_id in TEXT_ATTRIBUTES:
        return str(value)
    if attr_id in BYTES_ATTRIBUTES:
        return "0x" + str(value)
    return f"0x{int(value):08x}"


def parse_value(attr: Attr, text: str) -> AttributeValue:
    """A value typed for setAttribute: 0/1 for flags, text for label (and id)."""
    if attr in TEXT_ATTRIBUTES:
        check_text(attr, text)
        return text
    if attr in BOOLEAN_ATTRIBUTES:
        if text not in ("0", "1"):
            raise InvalidArgument(f"{attribute_name(attr)} takes 0 or 1, not '{text[:32]}'")
        return int(text)
    raise InvalidArgument(f"{attribute_name(attr)} cannot be set to a typed value")


def check_text(attr: Attr, text: str) -> str:
    if not text:
        raise InvalidArgument(f"{attribute_name(attr)} must not be empty")
    if len(text) > MAX_TEXT_ATTRIBUTE:
        raise InvalidArgument(f"{attribute_name(attr)} is {len(text)} characters long "
                              f"(at most {MAX_TEXT_ATTRIBUTE})")
    return text


def class_name(key_class: int) -> str:
    try:
        return KeyClass(key_class).name.lower()
    except ValueError:
        return str(key_class)


def type_name(key_type: int) -> str:
    try:
        return {KeyType.GENERIC_SECRET: "generic secret", KeyType.DES3: "3DES"}.get(
            KeyType(key_type), KeyType(key_type).name)
    except ValueError:
        return str(key_type)
