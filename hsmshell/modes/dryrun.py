"""`run FILE --dry-run`: run the whole file against a scratch copy of the cluster (policy,
quorum and the emulator's own rules all apply, state carries from line to line) and print a
plan, one row per line: would run / denied (rule) / needs quorum (service, M, approvals) /
would fail (reason). The real state and audit log are not touched; files the commands would
write go to the scratch folder (output_sandbox.py). Exit status: what the first blocked line
would give."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hsmshell.errors import HsmshellError
from hsmshell.record import field, record, replace
from hsmshell.status import ExitStatus

WOULD_RUN, DENIED, NEEDS_QUORUM, WOULD_FAIL = "would-run", "denied", "needs-quorum", "would-fail"


@record
class PlanRow:
    source: str
    command: str | None
    text: str                       # redacted
    plan: str
    status: ExitStatus
    reason: str | None = None
    error: HsmshellError | None = None
    quorum: dict | None = None
    after_stop: bool = False        # the real run (without --continue-on-error) stops before it
    caution: bool = False           # the real run asks the CAUTION question first

    def to_dict(self) -> dict:
        out = {"command": self.command, "source": self.source, "text": self.text,
               "plan": self.plan, "reason": self.reason, "error_code": int(self.status),
               "error": self.error.to_dict() if self.error else None}
        if self.quorum:
            out["quorum"] = self.quorum
        if self.after_stop:
            out["after_stop"] = True
        return out


@record
class Plan:
    rows: list[PlanRow] = field(default_factory=list)
    stop_at: str | None = None
    first_blocked: ExitStatus = ExitStatus.SUCCESS

    def counts(self) -> dict[str, int]:
        return {kind: sum(r.plan == kind for r in self.rows)
                for kind in (WOULD_RUN, DENIED, NEEDS_QUORUM, WOULD_FAIL)}


class SilentRenderer:
    """The scratch shell shows nothing: the plan is the output. Whatever a renderer is asked
    to show (result, error, caution, note, ...) is dropped."""

    def __init__(self, env):
        self.env = env

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def run_dry(env, script, continue_on_error: bool) -> ExitStatus:
    from hsmshell.clusters import open_shell
    from hsmshell.modes.batch import warn_literal_passwords
    from hsmshell.output_sandbox import sandboxed_output
    from hsmshell.render import make_renderer
    from hsmshell.render.plan import render_plan
    from hsmshell.state.home import StateHome
    from hsmshell.audit.snapshot import snapshot_cluster

    renderer = make_renderer(env)
    with tempfile.TemporaryDirectory(prefix="hsmshell-dry-run-") as scratch:
        scratch_home = Path(scratch) / "home"
        real = StateHome(env.home).cluster_dir(env.cluster)
        snapshot_cluster(real, StateHome(scratch_home).cluster_dir(env.cluster))
        # plan as if the CAUTION question were answered y (a terminal user would be asked,
        # --yes answers it); without either, say once below that the real run needs one
        scratch_env = replace(env, home=scratch_home, assume_yes=True)
        shell = open_shell(scratch_env)
        shell.renderer = SilentRenderer(scratch_env)
        try:
            warn_literal_passwords(shell.table, renderer, script.statements)
            with sandboxed_output(Path(scratch) / "outputs"):
                plan = _plan(shell, script.statements, continue_on_error)
        finally:
            shell.close()
    render_plan(env, renderer, plan, continue_on_error)
    if not (env.assume_yes or env.can_confirm):
        asking = [r for r in plan.rows if r.caution and r.plan == WOULD_RUN]
        if asking:
            first = ", ".join(r.source for r in asking[:3]) + (" ..." if len(asking) > 3 else "")
            renderer.note(f"note: the real run asks the CAUTION question for {len(asking)} "
                          f"command{'s' if len(asking) != 1 else ''} ({first}): pass --yes, or "
                          "run it on a terminal to answer it")
    return plan.first_blocked


def _plan(shell, statements, continue_on_error: bool) -> Plan:
    plan = Plan()
    for statement in statements:
        outcome = shell.run(statement.text, statement.source)
        row = plan_row(shell, statement, outcome)
        row.after_stop = plan.stop_at is not None and not continue_on_error
        plan.rows.append(row)
        if outcome.status != ExitStatus.SUCCESS and plan.stop_at is None:
            plan.stop_at, plan.first_blocked = statement.source, outcome.status
        if shell.quitting:
            break
    return plan


def plan_row(shell, statement, outcome) -> PlanRow:
    from hsmshell.parse.binder import parse_line, redact_unparsed
    try:
        text = parse_line(statement.text, shell.table).text
    except HsmshellError:
        text = redact_unparsed(statement.text, shell.table)[1]
    row = PlanRow(statement.source, outcome.command, text, WOULD_RUN, outcome.status)
    row.caution = bool(outcome.command in shell.table and shell.table.lookup(outcome.command).caution)
    error = outcome.error
    if outcome.status == ExitStatus.SUCCESS or error is None:
        return row
    row.error = error
    if error.reference == "quorum-required":
        row.plan, row.quorum = NEEDS_QUORUM, error.detail.get("quorum")
        row.reason = _quorum_reason(row.quorum) or error.message
    elif outcome.status == ExitStatus.DENIED:
        row.plan = DENIED
        rule = error.detail.get("rule")
        row.reason = rule if rule else f"HSM: {error.message}"
    else:
        row.plan, row.reason = WOULD_FAIL, f"{error.reference}: {error.message}"
    return row


def _quorum_reason(quorum: dict | None) -> str | None:
    if not quorum:
        return None
    name = f" {quorum['service_name']}" if quorum.get("service_name") else ""
    return (f"service {quorum.get('service')}{name}, M={quorum.get('m')}, "
            f"approvals {quorum.get('approvals', 0)}/{quorum.get('m')}")
