"""Every command in the README's examples, run in order as printed, in a real terminal, on a
fresh state dir (a new HOME), from a working directory laid out like a clone (roles/ and a
scripts/hsmshell that starts the installed shell). How blocks are marked: readme_support.py."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pexpect
import pytest

from readme_support import (CA_PASSPHRASE, ReadmeError, Step, exported, named_user, steps)

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = float(os.environ.get("E2E_DEADLINE", "60"))
BASH_PROMPT = r"\[rc=(\d+)\] README\$ "
REPL_PROMPT = r"(?m)^[A-Za-z0-9_.-]+:[^\r\n>]*> $"
SECRET_PROMPT = r"(?i)(pass ?phrase|password)[^\r\n]*: ?$"
QUESTION = r"\(y/n\)\? ?$"
RETRY = r"\(R/I/A\): ?$"


class Walkthrough:
    """One bash in a pty; hsmshell's REPL runs inside it when a step starts it."""

    def __init__(self, work: Path, home: Path):
        # no hsmshell on PATH: the README's own `export PATH=...` line must put it there
        environ = {"PATH": "/usr/local/bin:/usr/bin:/bin",
                   "HOME": str(home), "TERM": "dumb", "LANG": "C.UTF-8",
                   # the OS keyring's stand-in: a file keyring in this HOME, accepted explicitly
                   "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
                   "HSMSHELL_ALLOW_INSECURE_KEYRING": "1",
                   # where warm-start processes go: the test session's folder (conftest.py)
                   "XDG_RUNTIME_DIR": os.environ["XDG_RUNTIME_DIR"]}
        self.child = pexpect.spawn("bash", ["--norc", "--noprofile"], cwd=str(work), env=environ,
                                   encoding="utf-8", codec_errors="replace", timeout=DEADLINE,
                                   dimensions=(50, 200))
        self.child.delaybeforesend = None    # waits are for prompts, not timers
        self.child.sendline("PS1='[rc=$?] README$ '; PS2=''")
        self.child.expect(BASH_PROMPT)       # (the echo of the line has `$?`, not a number)
        self.in_repl = False
        self.exports: dict[str, str] = {}
        self.transcript: list[str] = []

    def password(self, user: str | None) -> str:
        if user is None:
            return "unknown-Passw0rd"
        return self.exports.get(f"{user.upper()}_PW", f"{user}-Passw0rd")

    def run(self, step: Step) -> tuple[str, int | None]:
        """Type the step; answer what it asks; return (its output, exit status or None)."""
        self.child.sendline(step.text)
        user = named_user(step.text)
        output = []
        while True:
            index = self.child.expect([BASH_PROMPT, REPL_PROMPT, SECRET_PROMPT, QUESTION, RETRY,
                                       pexpect.EOF, pexpect.TIMEOUT])
            output.append(self.child.before + (self.child.after if isinstance(self.child.after, str) else ""))
            if index == 0:
                self.in_repl = False
                return "".join(output), int(self.child.match.group(1))
            if index == 1:
                self.in_repl = True
                return "".join(output), None
            if index == 2:
                phrase = "phrase" in self.child.match.group(1).lower()
                self.child.sendline(CA_PASSPHRASE if phrase else self.password(user))
            elif index == 3:
                self.child.sendline("y")
            elif index == 4:
                self.child.sendline("A")             # as the README's `--on-server-failure` default
            else:
                raise AssertionError(f"{step.where}\n  no prompt came back within {DEADLINE} s; "
                                     f"output:\n{''.join(output)[-3000:]}")

    def close(self) -> None:
        self.child.terminate(force=True)
        self.child.close()


def test_every_block_of_the_readme_is_marked_and_its_commands_are_found():
    found = steps((ROOT / "README.md").read_text(encoding="utf-8"))
    kinds = {s.kind for s in found}
    assert {"shell", "repl", "file"} <= kinds
    assert any("configure -a" in s.text for s in found)
    with pytest.raises(ReadmeError, match="without a"):
        steps("text\n```\nhsmshell -c listUsers\n```\n")
    with pytest.raises(ReadmeError, match="needs a reason"):
        steps("<!-- readme-test: skip -->\n```\nx\n```\n")
    parsed = steps("<!-- readme-test: session -->\n```\n$ a \\\n    b   # exit 5\n"
                   "c:d> loginHSM CU bob x   # refused: no\n```\n")
    assert [(s.kind, s.text, s.expect_status, s.expect_error) for s in parsed] == [
        ("shell", "a b   # exit 5", 5, False), ("repl", "loginHSM CU bob x   # refused: no", 0, True)]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the README's CA steps need openssl")
def test_the_readme_runs_as_printed_on_a_fresh_state_dir(tmp_path):
    work, home = tmp_path / "clone", tmp_path / "home"
    (work / "scripts").mkdir(parents=True)
    home.mkdir()
    shutil.copytree(ROOT / "roles", work / "roles")
    # the clone's launcher and the command it installs in .venv/bin, minus making .venv
    installed = work / ".venv" / "bin" / "hsmshell"
    installed.parent.mkdir(parents=True)
    installed.write_text(f'#!/bin/sh\nexec "{Path(sys.executable).parent / "hsmshell"}" "$@"\n')
    launcher = work / "scripts" / "hsmshell"
    launcher.write_text('#!/bin/sh\nexec "$(dirname "$0")/../.venv/bin/hsmshell" "$@"\n')
    for script in (installed, launcher):
        script.chmod(0o755)
    walk = Walkthrough(work, home)
    missing = set()
    try:
        for step in steps((ROOT / "README.md").read_text(encoding="utf-8")):
            if any(shutil.which(tool) is None for tool in step.needs):
                missing.update(tool for tool in step.needs if shutil.which(tool) is None)
                continue
            if step.kind == "file":
                (work / step.text).write_text(step.content, encoding="utf-8")
                continue
            assert (step.kind == "repl") == walk.in_repl, \
                f"{step.where}\n  {'a shell prompt line while no shell runs' if step.kind == 'repl' else 'a $ line while the shell still runs (quit it first)'}"
            output, status = walk.run(step)
            clean = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
            if step.kind == "shell":
                walk.exports.update(exported(step.text))
                if walk.in_repl:
                    continue                           # it started the shell
                assert status == step.expect_status, \
                    f"{step.where}\n  exit status {status}, the README says {step.expect_status}:\n{clean[-3000:]}"
            else:
                errors = "error[" in clean
                assert errors == step.expect_error, \
                    f"{step.where}\n  {'an error' if errors else 'no error'} where the README says " \
                    f"{'one' if step.expect_error else 'none'}:\n{clean[-3000:]}"
        assert not walk.in_repl, "the README leaves the shell running at its end"
    finally:
        walk.close()
    if missing:
        import warnings
        warnings.warn(f"README blocks that need {', '.join(sorted(missing))} were skipped: not "
                      "installed (scripts/test installs them as root)")
