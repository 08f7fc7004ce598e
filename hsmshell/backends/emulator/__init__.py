"""The embedded emulator of a CloudHSM cluster: the default backend."""

from __future__ import annotations

from hsmshell.backends.emulator import firmware, info, users
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.emulator.schema import create_tables
from hsmshell.backends.result import Result
from hsmshell.errors import HsmshellError, UnknownCommand
from hsmshell.state.db import ClusterDB

HANDLERS = {**users.HANDLERS, **info.HANDLERS}


class EmulatorBackend:
    name = "emulator"

    def __init__(self, db: ClusterDB, clock):
        create_tables(db.conn)                  # new tables of a newer hsmshell appear here
        self.cluster = EmulatedCluster(db, clock)

    @property
    def principal(self):
        return self.cluster.principal

    def execute(self, invocation, secrets: dict[str, str]) -> Result:
        spec = invocation.spec
        handler = HANDLERS.get(spec.name)
        if handler is None:
            raise UnknownCommand(f"{spec.name} is not supported by the emulator backend")
        firmware.check(spec.action_for(invocation.args, self.principal), self.principal, spec.name)
        return handler(self.cluster, invocation.args, secrets)

    # -- what the shell shows about the cluster (prompt, toolbar, status) -------------------------
    def summary(self) -> dict:
        hsms = self.cluster.hsms()
        meta = self.cluster.db.meta_many("cluster_name", "cluster_id", "cluster_state")
        return {"cluster": meta.get("cluster_name"), "cluster_id": meta.get("cluster_id"),
                "state": meta.get("cluster_state"), "backend": self.name,
                "hsms_total": len(hsms), "hsms_reachable": sum(h.reachable for h in hsms),
                "hsms": [{"server": h.server, "hsm": h.hsm_id, "ip": h.ip, "az": h.az,
                          "state": h.state} for h in hsms]}

    def user_names(self) -> list[str]:
        return [r[0] for r in self.cluster.conn.execute("SELECT DISTINCT name FROM users ORDER BY name")]

    # QuorumLedger for the policy step (quorum issue fills in tokens; M defaults to 1: off)
    def m_value(self, service_id: int) -> int:
        return int(self.cluster.db.meta(f"m_value_{service_id}", "1"))

    def approvals(self, service_id: int, key_handle: int = 0) -> tuple[int, bool]:
        return 0, False

    def close(self) -> None:
        """Log out at the end of the shell, as CMU's quit does."""
        if self.cluster.principal is not None:
            try:
                self.cluster.end_session()
            except HsmshellError:
                pass
