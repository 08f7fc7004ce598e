"""Batch mode runs several commands per transaction (hsmshell/transactions.py). What must hold:
a failed command undoes only its own writes; results are shown only after their records are
in the log, and in order; a question to the user first commits and shows what ran before it;
the group commits at its size limit, so other shells get the lock; and the log verifies."""

from __future__ import annotations

import fcntl
import gc
import json
import os

import pytest

from batch_audit_support import ADMIN_PASSWORD, cli, json_lines, log_records, write_batch
from hsmshell import transactions
from hsmshell.audit.log import AuditLog
from hsmshell.errors import AuditWriteFailed
from hsmshell.modes.batch import run_statements
from hsmshell.pipeline import Shell


def groups_of(commands: int, monkeypatch) -> None:
    """Groups end after `commands` commands only: never by the clock (a slow machine must
    not change where a group ends)."""
    monkeypatch.setattr(transactions, "GROUP_COMMANDS", commands)
    monkeypatch.setattr(transactions, "GROUP_SECONDS", 1e9)


def users_in_state(harness) -> set[str]:
    return {row[0] for row in harness.shell.db.conn.execute("SELECT DISTINCT name FROM users")}


def test_a_failed_command_in_a_group_undoes_only_its_own_writes(activated):
    harness = activated
    statements = [("createUser CU alice alicepass1", "b:1"), ("createUser CU bob bobpass12", "b:2"),
                  ("createUser CU alice otherpass1", "b:3"),     # exists: fails
                  ("createUser CU carol carolpass1", "b:4")]
    summary = run_statements(harness.shell, statements, continue_on_error=True)
    assert (summary.ran, summary.failed) == (4, 1)
    assert {"alice", "bob", "carol"} <= users_in_state(harness)
    records = [r for r in log_records(harness.home) if r.get("command") == "createUser"]
    assert [r["outcome"]["error_code"] == 0 for r in records] == [True, True, False, True]


def test_results_appear_in_order_only_after_their_records_are_in_the_log(activated, monkeypatch):
    harness = activated
    groups_of(3, monkeypatch)
    out = harness.shell.env.stdout
    seen = []

    def after_each_command():
        # what is on screen never runs ahead of what is in the log
        shown = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
        logged = [r for r in log_records(harness.home) if r.get("source", "").startswith("g:")]
        seen.append((len([s for s in shown if s["source"].startswith("g:")]), len(logged)))

    statements = [(f"createUser CU user{n} userpass{n:03d}", f"g:{n}") for n in range(7)]
    run_statements(harness.shell, statements, advance=after_each_command)
    assert all(shown <= logged for shown, logged in seen)
    assert [n for n, _ in seen] == [0, 0, 3, 3, 3, 6, 6]      # committed every 3 commands
    shown = [json.loads(line)["source"] for line in out.getvalue().splitlines() if line.strip()]
    assert [s for s in shown if s.startswith("g:")] == [f"g:{n}" for n in range(7)]


def test_a_question_commits_and_shows_what_ran_before_it(activated):
    harness = activated
    on_screen_when_asked = []

    def ask_secret(prompt: str) -> str:
        on_screen_when_asked.append(harness.shell.env.stdout.getvalue())
        return "alicepass1"

    harness.open(ask_secret_fn=ask_secret)
    statements = [(f"loginHSM CO admin {ADMIN_PASSWORD}", "q:1"), ("listUsers", "q:2"),
                  ("createUser CU alice -hpswd", "q:3")]
    summary = run_statements(harness.shell, statements)
    assert summary.failed == 0
    assert '"source":"q:2"' in on_screen_when_asked[0]     # listUsers was shown before the prompt
    assert "alice" in users_in_state(harness)


def test_an_unexpected_error_keeps_the_commands_before_it(activated, monkeypatch):
    harness = activated
    backend = harness.shell.backend
    real_execute = backend.execute

    def execute(invocation, secrets, context=None):
        if invocation.args.get("user_name") == "boom":
            backend.cluster.conn.execute("DELETE FROM users WHERE name = 'alice'")   # undone
            raise RuntimeError("a bug")
        return real_execute(invocation, secrets, context)

    monkeypatch.setattr(backend, "execute", execute)
    run_statements(harness.shell, [("createUser CU alice alicepass1", "u:1"),
                                   ("createUser CU boom boompass12", "u:2")])
    assert "alice" in users_in_state(harness)              # the bug's own write was undone
    last = [r for r in log_records(harness.home) if r["kind"] == "command"][-2:]
    assert [(r["source"], r["outcome"]["reference"]) for r in last] == \
        [("u:1", None), ("u:2", "internal-error")]
    assert '"source":"u:1"' in harness.shell.env.stdout.getvalue()


def test_a_batch_file_with_groups_verifies_and_replays(tmp_path, capsys):
    home = tmp_path / "home"
    status, _, err = cli(capsys, home, "--json", "--yes", "-c",
                         f"loginHSM PRECO admin password; changePswd PRECO admin {ADMIN_PASSWORD}")
    assert status == 0, err
    lines = [f"loginHSM CO admin {ADMIN_PASSWORD}"]
    for n in range(150):                       # more than two groups
        lines += [f"createUser CU u{n} userpass{n:03d}", "listUsers", f"deleteUser CU u{n}"]
    lines.append("deleteUser CU nobody")      # the last group ends with a failure
    batch = write_batch(tmp_path, "\n".join(lines) + "\n")
    status, out, err = cli(capsys, home, "--json", "--yes", "run", str(batch))
    assert status != 0 and "stopped at" in err
    assert len(json_lines(out)) == len(lines)
    status, out, err = cli(capsys, home, "--json", "audit", "verify")
    assert status == 0, (out, err)
    status, out, err = cli(capsys, home, "--json", "audit", "replay")
    assert status == 0, (out, err)


def test_the_cluster_lock_is_free_between_groups(activated, monkeypatch):
    """Other shells wait at most one group: the lock is released at every commit."""
    harness = activated
    groups_of(3, monkeypatch)
    lock_file = harness.shell.db.directory / "lock"
    free = []

    def probe():
        fd = os.open(lock_file, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            free.append(True)
        except BlockingIOError:
            free.append(False)
        finally:
            os.close(fd)

    statements = [(f"createUser CU user{n} userpass{n:03d}", f"l:{n}") for n in range(7)]
    run_statements(harness.shell, statements, advance=probe)
    assert free == [False, False, True, False, False, True, False]


def test_a_command_that_writes_a_file_commits_its_record_at_once(activated, tmp_path, monkeypatch):
    """A rollback cannot take back a written file (an exported key, a signature): the record
    of the command that wrote it is committed and appended before the next command runs."""
    harness = activated
    harness.ok("createUser CU alice alicepass1")
    harness.ok("logoutHSM")
    harness.ok("loginHSM CU alice alicepass1")
    groups_of(1000, monkeypatch)
    logged = []
    statements = [("genSymKey -t 31 -s 32 -l wrapper", "f:1"), ("genSymKey -t 31 -s 32 -l data", "f:2"),
                  ("exSymKey -k 262146 -w 262145 -out " + str(tmp_path / "key.bin"), "f:3"),
                  ("findKey -l data", "f:4")]
    run_statements(harness.shell, statements,
                   advance=lambda: logged.append([r.get("source") for r in log_records(harness.home)
                                                  if r.get("source", "").startswith("f:")]))
    assert (tmp_path / "key.bin").exists()
    assert logged[:3] == [[], [], ["f:1", "f:2", "f:3"]]
    assert logged[3] == ["f:1", "f:2", "f:3"]             # f:4 waits for the end of the batch


def test_a_backend_with_state_outside_the_database_gets_a_transaction_per_command(activated, monkeypatch):
    harness = activated
    monkeypatch.setattr(type(harness.shell.backend), "transactional", False)
    groups_of(1000, monkeypatch)
    logged = []
    run_statements(harness.shell, [("listUsers", "t:1"), ("whoami", "t:2")],
                   advance=lambda: logged.append(len([r for r in log_records(harness.home)
                                                      if r.get("source", "").startswith("t:")])))
    assert logged == [1, 2]


def test_records_that_cannot_be_written_stop_the_batch_naming_what_ran(activated, monkeypatch):
    harness = activated
    groups_of(3, monkeypatch)
    real_write = AuditLog._write
    failures = iter([True])

    def write(self, data):
        if data.count(b"\n") >= 3 and next(failures, False):
            raise AuditWriteFailed("the log could not be written: No space left on device")
        real_write(self, data)

    monkeypatch.setattr(AuditLog, "_write", write)
    statements = [(f"createUser CU user{n} userpass{n:03d}", f"w:{n}") for n in range(5)]
    summary = run_statements(harness.shell, statements)
    assert summary.first_failure == 6 and summary.stopped_at == "w:2"
    shown = [json.loads(line) for line in harness.shell.env.stdout.getvalue().splitlines() if line.strip()]
    refusal = shown[-1]
    assert refusal["source"] == "w:2" and refusal["error"]["reference"] == "audit-write-failed"
    assert "(ran: w:0 to w:2)" in refusal["error"]["message"]
    harness.ok("whoami")                       # the next command appends the pending records first
    assert [r.get("source") for r in log_records(harness.home)][-4:] == ["w:0", "w:1", "w:2", "test"]


def test_an_hsm_that_fails_and_is_replaced_inside_a_group_is_seen_by_the_next_commands(activated, monkeypatch):
    """The HSM list is read once per lock hold: a change to it (here the automatic replacement
    of a failed HSM) must reach the group's next commands."""
    from hsmshell.backends.emulator import lifecycle
    harness = activated
    groups_of(1000, monkeypatch)
    cluster = harness.shell.backend.cluster
    before = {h.server: h.hsm_id for h in cluster.hsms()}
    failed = []

    def between():
        if not failed:              # after the first command, inside the open group
            failed.append(lifecycle.fail_hsm(cluster, "1", delay=0))

    deferred = []

    def between_and_check():
        between()
        deferred.append(cluster.conn.execute("PRAGMA defer_foreign_keys").fetchone()[0])

    summary = run_statements(harness.shell, [("listUsers", "h:1"), ("listUsers", "h:2"),
                                             ("listUsers", "h:3")], advance=between_and_check)
    assert deferred == [0, 0, 0]        # cloning deferred the checks only while it ran
    assert summary.failed == 0
    shown = [json.loads(line) for line in harness.shell.env.stdout.getvalue().splitlines()
             if line.strip() and json.loads(line)["source"].startswith("h:")]
    last = [s["hsm"] for s in shown[-1]["data"]["servers"]]
    assert last[1] != before[1] and last[0] == before[0]      # server 1 is a new HSM
    assert [s["hsm"] for s in shown[1]["data"]["servers"]] == last
    assert [s["hsm"] for s in shown[0]["data"]["servers"]][1] == before[1]


def test_an_error_after_a_command_staged_its_record_takes_the_record_back_too(activated, monkeypatch):
    """Whatever ends a batch command with an exception, its writes and the record it already
    staged go together; the commands before it keep both. The crash handler then records
    the attempt as internal-error, once."""
    harness = activated
    groups_of(1000, monkeypatch)
    real_stage = Shell._stage
    crashed = []

    def stage(self, attempt):
        real_stage(self, attempt)
        invocation = attempt.invocation
        if invocation is not None and invocation.args.get("user_name") == "bob" and not crashed:
            crashed.append(attempt.source)
            raise RuntimeError("after staging")

    monkeypatch.setattr(Shell, "_stage", stage)
    run_statements(harness.shell, [("createUser CU alice alicepass1", "s:1"),
                                   ("createUser CU bob bobpass123", "s:2")])
    assert "alice" in users_in_state(harness) and "bob" not in users_in_state(harness)
    records = [r for r in log_records(harness.home) if r.get("source") in ("s:1", "s:2")]
    assert [(r["source"], r["outcome"]["reference"]) for r in records] == \
        [("s:1", None), ("s:2", "internal-error")]
    assert not records[1].get("dispatched")                # rolled back: replay skips it
    harness.ok("whoami")                                   # the log and the state still agree


def test_the_garbage_collector_is_frozen_and_collects_less_often_only_while_a_batch_runs(activated):
    frozen, before = [], gc.get_threshold()
    run_statements(activated.shell, [("whoami", "g:1")],
                   advance=lambda: frozen.append((gc.get_freeze_count(), gc.get_threshold()[0])))
    assert frozen[0][0] > 0 and frozen[0][1] > before[0]
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before
