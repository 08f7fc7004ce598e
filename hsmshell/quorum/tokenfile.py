"""The quorum token file: what getToken writes and what every approver signs.

CloudHSM does not document its token file, so hsmshell defines its own. It is ASCII text,
LF line endings, ten lines in this exact order, each ending in a newline:

    hsmshell-quorum-token/1
    id: 1
    service: 3
    node: hsm-7fd3a2b1
    key-handle: 0
    user: officer1
    session: 4c1e9d0a
    nonce: 9f86d081884c7d659a2feaa0c55ad015
    issued-at: 1700000000
    expires-at: 1700000600

    id          the token id the HSM gave it (1 and up), as listTokens shows it
    service     a quorum service id (hsmshell.model.quorum: 3 USER_MGMT, 4 MISC_CO,
                5 KEY_USAGE, 6 KEY_MANAGEMENT, 7 CLUSTER_MGMT)
    node        the id of the HSM that issued it (letters, digits, `._:-`)
    key-handle  the key the token is bound to for KEY_USAGE and KEY_MANAGEMENT, else 0
    user        who asked for it; only this user may spend it
    session     the login session it belongs to; logging out makes it useless
    nonce       random, lowercase hex (128 bits for new tokens), so that no two tokens and
                no two signatures are alike, even with equal fields
    issued-at / expires-at   UTC epoch seconds

The bytes are canonical: parse_token accepts exactly what render_token makes (no extra
spaces, no CRLF, no leading zeros), so a signature covers one meaning only. Approvers sign
the file as it is: `openssl dgst -sha256 -sign officer1.key -out officer1.token.sig1
officer1.token`.
"""

from __future__ import annotations

import os
import re

from hsmshell.errors import InvalidArgument
from hsmshell.model.quorum import SERVICES, TOKEN_LIFETIME_SECONDS, QuorumService
from hsmshell.record import record

MAGIC = "hsmshell-quorum-token/1"
MAX_TOKEN_FILE_BYTES = 64 * 1024
NONCE_BYTES = 16

_MAX_INT = 2**63 - 1                # fits an SQLite INTEGER
_NODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# Wider than CloudHSM's names ([A-Za-z0-9_], 31), so the file format never outlives them.
USER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}")
_SESSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_NONCE = re.compile(r"(?:[0-9a-f]{2}){16,64}")
_DIGITS = re.compile(r"[0-9]{1,19}")
# File field name -> Token attribute, in file order.
_FIELDS = (("id", "token_id"), ("service", "service"), ("node", "node"),
           ("key-handle", "key_handle"), ("user", "user"), ("session", "session"),
           ("nonce", "nonce"), ("issued-at", "issued_at"), ("expires-at", "expires_at"))
_INT_FIELDS = {"token_id", "service", "key_handle", "issued_at", "expires_at"}


@record(frozen=True)
class Token:
    token_id: int
    service: QuorumService
    node: str
    key_handle: int
    user: str
    session: str
    nonce: str
    issued_at: int
    expires_at: int

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "service", QuorumService(self.service))
        except ValueError:
            raise InvalidArgument(f"unknown quorum service {self.service!r}") from None
        _check_int("token id", self.token_id, low=1)
        _check_int("key handle", self.key_handle, low=0)
        _check_int("issued-at", self.issued_at, low=0)
        _check_int("expires-at", self.expires_at, low=self.issued_at + 1)
        _check_text("node", self.node, _NODE)
        _check_text("user", self.user, USER_NAME)
        _check_text("session", self.session, _SESSION)
        _check_text("nonce", self.nonce, _NONCE)
        if SERVICES[self.service].bound_to_key != (self.key_handle != 0):
            raise InvalidArgument(
                f"a {self.service.name} token needs "
                + ("a key handle" if SERVICES[self.service].bound_to_key else "key handle 0"))

    def expired(self, now: int) -> bool:
        return now >= self.expires_at

    def seconds_left(self, now: int) -> int:
        """listTokens' `Token Validity`."""
        return max(0, self.expires_at - now)


def new_token(token_id: int, service: QuorumService, node: str, user: str, session: str,
              now: int, *, key_handle: int = 0, lifetime: int = TOKEN_LIFETIME_SECONDS,
              nonce: str | None = None) -> Token:
    """A fresh token issued at `now`; the nonce is random unless given (tests, replay)."""
    return Token(token_id=token_id, service=service, node=node, key_handle=key_handle,
                 user=user, session=session, nonce=nonce or os.urandom(NONCE_BYTES).hex(),
                 issued_at=now, expires_at=now + lifetime)


def render_token(token: Token) -> bytes:
    """The canonical bytes of a token: the token file, and exactly what approvers sign."""
    lines = [MAGIC]
    for name, attr in _FIELDS:
        value = getattr(token, attr)
        lines.append(f"{name}: {int(value) if attr in _INT_FIELDS else value}")
    return ("\n".join(lines) + "\n").encode("ascii")


def parse_token(data: bytes) -> Token:
    """A Token from token-file bytes; InvalidArgument "not a token file" for anything else."""
    if len(data) > MAX_TOKEN_FILE_BYTES:
        raise _not_a_token(f"larger than {MAX_TOKEN_FILE_BYTES // 1024} KiB")
    try:
        text = data.decode("ascii")
    except (UnicodeDecodeError, AttributeError):
        raise _not_a_token("not ASCII text") from None
    lines = text.split("\n")
    if lines[0] != MAGIC:
        raise _not_a_token(f"the first line is not {MAGIC!r}")
    if len(lines) != len(_FIELDS) + 2 or lines[-1] != "":
        raise _not_a_token(f"expected {len(_FIELDS) + 1} lines, each ending in a newline")
    values = {}
    for number, (line, (name, attr)) in enumerate(zip(lines[1:], _FIELDS), start=2):
        prefix = f"{name}: "
        if not line.startswith(prefix):
            raise _not_a_token(f"line {number} should start with {prefix!r}")
        value = line[len(prefix):]
        if attr in _INT_FIELDS:
            if not _DIGITS.fullmatch(value):
                raise _not_a_token(f"line {number}: {name} is not a number")
            values[attr] = int(value)
        else:
            values[attr] = value
    try:
        token = Token(**values)
    except InvalidArgument as error:
        raise _not_a_token(error.message) from None
    if render_token(token) != data:     # e.g. leading zeros: one meaning, one byte string
        raise _not_a_token("not in canonical form")
    return token


def _not_a_token(reason: str) -> InvalidArgument:
    return InvalidArgument(f"not a token file: {reason}",
                           hint="give the file getToken wrote, unchanged")


def _check_int(what: str, value: object, *, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= _MAX_INT:
        raise InvalidArgument(f"bad {what}: must be an integer from {low} to {_MAX_INT}")


def _check_text(what: str, value: object, pattern: re.Pattern) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidArgument(f"bad {what}: does not match {pattern.pattern}")
