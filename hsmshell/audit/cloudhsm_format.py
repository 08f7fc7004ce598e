"""`audit export --format cloudhsm`: the log as an HSM's own audit stream, in the entry format
of AWS's cloudhsm_mgmt_util pages, with its opcode names (model/opcodes.py).

An HSM logs only what it executed: records the policy refused (never dispatched) are left
out, as are local commands. One stream per HSM (its Sequence No counts from 0x0 without
gaps); `--hsm` picks one by server number or HSM id, otherwise every stream follows the other,
each after a `Log stream :` line. Hex values AWS's documentation does not give are left out of
the Opcode line; response codes it does not give are hsmshell's (docs/batch-and-audit.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterator

from hsmshell.errors import InvalidArgument
from hsmshell.model.opcodes import OPCODE_HEX, OTHER_ERROR, RESPONSES, USER_TYPES
from hsmshell.model.users import OFFICERS, UserType

GENESIS_EVENTS = ("CN_INIT_TOKEN", "CN_GEN_PSWD_ENC_KEY", "CN_CREATE_APPLIANCE_USER", "CN_INIT_DONE")
USER_OPCODES = {"CN_LOGIN", "CN_LOGOUT", "CN_CREATE_USER", "CN_CREATE_CO", "CN_DELETE_USER",
                "CN_CHANGE_PSWD", "CN_CREATE_APPLIANCE_USER", "CN_APP_FINALIZE"}
KEY_FIELDS = (("key_handle", "Priv/Secret Key Handle"), ("private_key_handle", "Priv/Secret Key Handle"),
              ("public_key_handle", "Public Key Handle"))
FIRST_SESSION_HANDLE = 0x1004001


class _Stream:
    """The per-HSM counters: sequence numbers and session handles."""

    def __init__(self, server: int, hsm_id: str):
        self.server, self.hsm_id = server, hsm_id
        self.seq = 0
        self.sessions: dict[str, int] = {}

    def session_handle(self, session: str | None) -> int:
        if session not in self.sessions:
            self.sessions[session] = FIRST_SESSION_HANDLE + len(self.sessions)
        return self.sessions[session]


def cloudhsm_entries(genesis: dict, open_records: Callable[[], Iterator[dict]],
                     hsm: str | None) -> Iterator[str]:
    """The text of each entry (ending with a blank line), stream after stream. `genesis` names
    the HSMs; `open_records()` streams the (selected) records afresh for each stream."""
    streams = [_Stream(h["server"], h["hsm_id"]) for h in genesis.get("hsms", [])]
    if hsm is not None:
        streams = [s for s in streams if hsm in (str(s.server), s.hsm_id)]
        if not streams:
            raise InvalidArgument(f"no HSM '{hsm[:40]}' in this log",
                                  hint="give a server number or an HSM id: " +
                                       ", ".join(h["hsm_id"] for h in genesis.get("hsms", [])))
    for stream in streams:
        if len(streams) > 1:
            yield f"Log stream : {stream.hsm_id} (server {stream.server})\n\n"
        for record in open_records():
            yield from _record_entries(stream, record)


def _record_entries(stream: _Stream, record: dict) -> Iterator[str]:
    if record.get("kind") == "genesis":
        for opcode in GENESIS_EVENTS:
            user = ("app_user", UserType.AU) if opcode == "CN_CREATE_APPLIANCE_USER" else None
            yield _entry(stream, record["time"], opcode, None, None, user, {})
        return
    entry = _record_entry(stream, record)
    if entry:
        yield entry


def _record_entry(stream: _Stream, record: dict) -> str | None:
    kind = record.get("kind")
    principal = record.get("principal") or {}
    if kind == "session_end":
        return _entry(stream, record["time"], "CN_APP_FINALIZE", record.get("session"), None,
                      (principal.get("user"), principal.get("type")), {})
    if kind != "command" or not record.get("dispatched") or not record.get("opcode"):
        return None
    outcome = record.get("outcome") or {}
    servers = outcome.get("servers")
    reference = outcome.get("reference")
    if servers:
        mine = next((s for s in servers if s.get("server") == stream.server), None)
        if mine is None:
            return None
        reference = mine.get("reference") if mine.get("status") == "failed" else None
    args = record.get("args") or {}
    opcode = record["opcode"]
    if opcode == "CN_CREATE_USER" and args.get("user_type") in OFFICERS:
        opcode = "CN_CREATE_CO"
    user = None
    if opcode in USER_OPCODES:
        user = (args.get("user_name"), args.get("user_type")) if args.get("user_name") \
            else (principal.get("user"), principal.get("type"))
    return _entry(stream, record["time"], opcode, record.get("session"), reference, user,
                  {**args, **(record.get("replay") or {})})


def _entry(stream: _Stream, stamp: str, opcode: str, session: str | None, reference: str | None,
           user: tuple | None, handles: dict) -> str:
    moment = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    usecs = int(moment.timestamp()) * 1_000_000 + moment.microsecond
    code, text = RESPONSES.get(reference, OTHER_ERROR)
    hex_value = OPCODE_HEX.get(opcode)
    lines = [f"Time: {moment.strftime('%m/%d/%y %H:%M:%S.%f')}, usecs:{usecs}",
             f"Sequence No : {stream.seq:#x}",
             "Reboot counter : 0x1",
             "Command Type(hex) : CN_MGMT_CMD (0x0)",
             f"Opcode : {opcode}" + (f" ({hex_value:#x})" if hex_value is not None else ""),
             f"Session Handle : {stream.session_handle(session):#x}",
             f"Response : {code}:{text}",
             f"Log type : {_log_type(opcode, user, handles)}"]
    if user and user[0]:
        lines += [f"User Name : {user[0]}", f"User Type : {USER_TYPES.get(user[1], user[1])}"]
    for field, label in KEY_FIELDS:
        if isinstance(handles.get(field), int):
            lines.append(f"{label} : {handles[field]}")
    stream.seq += 1
    return "\n".join(lines) + "\n\n"


def _log_type(opcode: str, user, handles: dict) -> str:
    if opcode in USER_OPCODES and user:
        return "MGMT_USER_DETAILS_LOG (2)"
    if any(isinstance(handles.get(field), int) for field, _ in KEY_FIELDS):
        return "MGMT_KEY_DETAILS_LOG (1)"
    return "MINIMAL_LOG_ENTRY (0)"
