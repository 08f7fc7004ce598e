"""One `hsmshell kms ...` operation: the policy decides first, then the work runs on the
store's cluster under that cluster's lock, in one transaction with its audit record (kind
"kms"), as a shell command runs (admin/session.py does the same for `hsmshell cluster`).

The record names who acted on the HSMs: `kmsuser` (CU) when KMS worked as kmsuser (connect,
create-key, encrypt, decrypt, disconnect), else the caller (role KMS); `caller` always names
the caller. Secrets (the kmsuser password) appear only as salted HMACs; plaintext never.
An operation whose cluster no longer exists (CLUSTER_NOT_FOUND) has no log to go to.
"""

from __future__ import annotations

from typing import Callable

from hsmshell.backends.result import Result
from hsmshell.errors import PermissionDenied
from hsmshell.policy.engine import Principal
from hsmshell.record import field, record
from hsmshell.status import ExitStatus

CALLER = Principal("kms", "KMS", 0)       # whoever runs `hsmshell kms` (roles/kms.toml)


@record
class Call:
    env: object
    op: object                            # commands.kms.KmsOperation
    args: dict                            # as the audit record keeps them (no secrets)
    secrets: dict = field(default_factory=dict)
    decision: object = None
    actor: Principal | None = None        # set by the work when KMS acts as kmsuser
    store_id: str | None = None           # the store it worked on (replay names KMS's session by it)

    @property
    def text(self) -> str:
        shown = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in self.args.items()
                         if k not in ("store", "cluster") and v not in (None, False))
        target = self.args.get("store") or ""
        return " ".join(filter(None, [self.op.command, target, shown]))


def decide(call: Call):
    """The policy's decision for the caller (role KMS); raises PermissionDenied with it attached."""
    from hsmshell.commands import command_table
    from hsmshell.policy.engine import decide as policy_decide
    from hsmshell.policy.roles import load_policy

    policy = load_policy(call.env.roles_dir, command_table().actions())
    call.decision = policy_decide(policy, CALLER, call.op, call.args)
    return call.decision


def refusal(call: Call) -> PermissionDenied:
    d = call.decision
    return PermissionDenied(f"{call.op.command} ({call.op.action}): {d.message}", d.hint,
                            detail={"rule": d.rule})


def on_cluster(call: Call, cluster_name: str, work: Callable, record: bool = True) -> Result:
    """`work(cluster) -> Result` on the cluster (after the policy allowed it, else the refusal
    is recorded and raised), as admin/session.py runs a cluster operation. A Result with
    `error` set keeps its changes (a FAILED connect counts kmsuser's failed logins); a raised
    error undoes them. Recorded when it wrote (`record`), failed or replaced HSMs."""
    from hsmshell.admin.session import run_operation

    def action(cluster):
        if call.decision is not None and not call.decision.allowed:
            raise refusal(call)
        return work(cluster)
    return run_operation(call.env, cluster_name, call.op.name, action, writes=record,
                         record=lambda result, error, replaced: _record(call, cluster_name, result, error, replaced))


def _record(call: Call, cluster_name: str, result, error, replaced) -> dict:
    from hsmshell.audit.keys import SecretHasher
    from hsmshell.state.home import StateHome

    failure = error or (result.error if result is not None else None)
    caller = _who(CALLER)
    record = {"kind": "kms", "cluster": cluster_name, "mode": "kms", "source": "hsmshell kms",
              "command": call.op.command, "api": call.op.api, "text": call.text,
              "principal": _who(call.actor) if call.actor else caller, "caller": caller,
              "decision": call.decision.as_record() if call.decision else None,
              "args": {k: v for k, v in call.args.items() if v is not None},
              "outcome": {"error_code": int(failure.status) if failure else int(ExitStatus.SUCCESS),
                          "reference": failure.reference if failure else None,
                          "message": failure.message if failure else None}}
    if call.secrets:
        hasher = SecretHasher(StateHome(call.env.home).cluster_dir(cluster_name))
        record["secrets"] = {name: hasher(value) for name, value in call.secrets.items()}
    if result is not None and result.replay:
        record["replay"] = {**result.replay, **({"store": call.store_id} if call.store_id else {})}
    if replaced:
        record["hsms_replaced"] = replaced
    return record


def _who(principal: Principal) -> dict:
    return {"user": principal.name, "type": principal.user_type, "id": principal.user_id}
