"""Using keys: sign, verify (KMU mechanism ids) and aesWrapUnwrap (RFC 3394 over a file).

The owner, users a key is shared with, and (for public keys) every crypto user may use a
key, if its usage flag allows the operation. Signatures are in openssl's formats.
"""

from __future__ import annotations

from hsmshell.backends.emulator import crypto
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.key_files import parse_hex, read_input, write_output
from hsmshell.backends.emulator.key_rules import require_flag, require_kind, wrapping_aes_key
from hsmshell.backends.emulator.keystore import KeyStore
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.model.keys import AES_WRAP_UNWRAP_FILE_LIMIT, Attr, AesWrapMode, KeyClass

DEFAULT_OUTPUT = {AesWrapMode.WRAP: "wrapped_key", AesWrapMode.UNWRAP: "unwrapped_key"}


def sign(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store, mechanism, key, data = _signing(cluster, args, KeyClass.PRIVATE, Attr.SIGN, "sign")
    signature = crypto.sign_with(store.private_key(key), mechanism.mechanism_id, data)
    path = write_output(args["out"], signature)
    return _used("sign", key, mechanism, file=path, length=len(signature))


def verify(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    store, mechanism, key, data = _signing(cluster, args, KeyClass.PUBLIC, Attr.VERIFY, "verify")
    signature = read_input(args["signature_file"], "signature", limit=65536)
    if not crypto.verify(store.material(key), mechanism.mechanism_id, data, signature):
        raise HsmError("CSP Error: ERR_BAD_PKCS_DATA: the signature does not match the data and key",
                       reference="signature-invalid")
    return _used("verify", key, mechanism, verified=True, kind="signature_verified")


def _signing(cluster: EmulatedCluster, args: dict, key_class: KeyClass, flag: Attr, purpose: str):
    """(store, mechanism, key, data) of sign / verify, every argument checked."""
    mechanism = crypto.sign_mechanism(args["mechanism"])
    store = KeyStore(cluster)
    key = require_kind(store.key(args["key_handle"]), {key_class},
                       f"{purpose} needs a {key_class.name.lower()} key handle")
    return store, mechanism, require_flag(key, flag, purpose), read_input(args["file"], "data")


def _used(command: str, key, mechanism, kind: str = "key_file", **data) -> Result:
    return Result(command, kind, data={"key_handle": key.handle, "mechanism": mechanism.name,
                                       "mechanism_id": mechanism.mechanism_id, **data},
                  replay={"key_handle": key.handle})


def aes_wrap_unwrap(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    try:
        mode = AesWrapMode(args["mode"])
    except ValueError:
        raise InvalidArgument(f"invalid aesWrapUnwrap mode {args['mode']}",
                              hint="-m is 1 (wrap) or 0 (unwrap)") from None
    iv = parse_hex(args["iv"], "-i (the IV)") if args.get("iv") else None
    store = KeyStore(cluster)
    flag = Attr.WRAP if mode is AesWrapMode.WRAP else Attr.UNWRAP
    key = wrapping_aes_key(store.key(args["wrapping_key_handle"]), flag)
    data = read_input(args["file"], "input", limit=AES_WRAP_UNWRAP_FILE_LIMIT)
    output = crypto.aes_wrap_unwrap(mode, store.material(key), data, iv)
    path = write_output(args.get("out") or DEFAULT_OUTPUT[mode], output,
                        private=mode is AesWrapMode.UNWRAP, context=cluster.context)
    return Result("aesWrapUnwrap", "key_file", data={
        "key_handle": key.handle, "mode": mode.name.lower(), "file": path, "length": len(output),
        "default_iv": iv is None}, replay={"key_handle": key.handle})


HANDLERS = {"sign": sign, "verify": verify, "aesWrapUnwrap": aes_wrap_unwrap}
