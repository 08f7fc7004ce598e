"""Key handlers: generate, find, inspect, change, share and delete keys (KMU and CMU).

Moving key material (export, import, wrap) is in keys_transfer.py; using keys (sign, verify,
aesWrapUnwrap) in keys_use.py. All of them check ownership through keystore.KeyStore.
"""

from __future__ import annotations

import hashlib

from hsmshell.backends.emulator import crypto, key_templates
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.emulator.key_creation import Placement, plan_creation
from hsmshell.backends.key_files import parse_hex, read_input, write_output
from hsmshell.backends.emulator.keystore import NO_SUCH_KEY, TRUST, KeyStore, StoredKey
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument, NoSuchKey
from hsmshell.model.key_attributes import (
    TEMPLATE_ATTRIBUTES, all_attributes_file, attribute_name, display_value, known_attribute, parse_value,
)
from hsmshell.model.keys import (
    CMU_SETTABLE_ATTRIBUTES, EC_CURVES, FIPS_REFUSED_CURVE_IDS, Attr, KeyClass, KeyType,
)

FIPS_VIOLATION = "HSM Error: This operation violates the current configured/FIPS policies"


# -- generate ----------------------------------------------------------------------------------
def gen_sym_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    plan = plan_creation(store, Placement.from_args(args))
    material = crypto.generate_symmetric(args["key_type"], args["key_size"])
    key = key_templates.secret_key(KeyType(args["key_type"]), material,
                                   extractable=not args["nex"], local=True)
    created = plan.create([key])
    return created.result("genSymKey", "key_created", {"key_handle": created.handles[0]},
                          **summary_of(key, attested=args["attest"]))


def gen_rsa_key_pair(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    plan = plan_creation(store, Placement.from_args(args), count=2, asymmetric=True)
    pair = crypto.generate_rsa(args["modulus_bits"], args["public_exponent"])
    return _pair_result("genRSAKeyPair", plan, pair, args)


def gen_dsa_key_pair(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    plan = plan_creation(store, Placement.from_args(args), count=2, asymmetric=True)
    return _pair_result("genDSAKeyPair", plan, crypto.generate_dsa(args["modulus_bits"]), args)


def gen_ecc_key_pair(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    curve_id = args["curve_id"]
    if curve_id in FIPS_REFUSED_CURVE_IDS:
        raise HsmError(f"{FIPS_VIOLATION}: curve {curve_id} ({EC_CURVES[curve_id].nid_name}) is "
                       "not allowed on a FIPS-mode HSM", reference="fips-policy-violation",
                       hint="use curve 2 (P-256), 14 (P-384) or 16 (secp256k1)")
    store = KeyStore(cluster)
    plan = plan_creation(store, Placement.from_args(args), count=2, asymmetric=True)
    return _pair_result("genECCKeyPair", plan, crypto.generate_ec(curve_id), args)


def _pair_result(command: str, plan, pair: crypto.KeyPair, args: dict) -> Result:
    public, private = key_templates.key_pair(pair, extractable=not args["nex"])
    created = plan.create([public, private])
    handles = {"public_key_handle": created.handles[0], "private_key_handle": created.handles[1]}
    return created.result(command, "key_pair_created", handles,
                          **summary_of(private, attested=args["attest"]))


def summary_of(key: key_templates.NewKey, **extra) -> dict:
    data = {"key_class": int(key.key_class), "key_type": int(key.key_type),
            "extractable": bool(key.attributes.get(Attr.EXTRACTABLE)),
            "kcv": key.attributes.get(Attr.KCV)}
    return {**data, **extra}


# -- find and inspect --------------------------------------------------------------------------
def find_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    matches = _key_filter(args, store)
    visible = store.visible_keys(store.home_hsm())
    me = store.my_id(store.home_hsm().hsm_id)
    found = [k for k in visible if matches(k)]
    return Result("findKey", "keys_found", data={
        "key_handles": [k.handle for k in found], "total": len(visible),
        "keys": [listing(k, access=k.access_of(me)) for k in found]})


def _key_filter(args: dict, store: KeyStore):
    """findKey's filters (-c -t -l -id -sess -u -m -kcv) as one predicate; checks them first."""
    key_class, key_type = args.get("key_class"), args.get("key_type")
    if key_class is not None and key_class not in {int(c) for c in KeyClass}:
        raise InvalidArgument(f"unknown key class {key_class}", hint="-c is 2 (public), 3 (private) or 4 (secret)")
    if key_type is not None and key_type not in {int(t) for t in KeyType}:
        raise InvalidArgument(f"unknown key type {key_type}",
                              hint="-t is 0 (RSA), 1 (DSA), 3 (EC), 16, 18, 21 or 31")
    session = None if args.get("session") is None else args["session"] == "1"
    users = tuple(args.get("share_with") or ())
    kcv = parse_hex(args["kcv"], "-kcv").hex() if args.get("kcv") else None
    modulus = _modulus_of(args["modulus_file"]) if args.get("modulus_file") else None
    wanted = {Attr.CLASS: key_class, Attr.KEY_TYPE: key_type, Attr.LABEL: args.get("label"),
              Attr.ID: args.get("key_id"), Attr.KCV: kcv, Attr.MODULUS: modulus}
    wanted = {attr: value for attr, value in wanted.items() if value is not None}

    def matches(key: StoredKey) -> bool:
        attributes = key.attributes()
        return (all(attributes.get(a) == v for a, v in wanted.items())
                and (session is None or key.is_session == session)
                and all(key.access_of(u) for u in users))

    return matches


def _modulus_of(path: str) -> str:
    """findKey -m: an RSA modulus from a PEM public key, hex text (as getAttribute writes it)
    or raw big-endian bytes."""
    data = read_input(path, "modulus")
    if data.lstrip().startswith(b"-----BEGIN"):
        info = crypto.import_public_pem(data)
        if info.modulus is None:
            raise InvalidArgument(f"{path} holds an EC key, which has no RSA modulus")
        return info.modulus.hex()
    text = data.strip().decode("ascii", "replace")
    try:
        return parse_hex(text.splitlines()[-1] if text else "", "the modulus").hex()
    except InvalidArgument:
        return data.lstrip(b"\x00").hex()


def listing(key: StoredKey, **extra) -> dict:
    return {"key_handle": key.handle, "key_class": key.key_class, "key_type": key.key_type,
            "label": key.label, "id": key.key_id, "session": key.is_session, "owner": key.owner,
            **extra}


def find_single_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    key = store.key(args["key_handle"])
    holders = store.all_copies(key.handle)

    def on_hsm(hsm) -> None:
        if hsm.hsm_id not in holders:
            raise NoSuchKey(f"{NO_SUCH_KEY}: key {key.handle} is not on this HSM")

    servers = cluster.on_each(on_hsm, store.hsms)
    result = Result("findSingleKey", "key_status", data={"key_handle": key.handle}, servers=servers)
    result.error = next((s.error for s in servers if s.error), None)
    return result


def get_key_info(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    key = KeyStore(cluster).key(args["key_handle"])
    return Result("getKeyInfo", "key_info", data={
        "key_handle": key.handle, "key_class": key.key_class, "session": key.is_session,
        "owner": key.owner, "shared_with": [] if key.is_public else list(key.shares),
        # KMU's one -m_value line: the stricter of the key's two values (docs/sdk5.md); JSON
        # has both, as CloudHSM CLI's key-quorum-values show them
        "m_value": max(key.m_value, key.manage_m_value),
        "use_m_value": key.m_value, "manage_m_value": key.manage_m_value})


def get_attribute(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    key = KeyStore(cluster).key(args["key_handle"])
    wanted = known_attribute(args["attribute"])
    attributes = key.attributes()
    if wanted != Attr.ALL:
        if int(wanted) not in attributes:
            raise HsmError(f"key {key.handle} has no attribute {attribute_name(wanted)}",
                           reference="no-such-attribute", hint="getAttribute <handle> 512 shows them all")
        attributes = {int(wanted): attributes[int(wanted)]}
    rows = [{"id": a, "name": attribute_name(a), "value": v} for a, v in attributes.items()]
    data = {"key_handle": key.handle, "attributes": rows, "file": None}
    if args.get("out"):
        if wanted == Attr.ALL:               # KMU's set, order and widths (all_attributes_file)
            text, count = all_attributes_file(attributes)
            data["file_attributes"] = count
        else:
            text = "".join(f"{r['name']}\n{display_value(r['id'], r['value'])}\n" for r in rows)
        data["file"] = write_output(args["out"], text.encode())
    return Result("getAttribute", "key_attributes", data=data)


def list_attributes(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    return Result("listAttributes", "attribute_ids", data={
        "attributes": [{"name": a.constant, "id": int(a)} for a in Attr]})


def find_all_keys(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    """CMU findAllKeys: every key on each HSM, or those of one user with (o)wned/(s)hared marks."""
    store = KeyStore(cluster)
    user_id, with_hash = args.get("user_id"), args.get("key_hash") == "1"

    def on_hsm(hsm) -> dict:
        keys = store.keys_on(hsm)
        if user_id is None:
            entries = [listing(k, shared_with=list(k.shares)) for k in keys]
        else:
            entries = [listing(k, owned=k.owner == user_id, shared=bool(k.shares)) for k in keys
                       if k.owner == user_id or (user_id in k.shares and not k.is_public)]
        return {"keys": entries, "key_hash": _key_hash(keys) if with_hash and entries else None}

    return Result("findAllKeys", "all_keys", data={"user_id": user_id},
                  servers=cluster.on_each(on_hsm, store.hsms))


def _key_hash(keys: list[StoredKey]) -> str:
    """A digest of who owns and shares every key on one HSM; equal across HSMs in sync."""
    digest = hashlib.sha256()
    for key in keys:
        digest.update(f"{key.handle}:{key.owner}:{','.join(map(str, key.shares))};".encode())
    return digest.hexdigest()


# -- change ------------------------------------------------------------------------------------
def set_attribute(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    attr, value = _settable(args)
    store = KeyStore(cluster)
    # trusted is an admin's to set, on any key (the firmware lets only COs run key.trust)
    key = store.key(args["key_handle"], TRUST if attr == Attr.TRUSTED else "change")
    if attr == Attr.TOKEN and not key.is_session:
        raise InvalidArgument(f"key {key.handle} is already a token (persistent) key")
    servers = store.on_copies(key.handle, lambda hsm, copy: store.set_attribute(copy, attr, value))
    data = {"key_handle": key.handle, "attribute": int(attr), "name": attribute_name(attr),
            "value": value}
    return _cluster_write("setAttribute", "key_status" if attr == Attr.TOKEN else "per_server",
                          data, servers)


def _settable(args: dict):
    """(attribute, value) for setAttribute; both tools' forms, told apart by the attribute:
    KMU changes only OBJ_ATTR_TOKEN from 0 to 1, CMU AWS's settable list."""
    attr = known_attribute(args["attribute"])
    text = args.get("value")
    if attr == Attr.TOKEN:
        if text not in (None, "1"):
            raise InvalidArgument("OBJ_ATTR_TOKEN can only be set to 1 (session key -> token key)")
        return attr, 1
    if attr not in CMU_SETTABLE_ATTRIBUTES:
        raise InvalidArgument(f"{attribute_name(attr)} cannot be changed",
                              hint="settable: 1 (token), 3, 134, 260-264, 266, 268, 370, 528")
    if attr in TEMPLATE_ATTRIBUTES:
        raise InvalidArgument(f"{attribute_name(attr)} (key templates) is not supported by the emulator")
    if text is None:
        raise InvalidArgument(f"setAttribute {int(attr)} needs a value",
                              hint="setAttribute <key handle> <attribute id> <value>")
    return attr, parse_value(attr, text)


def share_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    key = store.key(args["key_handle"], "share")
    if key.is_public:
        raise InvalidArgument(f"key {key.handle} is a public key: every crypto user can use it, "
                              "so it cannot be shared or unshared")
    home = next(h for h in store.hsms if h.hsm_id == key.hsm_id)
    names = store.crypto_user_names(home, args["user_ids"], key.owner)
    share = args["share"] == "1"

    def on_hsm(hsm, copy: StoredKey) -> dict:
        rows = [(copy.handle, hsm.hsm_id, uid) for uid in store.local_ids(names, hsm.hsm_id)]
        statement = ("INSERT OR IGNORE INTO key_shares(handle, hsm_id, user_id) VALUES(?,?,?)" if share
                     else "DELETE FROM key_shares WHERE handle = ? AND hsm_id = ? AND user_id = ?")
        store.conn.executemany(statement, rows)
        return {}

    data = {"key_handle": key.handle, "user_ids": list(dict.fromkeys(args["user_ids"])), "shared": share}
    return _cluster_write("shareKey", "per_server", data, store.on_copies(key.handle, on_hsm))


def delete_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    key = store.key(args["key_handle"], "delete")
    if key.attribute(Attr.DESTROYABLE) == 0:
        raise HsmError(f"key {key.handle} is not destroyable (OBJ_ATTR_DESTROYABLE is 0)",
                       reference="key-function-not-permitted",
                       hint=f"its owner can allow it: setAttribute {key.handle} 370 1")
    servers = store.on_copies(key.handle, lambda hsm, copy: store.delete_copy(copy))
    return _cluster_write("deleteKey", "key_status", {"key_handle": key.handle}, servers)


def _cluster_write(command: str, kind: str, data: dict, servers) -> Result:
    """A change made on every HSM holding the key; it fails if any of them failed."""
    result = Result(command, kind, data=data, servers=servers, replay={"key_handle": data["key_handle"]})
    result.error = next((s.error for s in servers if s.error is not None), None)
    return result


HANDLERS = {
    "genSymKey": gen_sym_key, "genRSAKeyPair": gen_rsa_key_pair, "genECCKeyPair": gen_ecc_key_pair,
    "genDSAKeyPair": gen_dsa_key_pair,
    "findKey": find_key, "findSingleKey": find_single_key, "getKeyInfo": get_key_info,
    "getAttribute": get_attribute, "listAttributes": list_attributes,
    "findAllKeys": find_all_keys, "setAttribute": set_attribute, "shareKey": share_key,
    "deleteKey": delete_key,
}
