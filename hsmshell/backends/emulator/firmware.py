"""The HSM's own fixed rules (the AWS SDK 3 permission table).

They apply whatever roles/ says, as real firmware would: a permissive policy cannot make the
emulated HSM do what a real one refuses.
"""

from __future__ import annotations

from hsmshell.errors import NotLoggedIn, PermissionDenied
from hsmshell.model.quorum import QuorumService
from hsmshell.model.users import CRYPTO_USERS, LOGGED_IN, OFFICERS, UserType

ANYONE = None                     # no login needed
QUORUM_USERS = OFFICERS | CRYPTO_USERS

# action id -> user types the firmware lets run it (ANYONE: also without a login)
FIRMWARE_RULES: dict[str, frozenset | None] = {
    "session.login": ANYONE,
    "session.logout": LOGGED_IN,
    "user.list": ANYONE,
    # CloudHSM CLI's cluster activate: anyone may try; only an unactivated cluster accepts it
    "cluster.activate": ANYONE,
    # CloudHSM CLI's cluster mtls: admins manage the trust anchors, admins and CUs read the level
    "cluster.mtls.manage": OFFICERS,
    "cluster.mtls.get": OFFICERS | CRYPTO_USERS,
    "hsm.info": ANYONE,
    "user.create": OFFICERS,
    "user.delete": OFFICERS,
    "user.password.other": OFFICERS,
    "user.password.self": LOGGED_IN,
    # server mode and the repairs made there
    "hsm.server_mode": ANYONE,
    "user.sync": OFFICERS,
    "key.sync": OFFICERS | CRYPTO_USERS,
    # quorum: approvers are COs (services 3, 4) and CUs (key quorum)
    "quorum.register": QUORUM_USERS,
    "quorum.m_value.set": OFFICERS,
    "quorum.m_value.get": LOGGED_IN,
    "quorum.validity.set": OFFICERS,
    "quorum.token.get": QUORUM_USERS,
    "quorum.token.approve": QUORUM_USERS,
    "quorum.token.list": LOGGED_IN,
    "quorum.token.delete": QUORUM_USERS,
    "quorum.token.sign": ANYONE,            # made on the client machine; no HSM involved
    # keys: key management and use are for crypto users only
    **{f"key.{action}": CRYPTO_USERS for action in (
        "generate", "find", "info", "attributes.get", "attributes.set", "share", "delete",
        "export", "import", "wrap", "unwrap", "use")},
    "key.find_all": OFFICERS | {UserType.AU},      # CMU findAllKeys: COs and the appliance user
    "key.trust": OFFICERS,          # only admins mark a key trusted (on any key; AWS's trusted keys)
    # extract, insert masked objects: COs, CUs and the AU (the SDK 3 permission table)
    "key.masked": OFFICERS | CRYPTO_USERS | {UserType.AU},
    "key.attributes.list": ANYONE,
}

# action id -> the quorum service whose M-of-N approval the HSM demands before running it
# (RET_MXN_AUTH_FAILED otherwise), whatever roles/quorum.toml says.
QUORUM_SERVICES: dict[str, QuorumService] = {
    "user.create": QuorumService.USER_MGMT,
    "user.delete": QuorumService.USER_MGMT,
    "user.password.other": QuorumService.USER_MGMT,
    "quorum.m_value.set": QuorumService.MISC_CO,
    "quorum.validity.set": QuorumService.MISC_CO,
    "cluster.mtls.manage": QuorumService.CLUSTER_MGMT,      # CloudHSM CLI's cluster service
    # a key with a use quorum value M >= 1: using it needs a key-usage token bound to it
    "key.use": QuorumService.KEY_USAGE,
    # a key with a manage quorum value M >= 1 (AWS's key-management service: wrap, unwrap,
    # share, unshare, set-attribute; KMU's exSymKey/imSymKey wrap too): a key-management token
    **{f"key.{action}": QuorumService.KEY_MANAGEMENT for action in (
        "wrap", "unwrap", "export", "import", "share", "attributes.set")},
}
# The arguments naming the keys a key-quorum-protected command uses (each needs its own token).
QUORUM_KEY_ARGUMENTS = ("key_handle", "wrapping_key_handle")

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

