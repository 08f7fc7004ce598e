"""The HSM's own fixed rules (the AWS SDK 3 permission table, reference §3.2).

They apply whatever roles/ says, as real firmware would: a permissive policy cannot make the
emulated HSM do what a real one refuses.
"""

from __future__ import annotations

from hsmshell.errors import NotLoggedIn, PermissionDenied

ANYONE = None                     # no login needed
OFFICERS = frozenset({"CO", "PCO"})
LOGGED_IN = frozenset({"PRECO", "PCO", "CO", "CU", "AU"})
CRYPTO_USERS = frozenset({"CU"})

# action id -> user types the firmware lets run it (ANYONE: also without a login)
FIRMWARE_RULES: dict[str, frozenset | None] = {
    "session.login": ANYONE,
    "session.logout": LOGGED_IN,
    "user.list": ANYONE,
    "hsm.info": ANYONE,
    "user.create": OFFICERS,
    "user.delete": OFFICERS,
    "user.password.other": OFFICERS,
    "user.password.self": LOGGED_IN,
}

NOT_AUTHORIZED = "HSM Error: The current logged in user is not authorized to do this operation"
NO_LOGIN = "HSM Error: No user is logged in to do this operation"


def check(action: str, principal, command: str) -> None:
    allowed = FIRMWARE_RULES.get(action, frozenset())
    if allowed is ANYONE:
        return
    if principal is None:
        raise NotLoggedIn(f"{command} failed: {NO_LOGIN}")
    if principal.user_type not in allowed:
        raise PermissionDenied(f"{command} failed: {NOT_AUTHORIZED} "
                               f"(you are {principal.label})",
                               hint="the HSM itself refuses this, whatever roles/ allows")

