"""Key commands through KMU (shareKey and CMU's setAttribute through CMU), read back into the
Results of backends/emulator/keys.py, keys_use.py and keys_transfer.py.

KMU prints little more than the new handle; what the emulator's Result also says is taken
from the arguments (label, type, sharing) or asked of the HSM: the KCV and a key's class and
attributes with `getAttribute -out <private temporary file>`, its owner with getKeyInfo.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hsmshell.backends.cloudhsm import kmu_text
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError
from hsmshell.model.key_attributes import BYTES_ATTRIBUTES, TEXT_ATTRIBUTES, attribute_name, parse_value
from hsmshell.model.keys import ATTRIBUTE_IDS, Attr, KeyClass, KeyType


# -- asking the HSM about a key -----------------------------------------------------------------
def attributes(backend, handle: int, attribute: int = int(Attr.ALL),
               out: str | None = None) -> dict[int, object]:
    """getAttribute through KMU into a file (KMU writes no attribute to the screen)."""
    scratch = None if out else tempfile.mkdtemp(prefix="hsmshell-attr-")
    path = out or os.path.join(scratch, "attributes")
    try:
        reply = kmu_text.reply(backend.kmu_query(f"getAttribute -o {int(handle)} -a {int(attribute)} "
                                                 f"-out {os.path.abspath(path)}"), backend.servers)
        if not reply.ok:
            raise reply.error("getAttribute")
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    return {ATTRIBUTE_IDS[name]: typed(ATTRIBUTE_IDS[name], value)
            for name, value in kmu_text.attribute_file(text) if name in ATTRIBUTE_IDS}


def typed(attr_id: int, shown: str):
    """An attribute value as the emulator keeps it, from KMU's display (display_value)."""
    if attr_id in TEXT_ATTRIBUTES:
        return shown
    digits = shown[2:] if shown.lower().startswith("0x") else shown
    if attr_id in BYTES_ATTRIBUTES:
        return digits
    try:
        return int(digits, 16)
    except ValueError:
        return shown


def one_attribute(backend, handle: int, attr: Attr):
    try:
        return attributes(backend, handle, int(attr)).get(int(attr))
    except HsmError:                          # an attribute the key does not have
        return None


def key_info(backend, handle: int) -> dict:
    reply = backend_reply(backend, f"getKeyInfo -k {int(handle)}", "getKeyInfo")
    return kmu_text.key_info(reply.body)


def backend_reply(backend, line: str, command: str) -> kmu_text.Reply:
    reply = kmu_text.reply(backend.kmu_query(line), backend.servers)
    if not reply.ok:
        raise reply.error(command)
    return reply


def _answer(backend, invocation, secrets: dict, **overrides) -> kmu_text.Reply:
    """Run a KMU command; a refusal without per-node lines is raised, as the emulator does."""
    reply = backend.run_kmu(invocation, secrets, **overrides)
    if not reply.ok and all(node.error is not None for node in reply.nodes):
        raise reply.error(invocation.name)       # every node refused (0xa8 on each, as the pages)
    return reply


def _result(invocation, reply: kmu_text.Reply, kind: str, data: dict) -> Result:
    error = None if reply.ok else reply.error(invocation.name)
    return Result(invocation.name, kind, data=data, servers=reply.nodes, error=error,
                  replay={k: v for k, v in data.items() if k.endswith("key_handle")})


# -- generate ----------------------------------------------------------------------------------
def _created(backend, invocation, key_class: KeyClass, key_type: int, handles: dict, kcv_of: int) -> dict:
    args, me = invocation.args, backend.principal
    return {**handles, "key_class": int(key_class), "key_type": int(key_type),
            "extractable": not args.get("nex"), "kcv": one_attribute(backend, kcv_of, Attr.KCV),
            "attested": bool(args.get("attest")), "label": args.get("label") or "",
            "id": args.get("key_id") or "", "session": bool(args.get("sess")),
            "owner": me.user_id if me else None,
            "shared_with": list(dict.fromkeys(args.get("share_with") or ())),
            "m_value": args.get("m_value") or 0}


def gen_sym_key(backend, invocation, secrets: dict) -> Result:
    reply = _answer(backend, invocation, secrets)
    handle = kmu_text.created_handle(reply.body)
    data = _created(backend, invocation, KeyClass.SECRET, invocation.args["key_type"],
                    {"key_handle": handle}, handle)
    return _result(invocation, reply, "key_created", data)


def gen_key_pair(backend, invocation, secrets: dict) -> Result:
    reply = _answer(backend, invocation, secrets)
    public, private = kmu_text.created_pair(reply.body) or (None, None)
    key_type = {"genRSAKeyPair": KeyType.RSA, "genDSAKeyPair": KeyType.DSA}.get(invocation.name, KeyType.EC)
    data = _created(backend, invocation, KeyClass.PRIVATE, key_type,
                    {"public_key_handle": public, "private_key_handle": private}, private)
    return _result(invocation, reply, "key_pair_created", data)


# -- find and inspect --------------------------------------------------------------------------
def find_key(backend, invocation, secrets: dict) -> Result:
    reply = _answer(backend, invocation, secrets)
    _, handles = kmu_text.found_keys(reply.body)
    # KMU counts the matches; `total` is every key the user can use: a findKey without filters
    filtered = any(value not in (None, False, "") for value in invocation.args.values())
    total = len(kmu_text.found_keys(backend_reply(backend, "findKey", "findKey").body)[1]) \
        if filtered else len(handles)
    me = backend.principal.user_id if backend.principal else None
    return Result("findKey", "keys_found", data={
        "key_handles": handles, "total": total, "keys": [_listing(backend, h, me) for h in handles]})


def _listing(backend, handle: int, me: int | None) -> dict:
    values = attributes(backend, handle)
    info = key_info(backend, handle)
    key_class = values.get(int(Attr.CLASS))
    access = "owner" if info["owner"] == me else "shared" if me in info["shared_with"] \
        else "public" if key_class == KeyClass.PUBLIC else None
    return {"key_handle": handle, "key_class": key_class, "key_type": values.get(int(Attr.KEY_TYPE)),
            "label": values.get(int(Attr.LABEL), ""), "id": values.get(int(Attr.ID), ""),
            "session": values.get(int(Attr.TOKEN)) == 0, "owner": info["owner"], "access": access}


def get_key_info(backend, invocation, secrets: dict) -> Result:
    handle = invocation.args["key_handle"]
    reply = _answer(backend, invocation, secrets)
    info = kmu_text.key_info(reply.body)
    values = attributes(backend, handle)          # class, and token or session (KMU prints neither)
    info["session"] = values.get(int(Attr.TOKEN)) == 0
    # KMU prints one value ("use/manage"): both, as KMU's -m_value sets them
    info["use_m_value"] = info["manage_m_value"] = info["m_value"]
    return Result("getKeyInfo", "key_info", data={
        "key_handle": handle, "key_class": values.get(int(Attr.CLASS)), **info})


def get_attribute(backend, invocation, secrets: dict) -> Result:
    args = invocation.args
    handle, wanted, out = args["key_handle"], args["attribute"], args.get("out")
    found = attributes(backend, handle, wanted, out)
    rows = [{"id": a, "name": attribute_name(a), "value": v} for a, v in found.items()]
    data = {"key_handle": handle, "attributes": rows, "file": str(Path(out).expanduser()) if out else None}
    if out and wanted == int(Attr.ALL):
        data["file_attributes"] = len(found)     # (the rows are what KMU's file holds)
    return Result("getAttribute", "key_attributes", data=data)


def find_single_key(backend, invocation, secrets: dict) -> Result:
    reply = _answer(backend, invocation, secrets)
    return _result(invocation, reply, "key_status", {"key_handle": invocation.args["key_handle"]})


# -- change --------------------------------------------------------------------------------------
def set_attribute(backend, invocation, secrets: dict) -> Result:
    handle, attr = invocation.args["key_handle"], Attr(invocation.args["attribute"])
    data = {"key_handle": handle, "attribute": int(attr), "name": attr.constant}
    if attr == Attr.TOKEN:                 # KMU's setAttribute: session key -> token key
        reply = _answer(backend, invocation, secrets, value=None)
        return _result(invocation, reply, "key_status", {**data, "value": 1})
    text, exchange = backend.run_cmu(invocation, secrets)
    return backend.cmu_result(invocation, text, exchange,
                              {**data, "value": parse_value(attr, invocation.args.get("value") or "")})


def share_key(backend, invocation, secrets: dict) -> Result:
    args = invocation.args
    text, exchange = backend.run_cmu(invocation, secrets)
    result = backend.cmu_result(invocation, text, exchange, {
        "key_handle": args["key_handle"], "user_ids": list(dict.fromkeys(args["user_ids"])),
        "shared": args["share"] == "1"})
    result.replay = {"key_handle": args["key_handle"]}
    return result


def delete_key(backend, invocation, secrets: dict) -> Result:
    reply = _answer(backend, invocation, secrets)
    return _result(invocation, reply, "key_status", {"key_handle": invocation.args["key_handle"]})


# -- use and move ------------------------------------------------------------------------------
def _mechanism(mechanism_id: int) -> dict:
    from hsmshell.model.keys import sign_mechanism
    mechanism = sign_mechanism(mechanism_id)
    return {"mechanism": mechanism.name, "mechanism_id": mechanism.mechanism_id}


def sign(backend, invocation, secrets: dict) -> Result:
    args = invocation.args
    _answer(backend, invocation, secrets)
    return Result("sign", "key_file", data={"key_handle": args["key_handle"], **_mechanism(args["mechanism"]),
                                            **_written(args["out"])},
                  replay={"key_handle": args["key_handle"]})


def verify(backend, invocation, secrets: dict) -> Result:
    args = invocation.args
    _answer(backend, invocation, secrets)
    return Result("verify", "signature_verified", data={
        "key_handle": args["key_handle"], **_mechanism(args["mechanism"]), "verified": True},
        replay={"key_handle": args["key_handle"]})


def export_pub_key(backend, invocation, secrets: dict) -> Result:
    args = invocation.args
    _answer(backend, invocation, secrets)
    return Result("exportPubKey", "key_file",
                  data={"key_handle": args["key_handle"], **_written(args["out"])},
                  replay={"key_handle": args["key_handle"]})


def _written(path: str) -> dict:
    shown = str(Path(path).expanduser())
    return {"file": shown, "length": os.path.getsize(shown)}


def list_attributes(backend, invocation, secrets: dict) -> Result:
    text, _ = backend.run_cmu(invocation, secrets)
    found = []
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip().startswith("OBJ_ATTR_") and value.strip().isdigit():
            found.append({"name": name.strip(), "id": int(value)})
    return Result("listAttributes", "attribute_ids", data={"attributes": found})


HANDLERS = {
    "genSymKey": gen_sym_key, "genRSAKeyPair": gen_key_pair, "genECCKeyPair": gen_key_pair,
    "genDSAKeyPair": gen_key_pair,
    "findKey": find_key, "findSingleKey": find_single_key, "getKeyInfo": get_key_info,
    "getAttribute": get_attribute, "setAttribute": set_attribute, "shareKey": share_key,
    "deleteKey": delete_key, "sign": sign, "verify": verify, "exportPubKey": export_pub_key,
    "listAttributes": list_attributes,
}
