"""Moving keys in and out of the token: public keys as PEM, private keys imported with
C_CreateObject and exported (where extractable) wrapped on the token then unwrapped on the
host, as KMU does, and wrapKey/unWrapKey with the token's wrapping mechanisms.

wrapKey -m: 5 AES key wrap (RFC 3394, CKM_AES_KEY_WRAP), 6 with padding (RFC 5649,
CKM_AES_KEY_WRAP_PAD), 8 RSA OAEP (-t hash), 12 RSA PKCS#1 v1.5. CloudHSM's own -m 4
(AES_KEY_WRAP_PAD_PKCS5) and the AES-GCM wraps are vendor mechanisms a generic token lacks:
they answer `mechanism-not-supported`.
"""

from __future__ import annotations

from hsmshell.backends.pkcs11 import objects, pem
from hsmshell.backends.pkcs11.errors import token_call
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.model.key_attributes import check_text
from hsmshell.model.keys import Attr, WrapHash, WrapMechanism

PUBLIC, PRIVATE, SECRET = 2, 3, 4
OAEP_HASHES = {WrapHash.SHA1: ("SHA_1", "SHA1"), WrapHash.SHA256: ("SHA256", "SHA256"),
               WrapHash.SHA384: ("SHA384", "SHA384"), WrapHash.SHA512: ("SHA512", "SHA512"),
               WrapHash.SHA224: ("SHA224", "SHA224")}


def _files():
    from hsmshell.backends import key_files
    return key_files


def _new_key_template(args: dict, object_class: int, extractable: bool = True) -> dict:
    from pkcs11 import Attribute
    ckid = objects.parse_id(args["key_id"]) if args.get("key_id") else objects.new_id()
    template = {Attribute.CLASS: object_class, Attribute.TOKEN: not args.get("sess"),
                Attribute.LABEL: check_text(Attr.LABEL, args["label"]), Attribute.ID: ckid}
    if object_class != PUBLIC:
        template.update({Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                         Attribute.EXTRACTABLE: extractable})
    return template


def _imported(command: str, backend, obj, args: dict) -> Result:
    from pkcs11 import Attribute
    handle = objects.remember(backend, obj)
    data = {"key_handle": handle, "key_class": int(obj[Attribute.CLASS]),
            "key_type": int(obj[Attribute.KEY_TYPE]), "label": obj[Attribute.LABEL],
            "id": objects.id_text(obj[Attribute.ID]), "session": not obj[Attribute.TOKEN],
            "owner": 0, "shared_with": [], "m_value": 0, "kcv": None,
            # a public key always leaves the token (exportPubKey), whatever CKA_EXTRACTABLE says
            "extractable": int(obj[Attribute.CLASS]) == PUBLIC or bool(objects.read(obj, Attr.EXTRACTABLE))}
    return Result(command, "key_created", data=data, replay={"key_handle": handle})


# -- public keys -------------------------------------------------------------------------------
def export_pub_key(backend, args: dict, secrets: dict) -> Result:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pkcs11 import Attribute

    key = objects.find(backend, args["key_handle"], (PUBLIC,), "exportPubKey needs a public key")
    with token_call("C_GetAttributeValue"):
        if int(key[Attribute.KEY_TYPE]) == 0:
            numbers = rsa.RSAPublicNumbers(int.from_bytes(key[Attribute.PUBLIC_EXPONENT], "big"),
                                           int.from_bytes(key[Attribute.MODULUS], "big"))
            public = numbers.public_key()
        else:
            from pkcs11.util.ec import encode_ec_public_key
            public = serialization.load_der_public_key(encode_ec_public_key(key))
    text = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path = _files().write_output(args["out"], text)
    return Result("exportPubKey", "key_file", data={"key_handle": args["key_handle"], "file": path,
                                                    "length": len(text)},
                  replay={"key_handle": args["key_handle"]})


def import_pub_key(backend, args: dict, secrets: dict) -> Result:
    public = pem.public_key(_files().read_input(args["file"], "public key"))
    template = {**_new_key_template(args, PUBLIC), **_public_attributes(public)}
    with token_call("C_CreateObject"):
        obj = objects.session_of(backend).create_object(template)
    return _imported("importPubKey", backend, obj, args)


def _public_attributes(public) -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from pkcs11 import Attribute
    from pkcs11.util import biginteger
    from pkcs11.util.ec import encode_named_curve_parameters
    from asn1crypto.core import OctetString

    if isinstance(public, ec.EllipticCurvePublicKey):
        point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {Attribute.KEY_TYPE: 3, Attribute.EC_PARAMS: encode_named_curve_parameters(public.curve.name),
                Attribute.EC_POINT: OctetString(point).dump(), Attribute.VERIFY: True}
    numbers = public.public_numbers()
    return {Attribute.KEY_TYPE: 0, Attribute.MODULUS: biginteger(numbers.n),
            Attribute.PUBLIC_EXPONENT: biginteger(numbers.e), Attribute.VERIFY: True,
            Attribute.ENCRYPT: True, Attribute.WRAP: True}


# -- private keys ------------------------------------------------------------------------------
def import_private_key(backend, args: dict, secrets: dict) -> Result:
    from cryptography.hazmat.primitives.asymmetric import ec
    from pkcs11 import Attribute
    from pkcs11.util import biginteger
    from pkcs11.util.ec import encode_named_curve_parameters

    objects.find(backend, args["wrapping_key_handle"], (SECRET,), "-w needs an AES key")
    private = pem.private_key(_files().read_input(args["file"], "private key"), secrets.get("passphrase"))
    template = _new_key_template(args, PRIVATE)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        template.update({Attribute.KEY_TYPE: 3, Attribute.SIGN: True,
                         Attribute.EC_PARAMS: encode_named_curve_parameters(private.curve.name),
                         Attribute.VALUE: biginteger(private.private_numbers().private_value)})
    else:
        n = private.private_numbers()
        template.update({Attribute.KEY_TYPE: 0, Attribute.SIGN: True, Attribute.DECRYPT: True,
                         Attribute.UNWRAP: True, Attribute.MODULUS: biginteger(n.public_numbers.n),
                         Attribute.PUBLIC_EXPONENT: biginteger(n.public_numbers.e),
                         Attribute.PRIVATE_EXPONENT: biginteger(n.d), Attribute.PRIME_1: biginteger(n.p),
                         Attribute.PRIME_2: biginteger(n.q), Attribute.EXPONENT_1: biginteger(n.dmp1),
                         Attribute.EXPONENT_2: biginteger(n.dmq1), Attribute.COEFFICIENT: biginteger(n.iqmp)})
    with token_call("C_CreateObject"):
        obj = objects.session_of(backend).create_object(template)
    return _imported("importPrivateKey", backend, obj, args)


def export_private_key(backend, args: dict, secrets: dict) -> Result:
    """Wrapped on the token (C_WrapKey, RFC 5649) and unwrapped on the host: with -wk the
    host holds the -w key's value; without it the token wraps under a one-time session AES
    key whose value the host may read. A non-extractable key is refused either way."""
    from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding
    from pkcs11 import Attribute, KeyType, Mechanism

    if args.get("mechanism") not in (None, int(WrapMechanism.AES_KEY_WRAP_PAD_PKCS5)):
        raise InvalidArgument("exportPrivateKey takes only -m 4")
    key = objects.find(backend, args["key_handle"], (PRIVATE,), "exportPrivateKey needs a private key")
    wrapping = objects.find(backend, args["wrapping_key_handle"], (SECRET,), "-w needs an AES key")
    session = objects.session_of(backend)
    one_time = None
    if args.get("wrapping_key_file"):
        host_key = _files().read_input(args["wrapping_key_file"], "wrapping key", limit=64)
    else:
        with token_call("C_GenerateKey (one-time wrapping key)"):
            one_time = wrapping = session.generate_key(
                KeyType.AES, 256, store=False, template={Attribute.SENSITIVE: False,
                                                         Attribute.EXTRACTABLE: True})
            host_key = bytes(one_time[Attribute.VALUE])
    try:
        with token_call("C_WrapKey (exportPrivateKey)"):
            wrapped = wrapping.wrap_key(key, mechanism=Mechanism.AES_KEY_WRAP_PAD)
    finally:
        if one_time is not None:
            one_time.destroy()
    try:
        der = aes_key_unwrap_with_padding(host_key, wrapped)
    except ValueError:
        raise InvalidArgument("the -wk file does not hold the -w key's value") from None
    text = pem.private_pem(_der_only(der), secrets.get("passphrase"))
    path = _files().write_output(args["out"], text, private=True)
    return Result("exportPrivateKey", "key_file", data={"key_handle": args["key_handle"],
                                                        "file": path, "length": len(text)},
                  replay={"key_handle": args["key_handle"]})


def _der_only(data: bytes) -> bytes:
    """The PKCS#8 SEQUENCE alone: SoftHSM pads CKM_AES_KEY_WRAP_PAD input with zero bytes
    (and counts them in the length), so the unwrapped bytes can run past the DER."""
    if len(data) < 2 or data[0] != 0x30:
        return data
    first = data[1]
    if first < 0x80:
        return data[:2 + first]
    width = first & 0x7F
    length = int.from_bytes(data[2:2 + width], "big")
    return data[:2 + width + length]


# -- wrap and unwrap ---------------------------------------------------------------------------
def _wrap_mechanism(args: dict, wrapping_class: int):
    from pkcs11 import MGF, Mechanism

    try:
        chosen = WrapMechanism(args.get("mechanism") or WrapMechanism.AES_KEY_WRAP_PAD_PKCS5)
    except ValueError:
        raise InvalidArgument(f"unknown wrapping mechanism {args['mechanism']}",
                              hint="-m 5, 6, 8 or 12 on a PKCS#11 token") from None
    table = {WrapMechanism.NIST_AES_WRAP_NO_PAD: (Mechanism.AES_KEY_WRAP, SECRET),
             WrapMechanism.NIST_AES_WRAP_PAD: (Mechanism.AES_KEY_WRAP_PAD, SECRET),
             WrapMechanism.RSA_OAEP: (Mechanism.RSA_PKCS_OAEP, None),
             WrapMechanism.RSA_PKCS: (Mechanism.RSA_PKCS, None)}
    if chosen not in table:
        raise HsmError(f"wrapping mechanism {chosen.name} (-m {int(chosen)}) is CloudHSM's own: "
                       "a PKCS#11 token does not offer it", reference="mechanism-not-supported",
                       hint="-m 6 (AES key wrap with padding, RFC 5649), 5, 8 (RSA OAEP) or 12")
    mechanism, needs = table[chosen]
    if (needs == SECRET) != (wrapping_class == SECRET):
        raise InvalidArgument(f"-m {int(chosen)} needs {'an AES' if needs == SECRET else 'an RSA'} "
                              "wrapping key")
    param = None
    if chosen == WrapMechanism.RSA_OAEP:
        hashed = WrapHash(args.get("hash") or WrapHash.SHA1)
        mech, mgf = OAEP_HASHES[hashed]
        param = (getattr(Mechanism, mech), getattr(MGF, mgf), None)
    return chosen, mechanism, param


def _oaep_hint(backend, chosen, param) -> str | None:
    if chosen == WrapMechanism.RSA_OAEP and param and param[0].name != "SHA_1":
        return ("this token may do RSA OAEP with SHA-1 only (SoftHSM does): try -t 2; "
                f"{backend.link.label} refused {param[0].name}")
    return None


def wrap_key(backend, args: dict, secrets: dict) -> Result:
    from pkcs11 import Attribute

    key = objects.find(backend, args["key_handle"], (PRIVATE, SECRET))
    wrapping = objects.find(backend, args["wrapping_key_handle"], (PUBLIC, SECRET))
    chosen, mechanism, param = _wrap_mechanism(args, int(wrapping[Attribute.CLASS]))
    try:
        with token_call(f"C_WrapKey ({mechanism.name})"):
            wrapped = wrapping.wrap_key(key, mechanism=mechanism, mechanism_param=param)
    except HsmError as error:
        error.hint = _oaep_hint(backend, chosen, param) or error.hint
        raise
    files = _files()
    if not args.get("noheader"):
        wrapped = files.with_header({"class": int(key[Attribute.CLASS]), "type": int(key[Attribute.KEY_TYPE]),
                                     "label": key[Attribute.LABEL]}, wrapped)
    path = files.write_output(args["out"], wrapped, key_material=True)
    return Result("wrapKey", "key_file", data={"key_handle": args["key_handle"], "file": path,
                                               "length": len(wrapped),
                                               "wrapping_key_handle": args["wrapping_key_handle"],
                                               "mechanism": chosen.name, "mechanism_id": int(chosen)},
                  replay={"key_handle": args["key_handle"]})


def unwrap_key(backend, args: dict, secrets: dict) -> Result:
    from pkcs11 import Attribute

    files = _files()
    header, wrapped = files.split_header(files.read_input(args["file"], "wrapped key"))
    unwrapping = objects.find(backend, args["wrapping_key_handle"], (PRIVATE, SECRET))
    chosen, mechanism, param = _wrap_mechanism(args, SECRET if int(unwrapping[Attribute.CLASS]) == SECRET else PUBLIC)
    header = header or {}
    key_class = args.get("key_class") or header.get("class")
    key_type = args.get("key_type") if args.get("key_type") is not None else header.get("type")
    label = args.get("label") or header.get("label")
    if key_class not in (PRIVATE, SECRET) or key_type is None or not label:
        raise InvalidArgument("unWrapKey of a file without a header needs -kc, -kt and -l",
                              hint="-kc 4 -kt 31 -l <label> for an AES key")
    template = _new_key_template({**args, "label": label}, key_class, extractable=not args.get("nex"))
    template.pop(Attribute.CLASS)
    from pkcs11 import DEFAULT, KeyType as P11KeyType, ObjectClass
    # python-pkcs11 writes every usage flag; a private key must not carry the public ones
    usage = {Attribute.ENCRYPT: DEFAULT, Attribute.VERIFY: DEFAULT, Attribute.WRAP: DEFAULT,
             Attribute.DERIVE: DEFAULT, Attribute.SIGN: True}
    if key_class == SECRET:
        usage = {**usage, Attribute.ENCRYPT: True, Attribute.WRAP: True, Attribute.SIGN: DEFAULT,
                 Attribute.DECRYPT: True, Attribute.UNWRAP: True}
    elif key_type == 0:
        usage = {**usage, Attribute.DECRYPT: True, Attribute.UNWRAP: True}
    else:
        usage = {**usage, Attribute.DECRYPT: DEFAULT, Attribute.UNWRAP: DEFAULT}
    try:
        with token_call(f"C_UnwrapKey ({mechanism.name})"):
            obj = unwrapping.unwrap_key(ObjectClass(key_class), P11KeyType(key_type), wrapped, mechanism=mechanism,
                                        mechanism_param=param, store=template.pop(Attribute.TOKEN),
                                        label=template.pop(Attribute.LABEL), id=template.pop(Attribute.ID),
                                        template={**template, **usage})
    except HsmError as error:
        error.hint = _oaep_hint(backend, chosen, param) or error.hint
        raise
    return _imported("unWrapKey", backend, obj, {**args, "label": label})


HANDLERS = {"exportPubKey": export_pub_key, "importPubKey": import_pub_key,
            "importPrivateKey": import_private_key, "exportPrivateKey": export_private_key,
            "wrapKey": wrap_key, "unWrapKey": unwrap_key}
