"""`hsmshell emulate cloudhsm-cli` in a pseudo-terminal, driven as a script drives the real
`cloudhsm-cli`: the interactive `aws-cloudhsm > ` prompt with hidden password prompts, and
single-command mode with CLOUDHSM_ROLE / CLOUDHSM_PIN. Every wait is for a pattern."""

from __future__ import annotations

import io
import json
import os
import sys

import pexpect
import pytest

DEADLINE = float(os.environ.get("E2E_DEADLINE", "30"))
ADMIN_PW = "Adm1nSecret"
ALICE_PW = "Al1ceSecret"
PROMPT = "aws-cloudhsm > "


def spawn(home, pycache, *words: str, env: dict | None = None) -> pexpect.spawn:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HSMSHELL_", "CLOUDHSM_"))}
    environ.update({"PYTHONPYCACHEPREFIX": str(pycache), **(env or {})})
    child = pexpect.spawn(sys.executable, ["-m", "hsmshell", "emulate", "cloudhsm-cli", "--home",
                                           str(home), *words],
                          env=environ, encoding="utf-8", timeout=DEADLINE)
    child.logfile_read = io.StringIO()
    return child


def answer(child: pexpect.spawn) -> dict:
    """The JSON the last command printed (between the command line and the next prompt)."""
    child.expect_exact(PROMPT)
    text = child.before
    return json.loads(text[text.index("{"):])


def single(home, pycache, *words: str, env: dict | None = None) -> tuple[int, dict]:
    child = spawn(home, pycache, *words, env=env)
    child.expect(pexpect.EOF)
    child.close()
    text = child.logfile_read.getvalue()
    return child.exitstatus, json.loads(text[text.index("{"):])


def test_interactive_provisioning_with_hidden_passwords(tmp_path, pycache):
    cli = spawn(tmp_path / "home", pycache, "interactive")
    cli.expect_exact(PROMPT)
    cli.sendline("cluster activate")
    cli.expect_exact("Enter password:")
    cli.sendline(ADMIN_PW)
    cli.expect_exact("Confirm password:")
    cli.sendline(ADMIN_PW)
    assert answer(cli) == {"error_code": 0, "data": "Cluster activation successful"}
    cli.sendline("login --username admin --role admin")
    cli.expect_exact("Enter password:")
    cli.sendline(ADMIN_PW)
    assert answer(cli)["data"] == {"username": "admin", "role": "admin"}
    cli.sendline("user create --username alice --role crypto-user")
    cli.expect_exact("Enter password:")
    cli.sendline(ALICE_PW)
    cli.expect_exact("Confirm password:")
    cli.sendline(ALICE_PW)
    assert answer(cli) == {"error_code": 0, "data": {"username": "alice", "role": "crypto-user"}}
    cli.sendline("user delete --username nobody --role crypto-user")
    failed = answer(cli)
    assert failed["error_code"] == 1 and isinstance(failed["data"], str)
    cli.sendline("help user create")
    cli.expect_exact(PROMPT)
    assert "Usage: user create [OPTIONS] --username <USERNAME> --role <ROLE>" in cli.before
    cli.sendline("quit")
    cli.expect(pexpect.EOF)
    cli.close()
    assert cli.exitstatus == 0
    assert ADMIN_PW not in cli.logfile_read.getvalue() and ALICE_PW not in cli.logfile_read.getvalue()


def test_single_command_mode_logs_in_from_the_environment_and_exits_by_error_code(tmp_path, pycache):
    home = tmp_path / "home"
    status, shown = single(home, pycache, "cluster", "activate", "--password", ADMIN_PW)
    assert (status, shown) == (0, {"error_code": 0, "data": "Cluster activation successful"})
    admin = {"CLOUDHSM_ROLE": "admin", "CLOUDHSM_PIN": f"admin:{ADMIN_PW}"}
    status, shown = single(home, pycache, "user", "create", "--username", "alice", "--role",
                           "crypto-user", "--password", ALICE_PW, env=admin)
    assert status == 0 and shown["data"] == {"username": "alice", "role": "crypto-user"}
    status, shown = single(home, pycache, "cluster", "activate", "--password", ADMIN_PW, env=admin)
    assert status == 1 and shown == {"error_code": 1, "data": "Cluster has already been activated"}
    alice = {"CLOUDHSM_ROLE": "crypto-user", "CLOUDHSM_PIN": f"alice:{ALICE_PW}"}
    status, shown = single(home, pycache, "key", "generate-symmetric", "aes", "--label", "k",
                           "--key-length-bytes", "32", env=alice)
    assert status == 0 and shown["data"]["key"]["attributes"]["key-length-bytes"] == 32
    status, shown = single(home, pycache, "key", "list", env=alice)
    assert status == 0 and shown["data"]["total_key_count"] == 1
    wrong = {"CLOUDHSM_ROLE": "crypto-user", "CLOUDHSM_PIN": "alice:wrongpassword"}
    status, shown = single(home, pycache, "key", "list", env=wrong)
    assert status != 0 and shown["error_code"] == 1
    status, shown = single(home, pycache, "user", "list")
    assert status == 0 and [u["username"] for u in shown["data"]["users"]] == ["admin", "app_user", "alice"]
