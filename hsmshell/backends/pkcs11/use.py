"""Using keys on the token: sign and verify with KMU's mechanism ids (mechanisms.py picks the
PKCS#11 mechanism the token offers)."""

from __future__ import annotations

from hsmshell.backends.pkcs11 import mechanisms, objects
from hsmshell.backends.pkcs11.errors import token_call
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument

PUBLIC, PRIVATE = 2, 3


def _prepared(backend, args: dict, key_class: int, purpose: str):
    from hsmshell.backends.key_files import read_input

    chosen = backend.link.sign_plan(args["mechanism"])
    key = objects.find(backend, args["key_handle"], (key_class,), purpose)
    is_ec = objects.key_type(backend, args["key_handle"], key) == 3
    if is_ec != (chosen.kmu.padding == "ecdsa"):
        raise InvalidArgument(f"mechanism {chosen.kmu.name} cannot be used with "
                              f"{'an EC' if is_ec else 'an RSA'} key",
                              hint="RSA keys take -m 0-9, EC keys take -m 15-19")
    return chosen, key, read_input(args["file"], "data")


def _used(command: str, args: dict, chosen, kind: str = "key_file", **data) -> Result:
    return Result(command, kind, data={"key_handle": args["key_handle"], "mechanism": chosen.kmu.name,
                                       "mechanism_id": chosen.kmu.mechanism_id,
                                       "token_mechanism": chosen.described, **data},
                  replay={"key_handle": args["key_handle"]})


def sign(backend, args: dict, secrets: dict) -> Result:
    from hsmshell.backends.key_files import write_output

    chosen, key, data = _prepared(backend, args, PRIVATE, "sign needs a private key handle")
    with token_call(f"C_Sign ({chosen.mechanism.name})"):
        signature = key.sign(chosen.token_input(data), mechanism=chosen.mechanism,
                             mechanism_param=chosen.param)
    signature = mechanisms.to_openssl(chosen, signature)
    path = write_output(args["out"], signature)
    return _used("sign", args, chosen, file=path, length=len(signature))


def verify(backend, args: dict, secrets: dict) -> Result:
    from hsmshell.backends.key_files import read_input

    from pkcs11 import Attribute

    chosen, key, data = _prepared(backend, args, PUBLIC, "verify needs a public key handle")
    signature = read_input(args["signature_file"], "signature", limit=65536)
    if chosen.kmu.padding == "ecdsa":
        point = bytes(key[Attribute.EC_POINT])
        signature = mechanisms.from_openssl(chosen, signature, _field_bytes(point))
    with token_call(f"C_Verify ({chosen.mechanism.name})"):
        good = bool(signature) and key.verify(chosen.token_input(data), signature,
                                              mechanism=chosen.mechanism, mechanism_param=chosen.param)
    if not good:
        raise HsmError("the signature does not match the data and key (CKR_SIGNATURE_INVALID)",
                       reference="signature-invalid")
    return _used("verify", args, chosen, kind="signature_verified", verified=True)


def _field_bytes(ec_point: bytes) -> int:
    """Coordinate size of an EC public key: CKA_EC_POINT is DER OCTET STRING { 04 || X || Y }."""
    from asn1crypto.core import OctetString
    try:
        point = OctetString.load(ec_point).native
    except ValueError:
        point = ec_point
    return (len(point) - 1) // 2


HANDLERS = {"sign": sign, "verify": verify}
