"""The tools' error texts as hsmshell errors, so a refusal has the same reference whichever
backend met it (docs/architecture.md: not-logged-in and permission-denied exit 3, RET_MXN_AUTH_FAILED is
quorum-required, exit 4).

First KMU's return codes (AWS's key_mgmt_util pages, AWS's cloudhsm_mgmt_util pages), then the
texts: the HSM's own strings, and the messages hsmshell's emulated tools print where the
reference documents none. Anything else is hsm-error with the tool's text.
"""

from __future__ import annotations

import re

from hsmshell.errors import (BackendUnavailable, HsmError, InvalidArgument, KeyAccessDenied,
                             LimitExceeded, LoginFailed, NoSuchKey, NoSuchUser, NotLoggedIn, PermissionDenied,
                             QuorumRequired, UserLocked)

CODES = {
    0xA3: LoginFailed, 0x9D: NoSuchUser, 0xA8: NoSuchKey, 0xC6: KeyAccessDenied,
    0xDB: ("invalid-user-type", HsmError), 0xB3: ("fips-policy-violation", HsmError),
    0x1B: ("signature-invalid", HsmError), 0x30000085: BackendUnavailable,
}
TEXTS = [
    (r"RET_MXN_AUTH_FAILED", QuorumRequired),
    (r"RET_USER_LOGIN_FAILURE", LoginFailed),
    (r"Invalid User Type", ("invalid-user-type", HsmError)),
    (r"No user is logged in", NotLoggedIn),
    (r"not authorized to do this operation", PermissionDenied),
    (r"Invalid object handle", NoSuchKey),
    (r"Key Access is denied", KeyAccessDenied),
    (r"\blocked\b", UserLocked),
    (r"user isn't initialized|doesn't exist|does not exist|no user with id", NoSuchUser),
    (r"already logged in", ("already-logged-in", HsmError)),
    (r"already exists", ("user-exists", HsmError)),
    (r"FIPS policies", ("fips-policy-violation", HsmError)),
    (r"ERR_BAD_PKCS_DATA", ("signature-invalid", HsmError)),
    (r"Server in cluster is unavailable|is unavailable|not reachable", BackendUnavailable),
    (r"not attempted", ("not-attempted", HsmError)),
    # hsmshell's emulated tools: refusals AWS's documentation gives no text for
    (r"is logged in$|owns \d+ key|appliance user cannot be deleted|only your own key",
     PermissionDenied),
    (r"crypto officers with registered|can hold at most|already has \d+ users", LimitExceeded),
    (r"passwords are \d+ to \d+ characters|needs the key shared|is 0 to \d+, not|must be ",
     InvalidArgument),
    (r"not destroyable|cannot be used to", ("key-function-not-permitted", HsmError)),
    (r"not extractable", ("key-not-extractable", HsmError)),
    (r"holds no .* certificate", ("no-such-certificate", HsmError)),
]
_COMPILED = [(re.compile(pattern), kind) for pattern, kind in TEXTS]


def _make(kind, message: str):
    if isinstance(kind, tuple):
        reference, cls = kind
        return cls(message, reference=reference)
    return kind(message)


def error_from_text(message: str):
    for pattern, kind in _COMPILED:
        if pattern.search(message):
            return _make(kind, message)
    return HsmError(message)


def error_from_code(code: int, message: str):
    kind = CODES.get(code)
    return _make(kind, message) if kind is not None else error_from_text(message)
