"""CloudHSM CLI's key import pem, key wrap and key unwrap on the emulated HSMs, with the
cryptography of KMU's importPubKey, wrapKey and unWrapKey (crypto/wrapping.py)."""

from __future__ import annotations

import base64
import os

from hsmshell.backends.emulator import crypto, key_templates, quorum_rules, replay_inputs
from hsmshell.backends.emulator.crypto import zero_pad
from hsmshell.backends.emulator.crypto.pem import import_private_der
from hsmshell.backends.emulator.key_creation import plan_creation
from hsmshell.backends.emulator.key_rules import require_extractable, require_flag, require_kind
from hsmshell.backends.emulator.keystore import KeyStore
from hsmshell.backends.emulator.sdk5_keys import _apply, _placement
from hsmshell.backends.emulator.sdk5_keys_view import KeyView
from hsmshell.backends.emulator.sdk5_users import sdk5
from hsmshell.backends.key_files import inline_or_file, parse_hex, read_input, write_output
from hsmshell.backends.result import Result
from hsmshell.errors import InvalidArgument
from hsmshell.backends.emulator.info import require_non_fips
from hsmshell.model.keys import ED25519, SYMMETRIC_KEY_SIZES, Attr, KeyClass, KeyType, WrapHash
from hsmshell.model.sdk5 import WRAP_MECHANISMS, key_reference

MECHANISMS = WRAP_MECHANISMS
RSA_MECHANISMS = ("rsa-aes", "rsa-oaep", "rsa-pkcs")
HYPHENATED = ("rsa-aes", "rsa-oaep")        # their pages show hyphenated keys
HASH_IDS = {"sha1": WrapHash.SHA1, "sha224": WrapHash.SHA224, "sha256": WrapHash.SHA256,
            "sha384": WrapHash.SHA384, "sha512": WrapHash.SHA512}
CLASSES = {"aes": (KeyClass.SECRET, KeyType.AES), "des3": (KeyClass.SECRET, KeyType.DES3),
           "generic-secret": (KeyClass.SECRET, KeyType.GENERIC_SECRET),
           "rsa-private": (KeyClass.PRIVATE, KeyType.RSA), "ec-private": (KeyClass.PRIVATE, KeyType.EC)}
GCM_IV_BYTES = 12
MAX_IMPORT_LABEL = 126


def import_pem(cluster, args: dict, secrets: dict) -> Result:
    if len(args["label"]) > MAX_IMPORT_LABEL:
        raise InvalidArgument(f"an imported key's label is at most {MAX_IMPORT_LABEL} characters")
    pem = replay_inputs.recorded_text(cluster, "public_key") or read_input(args["path"], "public key")
    info = crypto.import_public_pem(pem, edwards=True)
    if info.curve_id == ED25519.curve_id:          # AWS: Ed25519 on non-FIPS hsm2m.medium only
        require_non_fips(cluster.db, "ed25519")
    replay_inputs.note(cluster, "public_key", crypto.export_public_pem(info.spki_der).decode("ascii"))
    if info.kind != args["key_type_class"].split("-")[0]:
        raise InvalidArgument(f"{args['path']} holds an {info.kind.upper()} public key, not {args['key_type_class']}")
    store = KeyStore(cluster)
    settings = dict(args["attributes"])
    plan = plan_creation(store, _placement(store, {"share_crypto_users": ()}, args["label"], settings, 0, 0),
                         asymmetric=True)
    key = key_templates.public_key(info, local=False)
    _apply(key, settings)
    created = plan.create([key])
    result = created.result("key import pem", "sdk5_key", {"key_handle": created.handles[0]})
    wire = {"key": KeyView(store).key_object(store.key(created.handles[0])), "message": "Successfully imported key"}
    return sdk5(result, "key import pem", wire, "sdk5_key")


def wrap(cluster, args: dict, secrets: dict, mechanism: str) -> Result:
    command = f"key wrap {mechanism}"
    view = KeyView(KeyStore(cluster))
    payload = require_extractable(require_kind(
        _chosen(cluster, view, args, "payload_filter", "payload_approval", "wrap", command),
        {KeyClass.SECRET, KeyClass.PRIVATE}, "the payload is a secret or private key"))
    wrapping = require_flag(_chosen(cluster, view, args, "wrapping_filter", "wrapping_approval", "use", command),
                            Attr.WRAP, "wrap keys")
    params, iv = _params(args, mechanism, wrapping=True)
    material = view.store.material(payload)
    if mechanism == "aes-zero-pad":
        material = zero_pad.pad(material)
    wrapped = crypto.wrap_key(MECHANISMS[mechanism], view.store.material(wrapping), material, params)
    names = ("payload-key-reference", "wrapping-key-reference", "wrapped-key-data") if mechanism in HYPHENATED \
        else ("payload_key_reference", "wrapping_key_reference", "wrapped_key_data")
    wire = {names[0]: key_reference(payload.handle), names[1]: key_reference(wrapping.handle)}
    if iv is not None:
        wire["iv"] = "0x" + iv.hex()
    if args.get("path"):
        write_output(args["path"], wrapped, key_material=True, context=cluster.context)
    else:
        wire[names[2]] = base64.b64encode(wrapped).decode("ascii")
        cluster.context.note_key_material()         # wrapped key material leaves the HSM
    return Result(command, "sdk5", data={"key_handle": payload.handle, "wrapping_key_handle": wrapping.handle},
                  replay={"key_handle": payload.handle}, wire=wire)


def unwrap(cluster, args: dict, secrets: dict, mechanism: str) -> Result:
    command = f"key unwrap {mechanism}"
    store = KeyStore(cluster)
    view = KeyView(store)
    unwrapping = require_flag(_chosen(cluster, view, args, "filter", "approval", "use", command),
                              Attr.UNWRAP, "unwrap keys")
    key_class, key_type = CLASSES[args["key_type_class"]]
    data = inline_or_file(args, "data", "wrapped key")
    params, _ = _params(args, mechanism, wrapping=False)
    settings = dict(args["attributes"])
    plan = plan_creation(store, _placement(store, args, args["label"], settings, args["manage_key_quorum_value"],
                                           args["use_key_quorum_value"]),
                         asymmetric=key_class == KeyClass.PRIVATE)
    payload = crypto.unwrap_key(MECHANISMS[mechanism], store.material(unwrapping), data, params)
    if mechanism == "aes-zero-pad":
        payload = zero_pad.unpad(payload, key_class, key_type)
    if key_class == KeyClass.SECRET:
        if len(payload) not in SYMMETRIC_KEY_SIZES.get(key_type, range(1, 801)):
            raise InvalidArgument(f"the unwrapped key is {len(payload)} bytes long: not an "
                                  f"{args['key_type_class']} key (check --key-type-class and the wrapping key)")
        new = key_templates.secret_key(key_type, payload, extractable=True, local=False)
    else:
        imported = import_private_der(payload)
        if imported.public.key_type is not key_type:
            raise InvalidArgument(f"the unwrapped key is {imported.public.key_type.name}, not {args['key_type_class']}")
        new = key_templates.private_key(imported.private_der, imported.public, extractable=True, local=False)
    _apply(new, settings)
    created = plan.create([new])
    result = created.result(command, "sdk5_key", {"key_handle": created.handles[0]})
    return sdk5(result, command, {"key": view.key_object(store.key(created.handles[0]))}, "sdk5_key")


def _chosen(cluster, view: KeyView, args: dict, filter_name: str, approval: str, need: str, command: str):
    """One key of a two-key command, with its own approval file and quorum token."""
    key = view.select_one(args[filter_name], need)
    action = "key.unwrap" if command.startswith("key unwrap") else "key.wrap"
    if args.get(approval):
        from hsmshell.backends.emulator.sdk5_quorum import submit_approval
        submit_approval(cluster, action, {"approval": args[approval]}, key.handle)
    quorum_rules.enforce(cluster, action, {"key_handle": key.handle}, command)
    return key


def _params(args: dict, mechanism: str, wrapping: bool) -> tuple[crypto.WrapParams, bytes | None]:
    given: dict = {}
    iv = None
    if mechanism in ("aes-gcm", "cloudhsm-aes-gcm"):
        bits = args["tag_length_bits"]
        if bits % 8:
            raise InvalidArgument("--tag-length-bits must be a multiple of 8")
        given["tag_size"] = bits // 8
        if args.get("aad"):
            given["aad"] = parse_hex(args["aad"], "--aad")
    if mechanism == "aes-gcm":
        iv = os.urandom(GCM_IV_BYTES) if wrapping else parse_hex(args["iv"], "--iv")
        given["iv"] = iv
    if mechanism in ("rsa-oaep", "rsa-aes"):
        if args["mgf"] != f"mgf1-{args['hash_function']}":
            raise InvalidArgument("hsmshell's RSA wrap uses MGF1 with the same hash as --hash-function",
                                  hint=f"--mgf mgf1-{args['hash_function']}")
        given["hash_id"] = int(HASH_IDS[args["hash_function"]])
    return crypto.WrapParams(**given), (iv if wrapping else None)


def _handler(function, mechanism: str):
    return lambda cluster, args, secrets: function(cluster, args, secrets, mechanism)


HANDLERS = {"key import pem": import_pem,
            **{f"key wrap {m}": _handler(wrap, m) for m in MECHANISMS},
            **{f"key unwrap {m}": _handler(unwrap, m) for m in MECHANISMS}}
