"""extractMaskedObject / insertMaskedObject (AWS's key_mgmt_util pages): a key leaves the HSMs
as a masked object, a file encrypted under the cluster's masking key, and comes back as a new
key of the same cluster with a new handle.

The masking key is the cluster's own (AES-256, made at the first extraction, kept sealed with
the cluster's key-encryption key like key material): an object made by another cluster, or
altered, fails to unmask and is refused (`masked-object-invalid`). The object carries the key's
material, class, type, label, id and attributes, its owner and the users it is shared with (by
name: ids differ between HSMs) and its quorum value, so the inserted key belongs to the same
owner, shared as before. A non-extractable key can be masked (it never leaves the cluster in
the clear). The owning crypto user or any crypto officer may extract; COs, CUs and the
appliance user may insert (the SDK 3 permission table). `audit replay` of an insert stands
in new material of the recorded kind, as for imSymKey (the record is "not reproducible").
"""

from __future__ import annotations

import base64
import json
import os

from hsmshell.backends.emulator import crypto, hsm_logs, replay_inputs, secret_inputs
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.emulator.key_creation import Placement, plan_creation
from hsmshell.backends.emulator.key_templates import NewKey
from hsmshell.backends.emulator.keystore import FIRST_REACHABLE_COPY, KEY_COLUMNS, NO_SUCH_KEY, KeyStore, StoredKey
from hsmshell.backends.key_files import read_input, write_output
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, NoSuchKey, NoSuchUser
from hsmshell.model.keys import ASYMMETRIC_KEY_TYPES, EC_CURVES_BY_NID, Attr, KeyClass, KeyType
from hsmshell.model.users import UserType

MAGIC = b"hsmshell masked object v1\n"
MASKING_KEY = "masking_key"            # cluster meta: the masking key, sealed with the KEK
MASKING_KEY_RECORD = 0                 # the sealing's record number (no key has handle 0)
OBJECT_LIMIT = 1 << 20
RECORDED = "masked_object"             # the audit record keeps the object's open part (no material)


def extract_masked_object(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    key = _key_to_mask(store, args["key_handle"])
    names = {uid: name for uid, name in store.conn.execute(
        "SELECT user_id, name FROM users WHERE hsm_id = ?", (key.hsm_id,))}
    payload = {
        "key_class": key.key_class, "key_type": key.key_type, "label": key.label, "key_id": key.key_id,
        "session": key.is_session, "m_value": key.m_value, "manage_m_value": key.manage_m_value,
        "owner": names.get(key.owner),
        "shared_with": [names[u] for u in key.shares if u in names],
        "attributes": {str(a): v for a, v in key.other_attributes.items()},
        "material": base64.b64encode(store.material(key)).decode("ascii")}
    masked = MAGIC + crypto.seal(_masking_key(store, create=True), json.dumps(payload).encode(), MAGIC)
    path = write_output(args["out"], masked, private=True, context=cluster.context)
    hsm = next(h for h in store.hsms if h.hsm_id == key.hsm_id)
    hsm_logs.record(cluster, hsm, "CN_EXTRACT_MASKED_OBJECT_USER", key_handle=key.handle)
    return Result("extractMaskedObject", "key_file", data={
        "key_handle": key.handle, "file": path, "length": len(masked)}, replay={"key_handle": key.handle})


def insert_masked_object(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    payload = replay_inputs.recorded(cluster, RECORDED)       # replay: the object's open part
    if payload is None:
        payload = _unmask(store, read_input(args["file"], "masked object", limit=OBJECT_LIMIT))
    else:                                                      # the material is not in the log
        payload = {**payload, "material": base64.b64encode(_stand_in(payload)).decode("ascii")}
    replay_inputs.note(cluster, RECORDED, {k: v for k, v in payload.items() if k != "material"})
    owner = payload["owner"]
    if owner is None or not store.user_ids(owner):
        raise NoSuchUser(f"HSM Error: the masked key's owner {owner} does not exist on this cluster",
                         hint="create (or sync) that crypto user first")
    key_class = KeyClass(payload["key_class"])
    attributes = {int(a): v for a, v in payload["attributes"].items()}
    new = NewKey(key_class, KeyType(payload["key_type"]), base64.b64decode(payload["material"]),
                 attributes, restricted=key_class is not KeyClass.PUBLIC)
    placement = Placement(label=payload["label"], key_id=payload["key_id"], session=payload["session"],
                          m_value=payload["m_value"] if new.restricted else 0,
                          # objects masked before keys had two values: the one guarded both
                          manage_m_value=payload.get("manage_m_value") if new.restricted else 0,
                          min_servers=max(args.get("min_srv") or 1, 1))
    plan = plan_creation(store, placement, asymmetric=new.key_type in ASYMMETRIC_KEY_TYPES,
                         owner=owner, share_names=payload["shared_with"] if new.restricted else [])
    created = plan.create([new])
    hsm_logs.record_servers(cluster, created.servers, "CN_INSERT_MASKED_OBJECT_USER",
                            key_handle=created.handles[0])
    return created.result("insertMaskedObject", "key_created", {"key_handle": created.handles[0]},
                          key_class=int(key_class), key_type=int(new.key_type),
                          extractable=bool(attributes.get(Attr.EXTRACTABLE)), kcv=attributes.get(Attr.KCV))


def _stand_in(payload: dict) -> bytes:
    """Replay: new material of the recorded key's kind (as imSymKey's replay does)."""
    attributes = {int(a): v for a, v in payload["attributes"].items()}
    key_class, key_type = payload["key_class"], payload["key_type"]
    if key_class == KeyClass.SECRET:
        return secret_inputs.secret_stand_in({"type": key_type, "bytes": attributes.get(int(Attr.VALUE_LEN))})
    bits = attributes.get(int(Attr.MODULUS_BITS))
    if key_type == KeyType.DSA:
        pair = crypto.generate_dsa(bits)
    elif key_type == KeyType.RSA:
        pair = crypto.generate_rsa(bits, attributes.get(int(Attr.PUBLIC_EXPONENT)))
    else:
        pair = crypto.generate_ec(EC_CURVES_BY_NID[bits].curve_id)
    return pair.private_der if key_class == KeyClass.PRIVATE else pair.public_der


def _key_to_mask(store: KeyStore, handle: int) -> StoredKey:
    """The key, if this login may mask it: its owner (a CU), or any crypto officer."""
    principal = store.principal
    if principal is None or principal.user_type == UserType.CU:
        return store.key(handle, "mask")
    row = store.conn.execute(f"SELECT {KEY_COLUMNS} FROM {FIRST_REACHABLE_COPY}", (handle,)).fetchone()
    key = StoredKey.from_row(row) if row else None
    if key is None or key.is_session:       # a session key is its login's alone
        raise NoSuchKey(f"{NO_SUCH_KEY}: there is no key with handle {handle}")
    return key


def _masking_key(store: KeyStore, create: bool) -> bytes | None:
    db = store.cluster.db
    sealed = db.meta(MASKING_KEY)
    if sealed:
        return store.unseal(MASKING_KEY_RECORD, base64.b64decode(sealed))
    if not create:
        return None
    key = os.urandom(32)
    db.set_meta(MASKING_KEY, base64.b64encode(store.seal(MASKING_KEY_RECORD, key)).decode("ascii"))
    return key


def _unmask(store: KeyStore, blob: bytes) -> dict:
    refused = HsmError("HSM Error: the masked object was not made by this cluster, or was altered",
                       reference="masked-object-invalid",
                       hint="a masked object is inserted into the cluster it was extracted from")
    key = _masking_key(store, create=False)
    if key is None or not blob.startswith(MAGIC):
        raise refused
    try:
        return json.loads(crypto.open_sealed(key, blob[len(MAGIC):], MAGIC))
    except HsmError:                  # another cluster's masking key, or altered bytes
        raise refused from None


HANDLERS = {"extractMaskedObject": extract_masked_object, "insertMaskedObject": insert_masked_object}
