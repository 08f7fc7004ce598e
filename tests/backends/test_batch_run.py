"""`hsmshell run FILE`: stop at the first failure naming file:line, command and error; the
summary on stderr; --continue-on-error; literal-password warnings; the progress bar."""

from __future__ import annotations

import io

from batch_audit_support import ADMIN_PASSWORD, activate, cli, json_lines, write_batch
from hsmshell.status import ExitStatus


def test_stops_at_first_failure_naming_file_line_command_and_error(capsys, tmp_path, home):
    activate(capsys, home)
    batch = write_batch(tmp_path, f"loginHSM CO admin {ADMIN_PASSWORD}\ncreateUser CU alice alicepass1\n"
                                  "# a comment\ncreateUser CU alice alicepass1\nlistUsers\n")
    status, out, err = cli(capsys, home, "--yes", "--no-color", "run", str(batch))
    assert status == ExitStatus.HSM_ERROR
    assert f"{batch}:4: error[user-exists]: createUser: HSM Error: user alice already exists" in err
    assert f"ran 3, failed 1, denied 0; stopped at {batch}:4 (createUser)" in err
    assert "Users on server" not in out            # listUsers never ran


def test_continue_on_error_runs_every_line_and_exits_with_the_first_failure(capsys, tmp_path, home):
    activate(capsys, home)
    batch = write_batch(tmp_path, "createUser CU bob bobpass12\n"            # not logged in: 3
                                  f"loginHSM CO admin {ADMIN_PASSWORD}\n"
                                  "deleteUser CU nobody\n"                    # no such user: 1
                                  "listUsers\n")
    status, out, err = cli(capsys, home, "--json", "--yes", "run", str(batch), "--continue-on-error")
    assert status == ExitStatus.DENIED
    objects = json_lines(out)
    assert [o["source"].rsplit(":", 1)[1] for o in objects] == ["1", "2", "3", "4"]
    assert [o["error_code"] for o in objects] == [3, 0, 1, 0]
    assert "ran 4, failed 2, denied 1" in err and "stopped at" not in err


def test_variables_includes_and_environment_reach_the_commands(capsys, tmp_path, home, monkeypatch):
    activate(capsys, home)
    monkeypatch.setenv("ADMIN_PW", ADMIN_PASSWORD)
    (tmp_path / "users.hsm").write_text("createUser CU ${NAME} \\\n    ${env:ADMIN_PW}\n")
    batch = write_batch(tmp_path, "loginHSM CO admin @env:ADMIN_PW\nset NAME carol\nsource users.hsm\n")
    status, out, err = cli(capsys, home, "--json", "--yes", "run", str(batch))
    assert status == 0, err
    created = json_lines(out)[1]
    assert created["command"] == "createUser" and created["data"]["user"] == "carol"
    assert created["source"].endswith("users.hsm:1")
    assert "warning" not in err             # the password came from the environment


def test_a_literal_password_in_the_file_warns_towards_keyring_and_env(capsys, tmp_path, home):
    batch = write_batch(tmp_path, "set PW password\nloginHSM PRECO admin ${PW}\nlistUsers\n")
    status, out, err = cli(capsys, home, "--json", "run", str(batch))
    assert status == 0
    assert f"warning: {batch}:2 has a password written in the batch file" in err
    assert "@keyring" in err and "@env:VAR" in err
    assert "admin password" not in out + err                    # never the value


def test_a_mistake_in_the_file_stops_before_anything_runs(capsys, tmp_path, home):
    batch = write_batch(tmp_path, "loginHSM PRECO admin password\nlistUsers ${UNSET}\n")
    status, out, err = cli(capsys, home, "--json", "run", str(batch))
    assert status == ExitStatus.USAGE
    assert json_lines(out)[0]["error"]["reference"] == "batch-file-error"
    assert f"{batch}:2: variable UNSET is not set" in json_lines(out)[0]["error"]["message"]
    assert not (home / "clusters").exists()        # nothing ran, not even the first use


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_with_stdout(harness, batch, stdout, output):
    from hsmshell.record import replace
    from hsmshell.modes.batch import run_batch_file
    env = replace(harness.env(output=output, color=True), stdout=stdout)
    return run_batch_file(env, str(batch), False)


def test_progress_bar_only_for_rich_output_on_a_terminal(harness, tmp_path):
    batch = write_batch(tmp_path, "whoami\n" * 60)
    terminal = FakeTerminal()
    assert run_with_stdout(harness, batch, terminal, "rich") == 0
    assert "running" in terminal.getvalue() and "60/60" in terminal.getvalue()
    for stdout, output in ((FakeTerminal(), "json"), (io.StringIO(), "rich")):
        assert run_with_stdout(harness, batch, stdout, output) == 0
        assert "running" not in stdout.getvalue() and "/60" not in stdout.getvalue()
