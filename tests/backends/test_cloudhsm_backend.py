"""The cloudhsm backend's edges: tools that hang, die or are missing are hsm-unavailable
(exit 5), never a hang; values that could inject a command never reach a tool; passwords
travel only through the terminal; the CAUTION question is answered only with hsmshell's own
confirmation; Retry/Ignore/Abort gets the configured answer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from contract_support import open_roles, tool_environment
from hsmshell.status import ExitStatus

SECRET = "Zq8-unusual-pw"


def fake_tool(folder: Path, body: str) -> str:
    """A stand-in for cloudhsm_mgmt_util: prints its prompt, then does what `body` says."""
    script = folder / "fake_cmu.py"
    script.write_text("import sys, time\nsys.stdout.write('aws-cloudhsm>')\nsys.stdout.flush()\n"
                      "line = sys.stdin.readline()\n" + body)
    return f"{sys.executable} {script}"


@pytest.fixture
def driven(harness):
    """The test's shell, on --backend cloudhsm; environ: the tool settings."""
    def configure(environ: dict, **options):
        harness.close()
        harness.options.update(backend="cloudhsm", environ=environ, **options)
        return harness
    return configure


@pytest.mark.parametrize("body, timeout, message", [
    ("time.sleep(600)\n", "1", "did not answer within 1 s"),
    # a tool that dies is seen at its exit, not at the timeout: a generous one, or a stand-in
    # slow to start on a loaded machine would read as a hang
    ("sys.exit(3)\n", "60", "exited"),
])
def test_a_tool_that_hangs_or_dies_is_unavailable_not_a_hang(driven, tmp_path, body, timeout, message):
    shell = driven({"HSMSHELL_CMU_COMMAND": fake_tool(tmp_path, body), "HSMSHELL_CLOUDHSM_TIMEOUT": timeout})
    outcome, printed = shell.run("listUsers")
    assert outcome.status == ExitStatus.UNAVAILABLE
    assert printed[0]["error"]["reference"] == "hsm-unavailable"
    assert message in printed[0]["error"]["message"]
    assert shell.shell.backend._cmu is None                  # stopped; the next command starts it again


def test_missing_tools_are_unavailable_with_a_hint(driven, tmp_path):
    shell = driven({})                                       # the default /opt/cloudhsm paths
    outcome, printed = shell.run("listUsers")
    assert outcome.status == ExitStatus.UNAVAILABLE
    assert "/opt/cloudhsm/bin/cloudhsm_mgmt_util" in printed[0]["error"]["message"]
    assert "HSMSHELL_CMU_COMMAND" in printed[0]["error"]["hint"]


def test_the_default_tools_and_config_of_a_client_installation(harness):
    from hsmshell.backends.cloudhsm.settings import tool_settings
    settings = tool_settings(harness.env())
    assert settings.cmu == ("/opt/cloudhsm/bin/cloudhsm_mgmt_util",
                            "/opt/cloudhsm/etc/cloudhsm_mgmt_util.cfg")
    assert settings.kmu == ("/opt/cloudhsm/bin/key_mgmt_util",) and settings.on_server_failure == "abort"
    settings = tool_settings(harness.env(environ={"HSMSHELL_CMU_COMMAND": "cmu --x",
                                                  "HSMSHELL_CMU_CONFIG": "a.cfg"},
                                         on_server_failure="ignore"))
    assert settings.cmu == ("cmu", "--x", "a.cfg") and settings.on_server_failure == "ignore"


@pytest.mark.parametrize("line", [
    "genSymKey -t 31 -s 32 -l 'two words'",
    "genSymKey -t 31 -s 32 -l -nex",                        # would become a flag
    "genSymKey -t 31 -s 32 -l \"quote'd\"",
])
def test_values_that_could_inject_into_a_tool_are_refused_at_the_boundary(driven, tmp_path, line):
    tool = fake_tool(tmp_path, "open(sys.argv[0] + '.ran', 'w').write(line)\ntime.sleep(600)\n")
    shell = driven({"HSMSHELL_CMU_COMMAND": tool, "HSMSHELL_KMU_COMMAND": tool},
                   roles_dir=open_roles(tmp_path / "open-roles"))       # the backend decides
    outcome, printed = shell.run(line)
    assert outcome.status == ExitStatus.USAGE, printed
    assert printed[0]["error"]["reference"] == "invalid-argument"
    assert not (tmp_path / "fake_cmu.py.ran").exists()       # nothing reached a tool


def test_a_control_character_never_reaches_the_terminal():
    from hsmshell.backends.cloudhsm.command_line import tool_line
    from hsmshell.commands import command_table
    from hsmshell.errors import InvalidArgument
    from hsmshell.parse.binder import parse_line

    invocation = parse_line("genSymKey -t 31 -s 32 -l fine", command_table())
    assert tool_line(invocation, "kmu") == "genSymKey -t 31 -s 32 -l fine -min_srv 1"
    invocation.args["label"] = "x\ngenSymKey -t 31 -s 32 -l injected"
    with pytest.raises(InvalidArgument, match="control character"):
        tool_line(invocation, "kmu")


def test_passwords_go_through_the_terminal_only(driven, tmp_path):
    transcript = tmp_path / "transcript.log"
    environ = {**tool_environment(tmp_path / "tools"), "HSMSHELL_CLOUDHSM_TRANSCRIPT": str(transcript)}
    shell = driven(environ)
    shell.ok("loginHSM PRECO admin password")
    shell.ok(f"changePswd PRECO admin {SECRET}")
    shell.ok(f"createUser CU alice {SECRET}")
    shell.ok("logoutHSM")
    login = shell.ok(f"loginHSM CU alice {SECRET}")          # CMU and KMU both
    assert login["data"]["user_type"] == "CU" and shell.shell.backend.kmu_logged_in
    backend = shell.shell.backend
    for child in (backend._cmu.child, backend._kmu.child):
        assert not any(SECRET.encode() in word for word in child.args)
        assert SECRET not in Path(f"/proc/{child.pid}/cmdline").read_text()
    shell.close()
    assert transcript.read_text().count("Enter new password") >= 2
    for log in (transcript, tmp_path / "home" / "clusters" / "default" / "audit.log",
                tmp_path / "tools" / "clusters" / "default" / "audit.log"):
        assert SECRET not in log.read_text(), log


def test_caution_is_answered_from_hsmshells_own_confirmation(driven, tmp_path):
    shell = driven(tool_environment(tmp_path / "tools"))
    shell.ok("loginHSM PRECO admin password")
    shell.ok("changePswd PRECO admin officer1pw")            # --yes in the harness: answered y
    shell = driven(tool_environment(tmp_path / "tools"), assume_yes=False)
    shell.ok("loginHSM CO admin officer1pw")
    outcome, printed = shell.run("createUser CU bob bobpw1234")
    assert printed[0]["error"]["reference"] == "confirmation-required"   # never asked the tool
    users = shell.ok("listUsers")["data"]["servers"][0]["users"]
    assert "bob" not in {u["user_name"] for u in users}


def test_audit_replay_skips_the_sessions_of_another_backend_with_the_reason(driven, harness, tmp_path,
                                                                             capsys):
    """The README's order: emulator sessions, then a --backend cloudhsm session (on other
    HSMs), then the emulator again; replay re-runs the emulator's and names what it skipped."""
    from batch_audit_support import cli, json_lines
    harness.ok("loginHSM PRECO admin password")
    harness.ok("changePswd PRECO admin officer1pw")
    harness.close()
    shell = driven(tool_environment(tmp_path / "tools"))
    shell.ok("loginHSM PRECO admin password")
    shell.ok("changePswd PRECO admin toolpass1")
    shell.close()
    harness.options.update(backend="emulator", environ={})
    harness.ok("loginHSM CO admin officer1pw")
    harness.ok("createUser CU alice alicepw12")
    harness.close()
    status, out, _ = cli(capsys, harness.home, "--json", "audit", "replay")
    data = json_lines(out)[0]["data"]
    assert status == 0 and data["divergences"] == 0, data
    assert data["skipped"] == {"--backend cloudhsm session": 3}     # 2 commands and the session end
    status, out, _ = cli(capsys, harness.home, "audit", "replay")
    assert "skipped 3 records of --backend cloudhsm sessions: they ran on other HSMs" in out
