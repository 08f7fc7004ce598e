"""Quorum (M of N) services, approver types and limits, as CloudHSM SDK 3 defines them.

Sources: AWS's cloudhsm_mgmt_util pages and AWS's key_mgmt_util pages

Services:

    id  name       what a token for it unlocks
    3   USER_MGMT  createUser, deleteUser, changePswd of *another* user (CMU)
    4   MISC_CO    setMValue (CMU)
    5   KEY_USAGE  one use of a key whose use quorum value is 1 or more (a crypto
                   operation: sign, ...). CloudHSM CLI's `key-usage` service.
    6   KEY_MANAGEMENT  one management operation on a key whose manage quorum value is 1 or
                   more: wrap or unwrap with it, export or import through it, share or
                   unshare it, change an attribute. CloudHSM CLI's `key-management` service.
    KEY_USAGE and KEY_MANAGEMENT tokens are bound to one key handle; their approvers are the
    key's users (CUs).

CloudHSM documents only services 3 and 4 for SDK 3 (its token printout has a `Key Handle:`
field but no documented service for key quorum), so 5 and 6 are hsmshell's choice: the next
free ids, named after the SDK 5 `key-usage` and `key-management` services (AWS's CloudHSM
CLI service table). Deleting a key needs neither: neither AWS tool guards it.

    7   CLUSTER_MGMT  CloudHSM CLI's `cluster` service (hsm2m.medium only): cluster mtls
                   register-trust-anchor, deregister-trust-anchor, set-enforcement; approvers
                   are COs (admins). SDK 3 has no such service; 7 is hsmshell's id for it.

M values: a service's M is 1 (quorum off; getMValue shows an unset service as [1]) or 2..8.
A key has two quorum values, use and manage (CloudHSM CLI's use-key-quorum-value and
manage-key-quorum-value): 0 (off, the default) or 1..8 approvals. KMU's -m_value sets both.
"""

from __future__ import annotations

from enum import IntEnum

from hsmshell.errors import InvalidArgument
from hsmshell.record import record


class QuorumService(IntEnum):
    USER_MGMT = 3
    MISC_CO = 4
    KEY_USAGE = 5
    KEY_MANAGEMENT = 6
    CLUSTER_MGMT = 7


class ApproverType(IntEnum):
    """The `Approver Type` of a CMU approval file (`# 2 for CO, 1 for CU`)."""
    CU = 1
    CO = 2


@record(frozen=True)
class ServiceInfo:
    service: QuorumService
    description: str
    commands: tuple[str, ...]
    approver_type: ApproverType
    bound_to_key: bool = False      # the token names a key handle (0 otherwise)

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def label(self) -> str:         # as getMValue prints it: 3[USER_MGMT]
        return f"{int(self.service)}[{self.service.name}]"


SERVICES: dict[QuorumService, ServiceInfo] = {
    QuorumService.USER_MGMT: ServiceInfo(
        QuorumService.USER_MGMT, "HSM user management",
        ("createUser", "deleteUser", "changePswd"), ApproverType.CO),
    QuorumService.MISC_CO: ServiceInfo(
        QuorumService.MISC_CO, "Miscellaneous CO service", ("setMValue",), ApproverType.CO),
    QuorumService.KEY_USAGE: ServiceInfo(
        QuorumService.KEY_USAGE, "Use or share a quorum-controlled key",
        ("sign", "verify"), ApproverType.CU, bound_to_key=True),
    QuorumService.KEY_MANAGEMENT: ServiceInfo(
        QuorumService.KEY_MANAGEMENT, "Manage a quorum-controlled key",
        ("wrapKey", "unWrapKey", "exSymKey", "imSymKey", "shareKey", "setAttribute"),
        ApproverType.CU, bound_to_key=True),
    QuorumService.CLUSTER_MGMT: ServiceInfo(
        QuorumService.CLUSTER_MGMT, "Cluster management (mTLS trust anchors and enforcement)",
        ("cluster mtls register-trust-anchor", "cluster mtls deregister-trust-anchor",
         "cluster mtls set-enforcement"), ApproverType.CO),
}

M_OFF = 1                       # a service M of 1 needs no token
M_MIN = 2
M_MAX = 8                       # 2023 docs; older docs said 20 for CO user management
KEY_M_OFF = 0                   # KMU -m_value default
KEY_M_MAX = 8

TOKEN_LIFETIME_SECONDS = 600    # tokens expire 10 minutes after creation
MAX_TOKENS_PER_HSM = 1024       # when full, a new token purges an expired one

# 245 = 256 - 11: the most PKCS#1 v1.5 can encrypt with RSA-2048, a leftover of the old
# registerMofnPubKey, which encrypted the registration string.
REGISTRATION_TOKEN_MAX_BYTES = 245
QUORUM_KEY_BITS = 2048
SIGNATURE_BYTES = QUORUM_KEY_BITS // 8


def parse_service(value: str | int) -> QuorumService:
    """A service from its id or name, as a user types it: `3`, `USER_MGMT`, `user_mgmt`."""
    text = str(value).strip()
    try:
        if text.isdigit():
            return QuorumService(int(text))
        return QuorumService[text.upper()]
    except (KeyError, ValueError):
        known = ", ".join(f"{int(s)} ({s.name})" for s in QuorumService)
        raise InvalidArgument(f"unknown quorum service {text[:20]!r}",
                              hint=f"quorum services: {known}") from None


def check_m_value(m: int) -> int:
    """A service M as setMValue accepts it: 1 (off) or 2..8."""
    if not isinstance(m, int) or isinstance(m, bool) or not M_OFF <= m <= M_MAX:
        raise InvalidArgument(f"M must be {M_OFF} (quorum off) or {M_MIN}..{M_MAX}")
    return m


def check_key_m_value(m: int) -> int:
    """A key's quorum value as KMU's -m_value accepts it: 0 (off) .. 8."""
    if not isinstance(m, int) or isinstance(m, bool) or not KEY_M_OFF <= m <= KEY_M_MAX:
        raise InvalidArgument(f"-m_value must be {KEY_M_OFF}..{KEY_M_MAX}")
    return m


def approvals_required(service: QuorumService, m: int) -> int:
    """How many approvals a token for `service` needs under M: 0 when quorum is off."""
    if SERVICES[service].bound_to_key:
        return max(m, 0)            # a key's -m_value counts approvals; 0 is off
    return m if m >= M_MIN else 0   # a service M of 1 is off
