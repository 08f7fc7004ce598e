"""What one command's audit record says (DESIGN.md, Audit log): who, what (secrets replaced by
a salted HMAC), the decision, the outcome, and what replay needs."""

from __future__ import annotations

from hsmshell.status import ExitStatus


def command_record(shell, invocation, command, text, source, decision, result, error,
                   secrets: dict) -> dict:
    principal = shell.actor                 # who ran it (loginHSM changes the backend's login)
    hasher = shell.secret_hasher
    hashed = {name: hasher(value) for name, value in secrets.items()}
    if invocation is not None:
        for name, ref in invocation.secrets.items():
            if name not in hashed and ref.source == "literal":
                hashed[name] = hasher(ref.literal)
    failure = error or (result.error if result is not None else None)
    outcome = {"error_code": int(failure.status) if failure else int(ExitStatus.SUCCESS),
               "reference": failure.reference if failure else None,
               "message": failure.message if failure else None}
    if result is not None and result.servers:
        outcome["servers"] = [{"server": s.server, "hsm": s.hsm, "status": s.status,
                               **({"reference": s.error.reference} if s.error else {})}
                              for s in result.servers]
    record = {
        "kind": "command", "cluster": shell.env.cluster, "mode": shell.env.mode,
        "source": source, "session": shell.session_id,
        "principal": ({"user": principal.name, "type": principal.user_type, "id": principal.user_id}
                      if principal else None),
        "command": command, "opcode": invocation.spec.opcode if invocation else None,
        "text": text,
        "decision": decision.as_record() if decision else None,
        "outcome": outcome,
    }
    if invocation is not None:
        record["args"] = {k: v for k, v in invocation.args.items()
                          if k not in invocation.secrets and v is not None}
    if hashed:
        record["secrets"] = hashed
    if result is not None and result.replay:
        record["replay"] = result.replay
    return record
