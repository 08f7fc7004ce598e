"""Moving key material through KMU (exSymKey, imSymKey, exportPrivateKey, importPrivateKey,
wrapKey, unWrapKey, aesWrapUnwrap, importPubKey, extractMaskedObject, insertMaskedObject;
getCaviumPrivKey, IsValidKeyHandlefile), read back into the Results of
backends/emulator/keys_transfer.py, keys_use.py and masked_objects.py.

KMU prints the files it wrote and the handles it made (AWS's pages show each session); the
rest of the emulator's Result is taken from the arguments, the file written, or asked of
the HSM with getAttribute (a made key's class, type, label and KCV).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hsmshell.backends.cloudhsm import kmu_text
from hsmshell.backends.cloudhsm.keys import _answer, _created, _result, attributes, key_info
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.model.keys import AesWrapMode, Attr, KeyClass, WrapMechanism

BER_LENGTH = re.compile(r"BER encoded key length is (\d+)")


def _no_passphrase(invocation) -> None:
    """`-pass` is hsmshell's own (an encrypted PEM); key_mgmt_util has no such option."""
    if invocation.args.get("passphrase") is not None:
        raise InvalidArgument(f"{invocation.name}: key_mgmt_util has no -pass; the real tool "
                              "writes and reads unencrypted PEM", hint="leave -pass out")


def _file(path: str) -> dict:
    shown = str(Path(path).expanduser())
    return {"file": shown, "length": os.path.getsize(shown)}


def _written(invocation, reply, **extra) -> Result:
    args = invocation.args
    data = {"key_handle": args["key_handle"], **_file(args["out"])}
    if args.get("wrapping_key_handle") is not None:
        data["wrapping_key_handle"] = args["wrapping_key_handle"]
    data.update(extra)
    return Result(invocation.name, "key_file", data=data, replay={"key_handle": args["key_handle"]})


# -- out ------------------------------------------------------------------------------------
def ex_sym_key(backend, invocation, secrets: dict) -> Result:
    reply = _answer(backend, invocation, secrets)
    return _written(invocation, reply)


def export_private_key(backend, invocation, secrets: dict) -> Result:
    _no_passphrase(invocation)
    reply = _answer(backend, invocation, secrets)
    return _written(invocation, reply, encrypted=False)


def wrap_key(backend, invocation, secrets: dict) -> Result:
    reply = _answer(backend, invocation, secrets)
    mechanism = WrapMechanism(invocation.args["mechanism"])      # KMU took it: it is a known one
    return _written(invocation, reply, mechanism=mechanism.name, mechanism_id=int(mechanism))


def aes_wrap_unwrap(backend, invocation, secrets: dict) -> Result:
    args = invocation.args
    _answer(backend, invocation, secrets)
    mode = AesWrapMode(args["mode"])
    out = args.get("out") or ("wrapped_key" if mode is AesWrapMode.WRAP else "unwrapped_key")
    return Result("aesWrapUnwrap", "key_file", data={
        "key_handle": args["wrapping_key_handle"], "mode": mode.name.lower(), **_file(out),
        "default_iv": not args.get("iv")}, replay={"key_handle": args["wrapping_key_handle"]})


# -- in -------------------------------------------------------------------------------------
def _made(backend, invocation, reply, key_class=None) -> Result:
    """A key KMU made from outside material: its class, type and label asked of the HSM
    (an unwrapped key's come from the file's header)."""
    handle = kmu_text.created_handle(reply.body)
    values = attributes(backend, handle) if handle is not None else {}
    data = _created(backend, invocation, values.get(int(Attr.CLASS), key_class),
                    values.get(int(Attr.KEY_TYPE), 0), {"key_handle": handle}, handle)
    data["label"] = values.get(int(Attr.LABEL), data["label"])
    data["extractable"] = bool(values.get(int(Attr.EXTRACTABLE), data["extractable"]))
    data["kcv"] = values.get(int(Attr.KCV), data["kcv"])
    return _result(invocation, reply, "key_created", data)


def im_sym_key(backend, invocation, secrets: dict) -> Result:
    return _made(backend, invocation, _answer(backend, invocation, secrets), KeyClass.SECRET)


def import_private_key(backend, invocation, secrets: dict) -> Result:
    _no_passphrase(invocation)
    reply = _answer(backend, invocation, secrets)
    result = _made(backend, invocation, reply, KeyClass.PRIVATE)
    found = next((m for m in map(BER_LENGTH.search, reply.body) if m), None)
    if found:
        result.data["ber_length"] = int(found.group(1))
    return result


def import_pub_key(backend, invocation, secrets: dict) -> Result:
    result = _made(backend, invocation, _answer(backend, invocation, secrets), KeyClass.PUBLIC)
    result.data.pop("attested", None)         # importPubKey has no -attest
    return result


def unwrap_key(backend, invocation, secrets: dict) -> Result:
    return _made(backend, invocation, _answer(backend, invocation, secrets))


def extract_masked_object(backend, invocation, secrets: dict) -> Result:
    return _written(invocation, _answer(backend, invocation, secrets))


def insert_masked_object(backend, invocation, secrets: dict) -> Result:
    """The new key keeps the masked key's label, id, owner and sharing: asked of the HSM
    (getAttribute -a 512, getKeyInfo), not taken from the arguments."""
    reply = _answer(backend, invocation, secrets)
    result = _made(backend, invocation, reply)
    handle = result.data["key_handle"]
    if handle is not None:
        values = attributes(backend, handle)
        result.data.update(id=values.get(int(Attr.ID), ""), session=values.get(int(Attr.TOKEN), 1) == 0,
                           **{k: v for k, v in key_info(backend, handle).items() if k != "session"})
    result.data.pop("attested", None)         # insertMaskedObject has no -attest
    return result


# -- fake PEM key handle files: the tool's one sentence is the answer ------------------------
FAKE_PEM_WRITTEN = re.compile(r"Private Key Handle is written to (.+) in fake PEM format")
KEY_FILE_CHECKED = re.compile(r"Input (?:key file has (real) private key|file has (?:invalid )?key handle: (\d+))")


def _sentence(backend, invocation, secrets: dict, pattern: re.Pattern) -> re.Match:
    """The tool's sentence; its status line names the command, not a Cfm call (kmu_text
    reads no code from it), so the sentence itself says it succeeded."""
    reply = backend.run_kmu(invocation, secrets)
    found = next((m for line in reply.body if (m := pattern.search(line))), None)
    if found is None:
        no_code = reply.code == 0xFF and not reply.nodes
        raise HsmError(f"{invocation.name} failed: {reply.text}", reference="unexpected-tool-output") \
            if no_code else reply.error(invocation.name)
    return found


def get_cavium_priv_key(backend, invocation, secrets: dict) -> Result:
    found = _sentence(backend, invocation, secrets, FAKE_PEM_WRITTEN)
    handle = invocation.args["key_handle"]
    return Result(invocation.name, "tool_report", replay={"key_handle": handle}, data={
        "key_handle": handle, "file": str(Path(invocation.args["out"]).expanduser()), "message": found.group(0)})


def is_valid_key_handle_file(backend, invocation, secrets: dict) -> Result:
    found = _sentence(backend, invocation, secrets, KEY_FILE_CHECKED)
    real = found.group(1) is not None
    return Result(invocation.name, "tool_answer", data={
        "file": str(invocation.args["file"]), "real_private_key": real,
        "key_handle": None if real else int(found.group(2)), "message": found.group(0)})


HANDLERS = {
    "extractMaskedObject": extract_masked_object, "insertMaskedObject": insert_masked_object,
    "getCaviumPrivKey": get_cavium_priv_key, "IsValidKeyHandlefile": is_valid_key_handle_file,
    "exSymKey": ex_sym_key, "imSymKey": im_sym_key, "exportPrivateKey": export_private_key,
    "importPrivateKey": import_private_key, "importPubKey": import_pub_key, "wrapKey": wrap_key,
    "unWrapKey": unwrap_key, "aesWrapUnwrap": aes_wrap_unwrap,
}
