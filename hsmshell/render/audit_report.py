"""Rendering of `audit verify` reports."""

from __future__ import annotations

import json


def render_verify(env, report) -> None:
    if env.output == "json":
        error = None if report.ok else {
            "reference": "audit-tampered",
            "message": f"record {report.bad_seq}: {report.problem}",
            "hint": "restore the log from a copy; records after the bad one cannot be trusted"}
        env.stdout.write(json.dumps({"command": "audit verify", "source": "hsmshell",
                                     "error_code": 0 if report.ok else 6,
                                     "data": report.to_dict() if report.ok else None,
                                     "error": error}) + "\n")
        return
    if report.ok:
        env.stdout.write(f"audit log {report.log}: OK, {report.records} records, "
                         f"{report.checkpoints} signed checkpoints, head {report.head_seq}\n")
    else:
        env.stderr.write(f"error[audit-tampered]: audit log {report.log}: record {report.bad_seq}: "
                         f"{report.problem}\n")
