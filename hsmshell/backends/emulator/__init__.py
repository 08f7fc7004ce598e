"""The embedded emulator of a CloudHSM cluster: the default backend."""

from __future__ import annotations

import importlib
import sys

from hsmshell.backends.emulator import firmware, quorum_rules, quorum_store
from hsmshell.backends.emulator import hsm_logs, lifecycle, server_mode
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.emulator.schema import create_tables
from hsmshell.backends.base import BackendBase, not_supported
from hsmshell.backends.context import CommandContext
from hsmshell.backends.result import Result
from hsmshell.errors import HsmshellError
from hsmshell.model.capabilities import Capability
from hsmshell.model.quorum import QuorumService
from hsmshell.state.db import ClusterDB

# The modules whose HANDLERS run commands, imported the first time one of their commands runs:
# a one-shot `listUsers` then loads neither the key machinery nor `cryptography` (the start-up
# budget of docs/architecture.md; scripts/bench.py measures it). Add a handler module here.
HANDLER_MODULES = ("hsmshell.backends.emulator.users", "hsmshell.backends.emulator.info",
                   "hsmshell.backends.emulator.server_mode", "hsmshell.backends.emulator.quorum_setup",
                   "hsmshell.backends.emulator.quorum_tokens", "hsmshell.backends.shellside",
                   "hsmshell.backends.emulator.keys", "hsmshell.backends.emulator.keys_transfer",
                   "hsmshell.backends.emulator.keys_use", "hsmshell.backends.emulator.sdk5_users",
                   "hsmshell.backends.emulator.sdk5_keys", "hsmshell.backends.emulator.sdk5_crypto",
                   "hsmshell.backends.emulator.sdk5_quorum", "hsmshell.backends.emulator.sdk5_transfer",
                   "hsmshell.backends.emulator.sdk5_mtls", "hsmshell.backends.emulator.hsm_certificates",
                   "hsmshell.backends.emulator.masked_objects")
KEYSTORE = "hsmshell.backends.emulator.keystore"
HANDLERS: dict = {}
_imported: set[str] = set()


def handler_for(command: str):
    """The handler of `command`, importing handler modules in order until one has it."""
    for module in HANDLER_MODULES:
        if command in HANDLERS:
            break
        if module not in _imported:
            HANDLERS.update(importlib.import_module(module).HANDLERS)
            _imported.add(module)
    return HANDLERS.get(command)


def _drop_session_keys(cluster, session_id: str) -> None:
    # Session keys come only from key commands of this session, which imported the keystore.
    if KEYSTORE in sys.modules:
        sys.modules[KEYSTORE].drop_session_keys(cluster, session_id)


def all_handlers() -> dict:
    """Every handler (imports every handler module: for tests and help, not the hot path)."""
    for module in HANDLER_MODULES:
        if module not in _imported:
            HANDLERS.update(importlib.import_module(module).HANDLERS)
            _imported.add(module)
    return HANDLERS


class EmulatorBackend(BackendBase):
    name = "emulator"
    capabilities = frozenset(Capability)      # all of them, as a CloudHSM cluster has
    transactional = True    # its whole state is in the cluster database (batch groups: pipeline)

    def __init__(self, db: ClusterDB, clock):
        create_tables(db.conn)                  # new tables of a newer hsmshell appear here
        quorum_store.create_tables(db.conn)
        self.cluster = EmulatedCluster(db, clock)
        self._failure_prompt = None     # asked when a server fails a write (server_failure.py)
        self.cluster.session_end_hooks.append(
            lambda session_id: quorum_store.drop_session_tokens(db.conn, session_id))
        self.cluster.session_end_hooks.append(
            lambda session_id: _drop_session_keys(self.cluster, session_id))

    @property
    def principal(self):
        return self.cluster.principal

    @property
    def session_id(self) -> str:
        return self.cluster.session_id

    def commands(self):
        return all_handlers().keys()

    def set_failure_prompt(self, prompt) -> None:
        self._failure_prompt = prompt

    def execute(self, invocation, secrets: dict[str, str], context: CommandContext | None = None) -> Result:
        spec = invocation.spec
        handler = handler_for(spec.name)
        if handler is None:
            raise not_supported(self, spec.name)
        context = context if context is not None else CommandContext()
        if context.failure_prompt is None:
            context.failure_prompt = self._failure_prompt
        run = self.cluster.running(context)
        # CloudHSM replaces failed HSMs itself; audit replay gives them the recorded ids and IPs
        replaced = lifecycle.replace_due_hsms(self.cluster, (context.replay_input or {}).get("hsms_replaced"))
        action = spec.action_for(invocation.args, self.principal)
        actor = self.principal
        firmware.check(spec, action, self.principal)
        if invocation.args.get("approval"):      # CloudHSM CLI's --approval FILE
            from hsmshell.backends.emulator.sdk5_quorum import submit_approval
            submit_approval(run, action, invocation.args)
        used_tokens = quorum_rules.enforce(run, action, invocation.args, spec.name)
        try:
            asks = spec.caution if spec.asks_on_failure is None else spec.asks_on_failure
            with run.asking_on_failure(spec.name if asks else None):
                result = handler(run, invocation.args, secrets)
        except HsmshellError as error:
            if context.inputs_read:     # what it read replays the failure without the files
                error.replay = dict(context.inputs_read)
            raise
        result.replay.update(context.inputs_read)
        hsm_logs.record_command(run, spec, invocation.args, result, actor)
        if used_tokens:
            result.replay["quorum_tokens"] = used_tokens
        if replaced:
            result.replay["hsms_replaced"] = replaced
        return result

    # -- CMU server mode (`server N` ... `exit`) --------------------------------------------------
    @property
    def server_mode(self) -> int | None:
        return self.cluster.selected_server

    def leave_server_mode(self) -> int | None:
        return server_mode.leave_server_mode(self.cluster)

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

    # QuorumLedger for the policy step (M defaults to 1: off)
    def m_value(self, service_id: int) -> int:
        return quorum_store.m_value(self.cluster, service_id)

    def approvals(self, service_id: int, key_handle: int = 0) -> tuple[int, bool]:
        return quorum_rules.session_approvals(self.cluster, service_id, key_handle)

    def key_quorum(self, key_handle: int, service_id: int = 5) -> int:
        return quorum_rules.key_approvals_required(self.cluster, key_handle, QuorumService(service_id))

    def pending_tokens(self) -> list[dict]:
        """This session's live quorum tokens (the REPL toolbar shows them)."""
        try:
            return quorum_rules.pending_tokens(self.cluster)
        except HsmshellError:
            return []

    def close(self) -> None:
        """Log out at the end of the shell, as CMU's quit does."""
        if self.cluster.principal is not None:
            try:
                self.cluster.end_session()
            except HsmshellError:
                pass
