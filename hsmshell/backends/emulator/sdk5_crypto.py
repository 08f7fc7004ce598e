"""CloudHSM CLI's crypto sign / verify on the emulated HSMs (AWS's CloudHSM CLI pages).

Data and signatures are base64 on the command line (or raw bytes in the files of --data-path
and --signature-path). RSA signatures are the ones openssl makes and checks; ECDSA signatures
are raw r||s, as AWS documents. With --data-type digest the data is the hash already made
(for rsa-pkcs: a DER DigestInfo, RFC 8017 §9.2). ed25519 is PureEdDSA (RFC 8032 §5.1.6) over
at most 16,000 bytes, on hsm2m.medium clusters in non-FIPS mode only; its signatures are the
64 bytes R||S, as openssl makes them.
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature

from hsmshell.backends.emulator.crypto.material import load_public_key, public_der_of_private
from hsmshell.backends.emulator.crypto.mechanisms import HASHES, Scheme, sign_scheme, verify_scheme
from hsmshell.backends.key_files import inline_or_file
from hsmshell.backends.emulator.key_rules import require_flag, require_kind
from hsmshell.backends.emulator.sdk5_keys import selected
from hsmshell.backends.emulator.sdk5_users import sdk5
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.backends.emulator.info import require_non_fips
from hsmshell.model.key_formats import ecdsa_der, ecdsa_raw
from hsmshell.model.keys import DIGEST_INFO, ED25519, Attr, KeyClass, KeyType
from hsmshell.model.sdk5 import key_reference

KEY_TYPES = {"rsa-pkcs": KeyType.RSA, "rsa-pkcs-pss": KeyType.RSA, "ecdsa": KeyType.EC,
             "ed25519": KeyType.EC}
VERIFY_FAILED = "Signature verification failed"
ED25519_MAX_DATA = 16000


def _check_curve(cluster, key, mechanism: str, command: str) -> None:
    """ecdsa takes the NIST/secp256k1 curves, ed25519 the Edwards one (in non-FIPS mode)."""
    if mechanism not in ("ecdsa", "ed25519"):
        return
    edwards = int(key.attribute(Attr.MODULUS_BITS) or 0) == ED25519.nid
    if edwards != (mechanism == "ed25519"):
        raise InvalidArgument(f"{command} needs {'an Ed25519' if mechanism == 'ed25519' else 'an ECDSA (not Ed25519)'} key",
                              hint="crypto sign ed25519 for Ed25519 keys, ecdsa for the other EC curves")
    if edwards:
        require_non_fips(cluster.db, "ed25519")


def sign(cluster, args: dict, secrets: dict, mechanism: str) -> Result:
    command = f"crypto sign {mechanism}"
    view, key, used = selected(cluster, args, command, "key.use", filter_name="key_filter")
    require_kind(key, {KeyClass.PRIVATE}, f"{command} needs a private key", {KEY_TYPES[mechanism]})
    _check_curve(cluster, key, mechanism, command)
    require_flag(key, Attr.SIGN, "sign")
    private = view.store.private_key(key)
    if mechanism == "ed25519":
        return _signed(command, key, used, private.sign(_edwards_data(args)))
    data, scheme = _data_and_scheme(args, mechanism)
    signature = sign_scheme(private, scheme, _payload(args, mechanism, data))
    if mechanism == "ecdsa":               # AWS documents raw r || s; cryptography makes DER
        signature = ecdsa_raw(signature, (private.curve.key_size + 7) // 8)
    return _signed(command, key, used, signature)


def _signed(command: str, key, used: list[int], signature: bytes) -> Result:
    result = Result(command, "sdk5_signature", data={"key_handle": key.handle},
                    replay={"key_handle": key.handle, **({"quorum_tokens": used} if used else {})})
    return sdk5(result, command, {"key-reference": key_reference(key.handle),
                                  "signature": base64.b64encode(signature).decode("ascii")},
                "sdk5_signature")


def verify(cluster, args: dict, secrets: dict, mechanism: str) -> Result:
    command = f"crypto verify {mechanism}"
    # AWS's key-usage quorum guards crypto sign only: verifying needs no token
    view, key, used = selected(cluster, args, command, None, filter_name="key_filter")
    require_kind(key, {KeyClass.PUBLIC, KeyClass.PRIVATE}, f"{command} needs an {mechanism} key",
                 {KEY_TYPES[mechanism]})
    _check_curve(cluster, key, mechanism, command)
    material = view.store.material(key)
    if key.key_class == KeyClass.PUBLIC:
        require_flag(key, Attr.VERIFY, "verify")
    else:
        material = public_der_of_private(material)
    public = load_public_key(material)
    if mechanism == "ed25519":
        try:
            public.verify(_signature(args), _edwards_data(args))
        except InvalidSignature:
            raise HsmError(VERIFY_FAILED, reference="signature-invalid") from None
        return _verified(command, key, used)
    data, scheme = _data_and_scheme(args, mechanism)
    signature = _signature(args)
    if mechanism == "ecdsa":
        size = (public.curve.key_size + 7) // 8
        signature = ecdsa_der(signature) if len(signature) == 2 * size else b""
    if not verify_scheme(public, scheme, _payload(args, mechanism, data), signature):
        raise HsmError(VERIFY_FAILED, reference="signature-invalid")
    return _verified(command, key, used)


def _verified(command: str, key, used: list[int]) -> Result:
    result = Result(command, "sdk5_message", data={"key_handle": key.handle, "verified": True},
                    replay={"key_handle": key.handle, **({"quorum_tokens": used} if used else {})})
    return sdk5(result, command, {"message": "Signature verified successfully"}, "sdk5_message")


def _edwards_data(args: dict) -> bytes:
    data = inline_or_file(args, "data", "data")
    if len(data) > ED25519_MAX_DATA:
        raise InvalidArgument(f"PureEdDSA signs at most {ED25519_MAX_DATA} bytes, not {len(data)}",
                              hint="AWS's ed25519ph (HashEdDSA) is for longer data; hsmshell does not offer it")
    return data


def _data_and_scheme(args: dict, mechanism: str) -> tuple[bytes, Scheme]:
    """The data to sign (from --data or --data-path) and how, checked: with --data-type digest
    the data must be that hash's size (for rsa-pkcs: a DER DigestInfo of it)."""
    data = inline_or_file(args, "data", "data")
    hash_name, prehashed = args["hash_function"], args.get("data_type") == "digest"
    if prehashed:
        pkcs = mechanism == "rsa-pkcs"
        expected = HASHES[hash_name].digest_size + (len(DIGEST_INFO[hash_name]) if pkcs else 0)
        if len(data) != expected:
            raise InvalidArgument(f"with --data-type digest the data must be {expected} bytes "
                                  f"({'a DER DigestInfo of ' if pkcs else ''}{hash_name})")
    if mechanism == "rsa-pkcs-pss":
        return data, Scheme("pss", hash_name, args["mgf"].removeprefix("mgf1-"), args["salt_length"], prehashed)
    return data, Scheme("ecdsa" if mechanism == "ecdsa" else "pkcs1v15", hash_name, prehashed=prehashed)


def _signature(args: dict) -> bytes:
    return inline_or_file(args, "signature", "signature", limit=65536)


def _payload(args: dict, mechanism: str, data: bytes) -> bytes:
    """What cryptography signs: with a DigestInfo given as the digest, the hash inside it."""
    if args.get("data_type") == "digest" and mechanism == "rsa-pkcs":
        prefix = DIGEST_INFO[args["hash_function"]]
        if not data.startswith(prefix):
            raise InvalidArgument(f"the data is not a DER DigestInfo of {args['hash_function']}")
        return data[len(prefix):]
    return data


def _handler(function, mechanism: str):
    def handle(cluster, args: dict, secrets: dict) -> Result:
        return function(cluster, args, secrets, mechanism)
    return handle


HANDLERS = {f"crypto {verb} {mechanism}": _handler(function, mechanism)
            for verb, function in (("sign", sign), ("verify", verify))
            for mechanism in KEY_TYPES}
