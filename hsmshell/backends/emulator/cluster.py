"""The emulated cluster as one object: its HSMs (servers), the login of this session, and the
helpers every handler uses to run an operation on each HSM and report per server."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable

from hsmshell.backends.result import ServerStatus
from hsmshell.errors import HsmshellError
from hsmshell.policy.engine import Principal
from hsmshell.state.db import ClusterDB


@dataclass(frozen=True)
class Hsm:
    hsm_id: str
    server: int
    az: str
    subnet: str
    ip: str
    state: str
    serial: str

    @property
    def reachable(self) -> bool:
        return self.state == "ACTIVE"

    def status(self, error: HsmshellError | None = None, **data) -> ServerStatus:
        return ServerStatus(self.server, self.hsm_id, self.ip,
                            "failed" if error else "success", error, data)


class EmulatedCluster:
    def __init__(self, db: ClusterDB, clock):
        self.db = db
        self.conn = db.conn
        self.clock = clock
        self.session_id = uuid.uuid4().hex
        self.principal: Principal | None = None

    # -- HSMs --------------------------------------------------------------------------------
    def hsms(self) -> list[Hsm]:
        rows = self.conn.execute(
            "SELECT hsm_id, server, az, subnet, ip, state, serial FROM hsms ORDER BY server")
        return [Hsm(*row) for row in rows]

    def reachable_hsms(self) -> list[Hsm]:
        return [h for h in self.hsms() if h.reachable]

    def hsm_by_server(self, server: int) -> Hsm | None:
        return next((h for h in self.hsms() if h.server == server), None)

    @property
    def state(self) -> str:
        return self.db.meta("cluster_state", "INITIALIZED")

    # -- running one operation on every HSM ----------------------------------------------------
    def on_each(self, operation: Callable[[Hsm], dict | None],
                hsms: Iterable[Hsm] | None = None) -> list[ServerStatus]:
        """Run `operation` per HSM; an HsmshellError fails that server only."""
        statuses = []
        for hsm in (self.hsms() if hsms is None else hsms):
            if not hsm.reachable:
                from hsmshell.errors import BackendUnavailable
                statuses.append(hsm.status(BackendUnavailable(
                    f"server {hsm.server}({hsm.ip}) is unavailable")))
                continue
            try:
                statuses.append(hsm.status(None, **(operation(hsm) or {})))
            except HsmshellError as exc:
                statuses.append(hsm.status(exc))
        return statuses

    # -- login sessions (shared by every process on this cluster) ------------------------------
    def start_session(self, principal: Principal) -> None:
        self.principal = principal
        self.conn.execute(
            "INSERT OR REPLACE INTO sessions(session_id, pid, user_name, user_type, user_id, started) "
            "VALUES(?,?,?,?,?,?)",
            (self.session_id, os.getpid(), principal.name, principal.user_type, principal.user_id,
             self.clock()))

    def end_session(self) -> None:
        self.principal = None
        self.conn.execute("DELETE FROM sessions WHERE session_id = ?", (self.session_id,))

    def logged_in_elsewhere(self, user_name: str) -> bool:
        self._reap_dead_sessions()
        row = self.conn.execute(
            "SELECT 1 FROM sessions WHERE user_name = ? AND session_id != ? LIMIT 1",
            (user_name, self.session_id)).fetchone()
        return row is not None

    def is_logged_in(self, user_name: str) -> bool:
        return (self.principal is not None and self.principal.name.lower() == user_name.lower()) \
            or self.logged_in_elsewhere(user_name)

    def _reap_dead_sessions(self) -> None:
        """A shell killed without logging out leaves a row; its process is gone, so is the login."""
        for session_id, pid in self.conn.execute(
                "SELECT session_id, pid FROM sessions WHERE session_id != ?", (self.session_id,)).fetchall():
            if pid != os.getpid() and not _alive(pid):
                self.conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
