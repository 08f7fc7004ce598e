"""`run FILE --dry-run`: the plan, and the real cluster folder left byte-for-byte unchanged."""

from __future__ import annotations

from batch_audit_support import (ADMIN_PASSWORD, activate, cli, cluster_dir, fingerprint, json_lines,
                                 write_batch)
from hsmshell.status import ExitStatus

PLAN_BATCH = f"""loginHSM CO admin {ADMIN_PASSWORD}
createUser CU alice alicepass1
createUser CU alice alicepass1
createUser CU shorty abc
logoutHSM
deleteUser CU alice
listUsers
"""


def test_plan_rows_exit_status_and_nothing_changed(capsys, tmp_path, home):
    activate(capsys, home)
    before = fingerprint(home)
    batch = write_batch(tmp_path, PLAN_BATCH)
    status, out, err = cli(capsys, home, "--json", "--yes", "run", str(batch), "--dry-run")
    assert status == ExitStatus.HSM_ERROR                   # what line 3 would give
    rows = json_lines(out)
    assert [(r["source"].rsplit(":", 1)[1], r["plan"]) for r in rows] == [
        ("1", "would-run"), ("2", "would-run"), ("3", "would-fail"), ("4", "would-fail"),
        ("5", "would-run"), ("6", "denied"), ("7", "would-run")]
    assert rows[2]["reason"].startswith("user-exists: HSM Error: user alice already exists")
    assert rows[3]["error"]["reference"] == "invalid-argument"
    assert rows[5]["reason"] == "anonymous.toml: no allow entry matches user.delete"
    assert rows[1]["text"] == "createUser CU alice ********" and "after_stop" not in rows[2]
    assert rows[3]["after_stop"] is True
    assert f"the real run would stop at {batch}:3" in err and "nothing was changed" in err
    assert fingerprint(home) == before


def test_rich_plan_and_continue_on_error(capsys, tmp_path, home):
    activate(capsys, home)
    batch = write_batch(tmp_path, PLAN_BATCH)
    status, out, err = cli(capsys, home, "--yes", "--no-color", "run", str(batch), "--dry-run",
                           "--continue-on-error")
    assert status == ExitStatus.HSM_ERROR
    assert "Dry-run plan" in out and "would run" in out and "denied" in out
    assert "would stop" not in err and "4 would run, 1 denied, 0 needs quorum, 2 would fail" in err


def test_without_yes_the_plan_is_as_if_confirmed_and_says_once_the_real_run_needs_it(capsys, tmp_path,
                                                                                        home):
    activate(capsys, home)
    batch = write_batch(tmp_path, f"loginHSM CO admin {ADMIN_PASSWORD}\ncreateUser CU bob bobpass12\n"
                                  "createUser CU carl carlpass1\nlistUsers\n")
    status, out, err = cli(capsys, home, "--json", "run", str(batch), "--dry-run")
    assert status == 0 and [r["plan"] for r in json_lines(out)] == ["would-run"] * 4
    assert err.count("CAUTION question") == 1
    assert f"asks the CAUTION question for 2 commands ({batch}:2, {batch}:3): pass --yes" in err
    status, out, err = cli(capsys, home, "--json", "--yes", "run", str(batch), "--dry-run")
    assert status == 0 and "CAUTION question" not in err


def test_dry_run_on_a_fresh_home_creates_no_cluster(capsys, tmp_path, home):
    batch = write_batch(tmp_path, "loginHSM PRECO admin password\nlistUsers\n")
    status, out, _ = cli(capsys, home, "--json", "run", str(batch), "--dry-run")
    assert status == 0 and [r["plan"] for r in json_lines(out)] == ["would-run", "would-run"]
    assert not (home / "clusters").exists()


def test_files_a_command_writes_go_to_the_scratch_copy(capsys, tmp_path, home):
    activate(capsys, home)
    cli(capsys, home, "--json", "--yes", "-c", f"loginHSM CO admin {ADMIN_PASSWORD}; createUser CU carol carolpass1")
    exported = tmp_path / "pub.pem"
    batch = write_batch(tmp_path, f"loginHSM CU carol carolpass1\ngenRSAKeyPair -m 2048 -e 65537 -l r1\n"
                                  f"exportPubKey -k 262145 -out {exported}\nimportPubKey -f {exported} -l again\n")
    before = fingerprint(cluster_dir(home))
    status, out, err = cli(capsys, home, "--json", "--yes", "run", str(batch), "--dry-run")
    assert status == 0, out + err
    assert [r["plan"] for r in json_lines(out)] == ["would-run"] * 4   # import read the scratch file
    assert not exported.exists()
    assert fingerprint(cluster_dir(home)) == before
