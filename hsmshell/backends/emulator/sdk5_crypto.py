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
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from hsmshell.backends.emulator.crypto.material import load_public_key, public_der_of_private
from hsmshell.backends.key_files import inline_or_file
from hsmshell.backends.emulator.key_rules import require_flag, require_kind
from hsmshell.backends.emulator.sdk5_keys import selected
from hsmshell.backends.emulator.sdk5_users import sdk5
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.backends.emulator.info import require_non_fips
from hsmshell.model.keys import DIGEST_INFO, ED25519, Attr, KeyClass, KeyType
from hsmshell.model.sdk5 import key_reference

HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
          "sha384": hashes.SHA384, "sha512": hashes.SHA512}
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
    data, prehashed = _data(args)
    if mechanism == "ed25519":
        signature = private.sign(_edwards_data(data))
    elif mechanism == "ecdsa":
        algorithm = _algorithm(args, mechanism, prehashed, data)
        r, s = utils.decode_dss_signature(private.sign(_payload(args, mechanism, data), ec.ECDSA(algorithm)))
        size = (private.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        algorithm = _algorithm(args, mechanism, prehashed, data)
        signature = private.sign(_payload(args, mechanism, data), _padding(args, mechanism, signing=True), algorithm)
    result = Result(command, "sdk5_signature", data={"key_handle": key.handle},
                    replay={"key_handle": key.handle, **({"quorum_tokens": used} if used else {})})
    return sdk5(result, command, {"key-reference": key_reference(key.handle),
                                  "signature": base64.b64encode(signature).decode("ascii")},
                "sdk5_signature")


def verify(cluster, args: dict, secrets: dict, mechanism: str) -> Result:
    command = f"crypto verify {mechanism}"
    view, key, used = selected(cluster, args, command, "key.use", filter_name="key_filter")
    require_kind(key, {KeyClass.PUBLIC, KeyClass.PRIVATE}, f"{command} needs an {mechanism} key",
                 {KEY_TYPES[mechanism]})
    _check_curve(cluster, key, mechanism, command)
    material = view.store.material(key)
    if key.key_class == KeyClass.PUBLIC:
        require_flag(key, Attr.VERIFY, "verify")
    else:
        material = public_der_of_private(material)
    public = load_public_key(material)
    data, prehashed = _data(args)
    signature = _signature(args)
    try:
        if mechanism == "ed25519":
            public.verify(signature, _edwards_data(data))
            return _verified(command, key, used)
        algorithm = _algorithm(args, mechanism, prehashed, data)
        if mechanism == "ecdsa":
            size = (public.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                raise InvalidSignature()
            der = utils.encode_dss_signature(int.from_bytes(signature[:size], "big"),
                                             int.from_bytes(signature[size:], "big"))
            public.verify(der, _payload(args, mechanism, data), ec.ECDSA(algorithm))
        else:
            public.verify(signature, _payload(args, mechanism, data), _padding(args, mechanism, signing=False), algorithm)
    except InvalidSignature:
        raise HsmError(VERIFY_FAILED, reference="signature-invalid") from None
    return _verified(command, key, used)


def _verified(command: str, key, used: list[int]) -> Result:
    result = Result(command, "sdk5_message", data={"key_handle": key.handle, "verified": True},
                    replay={"key_handle": key.handle, **({"quorum_tokens": used} if used else {})})
    return sdk5(result, command, {"message": "Signature verified successfully"}, "sdk5_message")


def _edwards_data(data: bytes) -> bytes:
    if len(data) > ED25519_MAX_DATA:
        raise InvalidArgument(f"PureEdDSA signs at most {ED25519_MAX_DATA} bytes, not {len(data)}",
                              hint="AWS's ed25519ph (HashEdDSA) is for longer data; hsmshell does not offer it")
    return data


def _data(args: dict) -> tuple[bytes, bool]:
    return inline_or_file(args, "data", "data"), args.get("data_type") == "digest"


def _signature(args: dict) -> bytes:
    return inline_or_file(args, "signature", "signature", limit=65536)


def _algorithm(args: dict, mechanism: str, prehashed: bool, data: bytes):
    algorithm = HASHES[args["hash_function"]]()
    if not prehashed:
        return algorithm
    pkcs = mechanism == "rsa-pkcs"
    expected = algorithm.digest_size + (len(DIGEST_INFO[args["hash_function"]]) if pkcs else 0)
    if len(data) != expected:
        raise InvalidArgument(f"with --data-type digest the data must be {expected} bytes "
                              f"({'a DER DigestInfo of ' if pkcs else ''}{args['hash_function']})")
    return utils.Prehashed(algorithm)


def _payload(args: dict, mechanism: str, data: bytes) -> bytes:
    """What cryptography signs: with a DigestInfo given as the digest, the hash inside it."""
    if args.get("data_type") == "digest" and mechanism == "rsa-pkcs":
        prefix = DIGEST_INFO[args["hash_function"]]
        if not data.startswith(prefix):
            raise InvalidArgument(f"the data is not a DER DigestInfo of {args['hash_function']}")
        return data[len(prefix):]
    return data


def _padding(args: dict, mechanism: str, signing: bool):
    if mechanism == "rsa-pkcs":
        return padding.PKCS1v15()
    mgf_hash = HASHES[args["mgf"].removeprefix("mgf1-")]()
    return padding.PSS(mgf=padding.MGF1(mgf_hash), salt_length=args["salt_length"])


def _handler(function, mechanism: str):
    def handle(cluster, args: dict, secrets: dict) -> Result:
        return function(cluster, args, secrets, mechanism)
    return handle


HANDLERS = {f"crypto {verb} {mechanism}": _handler(function, mechanism)
            for verb, function in (("sign", sign), ("verify", verify))
            for mechanism in KEY_TYPES}
