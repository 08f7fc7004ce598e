"""Objects on the token as the shell shows them: handle lookup, listing rows, attributes.

CloudHSM's OBJ_ATTR_* ids are PKCS#11 CKA_* values, so getAttribute/setAttribute ids map
1:1 (OBJ_ATTR_KCV, a CloudHSM extension, reads CKA_CHECK_VALUE).
"""

from __future__ import annotations

import os

from hsmshell.backends.pkcs11.errors import token_call
from hsmshell.errors import InvalidArgument, NoSuchKey, NotLoggedIn
from hsmshell.model.keys import Attr

KEY_CLASSES = (2, 3, 4)                     # CKO_PUBLIC_KEY, CKO_PRIVATE_KEY, CKO_SECRET_KEY
CKA_CHECK_VALUE = 0x90
NO_SUCH_KEY = "HSM Error: Invalid key handle"


def new_id() -> bytes:
    """CKA_ID of an object the shell creates: random, so it names one key (pair) for good."""
    return os.urandom(8)


def session_of(backend):
    session = backend.link.session
    if session is None:
        raise NotLoggedIn("the token needs a login for key commands")
    return session


def find(backend, handle: int, classes=KEY_CLASSES, purpose: str | None = None):
    """The token object behind a stable handle (NoSuchKey if it is gone, InvalidArgument if it
    is of another class). Objects found are kept for the login: a batch of signatures asks
    the token nothing but C_Sign."""
    from pkcs11 import Attribute

    session = session_of(backend)
    known = backend.handles.lookup(handle)
    if known is None:
        raise NoSuchKey(f"{NO_SUCH_KEY}: no key {handle} on token {backend.link.label}")
    object_class, ckid = known
    if object_class not in classes:
        need = {2: "public", 3: "private", 4: "secret"}
        wanted = " or ".join(need[c] for c in classes)
        raise InvalidArgument(f"key {handle} is not a {wanted} key" + (f" ({purpose})" if purpose else ""),
                              hint="findKey -c 2|3|4 lists keys of one class")
    cached = backend.objects.get(handle)
    if cached is None:
        with token_call("C_FindObjects"):
            found = list(session.get_objects({Attribute.CLASS: object_class, Attribute.ID: ckid}))
        if not found:
            raise NoSuchKey(f"{NO_SUCH_KEY}: key {handle} is no longer on token {backend.link.label}")
        cached = backend.objects[handle] = found[0]
    return cached


def key_type(backend, handle: int, obj) -> int:
    """CKA_KEY_TYPE of a found object (asked of the token once per login)."""
    from pkcs11 import Attribute

    known = backend.key_types.get(handle)
    if known is None:
        with token_call("C_GetAttributeValue"):
            known = backend.key_types[handle] = int(obj[Attribute.KEY_TYPE])
    return known


def remember(backend, obj) -> int:
    """The handle of an object just made or found (giving it a CKA_ID if it has none)."""
    from pkcs11 import Attribute

    with token_call("C_GetAttributeValue"):
        object_class, ckid = int(obj[Attribute.CLASS]), bytes(obj[Attribute.ID] or b"")
    if not ckid:
        ckid = new_id()
        with token_call("C_SetAttributeValue (CKA_ID)"):
            obj[Attribute.ID] = ckid
    handle = backend.handles.handle_for(object_class, ckid)
    backend.objects[handle] = obj
    return handle


def all_keys(backend) -> list[tuple[int, object]]:
    from pkcs11 import Attribute

    session = session_of(backend)
    found = []
    for object_class in KEY_CLASSES:
        with token_call("C_FindObjects"):
            objects = list(session.get_objects({Attribute.CLASS: object_class}))
        found.extend((remember(backend, obj), obj) for obj in objects)
    return sorted(found, key=lambda pair: pair[0])


def read(obj, attr: int):
    """One attribute as the shell shows it (None if the token has no such attribute)."""
    from pkcs11 import Attribute
    import pkcs11.exceptions as p11

    cka = CKA_CHECK_VALUE if attr == Attr.KCV else attr
    try:
        value = obj[Attribute(cka)]
    except (p11.AttributeTypeInvalid, p11.AttributeSensitive, ValueError, KeyError):
        return None
    if isinstance(value, bool):
        return int(value)
    if attr == Attr.LABEL:
        return str(value or "")
    if attr == Attr.ID:
        return id_text(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return int(value)


def id_text(ckid) -> str:
    """CKA_ID as hex, as pkcs11-tool shows and takes it (--id)."""
    return bytes(ckid or b"").hex()


def parse_id(text: str) -> bytes:
    """-id: hex (as pkcs11-tool's --id), else the text's bytes."""
    try:
        return bytes.fromhex(text) if text else b""
    except ValueError:
        return text.encode()


LISTED = (Attr.CLASS, Attr.KEY_TYPE, Attr.LABEL, Attr.ID, Attr.TOKEN)


def listing(handle: int, obj) -> dict:
    values = {attr: read(obj, attr) for attr in LISTED}
    return {"key_handle": handle, "key_class": values[Attr.CLASS], "key_type": values[Attr.KEY_TYPE],
            "label": values[Attr.LABEL], "id": values[Attr.ID], "session": not values[Attr.TOKEN],
            "owner": 0, "access": "token"}
