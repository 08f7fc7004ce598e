"""Decide whether a principal may run an invocation, before anything is dispatched."""

from __future__ import annotations

from typing import Protocol

from hsmshell.model.users import Principal
from hsmshell.policy.roles import ANONYMOUS, Policy
from hsmshell.record import field, record


class QuorumLedger(Protocol):
    """What the policy needs to know about quorum: M per service, and approved tokens."""

    def m_value(self, service_id: int) -> int: ...

    def approvals(self, service_id: int, key_handle: int = 0) -> tuple[int, bool]:
        """(approvals present on the best token of this session, token approved?)"""
        ...

    def key_quorum(self, key_handle: int, service_id: int = 5) -> int:
        """Approvals a key's own quorum value for the service (5 use, 6 manage) requires; 0
        when it has none or is unknown (0 leaves per-key quorum to the HSM)."""
        ...


@record(frozen=True)
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


@record(frozen=True)
class Permission:
    """What help and completion say about a command, from the same rules `decide` applies:
    allowed in every form, in some (each form's condition and roles), or in none."""
    allowed: bool                    # in at least one form: Tab offers it, help does not dim it
    forms: tuple[dict, ...]          # per action: {"action", "when", "allowed", "roles"}

    @property
    def conditional(self) -> bool:
        return self.allowed and not all(form["allowed"] for form in self.forms)

    def summary(self) -> str:
        """`yes`, `no`, or `only <when>` (e.g. only for your own password)."""
        if not self.allowed:
            return "no"
        if not self.conditional:
            return "yes"
        return "only " + " or ".join(f["when"] for f in self.forms if f["allowed"])


def permission(policy: Policy, principal: Principal | None, spec) -> Permission:
    role = policy.role(principal.user_type if principal else ANONYMOUS)
    when = getattr(spec.resolve_action, "conditions", {})
    forms = tuple({"action": action, "when": when.get(action, f"as {action}"),
                   "allowed": role is not None and role.rule_for(action)[0],
                   "roles": [r for r in policy.roles_allowing(action) if r != ANONYMOUS]}
                  for action in sorted(spec.actions()))
    return Permission(any(f["allowed"] for f in forms), forms)


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
    if service is None or ledger is None:
        return Decision(True, action, rule)
    if service.key_arguments:
        return _key_quorum(spec, action, rule, service, args, ledger)
    m = ledger.m_value(service.id)
    if m <= 1:
        return Decision(True, action, rule)
    if args.get("approval"):
        # CloudHSM CLI's --approval FILE: the signatures travel with the command, so the HSM
        # checks them as it runs it (a bad or short file is its invalid-approval / quorum refusal)
        return Decision(True, action, rule, quorum={"service": service.id, "service_name": service.name,
                                                    "m": m, "approval_file": True})
    return _quorum_decision(spec, action, rule, service, m, *ledger.approvals(service.id))


def _key_quorum(spec, action, rule, service, args, ledger) -> Decision:
    """Per-key quorum: every quorum-controlled key the command names needs its own token."""
    required_for = ledger.key_quorum
    handles = dict.fromkeys(int(args[name]) for name in service.key_arguments
                            if isinstance(args.get(name), int) and args.get(name))
    decision = Decision(True, action, rule)
    for handle in handles:
        required = required_for(handle, service.id)
        if required > 0:
            decision = _quorum_decision(spec, action, rule, service, required,
                                        *ledger.approvals(service.id, handle), key_handle=handle)
            if not decision.allowed:
                return decision
    return decision


def _quorum_decision(spec, action, rule, service, m: int, present: int, approved: bool,
                     key_handle: int = 0) -> Decision:
    state = {"service": service.id, "service_name": service.name, "m": m,
             "approvals": present, "approved": approved}
    if key_handle:
        state["key_handle"] = key_handle
    if approved:
        return Decision(True, action, rule, quorum=state)
    whose = f"key {key_handle}" if key_handle else f"service {service.id} ({service.name})"
    key = f" -k {key_handle}" if key_handle else ""
    return Decision(
        False, action, f"quorum.toml: {service.name} protects {action}", "quorum-required",
        f"{spec.name} needs quorum approval: {whose} requires {m} approvals, "
        f"this session has {present}",
        f"getToken {service.id} <your-name> <token-file>{key}, have {m} approvers sign it, "
        f"then approveToken <approval-file>", state)


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
