"""Replaying `hsmshell kms ...` records (kind "kms") on the replay cluster.

KMS's decisions (which requirement failed, the ConnectionErrorCode) came from its own state,
which the cluster's log does not hold; what replay re-runs is what KMS did to the HSMs, as
the record kept it (`replay.effects`, backends/emulator/kms_side.py): a failed login of
kmsuser, its login and password rotation (random again: only KMS ever knew the password),
its logout, a KMS key's material with the handle it got. First the failed HSMs whose
replacement time had come, as for every record. What is compared: the exit class, the error
reference and the effects (a key getting another handle shows as a difference).
"""

from __future__ import annotations

from hsmshell.errors import HsmshellError, InvalidArgument


def replay_kms(db, clock, record: dict) -> tuple[dict, dict]:
    from hsmshell.backends.emulator import kms_side, lifecycle
    from hsmshell.backends.emulator.cluster import EmulatedCluster

    cluster = EmulatedCluster(db, clock)
    outcome, kept = record.get("outcome") or {}, record.get("replay") or {}
    effects = kept.get("effects") or []
    recorded = {"error_code": outcome.get("error_code"), "reference": outcome.get("reference"),
                "effects": effects, "hsms_replaced": record.get("hsms_replaced")}
    replaced = lifecycle.replace_due_hsms(cluster, record.get("hsms_replaced"))
    cluster.session_id = f"kms-{kept.get('store') or 'replay'}"      # KMS's session, as connection.py names it
    done, error = [], None
    try:
        with db.savepoint("kms"):
            for effect in effects:
                if not isinstance(effect, dict):
                    raise InvalidArgument("a recorded KMS effect is not an object")
                done.append(kms_side.apply(cluster, effect))
    except HsmshellError as exc:
        error = exc
    except (KeyError, TypeError, ValueError) as exc:        # a malformed record
        error = InvalidArgument(f"the record cannot be applied: {type(exc).__name__}: {exc}")
    replayed = {"error_code": outcome.get("error_code") if error is None else int(error.status),
                "reference": outcome.get("reference") if error is None else error.reference,
                "effects": done if error is None else f"stopped: {error.message}",
                "hsms_replaced": replaced or None}
    return recorded, replayed
