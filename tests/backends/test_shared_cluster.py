"""Two shells on one cluster (docs/architecture.md, State on disk): no update is lost, one total order of
audit records, and one shell's login protects that user from the other; and the log fails
closed when it cannot be written, losing nothing."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from batch_audit_support import ADMIN_PASSWORD, cli, json_lines, log_records, write_batch
from hsmshell.audit import log as audit_log
from hsmshell.status import ExitStatus


@pytest.fixture
def two_shells(activated, home):
    """`activated` (shell A, logged in as admin) and a second shell B on the same state dir."""
    other = type(activated)(home)             # the shared test Harness class
    other.ok(f"loginHSM CO admin {ADMIN_PASSWORD}")
    yield activated, other
    other.close()


def user_ids(harness) -> dict[str, list[tuple[int, str]]]:
    return {s["hsm"]: [(u["user_id"], u["user_name"]) for u in s["users"]]
            for s in harness.ok("listUsers")["data"]["servers"]}


def verify(capsys, home) -> dict:
    code, out, _ = cli(capsys, home, "--json", "audit", "verify")
    report = json_lines(out)[0]
    assert code == 0, report
    return report["data"]


def test_interleaved_creates_from_two_shells_are_all_kept(capsys, two_shells, home):
    a, b = two_shells
    for n in range(8):
        a.ok(f"createUser CU a_user{n} apassword{n}")
        b.ok(f"createUser CU b_user{n} bpassword{n}")
    b.ok("deleteUser CU a_user3")
    a.ok("changePswd CU b_user5 changed55")
    seen_by_a, seen_by_b = user_ids(a), user_ids(b)
    assert seen_by_a == seen_by_b
    for rows in seen_by_a.values():
        names = [name for _, name in rows]
        ids = [i for i, _ in rows]
        assert len(set(ids)) == len(ids) == 17                    # 2 built in + 16 - 1 deleted
        assert set(names) == {"admin", "app_user"} | {f"a_user{n}" for n in range(8) if n != 3} \
            | {f"b_user{n}" for n in range(8)}
    a.close(), b.close()
    records = log_records(home)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert len({r["session"] for r in records if r["kind"] == "command"}) == 2
    verify(capsys, home)


def test_two_processes_at_once_lose_nothing(capsys, tmp_path, home, activated):
    activated.close()
    batches = [write_batch(tmp_path, f"loginHSM CO admin {ADMIN_PASSWORD}\n" +
                           "".join(f"createUser CU {p}_{n} password{n:03d}\nlistUsers\n" for n in range(15)),
                           name=f"{p}.hsm") for p in ("left", "right")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSMSHELL_")}
    runs = [subprocess.Popen([sys.executable, "-m", "hsmshell", "--home", str(home), "--json", "--yes",
                              "run", str(batch)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            for batch in batches]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    again = type(activated)(home)
    try:
        for rows in user_ids(again).values():
            assert sorted(name for _, name in rows if "_" in name and name != "app_user") == \
                sorted(f"{p}_{n}" for p in ("left", "right") for n in range(15))
    finally:
        again.close()
    assert verify(capsys, home)["records"] == len(log_records(home))


def test_a_user_logged_in_in_one_shell_is_protected_in_the_other(two_shells):
    a, b = two_shells
    a.ok("createUser CU carol carolpass1")
    b.ok("logoutHSM")
    b.ok("loginHSM CU carol carolpass1")
    for line in ("deleteUser CU carol", "changePswd CU carol otherpass1"):
        outcome, printed = a.run(line)
        assert outcome.status == ExitStatus.DENIED
        assert printed[0]["error"]["reference"] == "permission-denied"
        assert "carol is logged in" in printed[0]["error"]["message"]
    b.ok("logoutHSM")
    a.ok("deleteUser CU carol")
    assert all("carol" not in [n for _, n in rows] for rows in user_ids(a).values())


class _FailingWrites:
    """Stands in for the `os` module of the audit log: every write fails as on a full disk."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def write(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_an_audit_log_that_cannot_be_written_fails_closed_and_loses_nothing(capsys, activated, monkeypatch):
    monkeypatch.setattr(audit_log, "os", _FailingWrites())
    outcome, printed = activated.run("createUser CU dora dorapass1")
    assert outcome.status == ExitStatus.AUDIT
    assert printed[0]["error"]["reference"] == "audit-write-failed"
    assert "could not be written" in printed[0]["error"]["message"]
    for line in ("listUsers", "createUser CU eve evepass12", "lstUsers"):
        outcome, printed = activated.run(line)          # refused before anything runs
        assert outcome.status == ExitStatus.AUDIT, line
        assert printed[0]["error"]["reference"] == "audit-write-failed"
    monkeypatch.undo()
    names = {n for rows in user_ids(activated).values() for _, n in rows}
    assert "dora" in names and "eve" not in names        # the first ran; the refused did not
    activated.close()
    records = log_records(activated.home)
    dora = [r for r in records if r.get("command") == "createUser"]
    assert [r["args"]["user_name"] for r in dora] == ["dora"]   # its pending record was written
    assert not any(r.get("command") == "lstUsers" or "eve" in r.get("text", "") for r in records)
    verify(capsys, activated.home)
