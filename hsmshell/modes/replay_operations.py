"""Replaying `hsmshell cluster ...` records (kind "cluster") on the replay cluster.

Each record is applied as the operation ran (admin/session.py): first the failed HSMs whose
replacement time had come (the record's `hsms_replaced`), then the operation itself in a
savepoint. HSM changes (fail-hsm, replace, add-hsm, remove-hsm) run again through the same
lifecycle functions, given what the record kept: a new HSM's id and IP (checked to be a free
address of its zone's subnet), a failure's time. `initialize` seeds the recorded users on
the HSMs reachable then. Operations that change nothing replay can see (describe, diff,
configure, csr) only have their replacements applied.

What is compared: the exit class, the error reference, the operation's `replay` data (the
change: server numbers, zones, clone sources, renumbering, replacement times) and the
replacements, so a forged record shows as a divergence here or in the commands after it.
"""

from __future__ import annotations

from hsmshell.errors import HsmshellError, InvalidArgument
from hsmshell.status import ExitStatus

# operations that changed nothing but the replacements they triggered
UNCHANGING = frozenset({"describe", "diff", "configure", "csr"})


def known(operation) -> bool:
    from hsmshell.backends.emulator.lifecycle import CHANGES
    return operation in UNCHANGING or operation in CHANGES or operation == "initialize"


def replay_operation(db, clock, record: dict) -> tuple[dict, dict]:
    """Apply a cluster record to the replay cluster; (recorded, replayed) outcomes to compare."""
    from hsmshell.backends.emulator import lifecycle
    from hsmshell.backends.emulator.cluster import EmulatedCluster

    cluster = EmulatedCluster(db, clock)
    operation = record.get("operation")
    outcome, kept = record.get("outcome") or {}, record.get("replay")
    recorded = {"error_code": outcome.get("error_code"), "reference": outcome.get("reference"),
                "replay": kept, "hsms_replaced": record.get("hsms_replaced")}
    replaced = lifecycle.replace_due_hsms(cluster, record.get("hsms_replaced"))
    change, error = None, None
    try:
        with db.savepoint("operation"):
            change = _apply(cluster, operation, record.get("args") or {}, kept, outcome)
    except HsmshellError as exc:
        error = exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:     # a malformed record
        error = InvalidArgument(f"the record cannot be applied: {type(exc).__name__}: {exc}")
    if operation in UNCHANGING or (operation == "initialize" and outcome.get("error_code")):
        replayed = dict(recorded)            # replay cannot re-run it (files, or nothing to do)
    else:
        replayed = {"error_code": int(error.status) if error else int(ExitStatus.SUCCESS),
                    "reference": error.reference if error else None, "replay": change}
    replayed["hsms_replaced"] = replaced or None
    return recorded, replayed


def _apply(cluster, operation: str, args: dict, kept: dict | None, outcome: dict) -> dict | None:
    from hsmshell.backends.emulator import lifecycle

    if operation in lifecycle.CHANGES:
        return lifecycle.change(cluster, operation, args, kept)
    if operation == "initialize":
        # a failure came from the CA files or passphrase replay does not have: nothing changed
        return None if outcome.get("error_code") else _initialize(cluster, kept or {})
    return None                                  # UNCHANGING


def _initialize(cluster, kept: dict) -> dict:
    """`cluster initialize` without its certificates (the replay cluster is never connected
    to): the recorded initial users on every reachable HSM, state INITIALIZED."""
    from hsmshell.modes.replay_cluster import insert_users
    from hsmshell.backends.emulator import certificates
    from hsmshell.errors import BackendUnavailable

    certificates.require_uninitialized(cluster.db)
    hsms = [h.hsm_id for h in cluster.reachable_hsms()]
    if not hsms:
        raise BackendUnavailable("no HSM of the cluster is reachable to initialize it")
    users = kept.get("users") or []
    insert_users(cluster.conn, hsms, users)
    cluster.db.set_meta("cluster_state", "INITIALIZED")
    return {"users": users, "hsms": hsms}
