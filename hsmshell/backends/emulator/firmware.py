"""The HSM's own fixed rules, as each command's spec declares them (`CommandSpec.hsm`,
model/hsm_rules.py: the AWS SDK 3 permission table), and the quorum services the HSM demands.

They apply whatever roles/ says, as real firmware would: a permissive policy cannot make the
emulated HSM do what a real one refuses. A spec that declares no rule is refused to everyone
(tests/unit/test_command_table.py fails on such a spec before a user meets it).
"""

from __future__ import annotations

from hsmshell.errors import NotLoggedIn, PermissionDenied
from hsmshell.model.hsm_rules import ANYONE
from hsmshell.model.quorum import QuorumService

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


def check(spec, action: str, principal) -> None:
    allowed = spec.hsm_rule(action)
    if allowed is ANYONE:
        return
    if principal is None:
        raise NotLoggedIn(f"{spec.name} failed: {NO_LOGIN}")
    if allowed is None or principal.user_type not in allowed:
        raise PermissionDenied(f"{spec.name} failed: {NOT_AUTHORIZED} "
                               f"(you are {principal.label})",
                               hint="the HSM itself refuses this, whatever roles/ allows")


def rules_by_action(table) -> dict:
    """action id -> the rule the table's specs declare for it (tests compare them to roles/)."""
    return {action: spec.hsm_rule(action) for spec in table if not spec.local for action in spec.actions()}
