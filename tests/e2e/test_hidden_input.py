"""Hidden input stays hidden on every terminal type (docs/hardening.md): with TERM=dumb,
prompt_toolkit's dumb-terminal prompt echoes every character it reads, so the REPL reads
passwords with the terminal's echo off instead. Plain text in and out (no screen emulator:
a dumb terminal gets no escape sequences)."""

from __future__ import annotations

import os
import sys

import pexpect

DEADLINE = float(os.environ.get("E2E_DEADLINE", "30"))
OFFICER_PW = "Dumb7ermSecret"          # distinctive, so finding it anywhere is a real leak


def test_a_password_typed_on_a_dumb_terminal_is_not_echoed(harness, pycache):
    harness.activate(OFFICER_PW)
    harness.close()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HSMSHELL_")}
    environ.update(TERM="dumb", PYTHONPYCACHEPREFIX=str(pycache))
    child = pexpect.spawn(sys.executable, ["-m", "hsmshell", "--home", str(harness.home)], env=environ,
                          encoding="utf-8", codec_errors="replace", timeout=DEADLINE)
    try:
        child.expect_exact("default:not logged in> ")
        child.sendline("loginHSM CO admin -hpswd")
        child.expect_exact("Enter password: ")
        child.sendline(OFFICER_PW)
        child.expect_exact("default:admin(PCO)> ")
        seen = child.before
        child.sendline("quit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert "login success" in seen.lower() or "success" in seen.lower(), seen
    assert OFFICER_PW not in seen and OFFICER_PW not in (child.before or "")
