"""Keys as CloudHSM CLI shows and selects them (AWS's CloudHSM CLI pages): key
objects with `key-reference`, `key-info` and `attributes` in AWS's names and order, and the
`--filter` words that pick keys.

The SDK 3 key store is the one truth: a key-reference is the SDK 3 handle, and every SDK 5
attribute is read from the key's SDK 3 attributes (attr.id compares as hex of the id text).
"""

from __future__ import annotations

from hsmshell.backends.emulator.keystore import KeyStore, StoredKey
from hsmshell.errors import HsmError, NoSuchKey
from hsmshell.model.keys import ALL_CURVES_BY_NID, Attr, KeyClass, KeyType
from hsmshell.model.sdk5 import CLASS_NAMES, FLAG_ORDER, KEY_TYPE_NAMES, FilterTerm, key_reference
from hsmshell.model.users import UserType

MANY_MATCHED = "Key selection criteria matched {n} keys. Refine selection criteria to select a single key."
NONE_MATCHED = "Key selection criteria matched 0 keys. No key was selected."


class KeyView:
    """One command's way of showing keys: user names by id and the HSM count, read once."""

    def __init__(self, store: KeyStore):
        self.store = store
        self._names: dict[tuple[str, int], str] = {}
        self._active = sum(1 for h in store.hsms if h.reachable)

    def name_of(self, hsm_id: str, user_id: int) -> str:
        key = (hsm_id, user_id)
        if key not in self._names:
            row = self.store.conn.execute("SELECT name FROM users WHERE hsm_id = ? AND user_id = ?",
                                          key).fetchone()
            self._names[key] = row[0].lower() if row else str(user_id)
        return self._names[key]

    # -- the key object ------------------------------------------------------------------------
    def key_object(self, key: StoredKey, verbose: bool = True) -> dict:
        if not verbose:
            return {"key-reference": key_reference(key.handle), "attributes": {"label": key.label}}
        return {"key-reference": key_reference(key.handle), "key-info": self.key_info(key),
                "attributes": self.attributes(key, with_length=True)}

    def key_info(self, key: StoredKey) -> dict:
        copies = len(self.store.all_copies(key.handle))
        coverage = "full" if copies >= self._active else "partial"
        shared = [] if key.is_public else [
            {"username": self.name_of(key.hsm_id, uid), "key-coverage": coverage} for uid in key.shares]
        manage, use = (0, 0) if key.is_public else (key.manage_m_value, key.m_value)
        return {"key-owners": [{"username": self.name_of(key.hsm_id, key.owner), "key-coverage": coverage}],
                "shared-users": shared,
                "key-quorum-values": {"manage-key-quorum-value": manage, "use-key-quorum-value": use},
                "cluster-coverage": coverage}

    def attributes(self, key: StoredKey, with_length: bool = False) -> dict:
        values = key.attributes()
        out: dict = {"key-type": KEY_TYPE_NAMES.get(KeyType(key.key_type), str(key.key_type)),
                     "label": key.label,
                     "id": "0x" + key.key_id.encode().hex() if key.key_id else ""}
        kcv = values.get(Attr.KCV)
        if kcv and key.key_type != KeyType.GENERIC_SECRET:     # HMAC keys have no check value
            out["check-value"] = "0x" + str(kcv)
        out["class"] = CLASS_NAMES.get(KeyClass(key.key_class), str(key.key_class))
        for name, attr in FLAG_ORDER:
            out[name] = True if attr is None else bool(values.get(int(attr), 0))
        if with_length:
            out["key-length-bytes"] = self._length(key, values)
        modulus = values.get(Attr.MODULUS)
        if key.key_type == KeyType.RSA:
            exponent = int(values.get(Attr.PUBLIC_EXPONENT, 0))
            digits = f"{exponent:x}"
            out["public-exponent"] = "0x" + digits.zfill(len(digits) + len(digits) % 2)
            out["modulus"] = "0x" + str(modulus)
            out["modulus-size-bits"] = int(values.get(Attr.MODULUS_BITS, 0))
        elif key.key_type == KeyType.EC:
            out["ec-point"] = "0x" + _raw_point(str(modulus))
            curve = ALL_CURVES_BY_NID.get(int(values.get(Attr.MODULUS_BITS, 0)))
            out["curve"] = curve.name if curve else "unknown"
        return out

    def _length(self, key: StoredKey, values: dict) -> int:
        if key.key_class == KeyClass.SECRET:
            return int(values.get(Attr.VALUE_LEN, 0))
        if key.key_class == KeyClass.PUBLIC:
            modulus = str(values.get(Attr.MODULUS, ""))
            return len(_raw_point(modulus) if key.key_type == KeyType.EC else modulus) // 2
        return len(self.store.material(key))     # the private key's DER, as AWS counts it

    # -- selecting keys ------------------------------------------------------------------------
    def matching(self, keys: list[StoredKey], terms: tuple[FilterTerm, ...]) -> list[StoredKey]:
        if not terms:
            return keys
        length = any(t.name == "key-length-bytes" for t in terms)
        found = []
        for key in keys:
            attributes = None
            for term in terms:
                if term.name == "key-reference":
                    if key.handle != _reference(term.value):
                        break
                    continue
                if attributes is None:
                    attributes = self.attributes(key, with_length=length)
                if not _equal(attributes.get(term.name), term.value):
                    break
            else:
                found.append(key)
        return found

    def visible(self) -> list[StoredKey]:
        """The keys this login may list: owned, shared with it, or public (CU); every key of
        the HSM it works on (admin, as CMU findAllKeys)."""
        store = self.store
        home = store.home_hsm()
        if store.principal.user_type in (UserType.CO, UserType.PCO):
            return store.keys_on(home)
        return store.visible_keys(home)

    def select_one(self, terms: tuple[FilterTerm, ...], need: str = "use") -> StoredKey:
        """The one key the filter selects, checked for `need` (use, or an owner-only verb)."""
        found = self.matching(self.visible(), terms)
        if len(found) > 1:
            raise HsmError(MANY_MATCHED.format(n=len(found)), reference="ambiguous-key-filter",
                           hint="add attr.NAME=VALUE words, or use key-reference=0x...")
        if not found:
            raise NoSuchKey(NONE_MATCHED, hint="key list shows the keys you can use")
        return self.store.key(found[0].handle, need)


def _raw_point(der_hex: str) -> str:
    """The X9.62 point (04 || X || Y) out of the DER OCTET STRING SDK 3 keeps (§3.3 shows
    the point itself, and counts its length)."""
    data = bytes.fromhex(der_hex)
    if len(data) < 2 or data[0] != 0x04:
        return der_hex
    length, start = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(data[2:2 + count], "big"), 2 + count
    return data[start:start + length].hex() if start + length == len(data) else der_hex


def _reference(text: str) -> int:
    from hsmshell.model.sdk5 import parse_key_reference
    return parse_key_reference(text)


def _equal(value, wanted: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return wanted.lower() == ("true" if value else "false")
    if isinstance(value, int):
        return wanted == str(value)
    text = str(value)
    if text.startswith("0x"):
        return text.lower() == wanted.lower()
    return text == wanted
