"""Decide whether a principal may run an invocation, before anything is dispatched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from hsmshell.policy.roles import ANONYMOUS, Policy


@dataclass(frozen=True)
class Principal:
    name: str
    user_type: str          # as the HSM reports it: PRECO, PCO, CO, CU, AU
    user_id: int

    @property
    def label(self) -> str:
        return f"{self.name} ({self.user_type})"


class QuorumLedger(Protocol):
    """What the policy needs to know about quorum: M per service, and approved tokens."""

    def m_value(self, service_id: int) -> int: ...

    def approvals(self, service_id: int, key_handle: int = 0) -> tuple[int, bool]:
        """(approvals present on the best token of this session, token approved?)"""
        ...


@dataclass(frozen=True)
class Decision:
    allowed: bool
    action: str
    rule: str
    reference: str | None = None         # not-logged-in / permission-denied / quorum-required
    message: str = ""
    hint: str | None = None
    quorum: dict | None = field(default=None)

    def as_record(self) -> dict:
        return {"allowed": self.allowed, "action": self.action, "rule": self.rule,
                "reference": self.reference, "quorum": self.quorum}


def decide(policy: Policy, principal: Principal | None, spec, args: dict,
           ledger: QuorumLedger | None = None) -> Decision:
    action = spec.action_for(args, principal)
    role_name = principal.user_type if principal else ANONYMOUS
    role = policy.role(role_name)
    if role is None:
        allowed, rule = False, f"no role file for {role_name}"
    else:
        allowed, rule = role.rule_for(action)
    if not allowed:
        return _refusal(policy, principal, spec.name, action, rule)

    service = policy.service_for(action)
    if service is not None and ledger is not None:
        m = ledger.m_value(service.id)
        if m > 1:
            present, approved = ledger.approvals(service.id)
            state = {"service": service.id, "service_name": service.name, "m": m,
                     "approvals": present, "approved": approved}
            if not approved:
                return Decision(
                    False, action, f"quorum.toml: {service.name} protects {action}",
                    "quorum-required",
                    f"{spec.name} needs quorum approval: service {service.id} ({service.name}) "
                    f"requires {m} approvals, this session has {present}",
                    f"getToken {service.id} <your-name> <token-file>, have {m} approvers sign it, "
                    f"then approveToken <approval-file>", state)
            return Decision(True, action, rule, quorum=state)
    return Decision(True, action, rule)


def _refusal(policy: Policy, principal: Principal | None, command: str, action: str,
             rule: str) -> Decision:
    allowed_roles = [r for r in policy.roles_allowing(action) if r != ANONYMOUS]
    needs = " or ".join(allowed_roles) if allowed_roles else "a role that no role file grants"
    if principal is None:
        return Decision(False, action, rule, "not-logged-in",
                        f"{command} needs a login as {needs}; nobody is logged in",
                        f"loginHSM {allowed_roles[0] if allowed_roles else 'CO'} <user-name> -hpswd")
    hint = (f"log in as {needs} to run it" if allowed_roles
            else f"no role file allows action {action}")
    return Decision(False, action, rule, "permission-denied",
                    f"{command} needs role {needs}; you are {principal.label}", hint)
