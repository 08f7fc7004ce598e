"""Moving key material in and out: exSymKey/imSymKey, exportPrivateKey/importPrivateKey,
exportPubKey/importPubKey, wrapKey/unWrapKey; and fake PEM key handle files
(getCaviumPrivKey/IsValidKeyHandlefile).

Only a key's owner may export or wrap it, and only if it is extractable. Imported and
unwrapped keys belong to the importing user and have OBJ_ATTR_LOCAL 0. Everything that can
fail (files, passphrases, unwrapping) fails before the first write.

For audit replay, importPubKey keeps the public key it read in the record; the commands that
read secret material (imSymKey, importPrivateKey, unWrapKey) keep only the kind of key and
replay stands in a new one (secret_inputs.py).
"""

from __future__ import annotations

from hsmshell.backends.emulator import crypto, key_templates, replay_inputs, secret_inputs
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.emulator.crypto.pem import import_private_der
from hsmshell.backends.emulator.key_creation import Placement, plan_creation
from hsmshell.backends.key_files import (
    parse_hex, read_input, split_header, with_header, write_output,
)
from hsmshell.backends.emulator.key_rules import (
    export_mechanism, host_key, require_extractable, require_flag, require_kind, through_wrap,
    wrapping_aes_key,
)
from hsmshell.backends.emulator.keys import summary_of
from hsmshell.backends.emulator.keystore import KeyStore
from hsmshell.backends.result import Result
from hsmshell.errors import InvalidArgument
from hsmshell.model.keys import (
    IMPORTABLE_SYMMETRIC_TYPES, SYMMETRIC_KEY_SIZES, Attr, KeyClass, KeyType,
)


# -- symmetric keys in plaintext (through a host-side unwrap) ---------------------------------
def ex_sym_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    export_mechanism(args.get("mechanism"))
    store = KeyStore(cluster)
    key = require_extractable(require_kind(store.key(args["key_handle"], "export"), {KeyClass.SECRET},
                                           "exSymKey exports secret keys (exportPrivateKey exports private keys)"))
    wrapping = wrapping_aes_key(store.key(args["wrapping_key_handle"]), Attr.WRAP)
    hsm_side = store.material(wrapping)
    plain = through_wrap(hsm_side, host_key(args.get("wrapping_key_file")) or hsm_side,
                         store.material(key))
    return _written("exSymKey", key.handle, wrapping.handle, write_output(args["out"], plain, private=True, context=cluster.context),
                    len(plain))


def im_sym_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    key_type = args["key_type"]
    if key_type not in IMPORTABLE_SYMMETRIC_TYPES:
        raise InvalidArgument(f"imSymKey imports key type 21 (3DES) or 31 (AES), not {key_type}")
    kind = secret_inputs.recorded_kind(cluster)          # replay: the key is not in the log
    raw = read_input(args["file"], "key", limit=4096) if kind is None else secret_inputs.secret_stand_in(kind)
    sizes = SYMMETRIC_KEY_SIZES[KeyType(key_type)]
    if len(raw) not in sizes:
        raise InvalidArgument(f"the key file holds {len(raw)} bytes; a {KeyType(key_type).name} key "
                              f"is {' or '.join(map(str, sizes))} bytes", hint="the file holds the raw key")
    store = KeyStore(cluster)
    wrapping = wrapping_aes_key(store.key(args["wrapping_key_handle"]), Attr.UNWRAP)
    plan = plan_creation(store, Placement.from_args(args))
    hsm_side = store.material(wrapping)
    material = raw if kind is not None else \
        through_wrap(host_key(args.get("wrapping_key_file")) or hsm_side, hsm_side, raw)
    new = key_templates.secret_key(KeyType(key_type), material, extractable=True, local=False)
    secret_inputs.note_kind(cluster, new)
    created = plan.create([new])
    return created.result("imSymKey", "key_created", {"key_handle": created.handles[0]},
                          **summary_of(new, attested=bool(args.get("attest"))))


# -- private keys as PEM ----------------------------------------------------------------------
def export_private_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    export_mechanism(args.get("mechanism"))
    store = KeyStore(cluster)
    key = require_extractable(require_kind(store.key(args["key_handle"], "export"), {KeyClass.PRIVATE},
                                           "exportPrivateKey exports private keys"))
    wrapping = wrapping_aes_key(store.key(args["wrapping_key_handle"]), Attr.WRAP, Attr.DECRYPT)
    hsm_side = store.material(wrapping)
    der = through_wrap(hsm_side, host_key(args.get("wrapping_key_file")) or hsm_side, store.material(key))
    passphrase = _passphrase(secrets)
    pem = crypto.export_private_pem(der, passphrase)
    result = _written("exportPrivateKey", key.handle, wrapping.handle,
                      write_output(args["out"], pem, private=True, context=cluster.context), len(pem))
    result.data["encrypted"] = passphrase is not None
    return result


def import_private_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    kind = secret_inputs.recorded_kind(cluster)          # replay: the key is not in the log
    imported = secret_inputs.private_stand_in(kind) if kind is not None else \
        crypto.import_private_pem(read_input(args["file"], "private key", limit=65536), _passphrase(secrets))
    store = KeyStore(cluster)
    wrapping = wrapping_aes_key(store.key(args["wrapping_key_handle"]), Attr.UNWRAP, Attr.ENCRYPT)
    plan = plan_creation(store, Placement.from_args(args), asymmetric=True)
    hsm_side = store.material(wrapping)
    der = imported.private_der if kind is not None else \
        through_wrap(host_key(args.get("wrapping_key_file")) or hsm_side, hsm_side, imported.private_der)
    new = key_templates.private_key(der, imported.public, extractable=True, local=False)
    secret_inputs.note_kind(cluster, new)
    created = plan.create([new])
    return created.result("importPrivateKey", "key_created", {"key_handle": created.handles[0]},
                          **summary_of(new, attested=bool(args.get("attest"))),
                          ber_length=len(imported.private_der))   # KMU prints it first


def _passphrase(secrets: dict) -> bytes | None:
    value = secrets.get("passphrase")
    return value.encode() if value is not None else None


# -- public keys as PEM -----------------------------------------------------------------------
def export_pub_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    key = require_kind(store.key(args["key_handle"]), {KeyClass.PUBLIC},
                       "exportPubKey takes the handle of a public key")
    pem = crypto.export_public_pem(store.material(key))
    return _written("exportPubKey", key.handle, None, write_output(args["out"], pem), len(pem))


def import_pub_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    pem = replay_inputs.recorded_text(cluster, "public_key") or \
        read_input(args["file"], "public key", limit=65536)
    info = crypto.import_public_pem(pem)
    # the key as parsed (a private key given by mistake never gets this far)
    replay_inputs.note(cluster, "public_key", crypto.export_public_pem(info.spki_der).decode("ascii"))
    store = KeyStore(cluster)
    plan = plan_creation(store, Placement.from_args(args), asymmetric=True)
    new = key_templates.public_key(info, local=False)
    created = plan.create([new])
    return created.result("importPubKey", "key_created", {"key_handle": created.handles[0]},
                          **summary_of(new))


# -- wrapKey / unWrapKey ----------------------------------------------------------------------
def wrap_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store = KeyStore(cluster)
    key = require_extractable(require_kind(store.key(args["key_handle"], "wrap"),
                                           {KeyClass.SECRET, KeyClass.PRIVATE},
                                           "wrapKey wraps secret and private keys"))
    wrapping = require_flag(store.key(args["wrapping_key_handle"]), Attr.WRAP, "wrap keys")
    mechanism = crypto.wrap_mechanism(args["mechanism"])
    wrapped = crypto.wrap_key(mechanism, store.material(wrapping), store.material(key),
                              _wrap_params(args))
    if not args.get("noheader"):
        wrapped = with_header({"class": key.key_class, "type": key.key_type, "label": key.label},
                              wrapped)
    result = _written("wrapKey", key.handle, wrapping.handle,
                      write_output(args["out"], wrapped, key_material=True, context=cluster.context), len(wrapped))
    result.data.update(mechanism=mechanism.name, mechanism_id=int(mechanism))
    return result


def unwrap_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    kind = secret_inputs.recorded_kind(cluster)          # replay: the key is not in the log
    if kind is None:
        header, wrapped = split_header(read_input(args["file"], "wrapped key"))
    else:
        header, wrapped = replay_inputs.recorded(cluster, "header"), None
    if header is not None:          # class, type and label: no secret
        replay_inputs.note(cluster, "header", {k: header[k] for k in ("class", "type", "label")})
    if args.get("noheader"):
        header = None
    elif header is None:
        raise InvalidArgument("the file has no key header (it was wrapped with -noheader)",
                              hint="give -noheader with -l <label>, -kc <class> and -kt <type>")
    key_class, key_type, label = _unwrapped_kind(args, header)
    store = KeyStore(cluster)
    unwrapping = require_flag(store.key(args["wrapping_key_handle"]), Attr.UNWRAP, "unwrap keys")
    plan = plan_creation(store, Placement.from_args(args, label=label),
                         asymmetric=key_class == KeyClass.PRIVATE)
    payload = None if kind is not None else \
        crypto.unwrap_key(args["mechanism"], store.material(unwrapping), wrapped, _wrap_params(args))
    if key_class == KeyClass.SECRET:
        payload = payload if kind is None else secret_inputs.secret_stand_in(kind)
        if len(payload) not in SYMMETRIC_KEY_SIZES[key_type]:
            raise InvalidArgument(f"the unwrapped key is {len(payload)} bytes long, which is not a "
                                  f"{key_type.name} key size: check -kt and the wrapping key")
        new = key_templates.secret_key(key_type, payload, extractable=not args.get("nex"), local=False)
    else:
        imported = import_private_der(payload) if kind is None else secret_inputs.private_stand_in(kind)
        if imported.public.key_type is not key_type:
            raise InvalidArgument(f"the unwrapped key is {imported.public.key_type.name}, not "
                                  f"{key_type.name} (-kt)")
        new = key_templates.private_key(imported.private_der, imported.public,
                                        extractable=not args.get("nex"), local=False)
    secret_inputs.note_kind(cluster, new)
    created = plan.create([new])
    return created.result("unWrapKey", "key_created", {"key_handle": created.handles[0]},
                          **summary_of(new, attested=bool(args.get("attest"))))


def _unwrapped_kind(args: dict, header: dict | None) -> tuple[KeyClass, KeyType, str]:
    header = header or {}
    given = {name: args.get(name) for name in ("key_class", "key_type", "label")}
    key_class = header.get("class") if given["key_class"] is None else given["key_class"]
    key_type = header.get("type") if given["key_type"] is None else given["key_type"]
    label = given["label"] or header.get("label")
    if key_class is None or key_type is None or not label:
        raise InvalidArgument("unWrapKey -noheader needs -l <label>, -kc <class> and -kt <type>")
    if key_class not in (KeyClass.PRIVATE, KeyClass.SECRET):
        raise InvalidArgument(f"-kc is 3 (private) or 4 (secret), not {key_class}")
    valid_types = SYMMETRIC_KEY_SIZES if key_class == KeyClass.SECRET else (KeyType.RSA, KeyType.EC)
    if key_type not in valid_types:
        raise InvalidArgument(f"key type {key_type} cannot be unwrapped as a "
                              f"{KeyClass(key_class).name.lower()} key")
    return KeyClass(key_class), KeyType(key_type), label


def _wrap_params(args: dict) -> crypto.WrapParams:
    iv = None
    if args.get("iv"):
        iv = parse_hex(args["iv"], "-i (the IV)")
    elif args.get("iv_file"):
        iv = read_input(args["iv_file"], "IV", limit=128)
    given = {"iv": iv, "hash_id": args.get("hash"), "tag_size": args.get("tag_size"),
             "aad": read_input(args["aad_file"], "additional authenticated data")
             if args.get("aad_file") else None}
    return crypto.WrapParams(**{name: value for name, value in given.items() if value is not None})


def _written(command: str, handle: int, wrapping: int | None, path: str, length: int) -> Result:
    data = {"key_handle": handle, "file": path, "length": length}
    if wrapping is not None:
        data["wrapping_key_handle"] = wrapping
    return Result(command, "key_file", data=data, replay={"key_handle": handle})


# -- "fake PEM" key handle files, for OpenSSL's CloudHSM engine (SSL/TLS offload) -------------
FAKE_PEM_LIMIT = 64 * 1024


def get_cavium_priv_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    """getCaviumPrivKey: a private-key PEM naming an RSA key of yours (its public values and
    its handle; no private material leaves the HSM), so it works for non-extractable keys."""
    from hsmshell.backends.emulator.crypto.reference_pem import reference_pem
    store = KeyStore(cluster)
    key = require_kind(store.key(args["key_handle"], "export"), {KeyClass.PRIVATE},
                       "getCaviumPrivKey saves an RSA private key's handle", {KeyType.RSA})
    path = write_output(args["out"], reference_pem(store.material(key), key.handle), key_material=False)
    return Result("getCaviumPrivKey", "tool_report", replay={"key_handle": key.handle}, data={
        "key_handle": key.handle, "file": path,
        "message": f"Private Key Handle is written to {path} in fake PEM format"})


def is_valid_key_handle_file(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    """IsValidKeyHandlefile: whether an RSA private key file holds a real key or a fake PEM's
    key handle. Replay takes the answer from the record (never the file: it may be a real key)."""
    from hsmshell.backends.emulator.crypto.reference_pem import is_real_rsa_key, reference_of
    checked = replay_inputs.recorded(cluster, "key_handle_file")
    if checked is None:
        pem = read_input(args["file"], "private key", limit=FAKE_PEM_LIMIT)
        handle = reference_of(pem)
        if handle is None and not is_real_rsa_key(pem):
            raise InvalidArgument(f"{args['file']} is neither an RSA private key nor a fake PEM key handle file",
                                  hint="IsValidKeyHandlefile checks unencrypted RSA private key PEM files")
        checked = {"real_private_key": handle is None, "key_handle": handle}
    replay_inputs.note(cluster, "key_handle_file", checked)
    # AWS's page words a fake PEM as an "invalid key handle" (the key is not in the file)
    message = "Input key file has real private key" if checked["real_private_key"] \
        else f"Input file has invalid key handle: {checked['key_handle']}"
    return Result("IsValidKeyHandlefile", "tool_answer",
                  data={"file": str(args["file"]), **checked, "message": message})


HANDLERS = {
    "exSymKey": ex_sym_key, "imSymKey": im_sym_key, "exportPrivateKey": export_private_key,
    "importPrivateKey": import_private_key, "exportPubKey": export_pub_key,
    "importPubKey": import_pub_key, "wrapKey": wrap_key, "unWrapKey": unwrap_key,
    "getCaviumPrivKey": get_cavium_priv_key, "IsValidKeyHandlefile": is_valid_key_handle_file,
}
