"""Key handlers on a PKCS#11 token: generate, find, inspect, change, delete.

Every key the shell makes gets a fresh CKA_ID (objects.new_id) and, unless -sess, lives on
the token (CKA_TOKEN). -nex sets CKA_EXTRACTABLE false; every private and secret key is
CKA_SENSITIVE, so its value leaves the token only wrapped. A token has no owners or
shares: keys are the token user's, which the data says as owner 0.
"""

from __future__ import annotations

from hsmshell.backends.pkcs11 import objects
from hsmshell.backends.pkcs11.errors import token_call
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument, NotSupportedByBackend
from hsmshell.model.key_attributes import (attribute_name, check_text, display_value,
                                           known_attribute, parse_value)
from hsmshell.model.keys import (CMU_SETTABLE_ATTRIBUTES, EC_CURVES, RSA_MODULUS_BITS,
                                 SYMMETRIC_KEY_SIZES, Attr, KeyType, is_valid_rsa_public_exponent)

SYMMETRIC = {KeyType.AES: "AES", KeyType.GENERIC_SECRET: "GENERIC_SECRET", KeyType.DES3: "DES3"}


def _common(args: dict) -> dict:
    from pkcs11 import Attribute

    if args.get("m_value"):
        raise NotSupportedByBackend(
            "per-key quorum (-m_value) is not supported by the pkcs11 backend: a token holds no "
            "quorum tokens to approve a key's uses", hint="the emulator or cloudhsm backend serve it")
    if args.get("share_with"):
        raise NotSupportedByBackend("sharing (-u) is not supported by the pkcs11 backend: a token "
                                    "has one user", hint="the emulator or cloudhsm backend serve it")
    ckid = objects.parse_id(args["key_id"]) if args.get("key_id") else objects.new_id()
    return {"label": check_text(Attr.LABEL, args["label"]), "id": ckid,
            "store": not args.get("sess"), "extra": {Attribute.EXTRACTABLE: not args.get("nex"),
                                                     Attribute.SENSITIVE: True}}


def _created(command: str, kind: str, backend, handles: dict, key, common: dict, key_type) -> Result:
    from pkcs11 import Attribute

    data = {**handles, "key_class": int(key[Attribute.CLASS]), "key_type": int(key_type),
            "extractable": bool(key[Attribute.EXTRACTABLE]), "kcv": objects.read(key, Attr.KCV),
            "label": common["label"], "id": objects.id_text(common["id"]),
            "session": not common["store"], "owner": 0, "shared_with": [], "m_value": 0,
            "token": backend.link.label}
    return Result(command, kind, data=data, replay=dict(handles))


def gen_sym_key(backend, args: dict, secrets: dict) -> Result:
    from pkcs11 import KeyType as P11KeyType, MechanismFlag

    try:
        key_type = KeyType(args["key_type"])
    except ValueError:
        key_type = None
    if key_type not in SYMMETRIC:
        raise InvalidArgument(f"key type {args['key_type']} cannot be generated on a token",
                              hint="-t 31 (AES), 16 (generic secret) or 21 (3DES)")
    size = args["key_size"]
    if size not in SYMMETRIC_KEY_SIZES[key_type]:
        raise InvalidArgument(f"invalid key size {size} for key type {int(key_type)}",
                              hint="AES: -s 16, 24 or 32 (bytes)")
    common = _common(args)
    capabilities = (MechanismFlag.SIGN | MechanismFlag.VERIFY if key_type == KeyType.GENERIC_SECRET
                    else MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT | MechanismFlag.WRAP
                    | MechanismFlag.UNWRAP)
    session = objects.session_of(backend)
    with token_call("C_GenerateKey"):
        key = session.generate_key(getattr(P11KeyType, SYMMETRIC[key_type]),
                                   None if key_type == KeyType.DES3 else size * 8,
                                   id=common["id"], label=common["label"], store=common["store"],
                                   capabilities=capabilities, template=common["extra"])
    handle = objects.remember(backend, key)
    return _created("genSymKey", "key_created", backend, {"key_handle": handle}, key, common, key_type)


def gen_rsa_key_pair(backend, args: dict, secrets: dict) -> Result:
    from pkcs11 import Attribute, KeyType as P11KeyType, MechanismFlag
    from pkcs11.util import biginteger

    bits, exponent = args["modulus_bits"], args["public_exponent"]
    if bits not in RSA_MODULUS_BITS:
        raise InvalidArgument(f"invalid modulus length {bits}", hint="-m 2048, 3072 or 4096")
    if not is_valid_rsa_public_exponent(exponent):
        raise InvalidArgument(f"invalid public exponent {exponent}", hint="-e 65537 (odd, >= 65537)")
    common = _common(args)
    session = objects.session_of(backend)
    with token_call("C_GenerateKeyPair"):
        public, private = session.generate_keypair(
            P11KeyType.RSA, bits, id=common["id"], label=common["label"], store=common["store"],
            capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY | MechanismFlag.WRAP
            | MechanismFlag.UNWRAP | MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
            public_template={Attribute.PUBLIC_EXPONENT: biginteger(exponent)},
            private_template=common["extra"])
    return _pair("genRSAKeyPair", backend, public, private, common, KeyType.RSA)


def gen_ecc_key_pair(backend, args: dict, secrets: dict) -> Result:
    from pkcs11 import Attribute, KeyType as P11KeyType, MechanismFlag
    from pkcs11.util.ec import encode_named_curve_parameters

    curve = EC_CURVES.get(args["curve_id"])
    if curve is None:
        raise InvalidArgument(f"unknown curve {args['curve_id']}", hint="-i 2 (P-256), 14 (P-384), 16 (secp256k1)")
    common = _common(args)
    session = objects.session_of(backend)
    with token_call(f"C_GenerateKeyPair ({curve.name})"):
        params = session.create_domain_parameters(
            P11KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(curve.name)}, local=True)
        public, private = params.generate_keypair(
            id=common["id"], label=common["label"], store=common["store"],
            capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
            private_template=common["extra"])
    return _pair("genECCKeyPair", backend, public, private, common, KeyType.EC)


def _pair(command, backend, public, private, common, key_type) -> Result:
    handles = {"public_key_handle": objects.remember(backend, public),
               "private_key_handle": objects.remember(backend, private)}
    return _created(command, "key_pair_created", backend, handles, private, common, key_type)


# -- find and inspect --------------------------------------------------------------------------
def find_key(backend, args: dict, secrets: dict) -> Result:
    if args.get("share_with") or args.get("modulus_file") or args.get("kcv"):
        raise NotSupportedByBackend("findKey -u/-m/-kcv are not supported by the pkcs11 backend",
                                    hint="filter by -c, -t, -l, -id or -sess")
    wanted = {"key_class": args.get("key_class"), "key_type": args.get("key_type"),
              "label": args.get("label"),
              "id": objects.id_text(objects.parse_id(args["key_id"])) if args.get("key_id") else None}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    session = None if args.get("session") is None else args["session"] == "1"
    rows = [objects.listing(h, obj) for h, obj in objects.all_keys(backend)]
    found = [r for r in rows if all(r[k] == v for k, v in wanted.items())
             and (session is None or r["session"] == session)]
    return Result("findKey", "keys_found", data={
        "key_handles": [r["key_handle"] for r in found], "total": len(rows), "keys": found})


def find_single_key(backend, args: dict, secrets: dict) -> Result:
    objects.find(backend, args["key_handle"])
    return Result("findSingleKey", "key_status", data={"key_handle": args["key_handle"]})


def get_key_info(backend, args: dict, secrets: dict) -> Result:
    obj = objects.find(backend, args["key_handle"])
    return Result("getKeyInfo", "key_info", data={
        "key_handle": args["key_handle"], "key_class": objects.read(obj, Attr.CLASS),
        "session": not objects.read(obj, Attr.TOKEN), "owner": 0, "shared_with": [], "m_value": 0,
        "use_m_value": 0, "manage_m_value": 0})


def get_attribute(backend, args: dict, secrets: dict) -> Result:
    from hsmshell.backends.key_files import write_output

    obj = objects.find(backend, args["key_handle"])
    wanted = known_attribute(args["attribute"])
    ids = [a for a in Attr if a < Attr.ALL] if wanted == Attr.ALL else [wanted]
    rows = [{"id": int(a), "name": attribute_name(a), "value": objects.read(obj, a)} for a in ids]
    rows = [r for r in rows if r["value"] is not None]
    if not rows:
        raise HsmError(f"key {args['key_handle']} has no attribute {attribute_name(wanted)} "
                       "(or the token will not reveal it)", reference="no-such-attribute",
                       hint="getAttribute <handle> 512 shows them all")
    data = {"key_handle": args["key_handle"], "attributes": rows, "file": None}
    if args.get("out"):
        text = "".join(f"{r['name']}\n{display_value(r['id'], r['value'])}\n" for r in rows)
        data["file"] = write_output(args["out"], text.encode())
    return Result("getAttribute", "key_attributes", data=data)


def list_attributes(backend, args: dict, secrets: dict) -> Result:
    return Result("listAttributes", "attribute_ids", data={
        "attributes": [{"name": a.constant, "id": int(a)} for a in Attr]})


# -- change ------------------------------------------------------------------------------------
def set_attribute(backend, args: dict, secrets: dict) -> Result:
    from pkcs11 import Attribute

    attr = known_attribute(args["attribute"])
    if attr == Attr.TOKEN:
        raise NotSupportedByBackend("making a session key a token key is not supported by the "
                                    "pkcs11 backend (CKA_TOKEN cannot change)",
                                    hint="generate the key without -sess")
    if attr not in CMU_SETTABLE_ATTRIBUTES or attr in (Attr.WRAP_TEMPLATE, Attr.UNWRAP_TEMPLATE):
        raise InvalidArgument(f"{attribute_name(attr)} cannot be changed",
                              hint="settable: 3, 134, 260-264, 266, 268, 370, 528")
    if args.get("value") is None:
        raise InvalidArgument(f"setAttribute {int(attr)} needs a value",
                              hint="setAttribute <key handle> <attribute id> <value>")
    value = parse_value(attr, args["value"])
    obj = objects.find(backend, args["key_handle"])
    with token_call(f"C_SetAttributeValue ({attribute_name(attr)})"):
        obj[Attribute(int(attr))] = value if attr == Attr.LABEL else bool(value)
    return Result("setAttribute", "per_server", data={
        "key_handle": args["key_handle"], "attribute": int(attr), "name": attribute_name(attr),
        "value": value}, replay={"key_handle": args["key_handle"]})


def delete_key(backend, args: dict, secrets: dict) -> Result:
    handle = args["key_handle"]
    obj = objects.find(backend, handle)
    with token_call("C_DestroyObject"):
        obj.destroy()
    backend.objects.pop(handle, None)
    return Result("deleteKey", "key_status", data={"key_handle": handle}, replay={"key_handle": handle})


HANDLERS = {
    "genSymKey": gen_sym_key, "genRSAKeyPair": gen_rsa_key_pair, "genECCKeyPair": gen_ecc_key_pair,
    "findKey": find_key, "findSingleKey": find_single_key, "getKeyInfo": get_key_info,
    "getAttribute": get_attribute, "listAttributes": list_attributes,
    "setAttribute": set_attribute, "deleteKey": delete_key,
}
