"""`hsmshell configure -a <IP> [--cluster NAME]`: as `configure --cmu <IP>` does, ask the HSM
at that IP for the cluster's HSM list and write the client config (client.json) with every
HSM, numbered 0..N-1. The shell then uses that cluster by default."""

from __future__ import annotations

from hsmshell import client_config
from hsmshell.admin.session import cluster_directory, run_operation
from hsmshell.backends.result import Result
from hsmshell.errors import BackendUnavailable, InvalidArgument, NoSuchHsm
from hsmshell.state.db import ClusterDB
from hsmshell.state.home import StateHome


def configure(env, ip: str, cluster: str | None = None) -> Result:
    name = cluster or _cluster_with(env, ip)
    previous = client_config.configured_cluster(env.home) or "default"

    def action(emulated) -> Result:
        from hsmshell.backends.emulator.certificates import CLIENT_CA

        hsms = emulated.hsms()
        hsm = next((h for h in hsms if h.ip == ip), None)
        if hsm is None:
            raise NoSuchHsm(f"cluster '{name}' has no HSM with the IP {ip}")
        if not hsm.reachable:
            raise BackendUnavailable(f"cannot reach the HSM at {ip} ({hsm.hsm_id} is unavailable)",
                                     hint="give the IP of another HSM of the cluster")
        config = client_config.build(name, emulated.db.meta("cluster_id"), hsms,
                                     emulated.db.directory / CLIENT_CA)
        path = client_config.write(env.home, config)
        data = {"cluster": name, "config": str(path), "customer_ca": str(emulated.db.directory / CLIENT_CA),
                "servers": [{"server": s["server"], "hsm": s["hsm"], "ip": s["hostname"]} for s in config["servers"]],
                "previous_default": previous}      # configure changes the default cluster: say so
        if emulated.state == "UNINITIALIZED":
            data["note"] = f"cluster '{name}' is not initialized yet: the shell will refuse to connect until it is"
        return Result("configure", "client_config", data=data)

    return run_operation(env, name, "configure", action, writes=False)


def _cluster_with(env, ip: str) -> str:
    """The cluster one of whose HSMs has this IP (each cluster's VPC is its own, so the same
    IP may be in several: then --cluster must say which)."""
    home = StateHome(env.home)
    found = []
    for name in home.cluster_names():
        db = ClusterDB(cluster_directory(env, name))
        try:
            if db.conn.execute("SELECT 1 FROM hsms WHERE ip = ?", (ip,)).fetchone():
                found.append(name)
        finally:
            db.close()
    if not found:
        raise NoSuchHsm(f"no HSM of any cluster has the IP {ip}")
    if len(found) > 1:
        raise InvalidArgument(f"{ip} is an HSM address in clusters {', '.join(found)}",
                              hint="name the cluster: --cluster NAME")
    return found[0]
