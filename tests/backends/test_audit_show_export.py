"""`audit show` filters and views, `audit export --format jsonl|cloudhsm`."""

from __future__ import annotations

import re

import pytest

from batch_audit_support import ADMIN_PASSWORD, activate, cli, json_lines, log_lines, log_records, write_batch

WORKLOAD = f"""loginHSM CO admin {ADMIN_PASSWORD}
createUser CU alice alicepass1
createUser CO officer2 officer2pw
logoutHSM
loginHSM CU alice wrongpass1
loginHSM CU alice alicepass1
createUser CU bob bobpass12
listUsers
"""


@pytest.fixture
def logged(capsys, home, tmp_path):
    activate(capsys, home)
    batch = write_batch(tmp_path, WORKLOAD, "work.hsm")
    cli(capsys, home, "--json", "--yes", "run", str(batch), "--continue-on-error")
    return home


def show(capsys, home, *filters):
    status, out, err = cli(capsys, home, "--json", "audit", "show", *filters)
    assert status == 0, err
    return json_lines(out)


def texts(records):
    return [r.get("text") for r in records]


def test_filters(capsys, logged, tmp_path):
    everything = show(capsys, logged, "--checkpoints")
    assert [r["seq"] for r in everything] == [r["seq"] for r in log_records(logged)]
    assert [r["kind"] for r in show(capsys, logged)] == [r["kind"] for r in everything
                                                         if r["kind"] != "checkpoint"]
    assert texts(show(capsys, logged, "--user", "ALICE")) == [
        "loginHSM CU alice ********", "loginHSM CU alice ********", "createUser CU bob ********",
        "listUsers"]
    assert texts(show(capsys, logged, "--command", "createuser,logout*")) == [
        "createUser CU alice ********", "createUser CO officer2 ********", "logoutHSM",
        "createUser CU bob ********"]
    assert texts(show(capsys, logged, "--denied")) == ["createUser CU bob ********"]
    batch = str(tmp_path / "work.hsm")
    assert texts(show(capsys, logged, "--source", f"{batch}:2")) == ["createUser CU alice ********"]
    assert len(show(capsys, logged, "--source", batch)) == 8
    assert len(show(capsys, logged, "--source=-c:*")) == 2          # the activation
    assert show(capsys, logged, "--since", "2999-01-01") == []
    assert show(capsys, logged, "--until", "2000-01-01T00:00:00Z") == []
    assert len(show(capsys, logged, "--since", "1h", "--command", "*")) == 10
    assert [r["seq"] for r in show(capsys, logged, "--last", "2", "--checkpoints")] == \
        [r["seq"] for r in everything[-2:]]
    status, out, _ = cli(capsys, logged, "--json", "audit", "show", "--since", "yesterday-ish")
    assert status == 2 and json_lines(out)[0]["error"]["reference"] == "invalid-argument"


def test_rich_table(capsys, logged):
    status, out, _ = cli(capsys, logged, "--no-color", "audit", "show", "--user", "alice")
    assert status == 0 and "Audit log" in out and "error[login-failed]" in out
    assert "permission-denied" in out


def test_export_jsonl_is_the_stored_records_verbatim(capsys, logged, tmp_path):
    status, out, _ = cli(capsys, logged, "audit", "export", "--format", "jsonl")
    assert status == 0 and out.encode() == b"".join(log_lines(logged))
    copy = tmp_path / "export.jsonl"
    copy.write_text(out)
    assert cli(capsys, logged, "audit", "verify", str(copy))[0] == 0
    status, out, _ = cli(capsys, logged, "audit", "export", "--user", "alice")
    assert len(out.splitlines()) == 4


ENTRY_RE = re.compile(r"Time: \d\d/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}, usecs:\d+\nSequence No : 0x[0-9a-f]+\n"
                      r"Reboot counter : 0x1\nCommand Type\(hex\) : CN_MGMT_CMD \(0x0\)\nOpcode : \w+")


def entries(text: str) -> list[dict]:
    found = []
    for block in text.strip().split("\n\n"):
        if block.startswith("Log stream"):
            continue
        assert ENTRY_RE.match(block), block
        found.append(dict(line.split(" : ", 1) for line in block.splitlines()[1:]))
    return found


def test_export_cloudhsm_format(capsys, logged):
    status, out, _ = cli(capsys, logged, "audit", "export", "--format", "cloudhsm", "--hsm", "0")
    assert status == 0
    found = entries(out)
    assert [e["Sequence No"] for e in found] == [hex(n) for n in range(len(found))]
    opcodes = [e["Opcode"] for e in found]
    assert opcodes[:4] == ["CN_INIT_TOKEN (0x1)", "CN_GEN_PSWD_ENC_KEY (0x1d)",
                           "CN_CREATE_APPLIANCE_USER (0xfc)", "CN_INIT_DONE (0x95)"]
    assert "CN_CREATE_CO (0x4)" in opcodes and "CN_CHANGE_PSWD (0x9)" in opcodes
    logins = [e for e in found if e["Opcode"] == "CN_LOGIN (0xd)"]
    assert [e["Response"] for e in logins if e.get("User Name") == "alice"] == [
        "163:HSM Error: RET_USER_LOGIN_FAILURE", "0:HSM Return: SUCCESS"]
    alice = next(e for e in found if e["Opcode"] == "CN_CREATE_USER (0x3)")
    assert alice["User Name"] == "alice" and alice["User Type"] == "CN_CRYPTO_USER (1)"
    assert alice["Log type"] == "MGMT_USER_DETAILS_LOG (2)"
    assert not any(e.get("User Name") == "bob" for e in found)     # refused before any HSM saw it
    hsm_id = log_records(logged)[0]["hsms"][2]["hsm_id"]
    status, one, _ = cli(capsys, logged, "audit", "export", "--format", "cloudhsm", "--hsm", hsm_id)
    assert len(entries(one)) == len(found)
    status, every, _ = cli(capsys, logged, "audit", "export", "--format", "cloudhsm")
    assert every.count("Log stream : hsm-") == 3 and len(entries(every)) == 3 * len(found)
    status, out, _ = cli(capsys, logged, "--json", "audit", "export", "--format", "cloudhsm", "--hsm", "9")
    assert status == 2
