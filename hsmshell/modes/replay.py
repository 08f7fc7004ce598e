"""`audit replay LOG [--roles DIR]`: re-run a log on a fresh emulated cluster.

Two passes, both streamed. The first is `audit verify` (a tampered log is not replayed); on
the way it notes the last record of each login session. The second re-runs every record in
order, generically over the command table: the recorded (redacted) text is parsed again,
the decision re-evaluated, and the records the backend ran are run again with each secret
replaced by its stand-in (replay_cluster.py) and the recorded `replay` data at hand
(`cluster.replay_input`). The first record whose principal, arguments, decision or outcome
(exit class, error reference, per-server status, `replay` data) differs is the divergence.
Cluster records (`hsmshell cluster ...`: HSMs failing, replaced, added, removed) are applied
in order too (replay_operations.py). Commands whose input is secret key material
(CommandSpec.secret_input) cannot be reproduced: a stand-in key takes the imported key's
place, and the report lists them as not reproducible rather than as divergences.

Sessions: each recorded session gets its own login on the replay cluster; it ends at its
last record (a session-end record, or the last command of a shell that was killed).

With `--roles DIR`, decisions are evaluated under DIR instead and each one that differs from
the recorded decision is listed (the run itself follows the recorded decisions, so the state
evolves as it did); without it, decisions are evaluated under the default roles and a
difference is a divergence.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hsmshell.modes.replay_cluster import ReplayClock, build_cluster, stand_in
from hsmshell.audit.verify import VerifyReport
from hsmshell.errors import HsmshellError

MAX_LISTED_CHANGES = 10_000
NOT_REPRODUCIBLE = "not reproducible (secret input)"
COMMIT_EVERY = 1000
PARSE_CACHE = 4096


@dataclass
class Divergence:
    seq: int
    source: str | None
    command: str | None
    text: str | None
    what: str                        # principal / arguments / decision / outcome / record
    recorded: object
    replayed: object

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ReplayReport:
    log: str
    verify: VerifyReport
    records: int = 0
    commands: int = 0                # records the backend ran again
    divergence: Divergence | None = None
    roles_dir: str | None = None
    decision_changes: list[dict] = field(default_factory=list)
    changes_total: int = 0
    skipped: Counter = field(default_factory=Counter)
    operations: int = 0              # cluster records applied
    not_reproducible: list[dict] = field(default_factory=list)
    not_reproducible_total: int = 0

    def to_dict(self) -> dict:
        return {"log": self.log, "records": self.records, "commands": self.commands,
                "cluster_operations": self.operations,
                "divergences": 0 if self.divergence is None else 1,
                "first_divergence": self.divergence.to_dict() if self.divergence else None,
                "roles": self.roles_dir, "decision_changes": self.decision_changes,
                "decision_changes_total": self.changes_total, "skipped": dict(self.skipped),
                "not_reproducible": self.not_reproducible,
                "not_reproducible_total": self.not_reproducible_total}


class SessionSpans:
    """Pass one: the sequence number of each session's last record."""

    def __init__(self):
        self.last: dict[str, int] = {}
        self._seq = 0

    def observe(self, body: bytes) -> None:
        self._seq += 1
        # the top-level "session" key sorts after every nested object, so it is the last match
        at = body.rfind(b'"session":"')
        if at >= 0:
            start = at + 11
            self.last[body[start:body.index(b'"', start)].decode("ascii")] = self._seq


def replay_log(target, env) -> ReplayReport:
    from hsmshell.modes.audit_commands import verify_target
    from hsmshell.audit.reader import read_records
    from hsmshell.commands import command_table
    from hsmshell.output_sandbox import sandboxed_output
    from hsmshell.policy.roles import load_policy

    spans = SessionSpans()
    report = ReplayReport(str(target.path), verify_target(target, env, spans.observe),
                          roles_dir=str(env.roles_dir) if env.roles_dir else None)
    if not report.verify.ok:
        return report
    table = command_table()
    policy = load_policy(env.roles_dir, table.actions())
    with tempfile.TemporaryDirectory(prefix="hsmshell-replay-") as scratch, \
            sandboxed_output(Path(scratch) / "outputs"):
        replayer = Replayer(Path(scratch) / "home", table, policy, spans, report)
        replayer.env, replayer.log_folder = env, Path(target.path).parent
        try:
            replayer.run(read_records(target.path))
        finally:
            replayer.close()
    return report


class Replayer:
    def __init__(self, home: Path, table, policy, spans: SessionSpans, report: ReplayReport):
        self.home, self.table, self.policy = home, table, policy
        self.spans, self.report = spans, report
        self.what_if = report.roles_dir is not None
        self.clock = ReplayClock()
        self.db = None
        self.sessions: dict[str, object] = {}          # session id -> EmulatorBackend
        self._views: dict[int, _ShellView] = {}
        self._parsed: dict[str, object] = {}           # text -> Invocation (commands repeat)
        self._in_transaction = False
        self._since_commit = 0
        self.seq = 0
        self.token = None                  # a token's log: the fresh token (replay_token.py)
        self.env = self.log_folder = None

    def run(self, records) -> None:
        for record in records:
            self.seq = record.get("seq", self.seq + 1)
            self.report.records += 1
            if "time" in record:
                self.clock.set(record["time"])
            divergence = self._step(record)
            if divergence is not None:
                self.report.divergence = divergence
                return
            self._end_session_if_last(record)

    def _step(self, record: dict) -> Divergence | None:
        kind = record.get("kind")
        if self.db is None and kind != "genesis":
            return self._diverge(record, "record", "a genesis record first", kind)
        step = RECORD_KINDS.get(kind)
        replaying = "emulator" if self.token is None else "pkcs11"
        if kind in ("command", "session_end") and record.get("backend", "emulator") != replaying:
            self.report.skipped[f"--backend {record['backend']} session"] += 1
            return None
        if step is None:
            self.report.skipped[str(kind)] += 1
            return None
        return step(self, record)

    def _genesis(self, record: dict) -> Divergence | None:
        if record.get("backend") == "pkcs11":
            from hsmshell.modes.replay_token import FreshToken
            self.token = FreshToken(self.env, self.home, self.log_folder)
        self.db = build_cluster(self.home, record, self.clock)
        self._begin()
        return None

    def _session_end(self, record: dict) -> Divergence | None:
        backend = self.sessions.get(record.get("session"))
        replayed = _principal(backend.principal) if backend is not None else None
        if replayed != record.get("principal"):
            return self._diverge(record, "principal", record.get("principal"), replayed)
        return None                                      # the session ends after this record

    def _checkpoint(self, record: dict) -> Divergence | None:
        return None                                      # checked by the verify pass

    def _cluster(self, record: dict) -> Divergence | None:
        from hsmshell.modes.replay_operations import known, replay_operation
        if not known(record.get("operation")):
            self.report.skipped[f"cluster {record.get('operation')}"] += 1
            return None
        recorded, replayed = replay_operation(self.db, self.clock, record)
        self.report.operations += 1
        return None if replayed == recorded else self._diverge(record, "outcome", recorded, replayed)

    def _kms(self, record: dict) -> Divergence | None:
        from hsmshell.modes.replay_kms import replay_kms
        recorded, replayed = replay_kms(self.db, self.clock, record)
        self.report.operations += 1
        return None if replayed == recorded else self._diverge(record, "outcome", recorded, replayed)

    # -- one command record ----------------------------------------------------------------------
    def _command(self, record: dict) -> Divergence | None:
        from hsmshell.policy.engine import decide

        from hsmshell.emulate.tools import tool_of_mode
        tool = tool_of_mode(record.get("mode"))     # an emulated CMU/KMU: the HSM side decides
        backend = self._session(record.get("session"), tool)
        principal = _principal(backend.principal)
        if principal != record.get("principal"):
            return self._diverge(record, "principal", record.get("principal"), principal)
        if record.get("decision") is None:
            return None                                  # never parsed: changed nothing
        try:
            invocation = self._parse(record.get("text") or "")
        except HsmshellError as exc:
            return self._diverge(record, "record", record.get("text"), f"does not parse: {exc.message}")
        args = _comparable({k: v for k, v in invocation.args.items()
                            if k not in invocation.secrets and v is not None})
        if args != (record.get("args") or {}):
            return self._diverge(record, "arguments", record.get("args"), args)
        policy = self.policy if tool is None else tool.policy()
        decision = decide(policy, backend.principal, invocation.spec, invocation.args, backend)
        divergence = self._compare_decision(record, decision)
        if divergence is not None:
            return divergence
        if invocation.spec.local and record["decision"].get("allowed"):
            return self._run_local(record, backend, invocation)
        if not record.get("dispatched"):
            return None                              # stopped before the backend: no change
        if invocation.spec.secret_input:
            self._not_reproducible(record)
            if (record.get("outcome") or {}).get("error_code"):
                return None                          # it failed, so it changed nothing
        return self._execute(record, backend, invocation)

    def _not_reproducible(self, record: dict) -> None:
        """A key imported from a file the log cannot hold: a stand-in key takes its place."""
        self.report.not_reproducible_total += 1
        if len(self.report.not_reproducible) < MAX_LISTED_CHANGES:
            failed = bool((record.get("outcome") or {}).get("error_code"))
            self.report.not_reproducible.append({
                "seq": self.seq, "source": record.get("source"), "command": record.get("command"),
                "text": record.get("text"), "reason": NOT_REPRODUCIBLE,
                "replayed": "not replayed: it failed, so it changed nothing" if failed
                else "replayed with a stand-in key of the recorded kind"})

    def _run_local(self, record: dict, backend, invocation) -> Divergence | None:
        """Shell-local commands (help, exit...) may change the session (server mode)."""
        from hsmshell import builtins
        from hsmshell.audit.entry import outcome_fields
        view = self._views.get(id(backend))
        if view is None or view.backend is not backend:
            view = self._views[id(backend)] = _ShellView(self, backend)
        result, error = None, None
        try:
            result = builtins.run_builtin(view, invocation)
        except HsmshellError as exc:
            error = exc
        replayed, recorded = outcome_fields(result, error), record.get("outcome") or {}
        if (replayed["error_code"], replayed["reference"]) != (recorded.get("error_code"), recorded.get("reference")):
            return self._diverge(record, "outcome", recorded, replayed)
        return None

    def _parse(self, text: str):
        from hsmshell.parse.binder import parse_line
        parsed = self._parsed.get(text)
        if parsed is None:
            if len(self._parsed) >= PARSE_CACHE:
                self._parsed.clear()
            parsed = self._parsed[text] = parse_line(text, self.table)
        return dataclasses.replace(parsed, args=dict(parsed.args))   # handlers get their own

    def _compare_decision(self, record: dict, decision) -> Divergence | None:
        recorded = record["decision"]
        replayed = decision.as_record()
        if not self.what_if:
            return None if replayed == recorded else self._diverge(record, "decision", recorded, replayed)
        if (recorded.get("allowed"), recorded.get("reference")) != (decision.allowed, decision.reference):
            self.report.changes_total += 1
            if len(self.report.decision_changes) < MAX_LISTED_CHANGES:
                self.report.decision_changes.append({
                    "seq": self.seq, "source": record.get("source"), "text": record.get("text"),
                    "user": (record.get("principal") or {}).get("user"), "recorded": recorded,
                    "under_roles": replayed})
        return None

    def _execute(self, record: dict, backend, invocation) -> Divergence | None:
        from hsmshell.audit.entry import outcome_fields
        classes = record.get("secret_length_classes") or {}
        secrets = {name: stand_in(value, classes.get(name))
                   for name, value in (record.get("secrets") or {}).items()}
        if self.token is not None:
            secrets = {name: self.token.secret(record["secrets"][name], value)
                       for name, value in secrets.items()}
        cluster = getattr(backend, "cluster", None)     # the emulator's (a token has none)
        if cluster is not None:
            cluster.replay_input = record.get("replay") or {}
            cluster.failure_prompt = recorded_failure_answers(record.get("outcome") or {})
        result, error = None, None
        try:
            with self.db.savepoint():
                result = backend.execute(invocation, secrets)
        except HsmshellError as exc:
            error = exc
        finally:
            if cluster is not None:
                cluster.replay_input = None
                cluster.failure_prompt = None
        self.report.commands += 1
        self._since_commit += 1
        if self._since_commit >= COMMIT_EVERY:
            self._commit()
            self._begin()
        replay = result.replay if result is not None else getattr(error, "replay", None)
        replayed = _comparable_outcome(outcome_fields(result, error), _comparable(replay))
        recorded = _comparable_outcome(record.get("outcome") or {}, record.get("replay"))
        return None if replayed == recorded else self._diverge(record, "outcome", recorded, replayed)

    # -- sessions ----------------------------------------------------------------------------------
    def _session(self, session: str | None, tool=None):
        backend = self.sessions.get(session)
        if backend is None and self.token is not None:
            backend = self.sessions[session] = self.token.backend()
        if backend is None:
            from hsmshell.backends.emulator import EmulatorBackend
            self._commit()              # making a backend creates tables, which commits
            backend = EmulatorBackend(self.db, self.clock)
            backend = self.sessions[session] = tool.hsm_side(backend) if tool else backend
            self._begin()
        return backend

    def _end_session_if_last(self, record: dict) -> None:
        session = record.get("session")
        if session is None or self.spans.last.get(session) != self.seq:
            return
        backend = self.sessions.pop(session, None)
        if backend is not None:
            backend.close()

    # -- transactions: one per COMMIT_EVERY commands, for speed ---------------------------------
    def _begin(self) -> None:
        self.db.conn.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        self._since_commit = 0

    def _commit(self) -> None:
        if self._in_transaction:
            self.db.conn.execute("COMMIT")
            self._in_transaction = False

    def close(self) -> None:
        if self.token is not None:          # a divergence stops replay with sessions still open:
            for backend in self.sessions.values():      # release the token's module
                backend.close()
            self.sessions.clear()
        if self.db is not None:
            self._commit()
            self.db.close()

    def _diverge(self, record: dict, what: str, recorded, replayed) -> Divergence:
        command = record.get("command") or (f"cluster {record.get('operation')}"
                                            if record.get("kind") == "cluster" else None)
        return Divergence(self.seq, record.get("source"), command, record.get("text") or command,
                          what, recorded, replayed)


# How replay re-runs each kind of record; a new kind of record gets its step here (others
# are counted as skipped in the report).
RECORD_KINDS = {"genesis": Replayer._genesis, "command": Replayer._command,
                "session_end": Replayer._session_end, "checkpoint": Replayer._checkpoint,
                "cluster": Replayer._cluster, "kms": Replayer._kms}


class _ShellView:
    """What a shell-local command sees of the shell, on the replay cluster."""

    def __init__(self, replayer: Replayer, backend):
        import io
        from hsmshell.environment import Environment
        self.backend, self.table, self.policy = backend, replayer.table, replayer.policy
        self.env = Environment(home=replayer.home, stdin=io.StringIO(), stdout=io.StringIO(),
                               stderr=io.StringIO(), environ={}, output="json", interactive=False,
                               mode="replay", clock=replayer.clock,
                               cluster=replayer.db.meta("cluster_name", "default"))
        self.quitting = False

    def allows(self, spec) -> bool:
        from hsmshell.policy.engine import decide
        return decide(self.policy, self.backend.principal, spec, {}).allowed


def recorded_failure_answers(outcome: dict):
    """The Retry/Ignore/Abort answers the original run gave, read from its per-server outcome:
    a failed server followed only by not-attempted ones was answered abort, any other ignore."""
    servers = [s for s in outcome.get("servers") or () if isinstance(s, dict)]

    def answer(command: str, status) -> str:
        later = [s for s in servers if isinstance(s.get("server"), int) and s["server"] > status.server]
        aborted = later and all(s.get("reference") == "not-attempted" for s in later)
        return "abort" if aborted else "ignore"
    return answer


def _principal(principal) -> dict | None:
    if principal is None:
        return None
    return {"user": principal.name, "type": principal.user_type, "id": principal.user_id}


def _comparable(value):
    """As the log stores it: JSON types (tuples become lists, keys strings)."""
    if isinstance(value, dict):
        return {str(key): _comparable(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_comparable(inner) for inner in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _comparable_outcome(outcome: dict, replay) -> dict:
    """The parts of an outcome replay must reproduce (messages may word things differently),
    `replay` as JSON types (a handler's `replay` data may hold tuples)."""
    return {"error_code": outcome.get("error_code"), "reference": outcome.get("reference"),
            "servers": outcome.get("servers"), "replay": replay or None}
