"""Approval files for approveToken: CMU's text format and hsmshell's JSON bundle.

Both parse to one ApprovalBundle: the token's bytes and who signed them. Paths inside an
approval file are relative to its directory. The parsers read the files an approval file
names through a ReadFile (userfiles.py), so load_approval_file is the only real I/O.

CMU text format (as AWS documents it; `#` starts a comment, field names ignore case and
extra spaces, every value ends with `;`):

    Multi Token File Path = officer1.token;
    Token File Path = ;                     # this line is required, even when empty
    Number of Approvals = 2;
    Approver Type = 2; # 2 for CO, 1 for CU  (each approver starts with its type)
    Approver Name = officer1;
    Approval File = officer1.token.sig1;
    Approver Type = 2;
    ...

JSON bundle (a file whose first character is `{`; unknown fields are refused):

    {"version": 1,
     "token_file": "officer1.token",          or  "token": "<base64 of the token file>"
     "approvals": [
       {"approver": "officer1", "type": "CO", "signature_file": "officer1.token.sig1"},
       {"approver": "officer2", "type": 2,    "signature": "<base64 of the signature>"}]}
    ("type" is "CO"/"CU" or 2/1, as in the CMU file)

Errors: a malformed file, a missing field, a wrong count, an unknown approver type or an
unreadable file is InvalidArgument; an approver listed twice or a signature of the wrong
size is InvalidApproval. Messages are one line and name the line number or the approver.
"""

from __future__ import annotations

import base64
import json
import os
import re

from hsmshell.errors import InvalidApproval, InvalidArgument
from hsmshell.model.quorum import SIGNATURE_BYTES, ApproverType
from hsmshell.quorum.tokenfile import MAX_TOKEN_FILE_BYTES, USER_NAME
from hsmshell.quorum.userfiles import ReadFile, read_user_file, relative_reader, shown
from hsmshell.record import record

MAX_APPROVAL_FILE_BYTES = 64 * 1024
MAX_APPROVALS = 32              # far above the largest M (8); bounds the files we read


@record(frozen=True)
class Approval:
    approver_name: str
    approver_type: ApproverType
    signature: bytes


@record(frozen=True)
class ApprovalBundle:
    token: bytes                            # the token file's bytes: what was signed
    approvals: tuple[Approval, ...]
    token_path: str | None = None           # as written in the file; None when inline

    @property
    def approver_names(self) -> tuple[str, ...]:
        return tuple(a.approver_name for a in self.approvals)


@record
class _Approver:
    """One approver as written, before its signature is read and checked."""
    where: str                              # "line 12" or "approvals[1]", for messages
    name: str | None = None
    approver_type: ApproverType | None = None
    signature: bytes | None = None
    signature_file: str | None = None


# -- files ------------------------------------------------------------------------------------
def load_approval_file(path: str | os.PathLike) -> ApprovalBundle:
    """Read and check an approval file (CMU text or JSON) and the files it names."""
    data = read_user_file(path, MAX_APPROVAL_FILE_BYTES, "approval file")
    return parse_approval(data, relative_reader(os.path.dirname(os.fspath(path))))


# -- parsing ----------------------------------------------------------------------------------
def parse_approval(data: bytes | str, read: ReadFile) -> ApprovalBundle:
    """An approval file's contents in either format; `read` fetches the files it names."""
    text = _as_text(data)
    if text.lstrip().startswith("{"):
        return parse_json_approval(text, read)
    return parse_cmu_approval(text, read)


_CMU_LINE = re.compile(r"(?P<field>[A-Za-z][A-Za-z ]*?)\s*=\s*(?P<value>[^;]*?)\s*;\s*(?:#.*)?")
_HEADER_FIELDS = ("multi token file path", "token file path", "number of approvals")
_APPROVER_FIELDS = {"approver name": "name", "approval file": "signature_file"}


def parse_cmu_approval(data: bytes | str, read: ReadFile) -> ApprovalBundle:
    """The CMU approval-file text format (see the module docstring)."""
    header: dict[str, tuple[str, int]] = {}
    approvers: list[_Approver] = []
    for number, line in enumerate(_as_text(data).splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _CMU_LINE.fullmatch(line)
        if not match:
            raise InvalidArgument(f"approval file line {number}: expected 'Field = value;'")
        written, value = " ".join(match["field"].split()), match["value"]
        field = written.lower()
        if field in _HEADER_FIELDS:
            if field in header:
                raise InvalidArgument(f"approval file line {number}: "
                                      f"{written} is given twice")
            header[field] = (value, number)
        elif field == "approver type":
            approvers.append(_Approver(f"line {number}", approver_type=_approver_type(
                value, f"approval file line {number}")))
        elif field in _APPROVER_FIELDS:
            attr = _APPROVER_FIELDS[field]
            if not approvers or getattr(approvers[-1], attr) is not None:
                raise InvalidArgument(f"approval file line {number}: {written} "
                                      "without its own 'Approver Type = ...;' line before it")
            setattr(approvers[-1], attr, value)
        else:
            raise InvalidArgument(f"approval file line {number}: unknown field {shown(written)}")
    token_path = _cmu_token_path(header)
    _check_cmu_count(header, approvers)
    for approver in approvers:
        for attr, label in (("name", "Approver Name"), ("signature_file", "Approval File")):
            if not getattr(approver, attr):
                raise InvalidArgument(f"approval file: the approver at {approver.where} "
                                      f"has no {label}")
    token = _read_token(read, token_path)
    return _bundle(token, token_path, approvers, read, "approval file")


def _cmu_token_path(header: dict[str, tuple[str, int]]) -> str:
    if "token file path" not in header:
        raise InvalidArgument("approval file: no 'Token File Path = ...;' line "
                              "(it is required, even when empty)")
    multi, single = header.get("multi token file path", ("", 0))[0], header["token file path"][0]
    if multi and single and multi != single:
        raise InvalidArgument("approval file: Multi Token File Path and Token File Path "
                              "name different files")
    if not (multi or single):
        raise InvalidArgument("approval file: no token file named",
                              hint="give it as 'Multi Token File Path = FILE;'")
    return multi or single


def _check_cmu_count(header: dict[str, tuple[str, int]], approvers: list[_Approver]) -> None:
    if "number of approvals" not in header:
        raise InvalidArgument("approval file: no 'Number of Approvals = N;' line")
    value, number = header["number of approvals"]
    if not re.fullmatch(r"[0-9]{1,4}", value) or int(value) != len(approvers):
        raise InvalidArgument(f"approval file line {number}: Number of Approvals is "
                              f"{shown(value)}, but the file lists {len(approvers)} approver(s)")


_JSON_KEYS = {"version", "token", "token_file", "approvals"}
_JSON_APPROVAL_KEYS = {"approver", "type", "signature", "signature_file"}


def parse_json_approval(data: bytes | str, read: ReadFile) -> ApprovalBundle:
    """hsmshell's JSON approval bundle (see the module docstring)."""
    try:
        document = json.loads(_as_text(data))
    except json.JSONDecodeError as error:
        raise InvalidArgument(f"approval bundle line {error.lineno}: not valid JSON "
                              f"({error.msg})") from None
    except (ValueError, RecursionError):
        raise InvalidArgument("approval bundle: not valid JSON") from None
    _refuse_unknown_keys(document, _JSON_KEYS, "approval bundle")
    if type(document.get("version")) is not int or document["version"] != 1:
        raise InvalidArgument("approval bundle: \"version\" must be 1")
    if ("token" in document) == ("token_file" in document):
        raise InvalidArgument("approval bundle: give exactly one of \"token\" (base64) "
                              "and \"token_file\" (a path)")
    if "token" in document:
        token_path, token = None, _base64(document["token"], "approval bundle: \"token\"")
        if not 0 < len(token) <= MAX_TOKEN_FILE_BYTES:
            raise InvalidArgument("approval bundle: \"token\" is empty or too large")
    else:
        token_path = _json_string(document["token_file"], "approval bundle: \"token_file\"")
        token = _read_token(read, token_path)
    entries = document.get("approvals")
    if not isinstance(entries, list) or not entries:
        raise InvalidArgument("approval bundle: \"approvals\" must be a non-empty list")
    return _bundle(token, token_path, [_json_approver(e, i) for i, e in enumerate(entries)],
                   read, "approval bundle")


def _json_approver(entry: object, index: int) -> _Approver:
    where = f"approvals[{index}]"
    _refuse_unknown_keys(entry, _JSON_APPROVAL_KEYS, f"approval bundle {where}")
    if ("signature" in entry) == ("signature_file" in entry):
        raise InvalidArgument(f"approval bundle {where}: give exactly one of \"signature\" "
                              "(base64) and \"signature_file\" (a path)")
    approver = _Approver(where, name=_json_string(entry.get("approver"),
                                                  f"approval bundle {where}.approver"),
                         approver_type=_approver_type(entry.get("type"),
                                                      f"approval bundle {where}"))
    if "signature" in entry:
        approver.signature = _base64(entry["signature"], f"approval bundle {where}.signature")
    else:
        approver.signature_file = _json_string(entry["signature_file"],
                                               f"approval bundle {where}.signature_file")
    return approver


# -- shared checks ----------------------------------------------------------------------------
def _bundle(token: bytes, token_path: str | None, approvers: list[_Approver],
            read: ReadFile, source: str) -> ApprovalBundle:
    if not approvers:
        raise InvalidArgument(f"{source}: no approvers")
    if len(approvers) > MAX_APPROVALS:
        raise InvalidArgument(f"{source}: {len(approvers)} approvers; "
                              f"at most {MAX_APPROVALS} are allowed")
    first_seen: dict[str, str] = {}
    for approver in approvers:
        if not USER_NAME.fullmatch(approver.name or ""):
            raise InvalidArgument(f"{source} {approver.where}: "
                                  f"{shown(approver.name or '')} is not a user name")
        key = approver.name.lower()         # CloudHSM user names ignore case
        if key in first_seen:
            raise InvalidApproval(f"approver {approver.name} is listed twice "
                                  f"({first_seen[key]} and {approver.where})")
        first_seen[key] = approver.where
    return ApprovalBundle(token, tuple(_approval(a, read) for a in approvers), token_path)


def _approval(approver: _Approver, read: ReadFile) -> Approval:
    signature = approver.signature
    if signature is None:
        signature = _read(read, approver.signature_file, SIGNATURE_BYTES + 1,
                          f"approver {approver.name}")
    if len(signature) != SIGNATURE_BYTES:
        size = len(signature) if len(signature) <= SIGNATURE_BYTES else \
            f"more than {SIGNATURE_BYTES}"
        raise InvalidApproval(f"approver {approver.name}: the signature is {size} bytes; "
                              f"an RSA-2048 signature is {SIGNATURE_BYTES}")
    return Approval(approver.name, approver.approver_type, signature)


def _read_token(read: ReadFile, path: str) -> bytes:
    token = _read(read, path, MAX_TOKEN_FILE_BYTES + 1, "token file")
    if not token or len(token) > MAX_TOKEN_FILE_BYTES:
        raise InvalidArgument(f"token file {shown(path)} is empty or larger than "
                              f"{MAX_TOKEN_FILE_BYTES // 1024} KiB")
    return token


def _read(read: ReadFile, path: str, n: int, context: str) -> bytes:
    try:
        return read(path, n)
    except InvalidArgument as error:
        raise InvalidArgument(f"{context}: {error.message}") from None


def _approver_type(value: object, where: str) -> ApproverType:
    text = str(value).strip().upper() if isinstance(value, (str, int)) else ""
    if text in ("1", "CU"):
        return ApproverType.CU
    if text in ("2", "CO"):
        return ApproverType.CO
    raise InvalidArgument(f"{where}: Approver Type must be 1 (CU) or 2 (CO), "
                          f"not {shown(str(value))}")


def _base64(value: object, what: str) -> bytes:
    try:
        return base64.b64decode("".join(_json_string(value, what).split()), validate=True)
    except ValueError:
        raise InvalidArgument(f"{what} is not valid base64") from None


def _json_string(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgument(f"{what} must be a non-empty string")
    return value


def _refuse_unknown_keys(document: object, known: set[str], where: str) -> None:
    if not isinstance(document, dict):
        raise InvalidArgument(f"{where}: expected a JSON object")
    unknown = sorted(set(document) - known)
    if unknown:
        raise InvalidArgument(f"{where}: unknown field {shown(unknown[0])}")


def _as_text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidArgument("approval file: not UTF-8 text") from None
