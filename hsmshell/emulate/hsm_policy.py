"""The policy of the emulated tools: every action allowed, for every user type.

The real CMU and KMU check nothing themselves; the HSM decides. The emulator backend applies
the HSM's fixed rules (backends/emulator/firmware.py) and quorum whatever the policy says, so
with this policy those rules alone decide, as on a real cluster.
"""

from __future__ import annotations

from hsmshell.policy.roles import ANONYMOUS, Policy, Role
from hsmshell.model.users import UserType

USER_TYPES = (*UserType, ANONYMOUS)
SOURCE = "emulated tool: the HSM decides"


def hsm_side_policy() -> Policy:
    role = Role("HSM", "the HSM side of an emulated tool: the firmware rules decide", ("*",), (), SOURCE)
    # No quorum services: the emulated HSM demands quorum itself (RET_MXN_AUTH_FAILED).
    return Policy({name.upper(): role for name in USER_TYPES}, {}, "(built in: every action allowed)")
