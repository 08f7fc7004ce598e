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


# getAttribute -a 512 -out: the attributes KMU writes, in its order (AWS's genSymKey,
# getAttribute and genECCKeyPair pages), with one-byte flags and 4-byte lengths.
ALL_FILE_ORDER = (Attr.CLASS, Attr.KEY_TYPE, Attr.TOKEN, Attr.PRIVATE, Attr.ENCRYPT, Attr.DECRYPT,
                  Attr.WRAP, Attr.UNWRAP, Attr.SIGN, Attr.VERIFY, Attr.LOCAL, Attr.SENSITIVE,
                  Attr.EXTRACTABLE, Attr.LABEL, Attr.ID, Attr.VALUE_LEN, Attr.KCV, Attr.MODULUS,
                  Attr.MODULUS_BITS, Attr.PUBLIC_EXPONENT)
WORD_ATTRIBUTES = frozenset({Attr.VALUE_LEN, Attr.MODULUS_BITS})


def all_attributes_file(attributes: dict[int, AttributeValue]) -> tuple[str, int]:
    """(the text KMU writes for -a 512, the number of attributes in it)."""
    rows = []
    for attr in ALL_FILE_ORDER:
        if int(attr) not in attributes:
            continue
        value = attributes[int(attr)]
        if attr in TEXT_ATTRIBUTES:
            shown = str(value)
        elif attr == Attr.MODULUS:
            shown = str(value)                      # hex digits, no 0x (genECCKeyPair's file)
        elif attr == Attr.KCV:
            shown = "0x" + str(value)
        elif attr == Attr.PUBLIC_EXPONENT:
            digits = f"{int(value):x}"
            shown = "0x" + digits.zfill(len(digits) + len(digits) % 2)
        elif attr in WORD_ATTRIBUTES:
            shown = f"0x{int(value):08x}"
        else:
            shown = f"0x{int(value):02x}"
        rows.append(f"{attr.constant}\n{shown}\n")
    return "\n" + "".join(rows), len(rows)


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
