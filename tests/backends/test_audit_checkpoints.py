"""Signed checkpoints come every CHECKPOINT_EVERY records inside a session, not only at its end."""

from __future__ import annotations

import json

from hsmshell.audit import log as audit_log


def test_a_long_session_writes_a_signed_checkpoint_every_interval(harness, monkeypatch):
    monkeypatch.setattr(audit_log, "CHECKPOINT_EVERY", 5)
    harness.activate()
    for _ in range(12):
        harness.ok("listUsers")
    lines = (harness.home / "clusters" / "default" / "audit.log").read_bytes().splitlines()
    kinds = [json.loads(line)["kind"] for line in lines]
    checkpoints = [i for i, kind in enumerate(kinds) if kind == "checkpoint"]
    assert len(checkpoints) >= 2                         # mid-session, before the shell closed
    gaps = [b - a for a, b in zip(checkpoints, checkpoints[1:])]
    assert all(gap == 6 for gap in gaps)                 # 5 records, then their checkpoint
    for index in checkpoints:
        record = json.loads(lines[index])
        assert record["covers_seq"] == record["seq"] - 1 and record["signature"]
