"""`audit replay LOG [--roles DIR]`: re-run a log on a fresh emulated cluster.

Two passes, both streamed. The first is `audit verify` (a tampered log is not replayed); on
the way it notes the last record of each login session. The second re-runs every record in
order, generically over the command table: the recorded (redacted) text is parsed again,
the decision re-evaluated, and the records the backend ran are run again through the
pipeline the shell uses (one `Shell` per recorded session, on the replay cluster), each
secret replaced by its stand-in (replay_cluster.py) and the recorded `replay` data at hand
(`pipeline.Replaying`). The first record whose principal, arguments, decision or outcome
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

import tempfile

from pathlib import Path

from hsmshell.errors import HsmshellError
from hsmshell.modes.replay_cluster import ReplayClock, build_cluster, stand_in
from hsmshell.modes.replay_report import Divergence, ReplayReport
from hsmshell.record import replace

MAX_LISTED_CHANGES = 10_000
NOT_REPRODUCIBLE = "not reproducible (secret input)"
PARSE_CACHE = 4096


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
    # the shells follow the default roles; --roles DIR is the policy the decisions are compared to
    shell_policy = load_policy(None, table.actions()) if env.roles_dir else policy
    with tempfile.TemporaryDirectory(prefix="hsmshell-replay-") as scratch, \
            sandboxed_output(Path(scratch) / "outputs"):
        replayer = Replayer(Path(scratch) / "home", table, policy, spans, report, shell_policy)
        replayer.env, replayer.log_folder = env, Path(target.path).parent
        try:
            replayer.run(read_records(target.path))
        finally:
            replayer.close()
    return report


class Replayer:
    def __init__(self, home: Path, table, policy, spans: SessionSpans, report: ReplayReport,
                 shell_policy=None):
        self.home, self.table, self.policy = home, table, policy
        self.shell_policy = shell_policy or policy
        self.spans, self.report = spans, report
        self.what_if = report.roles_dir is not None
        self.clock = ReplayClock()
        self.db = self.audit = None
        self.sessions: dict[str, object] = {}          # session id -> its Shell
        self._parsed: dict[str, object] = {}           # text -> Invocation (commands repeat)
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
        from hsmshell.audit.log import AuditLog
        if record.get("backend") == "pkcs11":
            from hsmshell.modes.replay_token import FreshToken
            self.token = FreshToken(self.env, self.home, self.log_folder)
        self.db = build_cluster(self.home, record, self.clock)
        self.audit = AuditLog(self.db, self.clock)
        return None

    def _session_end(self, record: dict) -> Divergence | None:
        shell = self.sessions.get(record.get("session"))
        replayed = _principal(shell.backend.principal) if shell is not None else None
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
        from hsmshell.transactions import AuditedTransaction
        with AuditedTransaction(self.db, self.audit):
            recorded, replayed = replay_operation(self.db, self.clock, record)
        self.report.operations += 1
        return None if replayed == recorded else self._diverge(record, "outcome", recorded, replayed)

    def _kms(self, record: dict) -> Divergence | None:
        from hsmshell.modes.replay_kms import replay_kms
        from hsmshell.transactions import AuditedTransaction
        with AuditedTransaction(self.db, self.audit):
            recorded, replayed = replay_kms(self.db, self.clock, record)
        self.report.operations += 1
        return None if replayed == recorded else self._diverge(record, "outcome", recorded, replayed)

    # -- one command record ----------------------------------------------------------------------
    def _command(self, record: dict) -> Divergence | None:
        from hsmshell.emulate.tools import tool_of_mode
        tool = tool_of_mode(record.get("mode"))     # an emulated CMU/KMU: the HSM side decides
        shell = self._session(record.get("session"), tool)
        principal = _principal(shell.backend.principal)
        if principal != record.get("principal"):
            return self._diverge(record, "principal", record.get("principal"), principal)
        if record.get("decision") is None:
            return None                                  # never parsed: changed nothing
        allowed = record["decision"].get("allowed")
        if allowed and not record.get("dispatched") and not self._is_local(record):
            return self._check_only(record, shell, tool)  # stopped before the backend: no change
        if record.get("dispatched") and self._secret_input(record):
            self._not_reproducible(record)
            if (record.get("outcome") or {}).get("error_code"):
                return None                          # it failed, so it changed nothing
        return self._rerun(record, shell, tool)

    def _rerun(self, record: dict, shell, tool) -> Divergence | None:
        """The recorded command through the shell's pipeline, with what replay knows in
        place of what the shell would ask for."""
        from hsmshell.pipeline import Replaying
        classes = record.get("secret_length_classes") or {}
        secrets = {name: stand_in(value, classes.get(name))
                   for name, value in (record.get("secrets") or {}).items()}
        if self.token is not None:
            secrets = {name: self.token.secret(record["secrets"][name], value)
                       for name, value in secrets.items()}
        given = Replaying(secrets, record.get("replay") or {},
                          recorded_failure_answers(record.get("outcome") or {}),
                          _recorded_decision(record["decision"]) if self.what_if else None)
        what_if = None
        if self.what_if:            # under --roles DIR, before the command changes the session
            try:
                what_if = self._decision_for(self._parse(record.get("text") or ""), shell, tool)
            except HsmshellError:
                pass                # the pipeline's parse says so below
        outcome = shell.run(record.get("text") or "", record.get("source") or "replay", given)
        attempt = outcome.attempt
        if attempt is None or attempt.invocation is None:
            message = outcome.error.message if outcome.error else "?"
            return self._diverge(record, "record", record.get("text"), f"does not parse: {message}")
        divergence = self._compare_arguments(record, attempt.invocation) or \
            self._compare_decision(record, what_if or attempt.decision)
        if divergence is not None:
            return divergence
        if not record.get("dispatched") and not self._is_local(record):
            return None                              # refused (as recorded): nothing ran
        self.report.commands += attempt.dispatched
        made = attempt.record or {}                  # the record the replay's own log got
        replayed = _comparable_outcome(made.get("outcome") or {}, _comparable(made.get("replay")))
        recorded = _comparable_outcome(record.get("outcome") or {}, record.get("replay"))
        if self._is_local(record):                   # help, exit...: the class and reference
            replayed, recorded = _class_of(replayed), _class_of(recorded)
        return None if replayed == recorded else self._diverge(record, "outcome", recorded, replayed)

    def _check_only(self, record: dict, shell, tool) -> Divergence | None:
        """A command allowed but stopped before the backend (a secret it could not resolve,
        the CAUTION question answered n): its arguments and decision are checked; running it
        with stand-ins would run what never ran."""
        try:
            invocation = self._parse(record.get("text") or "")
        except HsmshellError as exc:
            return self._diverge(record, "record", record.get("text"), f"does not parse: {exc.message}")
        return self._compare_arguments(record, invocation) or \
            self._compare_decision(record, self._decision_for(invocation, shell, tool))

    def _decision_for(self, invocation, shell, tool):
        """The decision under --roles DIR (else the default roles) for the session as it is."""
        from hsmshell.policy.engine import decide
        policy = self.policy if tool is None else tool.policy()
        return decide(policy, shell.backend.principal, invocation.spec, invocation.args, shell.backend)

    def _compare_arguments(self, record: dict, invocation) -> Divergence | None:
        args = _comparable({k: v for k, v in invocation.args.items()
                            if k not in invocation.secrets and v is not None})
        if args != (record.get("args") or {}):
            return self._diverge(record, "arguments", record.get("args"), args)
        return None

    def _is_local(self, record: dict) -> bool:
        spec = self.table.specs.get(record.get("command") or "")
        return bool(spec and spec.local)

    def _secret_input(self, record: dict) -> bool:
        spec = self.table.specs.get(record.get("command") or "")
        return bool(spec and spec.secret_input)

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

    def _parse(self, text: str):
        from hsmshell.parse.binder import parse_line
        parsed = self._parsed.get(text)
        if parsed is None:
            if len(self._parsed) >= PARSE_CACHE:
                self._parsed.clear()
            parsed = self._parsed[text] = parse_line(text, self.table)
        return replace(parsed, args=dict(parsed.args))   # handlers get their own

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

    # -- sessions: one shell each, on the replay cluster ----------------------------------------
    def _session(self, session: str | None, tool=None):
        shell = self.sessions.get(session)
        if shell is None:
            import io
            from hsmshell.backends.emulator import EmulatorBackend
            from hsmshell.environment import Environment
            from hsmshell.modes.dryrun import SilentRenderer
            from hsmshell.pipeline import Shell
            env = Environment(home=self.home, stdin=io.StringIO(), stdout=io.StringIO(),
                              stderr=io.StringIO(), environ={}, output="json", interactive=False,
                              assume_yes=True, mode="replay", clock=self.clock,
                              cluster=self.db.meta("cluster_name", "default"))
            if self.token is not None:
                backend = self.token.backend()
            else:
                backend = EmulatorBackend(self.db, self.clock)
                backend = tool.hsm_side(backend) if tool else backend
            policy = self.shell_policy if tool is None else tool.policy()
            shell = self.sessions[session] = Shell(env, self.table, policy, self.db, self.audit,
                                                   backend, SilentRenderer(env))
        return shell

    def _end_session_if_last(self, record: dict) -> None:
        session = record.get("session")
        if session is None or self.spans.last.get(session) != self.seq:
            return
        shell = self.sessions.pop(session, None)
        if shell is not None:
            from hsmshell.transactions import AuditedTransaction
            with AuditedTransaction(self.db, self.audit):
                shell.backend.close()                # its logout; the replay log needs no record

    def close(self) -> None:
        if self.token is not None:          # a divergence stops replay with sessions still open:
            for shell in self.sessions.values():        # release the token's module
                shell.backend.close()
            self.sessions.clear()
        if self.audit is not None:
            self.audit.close()
        if self.db is not None:
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


def recorded_failure_answers(outcome: dict):
    """The Retry/Ignore/Abort answers the original run gave, read from its per-server outcome:
    a failed server followed only by not-attempted ones was answered abort, any other ignore."""
    servers = [s for s in outcome.get("servers") or () if isinstance(s, dict)]

    def answer(command: str, status) -> str:
        later = [s for s in servers if isinstance(s.get("server"), int) and s["server"] > status.server]
        aborted = later and all(s.get("reference") == "not-attempted" for s in later)
        return "abort" if aborted else "ignore"
    return answer


def _recorded_decision(recorded: dict):
    """The decision a record holds, for the pipeline to follow (what-if replays)."""
    from hsmshell.policy.engine import Decision
    return Decision(bool(recorded.get("allowed")), recorded.get("action") or "", recorded.get("rule") or "",
                    recorded.get("reference"), "the recorded decision",
                    quorum=recorded.get("quorum"))


def _class_of(outcome: dict) -> dict:
    return {"error_code": outcome.get("error_code"), "reference": outcome.get("reference")}


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
