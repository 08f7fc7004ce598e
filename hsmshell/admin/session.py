"""Running one `hsmshell cluster ...` operation on a cluster, as the shell runs a command:
under the cluster lock, in one transaction with its audit record (kind "cluster"), so the
cluster's audit log sees HSMs fail, get replaced, added or removed, and replay can follow.

Failed HSMs whose replacement time has come are replaced first (CloudHSM does it by itself;
the emulator checks whenever a command or operation runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from hsmshell.backends.result import Result
from hsmshell.errors import HsmshellError, NoSuchCluster
from hsmshell.state.db import ClusterDB
from hsmshell.state.home import StateHome, require_complete
from hsmshell.status import ExitStatus
from hsmshell.transactions import AuditedTransaction


def cluster_directory(env, name: str) -> Path:
    home = StateHome(env.home)
    directory = home.cluster_dir(name)
    require_complete(directory)             # part of a cluster is refused, never completed
    if not (directory / "state.db").is_file():
        raise NoSuchCluster(f"no cluster named '{name}' in {home.clusters}")
    return directory


def run_operation(env, name: str, operation: str, action: Callable, args: dict | None = None,
                  writes: bool = True, record: Callable | None = None) -> Result:
    """`action(cluster) -> Result` on cluster `name`. A read-only operation (writes=False) is
    audited only if it replaced failed HSMs on the way. `record(result, error, replaced)`
    builds another kind of record (`hsmshell kms`: kms/audited.py); such an operation is also
    audited when it failed, or returned a Result with an error (its changes kept)."""
    from hsmshell.audit.log import AuditLog
    from hsmshell.backends.emulator import lifecycle
    from hsmshell.backends.emulator.cluster import EmulatedCluster
    from hsmshell.backends.emulator.schema import create_tables

    db = ClusterDB(cluster_directory(env, name))
    audit = AuditLog(db, env.clock)
    result = error = None
    try:
        with db.exclusive():
            create_tables(db.conn)               # outside the transaction (executescript commits)
            cluster = EmulatedCluster(db, env.clock)
            with AuditedTransaction(db, audit) as transaction:
                replaced = lifecycle.replace_due_hsms(cluster)
                try:
                    with db.savepoint("operation"):
                        result = action(cluster)
                except HsmshellError as exc:
                    error = exc
                failed = error is not None or (result is not None and result.error is not None)
                transaction.sync = staged = writes or bool(replaced) or (record is not None and failed)
                if staged:
                    audit.stage(record(result, error, replaced) if record is not None
                                else _record(env, name, operation, args, result, error, replaced))
    finally:
        audit.close()
        db.close()
    if error is not None:
        raise error
    if replaced and result is not None:
        result.data["hsms_replaced"] = replaced
    return result


def _record(env, name, operation, args, result, error, replaced) -> dict:
    record = {"kind": "cluster", "cluster": name, "mode": "admin", "operation": operation,
              "args": {k: v for k, v in (args or {}).items() if v is not None},
              "outcome": {"error_code": int(error.status) if error else int(ExitStatus.SUCCESS),
                          "reference": error.reference if error else None,
                          "message": error.message if error else None}}
    if result is not None and result.replay:
        record["replay"] = result.replay
    if replaced:
        record["hsms_replaced"] = replaced
    return record
