"""What one command's audit record says (docs/architecture.md, Audit log): who, what (secrets replaced by
a salted HMAC), the decision, the outcome, and what replay needs."""

from __future__ import annotations

from hsmshell.audit.keys import length_class
from hsmshell.status import ExitStatus


def command_record(attempt, env, session: str, hasher) -> dict:
    """The record of one pipeline attempt (pipeline.Attempt)."""
    invocation, result, error = attempt.invocation, attempt.result, attempt.error
    values = dict(attempt.secrets)
    if invocation is not None:
        for name, ref in invocation.secrets.items():
            if name not in values and ref.source == "literal":
                values[name] = ref.literal
    hashed = {name: hasher(value) for name, value in values.items()}
    outcome = outcome_fields(result, error)
    record = {
        "kind": "command", "cluster": env.cluster, "mode": env.mode,
        "source": attempt.source, "session": session,
        "principal": _principal(attempt.principal),
        "command": attempt.command, "opcode": invocation.spec.opcode if invocation else None,
        "text": attempt.redacted,
        "decision": attempt.decision.as_record() if attempt.decision else None,
        "outcome": outcome,
    }
    _note_backend(record, env)
    if invocation is not None:
        record["args"] = {k: v for k, v in invocation.args.items()
                          if k not in invocation.secrets and v is not None}
    if hashed:
        record["secrets"] = hashed
        # replay stands in a string for each secret that passes or fails the length rules
        # as it did: the log keeps only which (not the length, never the characters)
        record["secret_length_classes"] = {name: length_class(value) for name, value in values.items()}
    if attempt.dispatched:
        record["dispatched"] = True         # the backend ran it (replay re-runs exactly these)
    replay = result.replay if result is not None else getattr(error, "replay", None)
    if replay:
        record["replay"] = replay
    return record


def outcome_fields(result, error) -> dict:
    """What a command's record says of its outcome (replay builds the same to compare)."""
    failure = error or (result.error if result is not None else None)
    outcome = {"error_code": int(failure.status) if failure else int(ExitStatus.SUCCESS),
               "reference": failure.reference if failure else None,
               "message": failure.message if failure else None}
    if result is not None and result.servers:
        outcome["servers"] = [{"server": s.server, "hsm": s.hsm, "status": s.status,
                               **({"reference": s.error.reference} if s.error else {})}
                              for s in result.servers]
    return outcome


def session_end_record(env, session: str, principal) -> dict:
    """The logout when a shell ends with a user still logged in (CloudHSM logs
    CN_APP_FINALIZE when a session ends without a logout)."""
    return _note_backend({"kind": "session_end", "cluster": env.cluster, "mode": env.mode,
                          "session": session, "principal": _principal(principal),
                          "opcode": "CN_APP_FINALIZE"}, env)


def _note_backend(record: dict, env) -> dict:
    """A session on another backend (real tools, a PKCS#11 token) ran on HSMs the emulator
    cannot re-create: say so in its records, so `audit replay` skips them with that reason."""
    backend = getattr(env, "backend", "emulator")
    if backend != "emulator":
        record["backend"] = backend
    return record


def _principal(principal) -> dict | None:
    if principal is None:
        return None
    return {"user": principal.name, "type": principal.user_type, "id": principal.user_id}
