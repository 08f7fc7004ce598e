"""`hsmshell cluster create|list|describe|csr|initialize|fail-hsm|replace|add-hsm|remove-hsm|diff`:
the cluster as the CloudHSM API shows and changes it. Each returns a Result."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hsmshell.admin.session import run_operation
from hsmshell.backends.result import Result
from hsmshell.errors import BackendUnavailable, ClusterStateError, DifferencesFound, InvalidArgument
from hsmshell.model.words import plural
from hsmshell.state.db import ClusterDB
from hsmshell.fileio import write_file
from hsmshell.state.home import StateHome, require_complete


# -- creating and looking ----------------------------------------------------------------------
def create(env, name: str, hsms: int, azs: list[str] | None, subnets: list[str] | None,
           replace_after: float | None, hsm_type: str | None = None, mode: str | None = None) -> Result:
    from hsmshell.backends.emulator import topology
    from hsmshell.clusters import create_emulated_cluster

    home = StateHome(env.home).ensure()
    directory = home.cluster_dir(name)
    require_complete(directory)             # a damaged cluster is refused, never made again
    if (directory / "state.db").is_file():
        raise ClusterStateError(f"a cluster named '{name}' exists already", reference="cluster-exists",
                                hint=f"hsmshell cluster describe {name}")
    zones = tuple(azs) if azs else topology.DEFAULT_AZS
    hsm_type, mode = topology.check_type(hsm_type or topology.DEFAULT_HSM_TYPE,
                                         (mode or topology.DEFAULT_MODE).upper().replace("-", "_"))
    topology.plan_hsms(topology.plan_network("cluster-check", zones, subnets), hsms)  # refuse before writing
    existed = directory.exists()
    try:
        create_emulated_cluster(directory, name, hsms, env.clock, azs=zones, subnets=subnets,
                                initialized=False, replace_after=replace_after,
                                hsm_type=hsm_type, mode=mode)
    except BaseException:
        if not existed:                     # only what this call made is taken back
            shutil.rmtree(directory, ignore_errors=True)
        raise
    result = describe(env, name)
    result.command = "cluster create"
    return result


def list_clusters(env) -> Result:
    from hsmshell.client_config import configured_cluster

    home = StateHome(env.home)
    current = configured_cluster(home.root) if home.root.is_dir() else None
    rows = []
    for name in home.cluster_names():
        db = ClusterDB(home.cluster_dir(name))
        try:
            meta = db.meta_many("cluster_id", "cluster_state", "network", "created")
            states = [r[0] for r in db.conn.execute("SELECT state FROM hsms")]
        finally:
            db.close()
        network = json.loads(meta["network"]) if meta.get("network") else {}
        rows.append({"cluster": name, "cluster_id": meta.get("cluster_id"),
                     "state": meta.get("cluster_state", "INITIALIZED"),
                     "hsms_total": len(states), "hsms_reachable": states.count("ACTIVE"),
                     "availability_zones": [s["az"] for s in network.get("subnets", [])],
                     "configured": name == current})
    return Result("cluster list", "cluster_list", data={"clusters": rows})


def describe(env, name: str) -> Result:
    return run_operation(env, name, "describe", lambda cluster: describe_cluster(env, name, cluster),
                         writes=False)


def describe_cluster(env, name: str, cluster) -> Result:
    from hsmshell.backends.emulator import certificates, cluster_events, lifecycle
    from hsmshell.client_config import configured_cluster

    meta = cluster.db.meta_many("cluster_id", "cluster_state", "created")
    network = lifecycle.network(cluster)
    rows = cluster.conn.execute("SELECT hsm_id, server, az, subnet, eni_id, ip, state, failed_at, replace_at "
                                "FROM hsms ORDER BY server").fetchall()
    hsms = [{"server": server, "hsm": hsm_id, "az": az, "subnet": subnet, "eni": eni, "ip": ip,
             "state": state, "failed_at": failed_at, "replace_at": replace_at}
            for hsm_id, server, az, subnet, eni, ip, state, failed_at, replace_at in rows]
    directory = cluster.db.directory
    customer_ca = directory / certificates.CLIENT_CA
    data = {
        "cluster": name, "cluster_id": meta.get("cluster_id"), "state": meta.get("cluster_state", "INITIALIZED"),
        "created": float(meta["created"]) if meta.get("created") else None,
        **{k: network.get(k) for k in ("region", "vpc_id", "hsm_type", "mode", "log_group",
                                        "service_linked_role", "security_group")},
        "subnets": network.get("subnets", []), "replace_after": lifecycle.replace_after(cluster),
        "hsms": hsms, "certificate": certificates.describe(cluster.db),
        "customer_ca": str(customer_ca) if customer_ca.is_file() else None,
        "configured": configured_cluster(env.home) == name,
        "events": cluster_events.latest(cluster.conn),
    }
    return Result("cluster describe", "cluster", data=data)


def diff(env, name: str) -> Result:
    from hsmshell.backends.emulator.drift import cluster_drift

    def action(cluster):
        drift = cluster_drift(cluster)
        result = Result("cluster diff", "cluster_diff", data={"cluster": name, **drift})
        if not drift["in_sync"]:       # as diff(1): differences are an answer with its own status
            users, keys = plural(len(drift.get("users", [])), "user"), plural(len(drift.get("keys", [])), "key")
            result.error = DifferencesFound(f"the HSMs of {name} differ: {users} and {keys} out of step",
                                            hint="run the listed syncs (JSON: data.fix) in the shell, as a CO")
        return result
    return run_operation(env, name, "diff", action, writes=False)


# -- certificates and initialization ---------------------------------------------------------------
def write_csr(env, name: str, output: str | None) -> Result:
    from hsmshell.backends.emulator import certificates

    def action(cluster):
        certificates.require_uninitialized(cluster.db)
        pem = certificates.cluster_csr(cluster.db)
        target = Path(output).expanduser() if output else \
            cluster.db.directory / certificates.csr_file_name(cluster.db.meta("cluster_id"))
        write_file(target, pem, what="CSR", shown_as=output or target)
        return Result("cluster csr", "message", data={"message": f"wrote the cluster's CSR to {target}",
                                                      "csr": str(target)})
    return run_operation(env, name, "csr", action, {"output": output})


def initialize(env, name: str, ca_cert: str | None = None, ca_key: str | None = None,
               passphrase: str | None = None, self_signed: bool = False,
               signed_cert: str | None = None, trust_anchor: str | None = None) -> Result:
    """Sign the cluster's CSR with the customer's CA (or accept one signed elsewhere), install
    the issuing certificate for the client, seed the initial users: state INITIALIZED."""
    from hsmshell.audit.keys import SecretHasher
    from hsmshell.backends.emulator import certificates, cluster_events
    from hsmshell.backends.emulator.schema import seed_users
    from hsmshell.clusters import audited_users

    ways = [bool(self_signed), bool(ca_cert or ca_key), bool(signed_cert or trust_anchor)]
    if sum(ways) != 1 or (ways[1] and not (ca_cert and ca_key)) or (ways[2] and not (signed_cert and trust_anchor)):
        raise InvalidArgument("initialize with one of: --ca-cert C --ca-key K, --self-signed, "
                              "or --signed-cert HSM.crt --trust-anchor customerCA.crt")
    secret = None
    if passphrase is not None:
        from hsmshell.secret_sources import resolve_option_secret
        secret = resolve_option_secret(passphrase, env, "Enter PEM pass phrase:")

    def action(cluster):
        db, now = cluster.db, env.clock()
        certificates.require_uninitialized(db)
        hsms = cluster.reachable_hsms()
        if not hsms:
            raise BackendUnavailable("no HSM of the cluster is reachable to initialize it")
        csr = certificates.cluster_csr(db)
        if signed_cert:
            cert_pem, anchor_pem = _read_pem(signed_cert), _read_pem(trust_anchor)
            certificates.check_signed_certificate(csr, cert_pem, anchor_pem, now)
        else:
            ca, key = (certificates.self_signed_ca(now) if self_signed
                       else certificates.load_ca(Path(ca_cert), Path(ca_key), secret, now))
            cert_pem = certificates.sign_csr(csr, ca, key, now)
            anchor_pem = _pem(ca)
        files = certificates.install(db, db.directory, cert_pem, anchor_pem)
        users = seed_users(cluster.conn, [{"hsm_id": h.hsm_id, "server": h.server} for h in hsms], now,
                           db.held)
        db.set_meta("cluster_state", "INITIALIZED")
        cluster_events.record(cluster.conn, now, "initialized", issuer=certificates.describe(db)["issuer"])
        data = {"cluster": name, "state": "INITIALIZED", **files,
                "certificate_details": certificates.describe(db),
                "next": f"hsmshell configure -a {hsms[0].ip} --cluster {name}; then loginHSM PRECO admin "
                        "password and changePswd PRECO admin <new password> to activate"}
        return Result("cluster initialize", "cluster_initialized", data=data,
                      replay={"users": audited_users(users, SecretHasher(db.directory)),
                              "hsms": [h.hsm_id for h in hsms]})

    how = "self-signed" if self_signed else "ca" if ca_cert else "signed-certificate"
    return run_operation(env, name, "initialize", action,
                         {"with": how, "ca_cert": ca_cert, "signed_cert": signed_cert, "trust_anchor": trust_anchor})


def _pem(cert) -> bytes:
    from cryptography.hazmat.primitives import serialization
    return cert.public_bytes(serialization.Encoding.PEM)


def _read_pem(path: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise InvalidArgument(f"cannot read {path}: {exc.strerror}") from None


# -- HSMs failing, replaced, added, removed ----------------------------------------------------------
def change_hsms(env, name: str, operation: str, **args) -> Result:
    """fail-hsm, replace, add-hsm, remove-hsm (lifecycle.py does the work)."""
    from hsmshell.backends.emulator import lifecycle

    if "replace_after" in args and args["replace_after"] is None:
        args["replace_after"] = lifecycle.NEVER       # the audit record drops None values

    def action(cluster):
        change = lifecycle.change(cluster, operation, args)
        if operation == "fail-hsm":
            message = (f"{change['hsm']} (server {change['server']}, {change['ip']}) is unreachable" +
                       ("" if change["replace_at"] is None else
                        f"; it is replaced automatically {change['replace_at'] - change['failed_at']:.0f} s from now"))
        elif operation == "replace":
            message = f"{change['replaced']} replaced by {change['hsm']} ({change['ip']}, server {change['server']})"
        elif operation == "add-hsm":
            message = f"added {change['hsm']} in {change['az']} ({change['ip']}) as server {change['server']}"
        else:
            message = f"removed {change['removed']} (server {change['server']}, {change['ip']})"
        return Result(f"cluster {operation}", "hsm_change", data={"cluster": name, "message": message, **change},
                      replay=change)

    return run_operation(env, name, operation, action, args)
