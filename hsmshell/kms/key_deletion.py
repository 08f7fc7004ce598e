"""`hsmshell kms schedule-key-deletion|cancel-key-deletion|enable-key` (AWS's pages, "Deleting a
KMS key"): a key waits PendingDeletion for 7-30 days (whatever the store's state), then KMS
deletes its metadata and makes a best-effort deletion of its material in the cluster, as
kmsuser: it succeeds only if the store is CONNECTED (else the material stays, orphaned,
`BackingKeysDeletionStatus` FAILURE, as CloudTrail reports it). Due deletions happen when a
kms command next looks at the keys (`describe`, `describe-key`, `delete-key-store`, ...);
`--now` skips the waiting period for a rehearsal (hsmshell only). Cancelling leaves the key
Disabled; enable-key enables it.
"""

from __future__ import annotations

from hsmshell.backends.emulator import kms_side
from hsmshell.backends.result import Result
from hsmshell.errors import HsmshellError, InvalidArgument
from hsmshell.kms import connection
from hsmshell.kms.audited import on_cluster
from hsmshell.kms.errors import KmsException
from hsmshell.kms.keystores import cluster_of, new_call, refuse_without_log
from hsmshell.kms.shapes import iso, key_state
from hsmshell.kms.store import KmsDB

DAY = 86400.0


def _key(kms: KmsDB, key_ref: str):
    key = kms.key(key_ref)
    if key is None:
        raise KmsException("NotFoundException", f"no KMS key '{key_ref[:80]}'", "hsmshell kms describe")
    return key


def schedule(env, key_ref: str, days: int, now: bool) -> Result:
    call = new_call(env, "schedule-key-deletion", {"key_id": key_ref, "pending_window_in_days": days, "now": now})
    if not now and not 7 <= days <= 30:
        raise InvalidArgument("PendingWindowInDays is 7 to 30", hint="--now deletes at once (rehearsals only)")
    with KmsDB(env.home) as kms:
        key = _key(kms, key_ref)
        if key.deletion_date is not None and not now:
            raise KmsException("KMSInvalidStateException", f"KMS key {key.key_id} is PendingDeletion already")
        store = kms.store(key.store_id)
        call.store_id = key.store_id
        when = env.clock() + (0 if now else days * DAY)
        name = cluster_of(env, store) if store else None

        def work(cluster=None):
            kms.update_key(key, deletion_date=when)
            data = {"KeyId": key.arn, "DeletionDate": iso(when), "KeyState": "PendingDeletion",
                    "PendingWindowInDays": 0 if now else days}
            replay = {}
            if now:
                data.update(_delete(kms, key, store, cluster, call, replay))
                data["KeyState"] = "Deleted"
            return Result("kms schedule-key-deletion", "kms_key_deletion", data=data, replay=replay)
        if name is None:
            refuse_without_log(call)
            return work()
        return on_cluster(call, name, work)


def _delete(kms, key, store, cluster, call, replay: dict) -> dict:
    """Forget the key; delete its material as kmsuser when the store is connected."""
    status = "FAILURE"
    if cluster is not None and store is not None and store.state == "CONNECTED":
        call.actor = connection.as_kmsuser(cluster, store)
        effect = {"do": "delete-key", "handle": key.handle}
        try:
            with cluster.db.savepoint("kms_delete"):
                kms_side.apply(cluster, effect)
            status = "SUCCESS"
            replay.setdefault("effects", []).append(effect)
        except HsmshellError:
            status = "FAILURE"              # best effort, as KMS's
    kms.delete_key(key)
    return {"BackingKeysDeletionStatus": [{"backingKeyId": f"0x{key.backing_key_id}",
                                           "keyHandle": key.handle, "deletionStatus": status}]}


def purge_due(env, kms: KmsDB) -> list[dict]:
    """Delete the keys whose DeletionDate has come (each in its cluster's transaction)."""
    done = []
    for key in kms.keys():
        if key.deletion_date is None or key.deletion_date > env.clock():
            continue
        store = kms.store(key.store_id)
        call = new_call(env, "schedule-key-deletion", {"key_id": key.key_id, "due": True})
        call.store_id = key.store_id
        name = cluster_of(env, store) if store else None
        replay: dict = {}
        if name is None:
            done.append(_delete(kms, key, store, None, call, replay))
            continue
        done.append(on_cluster(call, name, lambda cluster, k=key, s=store, c=call, r=replay: Result(
            "kms schedule-key-deletion", "kms_key_deletion", data=_delete(kms, k, s, cluster, c, r), replay=r)).data)
    return done


def cancel(env, key_ref: str) -> Result:
    return _change(env, "cancel-key-deletion", key_ref, cancel=True)


def enable(env, key_ref: str) -> Result:
    return _change(env, "enable-key", key_ref, cancel=False)


def _change(env, op: str, key_ref: str, cancel: bool) -> Result:
    call = new_call(env, op, {"key_id": key_ref})
    with KmsDB(env.home) as kms:
        key = _key(kms, key_ref)
        store = kms.store(key.store_id)
        call.store_id = key.store_id
        if cancel and key.deletion_date is None:
            raise KmsException("KMSInvalidStateException", f"KMS key {key.key_id} is not PendingDeletion")
        if not cancel and key.deletion_date is not None:
            raise KmsException("KMSInvalidStateException", f"KMS key {key.key_id} is PendingDeletion",
                               f"hsmshell kms cancel-key-deletion --key-id {key.key_id}")
        name = cluster_of(env, store) if store else None

        def work(cluster=None):
            kms.update_key(key, deletion_date=None, enabled=not cancel)
            return Result(f"kms {op}", "kms_key_state",
                          data={"KeyId": key.arn, "KeyState": key_state(key, store)})
        if name is None:
            refuse_without_log(call)
            return work()
        return on_cluster(call, name, work)
