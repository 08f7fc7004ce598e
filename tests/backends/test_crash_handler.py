"""The last resort: a bug (an exception that is none of hsmshell's errors) ends the command
with `internal-error` (exit 1), never the shell: the attempt is audited, its writes are
rolled back, one line on stderr names a crash report under the state dir, and the report
holds the traceback without the secrets the command carried."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from batch_audit_support import ADMIN_PASSWORD, activate, cli, json_lines, log_records
from hsmshell.backends import emulator

SECRET = "Carol5ecretPw"


@pytest.fixture
def buggy_create_user(monkeypatch):
    """createUser's handler writes, then fails with a KeyError whose message holds the password."""
    emulator.all_handlers()

    def boom(cluster, args, secrets):
        cluster.conn.execute("UPDATE users SET name = 'renamed' WHERE name = 'app_user'")
        raise KeyError(f"no slot for {secrets['password']}")

    monkeypatch.setitem(emulator.HANDLERS, "createUser", boom)


def crash_reports(home: Path) -> list[Path]:
    return sorted((home / "crashes").glob("crash-*.txt"))


def only_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_bug_in_a_handler_is_audited_rolled_back_and_reported(activated, buggy_create_user):
    harness = activated
    env = harness.shell.env
    stderr_before = env.stderr.getvalue()
    outcome, printed = harness.run(f"createUser CU carol {SECRET}", "t:1")
    assert int(outcome.status) == 1 and outcome.error.reference == "internal-error"
    assert printed[-1]["error"]["reference"] == "internal-error" and printed[-1]["error_code"] == 1
    line = only_line(env.stderr.getvalue()[len(stderr_before):])
    [report] = crash_reports(harness.home)
    assert str(report) in line and "internal-error" in line and "KeyError" in line
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text()
    assert "Traceback" in text and "KeyError" in text and "createUser" in text
    assert SECRET not in text and "<redacted>" in text
    record = log_records(harness.home)[-1]
    assert record["source"] == "t:1" and record["outcome"]["reference"] == "internal-error"
    assert not record.get("dispatched")              # its writes were undone: nothing to replay
    assert SECRET not in json.dumps(log_records(harness.home))
    users = {u["user_name"] for s in harness.ok("listUsers")["data"]["servers"] for u in s["users"]}
    assert "app_user" in users and "renamed" not in users      # rolled back; the shell goes on


def test_a_bug_before_the_backend_is_audited_too(activated, monkeypatch):
    from hsmshell import pipeline

    def broken_policy(*args, **kwargs):
        raise AttributeError("policy bug")

    monkeypatch.setattr(pipeline, "decide", broken_policy)
    outcome, printed = activated.run("listUsers", "t:2")
    assert outcome.error.reference == "internal-error" and printed[-1]["command"] == "listUsers"
    record = log_records(activated.home)[-1]
    assert record["source"] == "t:2" and record["outcome"]["reference"] == "internal-error"
    assert record["decision"] is None
    monkeypatch.undo()
    activated.ok("whoami")


def test_a_line_that_crashes_the_parser_keeps_its_secret_out_of_the_report(harness, monkeypatch):
    from hsmshell import pipeline

    def broken_parse(text, table, source=""):
        raise ValueError(f"cannot read {text!r}")

    monkeypatch.setattr(pipeline, "parse_line", broken_parse)
    outcome, _ = harness.run(f"loginHSM CU carol {SECRET}", "t:3")
    assert outcome.error.reference == "internal-error"
    [report] = crash_reports(harness.home)
    assert SECRET not in report.read_text() and "ValueError" in report.read_text()
    record = log_records(harness.home)[-1]
    assert record["command"] == "loginHSM" and SECRET not in json.dumps(record)


def test_through_the_command_line_exit_1_one_line_no_traceback(capsys, home, buggy_create_user):
    activate(capsys, home)
    code, out, err = cli(capsys, home, "--json", "--yes", "-c",
                         f"loginHSM CO admin {ADMIN_PASSWORD}; createUser CU carol {SECRET}; listUsers")
    assert code == 1
    objects = json_lines(out)
    assert [o["error_code"] for o in objects] == [0, 1]          # -c stops at the first failure
    assert "Traceback" not in err and SECRET not in err and SECRET not in out
    assert "crash report" in only_line(err)
    code, out, err = cli(capsys, home, "audit", "verify")
    assert code == 0, err


def test_a_bug_outside_any_command_is_reported_the_same_way(capsys, home, monkeypatch):
    from hsmshell import cli as cli_module

    def broken_dispatch(options, env):
        raise RuntimeError("dispatch bug")

    monkeypatch.setattr(cli_module, "dispatch", broken_dispatch)
    code, out, err = cli(capsys, home, "--no-color", "-c", "listUsers")
    assert code == 1 and "Traceback" not in err
    assert "internal-error" in only_line(err) and "RuntimeError" in err
    [report] = crash_reports(home)
    assert "dispatch bug" in report.read_text()


def test_redaction_takes_the_longest_secret_whole():
    from hsmshell.crash_report import redact
    assert redact("a=abcdef b=abc c='it\\'s'", ["abc", "abcdef", "it's"]) == \
        "a=<redacted> b=<redacted> c='<redacted>'"
