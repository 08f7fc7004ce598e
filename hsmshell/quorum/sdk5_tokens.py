"""CloudHSM CLI's quorum token files (AWS's CloudHSM CLI pages): JSON, version "2.0".

Operation tokens (`quorum token-sign generate --service user|quorum|cluster|key-usage|key-management`):

    {"version": "2.0", "service": "user-management", ["key_reference": "0x...",]
     "approval_data": "<base64>", "token": "<base64 SHA-256 of approval_data>",
     "signatures": [{"username": "...", "role": "admin", "signature": "<base64>"}, ...]}

Approvers decode `token` and sign it with `openssl pkeyutl -sign -inkey KEY -pkeyopt
digest:sha256` (an RSASSA-PKCS1-v1_5 signature of SHA-256(approval_data)) and append an entry.
Registration tokens (`--service registration`):

    {"version": "2.0", "tokens": [{"approval_data": "<b64>", "unsigned": "<b64 SHA-256>",
     "signed": ""}, ...]}

hsmshell's approval_data is its own token (quorum/tokenfile.py) behind a first line that
names the CloudHSM CLI service, so a token made for one vocabulary is refused by the other
(docs/sdk5.md). Pure: bytes in, values out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from hsmshell.errors import InvalidApproval
from hsmshell.model.quorum import ApproverType, QuorumService

VERSION = "2.0"
MARK = b"cloudhsm-cli-token/2.0 "
# --service -> (the SDK 3 service whose M applies, the file's "service" word)
SERVICES = {"user": (QuorumService.USER_MGMT, "user-management"),
            "quorum": (QuorumService.MISC_CO, "quorum"),
            "cluster": (QuorumService.CLUSTER_MGMT, "cluster"),
            "key-usage": (QuorumService.KEY_USAGE, "key-usage"),
            "key-management": (QuorumService.KEY_MANAGEMENT, "key-management")}
ROLES = {"admin": ApproverType.CO, "crypto-user": ApproverType.CU}
MAX_FILE_BYTES = 64 * 1024


def body(service: str, token_bytes: bytes) -> bytes:
    """approval_data: the CloudHSM CLI service word, then hsmshell's token."""
    return MARK + service.encode("ascii") + b"\n" + token_bytes


def split_body(data: bytes) -> tuple[str, bytes] | None:
    """(service word, hsmshell token) of an approval_data; None if no CloudHSM CLI made it."""
    if not data.startswith(MARK) or b"\n" not in data:
        return None
    head, token_bytes = data[len(MARK):].split(b"\n", 1)
    service = head.decode("ascii", "replace")
    return (service, token_bytes) if service in SERVICES else None


def digest_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def operation_document(approval_data: bytes, service: str, key_reference: str | None) -> dict:
    document = {"version": VERSION, "service": SERVICES[service][1]}
    if key_reference is not None:
        document["key_reference"] = key_reference
    document.update(approval_data=base64.b64encode(approval_data).decode("ascii"),
                    token=digest_b64(approval_data), signatures=[])
    return document


def registration_document(approval_data: list[bytes]) -> dict:
    return {"version": VERSION, "tokens": [
        {"approval_data": base64.b64encode(d).decode("ascii"), "unsigned": digest_b64(d), "signed": ""}
        for d in approval_data]}


def render(document: dict) -> bytes:
    return (json.dumps(document, indent=1) + "\n").encode("ascii")


def parse_operation(data: bytes) -> tuple[bytes, list[tuple[str, ApproverType | None, bytes]]]:
    """(approval_data, [(username, approver type or None, signature)]) of a signed token file."""
    document = _document(data)
    approval_data = _b64(document.get("approval_data"), "approval_data")
    if _b64(document.get("token"), "token") != hashlib.sha256(approval_data).digest():
        raise InvalidApproval("the token file's token is not the SHA-256 of its approval_data",
                              hint="give the file quorum token-sign generate wrote, with signatures added")
    entries = document.get("signatures")
    if not isinstance(entries, list):
        raise InvalidApproval("the token file has no signatures list")
    signatures = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("username"), str):
            raise InvalidApproval(f"signature {index + 1} of the token file has no username")
        role = entry.get("role")                  # the 2023 pages leave it out
        if role is not None and role not in ROLES:
            raise InvalidApproval(f"signature {index + 1}: role must be admin or crypto-user")
        signatures.append((entry["username"], ROLES.get(role),
                           _b64(entry.get("signature"), f"signature {index + 1}")))
    return approval_data, signatures


def parse_registration(data: bytes) -> list[tuple[bytes, bytes]]:
    """[(approval_data, signature)] of a signed registration token file."""
    document = _document(data)
    entries = document.get("tokens")
    if not isinstance(entries, list) or not entries:
        raise InvalidApproval("the registration token file has no tokens",
                              hint="quorum token-sign generate --service registration --token FILE")
    found = []
    for index, entry in enumerate(entries):
        where = f"token {index + 1}"
        if not isinstance(entry, dict):
            raise InvalidApproval(f"{where} of the registration file is not an object")
        approval_data = _b64(entry.get("approval_data"), f"{where}: approval_data")
        if entry.get("unsigned") != digest_b64(approval_data):
            raise InvalidApproval(f"{where}: unsigned is not the SHA-256 of approval_data")
        if not entry.get("signed"):
            raise InvalidApproval(f"{where} is not signed",
                                  hint="openssl pkeyutl -sign -inkey KEY -pkeyopt digest:sha256 "
                                       "over the decoded unsigned token; paste its base64 into signed")
        found.append((approval_data, _b64(entry["signed"], f"{where}: signed")))
    return found


def _document(data: bytes) -> dict:
    if len(data) > MAX_FILE_BYTES:
        raise InvalidApproval(f"the token file is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidApproval("not a CloudHSM CLI token file (JSON, version 2.0)",
                              hint="a getToken (CMU) token is approved with approveToken") from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise InvalidApproval("not a CloudHSM CLI token file: version must be \"2.0\"")
    return document


def _b64(value, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise InvalidApproval(f"the token file's {what} is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidApproval(f"the token file's {what} is not base64") from None
