"""Who the HSM itself lets run an operation (AWS's SDK 3 permission table), as each command's
spec declares it (`CommandSpec.hsm`). The emulated firmware (backends/emulator/firmware.py)
applies the rule whatever roles/ says, as real firmware would: a permissive policy cannot make
the emulated HSM do what a real one refuses.

A rule is a set of user types, or ANYONE (no login needed). A command checked as different
actions (changePswd of yourself or of another user) declares one rule per action: per_action.
"""

from __future__ import annotations

from hsmshell.model.users import CRYPTO_USERS, LOGGED_IN, OFFICERS, UserType
from hsmshell.record import record


class _Anyone:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ANYONE"


ANYONE = _Anyone()                        # no login needed
HsmRule = frozenset | _Anyone

QUORUM_USERS = OFFICERS | CRYPTO_USERS    # approvers: COs (services 3, 4) and CUs (key quorum)
OFFICERS_AND_AU = OFFICERS | {UserType.AU}    # CMU findAllKeys: COs and the appliance user
# extract, insert masked objects: COs, CUs and the AU (the SDK 3 permission table)
OFFICERS_USERS_AND_AU = OFFICERS | CRYPTO_USERS | {UserType.AU}
__all__ = ["ANYONE", "CRYPTO_USERS", "LOGGED_IN", "OFFICERS", "OFFICERS_AND_AU", "OFFICERS_USERS_AND_AU", "QUORUM_USERS",
           "PerAction", "per_action", "HsmRule"]


@record(frozen=True)
class PerAction:
    """One rule per action id, for a command whose action depends on its arguments."""
    rules: tuple[tuple[str, HsmRule], ...]

    def get(self, action: str) -> HsmRule | None:
        return next((rule for name, rule in self.rules if name == action), None)


def per_action(**rules: HsmRule) -> PerAction:
    """per_action(**{"user.password.self": LOGGED_IN, ...})"""
    return PerAction(tuple(rules.items()))
