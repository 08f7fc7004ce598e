"""The files key commands read and write (keys, data, signatures, wrapped keys).

Messages name the file and the reason, never its content. Files holding plaintext key
material are written 0600 through an exclusive temporary file (fileio.py). A wrapped key written by wrapKey
without -noheader starts with a one-line JSON header (class, type, label) after a magic
line, so unWrapKey can restore the key without -kc/-kt/-l; docs/keys.md documents it.
"""

from __future__ import annotations

import base64
import binascii
import json

from hsmshell import output_sandbox
from hsmshell.errors import InvalidArgument
from hsmshell.quorum.userfiles import read_user_file, write_user_file

MAX_INPUT_FILE = 16 * 1024 * 1024
WRAPPED_KEY_MAGIC = b"HSMSHELL-WRAPPED-KEY/1\n"


def read_input(path: str, what: str, limit: int = MAX_INPUT_FILE) -> bytes:
    return read_user_file(path, limit, f"{what} file")


def inline_or_file(args: dict, name: str, what: str, limit: int = MAX_INPUT_FILE) -> bytes:
    """The bytes given once, as base64 in --<name> or in the file --<name>-path names
    (the CloudHSM CLI's pair of options for data, signatures and wrapped keys)."""
    inline, path = args.get(name), args.get(f"{name}_path")
    option = "--" + name.replace("_", "-")
    if bool(inline) == bool(path):
        raise InvalidArgument(f"give the {what} once: {option} <BASE64> or {option}-path <FILE>")
    if path:
        return read_input(path, what, limit)
    try:
        return base64.b64decode(inline, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgument(f"{option} must be base64") from None


def write_output(path: str, data: bytes, *, private: bool = False, key_material: bool | None = None,
                 context=None) -> str:
    """Write `data` to `path` (replacing it, as KMU does); 0600 when it holds plaintext key
    material (`private`). `key_material` (default: `private`): key material leaves the HSM,
    wrapped or not, so the command's context (backends/context.py) notes it and batch mode
    commits its audit record at once (transactions.py). A backend that never groups commands
    (pkcs11: not transactional) passes no context."""
    if context is not None and (private if key_material is None else key_material):
        context.note_key_material()
    write_user_file(path, data, private=private)
    return output_sandbox.expanded(path)


def parse_hex(text: str, what: str) -> bytes:
    digits = text[2:] if text.lower().startswith("0x") else text
    try:
        value = bytes.fromhex(digits)
    except ValueError:
        raise InvalidArgument(f"{what} must be hexadecimal, such as A6A6A6A6A6A6A6A6") from None
    if not value:
        raise InvalidArgument(f"{what} is empty")
    return value


def with_header(header: dict, wrapped: bytes) -> bytes:
    return WRAPPED_KEY_MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + wrapped


def split_header(data: bytes) -> tuple[dict | None, bytes]:
    """(header, wrapped bytes); (None, data) for a file written with -noheader."""
    if not data.startswith(WRAPPED_KEY_MAGIC):
        return None, data
    line, sep, wrapped = data[len(WRAPPED_KEY_MAGIC):].partition(b"\n")
    try:
        header = json.loads(line) if sep else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or not {"class", "type", "label"} <= set(header):
        raise InvalidArgument("the wrapped key file has a damaged header")
    return header, wrapped

