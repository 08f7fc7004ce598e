"""CloudHSM CLI's key commands on the emulated HSMs (AWS's CloudHSM CLI pages).

Keys are made, shared, changed and deleted by the same key store and SDK 3 handlers as KMU's
commands (key_creation.py, keys.py), so a key made with `genSymKey` is listed by `key list`
and the other way round. Commands that take one key select it with `--filter`; a key with a
per-key quorum value is refused without an approval, whichever vocabulary asks.
"""

from __future__ import annotations

from hsmshell.backends.emulator import crypto, key_templates, keys, quorum_rules
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.emulator.crypto.reference_pem import reference_pem
from hsmshell.backends.emulator.key_creation import MAX_M_VALUE, Placement, plan_creation
from hsmshell.backends.key_files import write_output
from hsmshell.backends.emulator.keystore import TRUST, KeyStore, StoredKey
from hsmshell.backends.emulator.sdk5_keys_view import KeyView
from hsmshell.backends.emulator.sdk5_users import sdk5
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument, NoSuchUser
from hsmshell.model.key_attributes import check_text
from hsmshell.backends.emulator.info import require_non_fips
from hsmshell.model.keys import ED25519, Attr, KeyClass, KeyType
from hsmshell.model.sdk5 import CURVES, SETTABLE, parse_bool
from hsmshell.model.users import UserType

GENERIC_SECRET_BYTES = range(1, 801)
INVALID_QUORUM = "Invalid quorum value provided."
# --attributes at creation: the flags a new key may be given (the attribute table, §3.4)
CREATE_FLAGS = {"encrypt": Attr.ENCRYPT, "decrypt": Attr.DECRYPT, "derive": Attr.DERIVE,
                "destroyable": Attr.DESTROYABLE, "extractable": Attr.EXTRACTABLE,
                "private": Attr.PRIVATE, "sensitive": Attr.SENSITIVE, "sign": Attr.SIGN,
                "verify": Attr.VERIFY, "unwrap": Attr.UNWRAP, "wrap": Attr.WRAP,
                "wrap-with-trusted": Attr.WRAP_WITH_TRUSTED}
# CloudHSM CLI's defaults for new keys (§3.4): every usage flag off, except sign and verify
# of secret keys. KMU's commands keep theirs (key_templates.py); docs/sdk5.md lists both.
USAGE_FLAGS = (Attr.ENCRYPT, Attr.DECRYPT, Attr.WRAP, Attr.UNWRAP, Attr.SIGN, Attr.VERIFY, Attr.DERIVE)
SECRET_KEY_USAGE = frozenset({Attr.SIGN, Attr.VERIFY})


# -- generate ----------------------------------------------------------------------------------
def generate_aes(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    return _generate_secret(cluster, args, KeyType.AES, "key generate-symmetric aes")


def generate_generic_secret(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    if args["key_length_bytes"] not in GENERIC_SECRET_BYTES:
        raise InvalidArgument("--key-length-bytes of a generic secret is 1 to 800")
    return _generate_secret(cluster, args, KeyType.GENERIC_SECRET, "key generate-symmetric generic-secret")


def _generate_secret(cluster, args: dict, key_type: KeyType, command: str) -> Result:
    store = KeyStore(cluster)
    settings = dict(args["attributes"])
    plan = plan_creation(store, _placement(store, args, args["label"], settings,
                                           args["manage_key_quorum_value"], args["use_key_quorum_value"]))
    material = crypto.generate_symmetric(int(key_type), args["key_length_bytes"])
    key = key_templates.secret_key(key_type, material, extractable=True, local=True)
    _apply(key, settings)
    created = plan.create([key])
    result = created.result(command, "sdk5_key", {"key_handle": created.handles[0]})
    view = KeyView(store)
    return sdk5(result, command, {"key": view.key_object(store.key(created.handles[0]))}, "sdk5_key")


def generate_rsa(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    if args["modulus_size_bits"] < 2048:
        raise InvalidArgument("--modulus-size-bits must be at least 2048")
    return _generate_pair(cluster, args, "key generate-asymmetric-pair rsa",
                          lambda: crypto.generate_rsa(args["modulus_size_bits"], args["public_exponent"]))


def generate_ec(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    curve_id = CURVES[args["curve"]]
    if curve_id == ED25519.curve_id:
        require_non_fips(cluster.db, "ed25519")
        return _generate_pair(cluster, args, "key generate-asymmetric-pair ec", crypto.generate_ed25519)
    return _generate_pair(cluster, args, "key generate-asymmetric-pair ec",
                          lambda: crypto.generate_ec(curve_id))


def _generate_pair(cluster, args: dict, command: str, make) -> Result:
    store = KeyStore(cluster)
    private_settings = dict(args["private_attributes"])
    public_settings = dict(args["public_attributes"])
    placement = _placement(store, args, args["private_label"], private_settings,
                           args["manage_private_key_quorum_value"], args["use_private_key_quorum_value"])
    plan = plan_creation(store, placement, count=2, asymmetric=True)
    public, private = key_templates.key_pair(make(), extractable=True)
    _apply(public, public_settings)
    _apply(private, private_settings)
    created = plan.create([public, private])
    public_handle, private_handle = created.handles
    if args["public_label"] != placement.label:       # the public half has its own label
        label = check_text(Attr.LABEL, args["public_label"])
        store.conn.execute("UPDATE keys SET label = ? WHERE handle = ?", (label, public_handle))
    result = created.result(command, "sdk5_key_pair", {"public_key_handle": public_handle,
                                                       "private_key_handle": private_handle})
    view = KeyView(store)
    wire = {"public_key": view.key_object(store.key(public_handle)),
            "private_key": view.key_object(store.key(private_handle))}
    return sdk5(result, command, wire, "sdk5_key_pair")


def _placement(store: KeyStore, args: dict, label: str, settings: dict, manage: int, use: int) -> Placement:
    """Where the new key goes: label, session or token, the users it is shared with (names
    here, ids on the HSM the command works on) and its manage and use quorum values."""
    home = store.home_hsm()
    ids = []
    for name in args["share_crypto_users"]:
        found = store.user_ids(name).get(home.hsm_id)
        if found is None:
            raise NoSuchUser(f"user {name} does not exist", hint="user list shows the users")
        ids.append(found[0])
    if min(manage, use) < 0 or max(manage, use) > min(len(set(ids)) + 1, MAX_M_VALUE):
        raise HsmError(INVALID_QUORUM, reference="invalid-quorum-value",
                       hint="a key's quorum values are 0 to 8, and at most its owner plus the "
                            "users it is shared with")
    session = bool(args.get("session"))
    if "token" in settings:
        session = not parse_bool(settings.pop("token"), "token")
    key_id = settings.pop("id", "")
    label = settings.pop("label", label)
    return Placement.from_args({"label": label, "sess": session, "share_with": tuple(ids),
                                "m_value": use, "manage_m_value": manage, "key_id": key_id})


def _apply(key: key_templates.NewKey, settings: dict) -> None:
    on = SECRET_KEY_USAGE if key.key_class == KeyClass.SECRET else frozenset()
    key.attributes.update({int(attr): int(attr in on) for attr in USAGE_FLAGS})
    for name, text in settings.items():
        attr = CREATE_FLAGS.get(name)
        if attr is None:
            raise InvalidArgument(f"{name} cannot be set when a key is made",
                                  hint="settable: " + ", ".join(CREATE_FLAGS))
        key.attributes[int(attr)] = int(parse_bool(text, name))
    values = key.attributes
    if int(Attr.EXTRACTABLE) in values or int(Attr.SENSITIVE) in values:
        values[int(Attr.NEVER_EXTRACTABLE)] = int(not values.get(int(Attr.EXTRACTABLE), 1))
        values[int(Attr.ALWAYS_SENSITIVE)] = int(values.get(int(Attr.SENSITIVE), 0))


# -- list --------------------------------------------------------------------------------------
def key_list(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    if args["max_items"] < 1:
        raise InvalidArgument("--max-items must be at least 1")
    view = KeyView(KeyStore(cluster))
    found = view.matching(view.visible(), args["filter"])
    start = args["starting_token"]
    page = found[start:start + args["max_items"]]
    verbose = args["verbose"] and cluster.principal.user_type == UserType.CU   # no effect for admins
    wire = {"matched_keys": [view.key_object(k, verbose) for k in page],
            "total_key_count": len(found), "returned_key_count": len(page)}
    if start + len(page) < len(found):
        wire["next_token"] = str(start + len(page))
    return Result("key list", "sdk5_keys", data={"key_handles": [k.handle for k in page]}, wire=wire)


# -- one selected key --------------------------------------------------------------------------
def selected(cluster: EmulatedCluster, args: dict, command: str, action: str | None, need: str = "use",
             filter_name: str = "filter") -> tuple[KeyView, StoredKey, list[int]]:
    """The key `--filter` selects, checked for `need`, and the quorum tokens it used: a key
    with a quorum value for the action's service (firmware.QUORUM_SERVICES) needs an
    approved token bound to it, as for KMU's commands. `action` None: AWS guards nothing."""
    view = KeyView(KeyStore(cluster))
    key = view.select_one(args[filter_name], need)
    if action is None:
        return view, key, []
    if args.get("approval"):
        from hsmshell.backends.emulator.sdk5_quorum import submit_approval
        submit_approval(cluster, action, args, key.handle)
    used = quorum_rules.enforce(cluster, action, {"key_handle": key.handle}, command)
    return view, key, used


def _done(result: Result, command: str, message: str, used: list[int]) -> Result:
    if used:
        result.replay["quorum_tokens"] = used
    return sdk5(result, command, {"message": message}, "sdk5_message")


def key_delete(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    _, key, used = selected(cluster, args, "key delete", "key.delete", "delete")
    result = keys.delete_key(cluster, {"key_handle": key.handle}, secrets)
    return _done(result, "key delete", "Key deleted successfully", used)


def key_share(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    return _sharing(cluster, args, secrets, share=True)


def key_unshare(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    return _sharing(cluster, args, secrets, share=False)


def _sharing(cluster, args: dict, secrets: dict, share: bool) -> Result:
    command = "key share" if share else "key unshare"
    if args["role"] != "crypto-user":
        raise InvalidArgument("keys are shared with crypto users only", hint="--role crypto-user")
    _, key, used = selected(cluster, args, command, "key.share", "share")
    row = cluster.conn.execute("SELECT user_id FROM users WHERE hsm_id = ? AND name = ?",
                               (key.hsm_id, args["username"])).fetchone()
    if row is None:
        raise NoSuchUser(f"user {args['username']} does not exist", hint="user list shows the users")
    result = keys.share_key(cluster, {"key_handle": key.handle, "user_ids": (row[0],),
                                      "share": "1" if share else "0"}, secrets)
    return _done(result, command, f"Key {'shared' if share else 'unshared'} successfully", used)


def key_set_attribute(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    name, text = args["name"], args["value"]
    attr = SETTABLE.get(name)
    if attr is None:
        raise InvalidArgument(f"attribute {name[:32]} cannot be changed",
                              hint="settable: " + ", ".join(SETTABLE))
    if attr == Attr.LABEL:
        value = text
    elif attr == Attr.TOKEN:
        if not parse_bool(text, "token"):
            raise InvalidArgument("token can only change from false to true")
        value = "1"
    else:
        value = "1" if parse_bool(text, name) else "0"
    trust = attr == Attr.TRUSTED                # an admin's, on any key (firmware: key.trust)
    _, key, used = selected(cluster, args, "key set-attribute", "key.trust" if trust else "key.attributes.set",
                            TRUST if trust else "change")
    result = keys.set_attribute(cluster, {"key_handle": key.handle, "attribute": int(attr),
                                          "value": value}, secrets)
    return _done(result, "key set-attribute", "Attribute set successfully", used)


def key_generate_file(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    # AWS's generate-file takes no approval: a public key has no quorum, and a reference PEM
    # carries no key material (KMU's exSymKey, which exports material, keeps its guard)
    view, key, used = selected(cluster, args, "key generate-file", None)
    material = view.store.material(key)
    if args["encoding"] == "pem":
        if key.key_class != KeyClass.PUBLIC:
            raise InvalidArgument("--encoding pem writes public keys; a private key's file is "
                                  "--encoding reference-pem", hint="select the public key")
        data = crypto.export_public_pem(material)
    else:
        if key.key_class != KeyClass.PRIVATE:
            raise InvalidArgument("--encoding reference-pem is for private keys",
                                  hint="a public key's file is --encoding pem")
        data = reference_pem(material, key.handle)
    path = write_output(args["path"], data, key_material=False)
    result = Result("key generate-file", "sdk5_message",
                    data={"key_handle": key.handle, "file": path}, replay={"key_handle": key.handle})
    return _done(result, "key generate-file", "Successfully generated key file", used)


HANDLERS = {
    "key generate-symmetric aes": generate_aes,
    "key generate-symmetric generic-secret": generate_generic_secret,
    "key generate-asymmetric-pair rsa": generate_rsa,
    "key generate-asymmetric-pair ec": generate_ec,
    "key list": key_list, "key delete": key_delete, "key share": key_share,
    "key unshare": key_unshare, "key set-attribute": key_set_attribute,
    "key generate-file": key_generate_file,
}
