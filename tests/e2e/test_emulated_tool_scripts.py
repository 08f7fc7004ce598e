"""Expect-style scripts written for the real tools, run unchanged against `hsmshell emulate
cmu|kmu` in a pseudo-terminal: wait for the prompt, send a line, answer the questions.
Every wait is for a pattern, with a generous deadline."""

from __future__ import annotations

import io
import os
import sys

import pexpect
import pytest

DEADLINE = float(os.environ.get("E2E_DEADLINE", "30"))
OFFICER_PW = "Offic3rSecret"
ALICE_PW = "Al1ceSecret"


def spawn(home, tool: str, pycache) -> pexpect.spawn:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HSMSHELL_")}
    environ["PYTHONPYCACHEPREFIX"] = str(pycache)
    child = pexpect.spawn(sys.executable, ["-m", "hsmshell", "emulate", tool, "--home", str(home)],
                          env=environ, encoding="utf-8", timeout=DEADLINE)
    child.logfile_read = io.StringIO()
    return child


@pytest.fixture
def tools(tmp_path, pycache):
    started = []

    def start(tool: str) -> pexpect.spawn:
        child = spawn(tmp_path / "home", tool, pycache)
        started.append(child)
        return child
    yield start
    for child in started:
        child.close(force=True)


def test_an_expect_script_for_the_real_cmu_runs_unchanged(tools):
    cmu = tools("cmu")
    cmu.expect("aws-cloudhsm>")
    cmu.sendline("loginHSM PRECO admin password")
    cmu.expect("aws-cloudhsm>")
    assert "loginHSM success on server 0(" in cmu.before
    cmu.sendline("changePswd PRECO admin -hpswd")
    cmu.expect("Enter new password: ")
    cmu.sendline(OFFICER_PW)
    cmu.expect("Re-enter new password: ")
    cmu.sendline(OFFICER_PW)
    cmu.expect(r"Do you want to continue\(y/n\)\?")
    cmu.sendline("y")
    cmu.expect("aws-cloudhsm>")
    assert "Changing password for admin(PRECO) on 3 nodes" in cmu.before
    cmu.sendline("createUser CU alice " + ALICE_PW)
    cmu.expect(r"Do you want to continue\(y/n\)\?")
    cmu.sendline("y")
    cmu.expect("aws-cloudhsm>")
    cmu.sendline("listUsers")
    cmu.expect("aws-cloudhsm>")
    assert cmu.before.count("alice") == 3
    cmu.sendline("quit")
    cmu.expect("disconnecting from servers, please wait...")
    cmu.expect(pexpect.EOF)
    cmu.close()
    assert cmu.exitstatus == 0
    assert OFFICER_PW not in cmu.logfile_read.getvalue()        # typed without echo

    kmu = tools("kmu")
    kmu.expect("Command:")
    kmu.sendline("loginHSM -u CU -s alice -hpswd")
    kmu.expect("Enter password:")
    kmu.sendline(ALICE_PW)
    kmu.expect("Command:")
    assert "Cfm3LoginHSM returned: 0x00 : HSM Return: SUCCESS" in kmu.before
    kmu.sendline("genSymKey -t 31 -s 32 -l aes256")
    kmu.expect(r"Key Handle: (\d+)")
    kmu.expect("Command:")
    kmu.sendline("exit")
    kmu.expect(pexpect.EOF)
    assert ALICE_PW not in kmu.logfile_read.getvalue()


def test_the_real_cmu_login_failure_pattern_of_scripts_is_met(tools):
    """Third-party scripts wait for `HSM Error` after loginHSM."""
    cmu = tools("cmu")
    cmu.expect("aws-cloudhsm>")
    cmu.sendline("loginHSM PRECO admin wrongpassword")
    index = cmu.expect(["HSM Error", "success"])
    assert index == 0
    cmu.expect("aws-cloudhsm>")
    cmu.sendeof()
    cmu.expect("disconnecting from servers")
    cmu.expect(pexpect.EOF)
