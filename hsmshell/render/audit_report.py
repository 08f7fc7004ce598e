"""Rendering of `audit verify` reports."""

from __future__ import annotations

from hsmshell.model.words import plural

from hsmshell.render.report import envelope
from hsmshell.status import ExitStatus


def render_verify(env, report, command: str = "audit verify") -> None:
    if env.output == "json":
        if report.ok and report.head_problem is None:
            env.stdout.write(envelope(command, report.to_dict()) + "\n")
            return
        if report.ok:
            error = {"reference": "audit-head-unchecked", "log": report.log, **report.to_dict(),
                     "message": f"audit log {report.log}: the chain checks out, but the head could "
                                f"not be checked: {report.head_problem}",
                     "hint": "restore the cluster state; a cut tail cannot be told from a whole log without it"}
        else:
            error = {"reference": "audit-tampered", "log": report.log, "first_bad_record": report.bad_seq,
                     "problem": report.problem,
                     "message": f"audit log {report.log}: record {report.bad_seq}: {report.problem}",
                     "hint": "restore the log from a copy; records after the bad one cannot be trusted"}
        env.stdout.write(envelope(command, None, error, ExitStatus.AUDIT) + "\n")
        return
    if report.ok:
        head = f"head {report.head_seq}" if report.head_checked else \
            "tail not checked against a cluster state (not this cluster's own log)"
        env.stdout.write(f"audit log {report.log}: OK, {plural(report.records, 'record')}, "
                         f"{plural(report.checkpoints, 'signed checkpoint')}, {head}\n")
        if report.trusted_key:
            env.stdout.write(f"  audit key trusted: {report.trusted_key} (from {report.trusted_from})\n")
        if report.restored:
            env.stdout.write(f"  the last {report.restored} record(s) were committed with the cluster "
                             f"state but missing from the log (an append a crash interrupted, or a cut "
                             f"tail); they were written back from the state\n")
        if report.head_problem:
            env.stderr.write(f"error[audit-head-unchecked]: audit log {report.log}: the head could not "
                             f"be checked (a cut tail would go unnoticed): {report.head_problem}\n")
    else:
        env.stderr.write(f"error[audit-tampered]: audit log {report.log}: record {report.bad_seq}: "
                         f"{report.problem}\n")