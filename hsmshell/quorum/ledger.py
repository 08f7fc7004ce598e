"""Counting approvals against M: the quorum state the policy step reads. Pure; no I/O.

The backend takes a QuorumLedger snapshot (tokens, who approved each, who has a registered
quorum key, the M of each service); the policy asks it whether the principal's session holds
an approved token for the service (and key) a command needs.

Rules, stated once:
* only distinct approvers that have a registered quorum key count (names ignore case, as
  CloudHSM user names do); the requester may approve their own token;
* a token serves only the service, key handle and login session it was issued for;
* an expired token approves nothing. (CloudHSM may still accept a token after its validity
  reaches 0 s, until the HSM purges it; hsmshell does not rely on that.)
* when quorum is off (service M 1, key -m_value 0) no token is needed.
"""

from __future__ import annotations

from typing import Collection, Iterable, Mapping

from hsmshell.model.quorum import SERVICES, M_OFF, QuorumService, approvals_required
from hsmshell.quorum.tokenfile import Token
from hsmshell.record import field, record


@record(frozen=True)
class QuorumState:
    approved: bool
    present: int            # distinct registered approvers
    required: int           # approvals needed; 0 when quorum is off
    missing: int            # max(0, required - present)
    expired: bool
    token_id: int | None = None


@record(frozen=True)
class LedgerEntry:
    token: Token
    approvers: frozenset[str] = frozenset()


def evaluate_token(token: Token, approvers: Iterable[str], registered: Collection[str],
                   m: int, now: int) -> QuorumState:
    """The state of one token with these approvals, under M, at `now`."""
    required = approvals_required(token.service, m)
    eligible = {name.lower() for name in registered}
    present = len({name.lower() for name in approvers} & eligible)
    expired = token.expired(now)
    approved = required == 0 or (not expired and present >= required)
    return QuorumState(approved, present, required, max(0, required - present), expired,
                       token.token_id)


@record(frozen=True)
class QuorumLedger:
    entries: tuple[LedgerEntry, ...] = ()
    registered: frozenset[str] = frozenset()                # users with a quorum key
    m_values: Mapping[QuorumService, int] = field(default_factory=dict)   # unset = 1

    def m_for(self, service: QuorumService) -> int:
        if SERVICES[service].bound_to_key:
            raise ValueError("a key service's M is the key's quorum value: pass it as m=")
        return self.m_values.get(service, M_OFF)

    def state_for(self, service: QuorumService, session: str, now: int, *,
                  key_handle: int = 0, m: int | None = None,
                  eligible: Collection[str] | None = None) -> QuorumState:
        """The best token of `session` for `service` (and key): approved beats unexpired
        beats more approvals beats newer. `eligible` narrows who may approve (a key's
        users for KEY_USAGE and KEY_MANAGEMENT); it defaults to every registered user."""
        m = self.m_for(service) if m is None else m
        required = approvals_required(service, m)
        if required == 0:
            return QuorumState(True, 0, 0, 0, False)
        approvers = {name.lower() for name in self.registered}
        if eligible is not None:
            approvers &= {name.lower() for name in eligible}
        states = [evaluate_token(entry.token, entry.approvers, approvers, m, now)
                  for entry in self.entries
                  if (entry.token.service, entry.token.session, entry.token.key_handle)
                  == (service, session, key_handle)]
        if not states:
            return QuorumState(False, 0, required, required, False)
        return max(states, key=lambda s: (s.approved, not s.expired, s.present, s.token_id))
