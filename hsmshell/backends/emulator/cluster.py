"""The emulated cluster as one object: its HSMs (servers), the login of this session, and the
helpers every handler uses to run an operation on each HSM and report per server."""

from __future__ import annotations

import os
from typing import Callable, Iterable

from hsmshell.backends.context import CommandContext
from hsmshell.backends.result import ServerStatus
from hsmshell.errors import BackendUnavailable, HsmshellError, NotAttempted
from hsmshell.model.users import Principal
from hsmshell.record import record
from hsmshell.state.db import ClusterDB


# db.held's entry for the private-key objects loaded in this lock hold (KeyStore.private_key)
KEY_OBJECTS = "key_objects"
SERVICE_PID = 0        # sessions.pid of a login a service holds (never reaped)


@record(frozen=True)
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
        self.session_id = os.urandom(16).hex()
        self.principal: Principal | None = None
        # Called with the session id when this login ends (session keys vanish at logout).
        self.session_end_hooks: list[Callable[[str], None]] = []
        # Per-process caches that handler modules keep (the key-encryption key); never stored.
        self.caches: dict[str, object] = {}
        # CMU server mode (`server N` ... `exit`): every command goes to that server only.
        self.selected_server: int | None = None
        # An emulated CMU started with a config file reaches only the servers it lists (None: all).
        self.connected_servers: frozenset[int] | None = None

    # -- HSMs --------------------------------------------------------------------------------
    def hsms(self) -> list[Hsm]:
        # Read once per lock hold (state/db.py `held`): every command needs the list, and
        # only lifecycle.py changes it, which calls forget_hsms()
        held = self.db.held
        found = held.get("hsms") if held is not None else None
        if found is None:
            found = [Hsm(*row) for row in self.conn.execute(
                "SELECT hsm_id, server, az, subnet, ip, state, serial FROM hsms ORDER BY server")]
            if held is not None:
                held["hsms"] = found
        return list(found)

    def next_replacement(self) -> float | None:
        """When the first failed HSM is due to be replaced (None: none is)."""
        held = self.db.held
        if held is not None and "replace_at" in held:
            return held["replace_at"]
        due = self.conn.execute("SELECT MIN(replace_at) FROM hsms").fetchone()[0]
        if held is not None:
            held["replace_at"] = due
        return due

    def forget_hsms(self) -> None:
        """The HSM table changed: read it again."""
        if self.db.held is not None:
            self.db.held.pop("hsms", None)
            self.db.held.pop("replace_at", None)

    def reachable_hsms(self) -> list[Hsm]:
        return [h for h in self.hsms() if h.reachable]

    def hsm_by_server(self, server: int) -> Hsm | None:
        return next((h for h in self.hsms() if h.server == server), None)

    @property
    def state(self) -> str:
        return self.db.meta("cluster_state", "INITIALIZED")

    # -- running one operation on every HSM ----------------------------------------------------
    def running(self, context: CommandContext | None = None) -> "CommandRun":
        """The cluster as one command sees it: this cluster plus the command's own context."""
        return CommandRun(self, context if context is not None else CommandContext())

    def on_each(self, operation: Callable[[Hsm], dict | None],
                hsms: Iterable[Hsm] | None = None, context: CommandContext | None = None) -> list[ServerStatus]:
        """Run `operation` per HSM (only the selected one in server mode); an HsmshellError
        fails that server only. During a write command (`context.asking_for`) a failed server
        asks the context's failure prompt: retry it, ignore it and go on, or abort (the servers
        after it are not tried)."""
        targets = self._in_server_mode(list(self.hsms() if hsms is None else hsms))
        asking = context.asking_for if context is not None else None
        prompt = context.failure_prompt if asking else None
        statuses = []
        for index, hsm in enumerate(targets):
            status, choice = self._attempt(hsm, operation), None
            while status.error is not None and prompt is not None:
                choice = prompt(asking, status)
                if choice != "retry":
                    break
                hsm = self.hsm_by_server(hsm.server) or hsm
                status = self._attempt(hsm, operation)
            statuses.append(status)
            if status.error is not None and choice == "abort":
                statuses += [h.status(NotAttempted(f"not attempted: {asking} was aborted "
                                                   f"after server {hsm.server} failed")) for h in targets[index + 1:]]
                break
        return statuses

    def _attempt(self, hsm: Hsm, operation) -> ServerStatus:
        if not hsm.reachable:
            return hsm.status(BackendUnavailable(
                f"server {hsm.server}({hsm.ip}) is unavailable"))
        try:
            return hsm.status(None, **(operation(hsm) or {}))
        except HsmshellError as exc:
            return hsm.status(exc)

    def _in_server_mode(self, hsms: list[Hsm]) -> list[Hsm]:
        if self.connected_servers is not None:
            hsms = [h for h in hsms if h.server in self.connected_servers]
        if self.selected_server is None:
            return hsms
        chosen = [h for h in hsms if h.server == self.selected_server]
        if not chosen and self.hsm_by_server(self.selected_server) is None:
            raise BackendUnavailable(f"server {self.selected_server} is no longer in the cluster",
                                     hint="exit leaves server mode")
        return chosen

    def pick_hsm(self, candidates: list[Hsm] | None = None, context: CommandContext | None = None) -> Hsm:
        """The HSM a one-HSM operation runs on (of `candidates`, default the reachable ones):
        the server-mode HSM, else the next one in turn (round robin, as the client daemon
        balances requests; the turn is kept with the cluster, so every process shares it).
        Remembered in the command's `context.last_pick` (the HSM logs name it as the one that
        ran the command)."""
        candidates = self.reachable_hsms() if candidates is None else candidates
        if self.connected_servers is not None:
            candidates = [h for h in candidates if h.server in self.connected_servers]
        if self.selected_server is not None:
            candidates = [h for h in candidates if h.server == self.selected_server]
            if not candidates:
                raise BackendUnavailable(f"server {self.selected_server} cannot run this command",
                                         hint="exit leaves server mode")
        if not candidates:
            raise BackendUnavailable("no HSM of the cluster is reachable",
                                     hint="hsmshell cluster describe shows their state")
        turn = int(self.db.meta("round_robin", "0"))
        self.db.set_meta("round_robin", str(turn + 1))
        hsm = candidates[turn % len(candidates)]
        if context is not None:
            context.last_pick = hsm.hsm_id
        return hsm

    # -- login sessions (shared by every process on this cluster) ------------------------------
    def forget_key_objects(self) -> None:
        """Drop the loaded private keys (a login or logout, a key deleted or changed)."""
        if self.db.held is not None:
            self.db.held.pop(KEY_OBJECTS, None)

    def start_session(self, principal: Principal) -> None:
        self.forget_key_objects()
        self.principal = principal
        self.conn.execute(
            "INSERT OR REPLACE INTO sessions(session_id, pid, user_name, user_type, user_id, started) "
            "VALUES(?,?,?,?,?,?)",
            (self.session_id, os.getpid(), principal.name, principal.user_type, principal.user_id,
             self.clock()))

    def end_session(self) -> None:
        self.forget_key_objects()
        self.principal = None
        for hook in self.session_end_hooks:
            hook(self.session_id)
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
        """A shell killed without logging out leaves a row; its process is gone, so is the login.
        A login held by a service (KMS's kmsuser login while a key store is connected) has
        pid SERVICE_PID and lasts until the service logs out."""
        for session_id, pid in self.conn.execute(
                "SELECT session_id, pid FROM sessions WHERE session_id != ?", (self.session_id,)).fetchall():
            if pid != SERVICE_PID and pid != os.getpid() and not _alive(pid):
                self.conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CommandRun(EmulatedCluster):
    """What a handler gets as its `cluster`: the long-lived EmulatedCluster seen through one
    command's CommandContext (backends/context.py). It shares the cluster's own attributes
    (the very same __dict__: a login, the server mode or KMS's principal set through it is the
    cluster's, and reading one costs a plain attribute read, where a forwarding proxy cost
    about a tenth of a batch command); only `cluster` and `context` are its own (slots). What
    belongs to this one command (the recorded replay inputs, what it read from files, the HSM
    it ran on, the failure prompt) is the context's."""

    __slots__ = ("cluster", "context")

    def __init__(self, cluster: EmulatedCluster, context: CommandContext):
        # no EmulatedCluster.__init__: its state is the cluster's, shared
        self.__dict__ = cluster.__dict__
        self.cluster, self.context = cluster, context

    def running(self, context: CommandContext | None = None) -> "CommandRun":
        return self if context is None else CommandRun(self.cluster, context)

    @property
    def last_pick(self) -> str | None:
        return self.context.last_pick

    def on_each(self, operation, hsms=None) -> list[ServerStatus]:
        return EmulatedCluster.on_each(self, operation, hsms, self.context)

    def pick_hsm(self, candidates: list[Hsm] | None = None) -> Hsm:
        return EmulatedCluster.pick_hsm(self, candidates, self.context)

    def asking_on_failure(self, command: str | None) -> "_AskingOnFailure":
        """While a write command runs, a failed server asks the failure prompt."""
        return _AskingOnFailure(self.context, command)


class _AskingOnFailure:
    # a plain context manager: a @contextmanager generator costs several times more, per command
    __slots__ = ("context", "command")

    def __init__(self, context: CommandContext, command: str | None):
        self.context, self.command = context, command

    def __enter__(self) -> None:
        self.context.asking_for = self.command

    def __exit__(self, *exc) -> None:
        self.context.asking_for = None
