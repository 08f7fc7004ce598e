"""The command-line contract of docs/architecture.md, through the real entry point: exit-status classes,
`-c "A; B"` stopping at the first failure, CAUTION without a terminal, one audit record per
attempt, and no literal password in any file the shell writes."""

from __future__ import annotations

import io
import sys

import pytest

from batch_audit_support import ADMIN_PASSWORD, activate, cli, cluster_dir, json_lines, log_records, write_batch
from hsmshell.status import ExitStatus


@pytest.mark.parametrize("line, status, reference", [
    ("listUsers", ExitStatus.SUCCESS, None),
    ("loginHSM CU nobody nobody12", ExitStatus.HSM_ERROR, "no-such-user"),
    ("loginHSM PRECO admin wrongpass", ExitStatus.HSM_ERROR, "login-failed"),
    ("listUsers extra", ExitStatus.USAGE, "invalid-argument"),
    ("lstUsers", ExitStatus.USAGE, "unknown-command"),
    ("listUsers '", ExitStatus.USAGE, "parse-error"),
    ("createUser CU bob bobpass12", ExitStatus.DENIED, "not-logged-in"),
    ("logoutHSM", ExitStatus.DENIED, "not-logged-in"),
])
def test_each_outcome_has_its_exit_status_class(capsys, home, line, status, reference):
    code, out, err = cli(capsys, home, "--json", "-c", line)
    assert code == status
    [obj] = json_lines(out)
    assert obj["error_code"] == int(status)
    assert (obj["error"] or {}).get("reference") == reference
    assert "Traceback" not in err


def test_a_cu_refused_by_policy_exits_3_naming_the_rule(capsys, home):
    activate(capsys, home)
    setup = f"loginHSM CO admin {ADMIN_PASSWORD}; createUser CU alice alicepass1; logoutHSM"
    assert cli(capsys, home, "--json", "--yes", "-c", setup)[0] == 0
    code, out, err = cli(capsys, home, "--no-color", "--yes", "-c",
                         "loginHSM CU alice alicepass1; createUser CU bob bobpass12")
    assert code == ExitStatus.DENIED
    assert "error[permission-denied]: createUser needs role CO; you are alice (CU)" in err
    assert "hint: log in as CO to run it" in err


def test_dash_c_stops_at_the_first_failure_with_its_status(capsys, home):
    code, out, _ = cli(capsys, home, "--json", "-c", "listUsers; whoami; logoutHSM; listUsers; bogus")
    assert code == ExitStatus.DENIED
    assert [(o["source"], o["error_code"]) for o in json_lines(out)] == [("-c:1", 0), ("-c:2", 0), ("-c:3", 3)]
    code, out, _ = cli(capsys, home, "--json", "-c", "listUsers; listUsers 'x; whoami")
    assert code == ExitStatus.USAGE and len(json_lines(out)) == 2


def test_a_write_without_a_terminal_needs_yes(capsys, home, monkeypatch):
    activate(capsys, home)
    line = f"loginHSM CO admin {ADMIN_PASSWORD}; createUser CU bob bobpass12"
    code, out, _ = cli(capsys, home, "--json", "-c", line)
    assert code == ExitStatus.USAGE
    refusal = json_lines(out)[-1]
    assert refusal["error"]["reference"] == "confirmation-required" and "--yes" in refusal["error"]["hint"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"loginHSM CO admin {ADMIN_PASSWORD}\ndeleteUser CU app_user\n"))
    assert cli(capsys, home, "--json", "run", "-")[0] == ExitStatus.USAGE
    code, out, _ = cli(capsys, home, "--json", "-c", "listUsers")
    names = {u["user_name"] for s in json_lines(out)[0]["data"]["servers"] for u in s["users"]}
    assert names == {"admin", "app_user"}                 # nothing was created or deleted
    assert [r["outcome"]["reference"] for r in log_records(home)
            if r.get("command") in ("createUser", "deleteUser")] == ["confirmation-required"] * 2


def test_every_attempt_gets_a_record_and_the_log_verifies(capsys, tmp_path, home):
    activate(capsys, home)
    lines = ["", "# attempts of every kind", "lstUsers", "listUsers \x01", "createUser CU bob bobpass12",
             f"loginHSM CO admin {ADMIN_PASSWORD}", "deleteUser CU nobody", "createUser CU bob short",
             "createUser CU bob bobpass12", "whoami", "logoutHSM"]
    batch = write_batch(tmp_path, "\n".join(lines) + "\n")
    code, out, _ = cli(capsys, home, "--json", "--yes", "run", str(batch), "--continue-on-error")
    assert code == ExitStatus.USAGE                       # the first failure: the typo on line 3
    commands = [r for r in log_records(home) if r["kind"] == "command" and r["source"].startswith(str(batch))]
    assert [r["source"].rsplit(":", 1)[1] for r in commands] == [str(n) for n in range(3, 12)]
    assert [r["outcome"]["reference"] for r in commands] == [
        "unknown-command", "parse-error", "not-logged-in", None, "no-such-user", "invalid-argument",
        None, None, None]
    assert [r["outcome"]["error_code"] for r in commands] == [o["error_code"] for o in json_lines(out)]
    denial = commands[2]
    assert denial["decision"]["allowed"] is False and denial["decision"]["rule"].startswith("anonymous.toml")
    code, out, _ = cli(capsys, home, "--json", "audit", "verify")
    [report] = json_lines(out)
    assert code == 0 and report["data"]["ok"]
    assert report["data"]["log"] == str(cluster_dir(home) / "audit.log")


PASSWORDS = ["Lit3ral-Pw1", "Typo3d-Pw2", "Extra-Pw3x", "Alone-Pw4x!", "Kmu-Flag-Pw5", "Wrong-Pw6x",
             "-Dash-Pw7x", "Miss1ng-Pw8"]


def test_no_literal_password_reaches_any_file_of_the_state_dir(capsys, activated):
    p = PASSWORDS
    attempts = [(f"createUser CU alice {p[0]}", "ok"),                # accepted
                (f"crateUser CU bob {p[1]}", "unknown-command"),      # a typo in the command
                (f"createUser CU bob {p[2]} extra", "invalid-argument"),  # one word too many
                (p[3], "unknown-command"),                            # typed when nothing asked
                (f"changePswd CU alice {p[6]}", "ok"),                # a password starting with '-'
                ("logoutHSM", "ok"),
                (f"loginHSM -u CU -s alice -p {p[4]}", "login-failed"),   # KMU form, wrong password
                (f"loginHSM CU alice {p[5]}", "login-failed"),        # wrong password
                (f"loginHSM CU {p[7]}", "invalid-argument")]          # the name left out
    for line, expected in attempts:
        outcome, printed = activated.run(line)
        assert (printed[0]["error"] or {}).get("reference", "ok") == expected, line
        assert not any(pw in activated.shell.env.stdout.getvalue() + activated.shell.env.stderr.getvalue()
                       for pw in PASSWORDS), line
    activated.close()
    code, out, err = cli(capsys, activated.home, "--json", "audit", "verify")
    assert code == 0
    everything = b"".join(f.read_bytes() for f in activated.home.rglob("*") if f.is_file())
    for password in PASSWORDS + [ADMIN_PASSWORD]:
        assert password.encode() not in everything, password


@pytest.mark.parametrize("line, reference", [
    ("frobnicate", "unknown-command"),
    ("deleteUser CU", "invalid-argument"),
    ("info server two", "invalid-argument"),
    ("deleteUser CU " + "n" * 40, "invalid-argument"),
    ("deleteUser CU j\u00f6rg", "parse-error"),
    ("listUsers\x1b[2J", "parse-error"),
    ("listUsers " + "x" * (1 << 20), "parse-error"),
])
def test_bad_input_is_one_error_line_with_its_reference_and_a_record(capsys, home, line, reference):
    code, out, err = cli(capsys, home, "--no-color", "-c", line)
    assert code == ExitStatus.USAGE
    assert "Traceback" not in err and out == ""
    error_lines = [l for l in err.splitlines() if l.startswith("error[")]
    assert len(error_lines) == 1 and error_lines[0].startswith(f"error[{reference}]")
    assert len(error_lines[0]) < 200                      # the 1 MB line is not repeated
    [record] = [r for r in log_records(home) if r["kind"] == "command"]
    assert record["outcome"]["reference"] == reference and record["source"] == "-c:1"
    assert len(record["text"]) < 200
