"""key_mgmt_util's Error2String: a response code's text, answered by the shell on every backend."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hsmshell.status import ExitStatus


@pytest.mark.parametrize("code, text", [
    ("0xdb", "Error Code db maps to HSM Error: Invalid User Type."),      # AWS's example
    ("0xc6", "Error Code c6 maps to HSM Error: Key Access is denied"),
    ("0xA8", "Error Code a8 maps to HSM Error: Invalid object handle is passed to this operation"),
    ("0x0", "Error Code 0 maps to HSM Return: SUCCESS"),
])
def test_a_known_code_maps_to_its_text(harness, code, text):
    data = harness.ok(f"Error2String -r {code}")["data"]
    assert data["message"] == text and data["code"] == int(code, 16)


@pytest.mark.parametrize("line", ["Error2String -r db", "Error2String -r 0xzz", "Error2String -r 0x42"])
def test_a_code_without_0x_or_unknown_is_invalid_argument(harness, line):
    outcome, printed = harness.run(line)
    assert outcome.status == ExitStatus.USAGE and printed[-1]["error"]["reference"] == "invalid-argument"


def test_it_needs_no_login_and_is_audited(harness):
    harness.ok("Error2String 0xdb")                              # positional, as CMU-style
    log = harness.home / "clusters" / "default" / "audit.log"
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["command"] == "Error2String" and record["decision"]["allowed"]


def test_every_backend_serves_it(harness):
    for backend in ("cloudhsm", "pkcs11"):
        harness.open(backend=backend)
        assert harness.shell.serves(harness.shell.table.lookup("Error2String"))


def test_the_emulated_key_mgmt_util_prints_it(tmp_path):
    run = subprocess.run([sys.executable, "-m", "hsmshell", "--home", str(tmp_path), "emulate", "kmu"],
                         input="Error2String -r 0xdb\nexit\n", capture_output=True, text=True, timeout=120)
    assert "Error Code db maps to HSM Error: Invalid User Type." in run.stdout
