"""`hsmshell kms check|create-key-store|update-key-store|connect|disconnect|describe|delete-key-store`:
custom key stores, as KMS's API runs them. Each returns a Result.

Every operation holds kms.db's lock (store/KmsDB), then does its cluster work through
audited.on_cluster; kms.db commits only if the cluster's transaction did.
"""

from __future__ import annotations

from pathlib import Path

from hsmshell.backends.result import Result
from hsmshell.commands.kms import OPERATIONS
from hsmshell.errors import InvalidArgument
from hsmshell.kms import connection, requirements as req
from hsmshell.kms.audited import Call, decide, on_cluster, refusal
from hsmshell.kms.errors import ConnectionFailed, KmsException, invalid_state, not_found
from hsmshell.kms.shapes import store_entry
from hsmshell.kms.store import MAX_STORES, KeyStoreRow, KmsDB, new_store_id



def new_call(env, op: str, args: dict, secrets: dict | None = None) -> Call:
    call = Call(env, OPERATIONS[op], args, dict(secrets or {}))
    decide(call)
    return call


def store_named(kms: KmsDB, name: str, call: Call | None = None) -> KeyStoreRow:
    store = kms.store(name)
    if store is None:
        raise not_found(name)
    if call is not None:
        call.store_id = store.id
    return store


def refuse_without_log(call: Call) -> None:
    """A refused operation that has no cluster log to go to."""
    if not call.decision.allowed:
        raise refusal(call)


def cluster_of(env, store: KeyStoreRow) -> str | None:
    return connection.find_cluster(env.home, store.cluster_id, store.cluster_name)


def advance(kms: KmsDB, store: KeyStoreRow, cluster, cluster_name: str, effects: list) -> None:
    """A store left CONNECTING (`connect --no-wait`) makes its connection attempt now."""
    if store.state != "CONNECTING":
        return
    state, code, rotated = connection.attempt(cluster, store, kms.open_password(store), cluster_name, effects)
    _connected(kms, store, state, code, rotated, cluster.clock())


def _connected(kms, store, state, code, rotated, now) -> None:
    kms.set_state(store, state, code)
    if rotated is not None:
        kms.update_store(store, password=kms.seal_password(store.id, rotated), password_rotated=now)


# -- check --------------------------------------------------------------------------------------
def check(env, store_name: str | None, password: str | None, anchor_path: str | None) -> Result:
    call = new_call(env, "check", {"store": store_name, "trust_anchor": anchor_path,
                                "kmsuser_password_given": password is not None})
    anchor = _read_anchor(anchor_path) if anchor_path else None
    with KmsDB(env.home) as kms:
        store = store_named(kms, store_name) if store_name else None
        name = (cluster_of(env, store) if store else env.cluster)
        if store is not None and anchor is None:
            anchor, anchor_path = store.trust_anchor, f"of key store {store.name}"
        if store is not None and password is None:
            password = kms.open_password(store)
            given = "KMS has for " + store.name
        else:
            given = "given"
        cluster_id = store.cluster_id if store else None
        if name is None or not _exists(env, name):
            refuse_without_log(call)
            findings = [req.cluster_missing(cluster_id or name)]
            return _check_result(name, cluster_id, store, findings)
        user = next((s for s in kms.stores() if s.cluster_name == name and (store is None or s.id != store.id)), None)

        def work(cluster):
            findings = req.evaluate(
                cluster, name, password=password, password_from=given, trust_anchor=anchor,
                anchor_from=f"{anchor_path}" if anchor_path else "", in_use_by=user.name if user else None,
                kms_session=connection.session_id(store) if store and store.state == "CONNECTED" else None,
                keys=kms.keys(store.id) if store else ())
            return _check_result(name, cluster.db.meta("cluster_id"), store, findings)
        return on_cluster(call, name, work, record=False)


def _check_result(name, cluster_id, store, findings) -> Result:
    if store is not None:            # the fixes name the store being checked
        for finding in findings:
            finding.fix = [fix.replace("<store>", store.name) for fix in finding.fix]
    rows = [f.to_dict() for f in findings]
    unmet = [r for r in rows if r["Met"] is False]
    ready = {op: not any(op in r["NeededFor"] for r in unmet) for op in (req.CREATE, req.CONNECT, req.KEYS)}
    data = {"Cluster": name, "CloudHsmClusterId": cluster_id,
            "CustomKeyStoreName": store.name if store else None,
            "Ready": ready, "Unmet": len(unmet), "Requirements": rows}
    return Result("kms check", "kms_check", data=data)


def _exists(env, name: str) -> bool:
    from hsmshell.state.home import StateHome
    return (StateHome(env.home).cluster_dir(name) / "state.db").is_file()


def _read_anchor(path: str) -> str:
    from hsmshell.fileio import read_regular
    data = read_regular(Path(path).expanduser(), 5000, "trust anchor", shown_as=path)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise InvalidArgument(f"the trust anchor {path} is not a PEM certificate (customerCA.crt)") from None
    if not text:
        raise InvalidArgument("TrustAnchorCertificate is 1 to 5000 characters (the content of customerCA.crt)")
    return text


def _check_password(password: str) -> None:
    if not 7 <= len(password) <= 32:
        raise InvalidArgument("KeyStorePassword is 7 to 32 characters (kmsuser's password)",
                              reference="validation-exception")


# -- create, update, delete -----------------------------------------------------------------------
def create(env, name: str, anchor_path: str, password: str) -> Result:
    call = new_call(env, "create-key-store", {"store": name, "cluster": env.cluster, "trust_anchor": anchor_path},
                 {"kmsuser_password": password})
    if not 1 <= len(name) <= 256:
        raise InvalidArgument("CustomKeyStoreName is 1 to 256 characters")
    _check_password(password)
    anchor = _read_anchor(anchor_path)
    with KmsDB(env.home) as kms:
        if not _exists(env, env.cluster):
            refuse_without_log(call)
            raise KmsException("CloudHsmClusterNotFoundException", f"no cluster named {env.cluster}",
                               "hsmshell cluster list")
        existing = kms.store(name)
        stores = kms.stores()

        def work(cluster):
            cluster_id = cluster.db.meta("cluster_id")
            if existing is not None:
                if (existing.state == "DISCONNECTED" and existing.cluster_id == cluster_id
                        and req.same_certificate(existing.trust_anchor, anchor)
                        and kms.open_password(existing) == password):
                    return Result("kms create-key-store", "kms_store_created",
                                  data={"CustomKeyStoreId": existing.id, "Existing": True})
                raise KmsException("CustomKeyStoreNameInUseException", f"a key store named {name} exists",
                                   f"hsmshell kms describe {name}")
            if len(stores) >= MAX_STORES:
                raise KmsException("LimitExceededException", f"the account has {len(stores)} custom key "
                                   f"stores (at most {MAX_STORES})")
            user = next((s for s in stores if s.cluster_id == cluster_id), None)
            findings = req.evaluate(cluster, env.cluster, trust_anchor=anchor, anchor_from=anchor_path,
                                    in_use_by=user.name if user else None)
            refuse_unmet(findings, req.CREATE_ORDER)
            store = KeyStoreRow(new_store_id(), name, cluster_id, env.cluster, anchor, b"", None,
                                "DISCONNECTED", None, cluster.clock())
            store.password = kms.seal_password(store.id, password)
            kms.add_store(store)
            call.store_id = store.id
            return Result("kms create-key-store", "kms_store_created", data={"CustomKeyStoreId": store.id},
                          replay={"store": store.id})
        return on_cluster(call, env.cluster, work)


def refuse_unmet(findings, order) -> None:
    unmet = req.first_unmet(findings, order)
    if unmet is not None:
        raise KmsException(unmet.exception, f"{unmet.requirement}: {unmet.detail}",
                           "; ".join(unmet.fix) or None, detail={"requirement": unmet.id})


def update(env, store_name: str, new_name: str | None, password: str | None, cluster_id: str | None) -> Result:
    call = new_call(env, "update-key-store", {"store": store_name, "new_name": new_name, "cluster_id": cluster_id},
                 {"kmsuser_password": password} if password else None)
    if password is not None:
        _check_password(password)
    if not (new_name or password or cluster_id):
        raise InvalidArgument("say what to update: --new-name, --kmsuser-password or --cluster-id")
    with KmsDB(env.home) as kms:
        store = store_named(kms, store_name, call)
        target = connection.find_cluster(env.home, cluster_id) if cluster_id else cluster_of(env, store)
        if target is None:
            refuse_without_log(call)
            raise KmsException("CloudHsmClusterNotFoundException",
                               f"no cluster has the id {cluster_id or store.cluster_id}", "hsmshell cluster list")

        def work(cluster):
            only_rename = new_name and not (password or cluster_id)
            if store.state != "DISCONNECTED" and not (only_rename and store.state == "CONNECTED"):
                raise invalid_state(store, "update-key-store", "DISCONNECTED")
            if new_name and new_name != store.name and kms.store(new_name):
                raise KmsException("CustomKeyStoreNameInUseException", f"a key store named {new_name} exists")
            if cluster_id and cluster_id != store.cluster_id:
                if not req.same_certificate(cluster.db.meta("trust_anchor") or "", store.trust_anchor):
                    raise KmsException("CloudHsmClusterNotRelatedException",
                                       f"{cluster_id} does not share the backup history of {store.cluster_id}")
                refuse_unmet(req.evaluate(cluster, target), ("cluster-active", "subnets-two-azs",
                                                              "security-group", "two-hsms-two-azs"))
                kms.update_store(store, cluster_id=cluster_id, cluster_name=target)
            if new_name:
                kms.update_store(store, name=new_name)
            if password:
                kms.update_store(store, password=kms.seal_password(store.id, password), password_rotated=None)
            return Result("kms update-key-store", "kms_store", data=store_entry(store))
        return on_cluster(call, target, work)


def delete(env, store_name: str) -> Result:
    call = new_call(env, "delete-key-store", {"store": store_name})
    with KmsDB(env.home) as kms:
        store = store_named(kms, store_name, call)

        def work(cluster=None):
            if store.state != "DISCONNECTED":
                raise invalid_state(store, "delete-key-store", "DISCONNECTED")
            keys = kms.keys(store.id)
            if keys:
                raise KmsException("CustomKeyStoreHasCMKsException",
                                   f"key store {store.name} still holds {len(keys)} KMS key(s)")
            kms.delete_store(store)
            return Result("kms delete-key-store", "message",
                          data={"message": f"deleted key store {store.name} ({store.id}); the cluster, "
                                           "kmsuser and its keys are untouched", "CustomKeyStoreId": store.id})
        name = cluster_of(env, store)
        if name is None:
            refuse_without_log(call)
            return work()
        return on_cluster(call, name, work)


# -- connect, disconnect, describe ------------------------------------------------------------------
def connect(env, store_name: str, wait: bool = True) -> Result:
    call = new_call(env, "connect", {"store": store_name, "no_wait": not wait})
    with KmsDB(env.home) as kms:
        store = store_named(kms, store_name, call)
        name = cluster_of(env, store)
        if store.state in ("FAILED", "DISCONNECTING"):
            if name is None:
                refuse_without_log(call)
                raise invalid_state(store, "connect", "DISCONNECTED")
        if name is None:                  # the cluster is gone: nothing to log in to, no log to write
            refuse_without_log(call)
            if store.state == "DISCONNECTED":
                kms.set_state(store, "FAILED", "CLUSTER_NOT_FOUND")
            return _connect_result(store, ["CONNECTING", store.state])

        def work(cluster):
            if store.state in ("FAILED", "DISCONNECTING"):
                raise invalid_state(store, "connect", "DISCONNECTED (disconnect first)")
            if store.state in ("CONNECTED", "CONNECTING") and not wait:
                return _connect_result(store, [store.state])
            effects: list = []
            states = [store.state] if store.state != "DISCONNECTED" else []
            if store.state == "DISCONNECTED":
                refuse_unmet(req.evaluate(cluster, name), req.CONNECT_FAST)
                kms.set_state(store, "CONNECTING")
                states.append("CONNECTING")
            if wait and store.state == "CONNECTING":
                advance(kms, store, cluster, name, effects)
                states.append(store.state)
                if store.state == "CONNECTED":
                    call.actor = connection.as_kmsuser(cluster, store)
            return _connect_result(store, states, effects)
        return on_cluster(call, name, work)


def _connect_result(store: KeyStoreRow, states: list[str], effects: list | None = None) -> Result:
    data = {"CustomKeyStoreId": store.id, "CustomKeyStoreName": store.name, "ConnectionState": store.state,
            "States": states}
    result = Result("kms connect", "kms_connect", data=data, replay={"state": store.state, "effects": effects or []})
    if store.state == "FAILED":
        data["ConnectionErrorCode"] = store.error_code
        result.error = ConnectionFailed(store, f"hsmshell kms check {store.name} names the fix; then "
                                               f"hsmshell kms disconnect {store.name} and connect again")
    return result


def disconnect(env, store_name: str) -> Result:
    call = new_call(env, "disconnect", {"store": store_name})
    with KmsDB(env.home) as kms:
        store = store_named(kms, store_name, call)

        def work(cluster=None):
            if store.state in ("DISCONNECTED", "DISCONNECTING"):
                raise invalid_state(store, "disconnect", "CONNECTED, CONNECTING or FAILED")
            states, effects = ["DISCONNECTING", "DISCONNECTED"], []
            if cluster is not None and store.state == "CONNECTED":
                call.actor = connection.as_kmsuser(cluster, store)
            if cluster is not None:
                connection.disconnect(cluster, store, effects)
            kms.set_state(store, "DISCONNECTED")
            return Result("kms disconnect", "kms_connect",
                          data={"CustomKeyStoreId": store.id, "CustomKeyStoreName": store.name,
                                "ConnectionState": store.state, "States": states,
                                "KmsKeysUnavailable": sum(k.deletion_date is None for k in kms.keys(store.id))},
                          replay={"state": store.state, "effects": effects})
        name = cluster_of(env, store)
        if name is None:
            refuse_without_log(call)
            return work()
        return on_cluster(call, name, work)


def describe(env, store_name: str | None) -> Result:
    call = new_call(env, "describe", {"store": store_name})
    with KmsDB(env.home) as kms:
        stores = [store_named(kms, store_name, call)] if store_name else kms.stores()
        for store in stores:
            name = cluster_of(env, store)
            if store.state == "CONNECTING" and name is not None:
                call.store_id = store.id
                on_cluster(call, name, lambda cluster, s=store, n=name: _advanced(kms, s, cluster, n, call))
            elif name is not None and call.decision and not call.decision.allowed:
                on_cluster(call, name, lambda cluster: None)          # records the refusal, raises
        refuse_without_log(call)
        entries = [store_entry(s, len(kms.keys(s.id))) for s in stores]
    return Result("kms describe", "kms_stores", data={"CustomKeyStores": entries})


def _advanced(kms, store, cluster, name, call) -> Result:
    effects: list = []
    advance(kms, store, cluster, name, effects)
    if store.state == "CONNECTED":
        call.actor = connection.as_kmsuser(cluster, store)
    return Result("kms describe", "kms_stores", replay={"state": store.state, "effects": effects})
