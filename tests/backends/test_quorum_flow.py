"""M-of-N quorum for crypto officers, end to end through the shell (AWS's cloudhsm_mgmt_util pages): keys made and signatures made with the openssl command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hsmshell.status import ExitStatus
from quorum_support import (FakeClock, another_shell, approve, audit_records, cmu_approval,
                            json_bundle, login, make_approvers, openssl, setup_officers)


@pytest.fixture(scope="module")
def officers(tmp_path_factory):
    return make_approvers(tmp_path_factory.mktemp("officer-keys"), "admin", "officer2", "officer3")


@pytest.fixture
def quorum(harness, officers):
    """Three COs with registered keys; admin logged in; M = 2 for user management."""
    setup_officers(harness, officers)
    harness.ok("setMValue 3 2")
    return harness


@pytest.fixture
def clocked(harness, officers):
    """The same cluster as `quorum`, on a clock the test moves by hand."""
    harness.options["clock"] = FakeClock()
    setup_officers(harness, officers)
    harness.ok("setMValue 3 2")
    return harness


def refusal(harness, line: str) -> dict:
    outcome, printed = harness.run(line)
    assert outcome.status == ExitStatus.QUORUM, printed
    return printed[-1]["error"]


def test_registered_keys_show_in_list_users(harness, officers):
    setup_officers(harness, officers, register=["admin", "officer2"])
    flags = {u["user_name"]: u["mofn_pub_key"] for s in harness.ok("listUsers")["data"]["servers"]
             for u in s["users"]}
    assert flags == {"admin": True, "app_user": False, "officer2": True, "officer3": False}


def test_create_user_needs_two_approvals_and_the_token_works_once(quorum, officers, tmp_path):
    error = refusal(quorum, "createUser CU alice alicepass1")
    assert error["reference"] == "quorum-required"
    assert "service 3 (USER_MGMT) requires 2 approvals, this session has 0" in error["message"]
    assert "getToken 3" in error["hint"] and "approveToken" in error["hint"]

    token = tmp_path / "admin.token"
    got = quorum.ok(f"getToken 3 admin {token}")["data"]
    assert (got["service"], got["user"], got["approvals_required"]) == (3, "admin", 2)
    assert token.read_bytes().startswith(b"hsmshell-quorum-token/1\n")

    outcome, _ = approve(quorum, tmp_path, token, [officers["officer2"]], label="first")
    assert outcome.status == 0
    assert "this session has 1" in refusal(quorum, "createUser CU alice alicepass1")["message"]

    outcome, printed = approve(quorum, tmp_path, token, [officers["officer3"]], label="second")
    assert outcome.status == 0 and printed[-1]["data"]["approved"] is True
    assert quorum.ok("createUser CU alice alicepass1")["data"]["user"] == "alice"
    assert refusal(quorum, "createUser CU bob bobpass12")["reference"] == "quorum-required"
    assert quorum.ok("listTokens")["data"]["count"] == 0
    used = [r for r in audit_records(quorum) if r.get("command") == "createUser"
            and r["args"]["user_name"] == "alice" and r["outcome"]["error_code"] == 0]
    assert used[0]["replay"]["quorum_tokens"] == [got["token_id"]]


def test_the_requester_may_approve_their_own_token_with_a_json_bundle(quorum, officers, tmp_path):
    token = tmp_path / "t"
    quorum.ok(f"getToken 3 admin {token}")
    entries = [(name, officers[name].sign(token, tmp_path / f"{name}.sig").read_bytes())
               for name in ("admin", "officer2")]
    quorum.ok(f"approveToken {json_bundle(tmp_path / 'bundle.json', token, entries, inline_token=True)}")
    quorum.ok("deleteUser CO officer3")


def test_the_emulator_refuses_even_when_roles_map_no_quorum(harness, officers, tmp_path):
    roles = tmp_path / "roles"
    shutil.copytree(Path(__file__).resolve().parents[2] / "roles", roles)
    (roles / "quorum.toml").write_text("# no quorum services: the policy step never asks\n")
    setup_officers(harness, officers)
    harness.ok("setMValue 3 2")
    harness.open(roles_dir=roles)
    login(harness, "admin")
    error = refusal(harness, "createUser CU alice alicepass1")
    assert "RET_MXN_AUTH_FAILED" in error["message"]
    decision = [r for r in audit_records(harness) if r.get("command") == "createUser"][-1]["decision"]
    assert decision["allowed"] is True                 # the policy let it through; the HSM did not
    token = tmp_path / "t"
    harness.ok(f"getToken 3 admin {token}")
    approve(harness, tmp_path, token, [officers["admin"], officers["officer2"]])
    harness.ok("createUser CU alice alicepass1")
    assert "RET_MXN_AUTH_FAILED" in refusal(harness, "createUser CU bob bobpass12")["message"]


def test_logout_deletes_the_sessions_tokens(quorum, officers, tmp_path):
    token = tmp_path / "t"
    quorum.ok(f"getToken 3 admin {token}")
    approve(quorum, tmp_path, token, [officers["admin"], officers["officer2"]])
    login(quorum, "admin")                              # logoutHSM, then loginHSM
    assert quorum.ok("listTokens")["data"]["count"] == 0
    assert refusal(quorum, "createUser CU alice alicepass1")["reference"] == "quorum-required"


def test_tokens_expire_after_ten_minutes(clocked, officers, tmp_path):
    token = tmp_path / "t"
    assert clocked.ok(f"getToken 3 admin {token}")["data"]["valid_seconds"] == 600
    approve(clocked, tmp_path, token, [officers["admin"]], label="early")
    clocked.options["clock"].advance(599)
    rows = clocked.ok("listTokens")["data"]["servers"][0]["tokens"]
    assert (rows[0]["valid_seconds"], rows[0]["approvals"]) == (1, 1)
    clocked.options["clock"].advance(1)
    outcome, printed = approve(clocked, tmp_path, token, [officers["officer2"]], label="late")
    assert outcome.status == ExitStatus.HSM_ERROR
    assert printed[-1]["error"]["reference"] == "token-expired"
    assert refusal(clocked, "createUser CU alice alicepass1")["reference"] == "quorum-required"


def test_an_approved_token_that_expired_no_longer_counts(clocked, officers, tmp_path):
    token = tmp_path / "t"
    clocked.ok(f"getToken 3 admin {token}")
    approve(clocked, tmp_path, token, [officers["admin"], officers["officer2"]])
    assert clocked.shell.backend.approvals(3) == (2, True)
    clocked.options["clock"].advance(600)
    assert clocked.shell.backend.approvals(3) == (0, False)
    assert refusal(clocked, "createUser CU alice alicepass1")["reference"] == "quorum-required"


def test_changing_m_needs_a_misc_co_token_once_service_4_is_on(quorum, officers, tmp_path):
    quorum.ok("setMValue 4 2")                         # service 4 was off: no token needed
    error = refusal(quorum, "setMValue 3 3")
    assert "service 4 (MISC_CO) requires 2 approvals" in error["message"]
    token = tmp_path / "misc"
    quorum.ok(f"getToken 4 admin {token}")
    approve(quorum, tmp_path, token, [officers["officer2"], officers["officer3"]])
    assert quorum.ok("setMValue 3 3")["data"]["m_value"] == 3
    assert quorum.ok("getMValue 3")["data"]["servers"][2]["m_value"] == 3
    assert refusal(quorum, "setMValue 3 2")["reference"] == "quorum-required"


@pytest.mark.parametrize("line, reference", [
    ("setMValue 3 9", "invalid-argument"),
    ("setMValue 3 4", "limit-exceeded"),              # only three COs have registered keys
    ("setMValue 5 2", "invalid-argument"),            # a key's quorum is its own -m_value
    ("setMValue 8 2", "invalid-argument"),           # no service 8 (7 is CLUSTER_MGMT)
    ("getToken 4 admin /tmp/unused", "invalid-argument"),    # service 4 is off: no token
    ("getToken 3 officer2 /tmp/unused", "invalid-argument"),  # tokens are for yourself
    ("getToken 3 admin /tmp/unused -k 5", "invalid-argument"),
])
def test_m_values_and_tokens_refuse_what_cloudhsm_refuses(quorum, line, reference):
    outcome, printed = quorum.run(line)
    assert printed[-1]["error"]["reference"] == reference, printed
    assert quorum.ok("getMValue 3")["data"]["m_value"] == 2
    assert quorum.ok("listTokens")["data"]["count"] == 0


def test_m_cannot_exceed_the_officers_with_registered_keys(harness, officers):
    setup_officers(harness, officers, register=["admin"])
    outcome, printed = harness.run("setMValue 3 2")
    assert printed[-1]["error"]["reference"] == "limit-exceeded"
    assert "the cluster has 1" in printed[-1]["error"]["message"]


def test_a_crypto_user_cannot_set_m_or_get_an_officer_token(quorum, tmp_path):
    quorum.ok("setMValue 3 1")
    quorum.ok("createUser CU carol carol-pass1")
    login(quorum, "carol", "CU")
    outcome, printed = quorum.run("setMValue 3 2")
    assert outcome.status == ExitStatus.DENIED
    outcome, printed = quorum.run(f"getToken 3 carol {tmp_path / 't'}")
    assert printed[-1]["error"]["reference"] == "permission-denied"


def test_del_token_deletes_only_your_own(quorum, officers, tmp_path):
    for n in range(3):
        quorum.ok(f"getToken 3 admin {tmp_path / f't{n}'}")
    assert quorum.ok("delToken 1,2")["data"]["deleted"] == [1, 2]
    outcome, printed = quorum.run("delToken 9")
    assert printed[-1]["error"]["reference"] == "no-such-token"
    other = another_shell(quorum)
    try:
        login(other, "officer2")
        other.ok(f"getToken 3 officer2 {tmp_path / 'theirs'}")
        outcome, printed = quorum.run("delToken 4")
        assert printed[-1]["error"]["reference"] == "permission-denied"
        assert quorum.ok("delToken all")["data"]["deleted"] == [3]
        assert [t["user"] for t in quorum.ok("listTokens")["data"]["servers"][0]["tokens"]] == ["officer2"]
    finally:
        other.close()


def test_sign_token_in_the_shell_matches_openssl(quorum, officers, tmp_path):
    token = tmp_path / "t"
    quorum.ok(f"getToken 3 admin {token}")
    quorum.ok(f"signToken {token} {officers['officer2'].key} {tmp_path / 'shell.sig'}")
    by_openssl = officers["officer2"].sign(token, tmp_path / "openssl.sig")
    assert (tmp_path / "shell.sig").read_bytes() == by_openssl.read_bytes()


def test_sign_token_with_a_passphrase_from_the_environment(harness, officers, tmp_path):
    openssl(tmp_path, "genrsa", "-aes256", "-passout", "pass:s3cret-phrase", "-out", "enc.key", "2048")
    harness.options["environ"] = {"PEM_PASS": "s3cret-phrase"}
    setup_officers(harness, officers)
    harness.ok("setMValue 3 2")
    token = tmp_path / "t"
    harness.ok(f"getToken 3 admin {token}")
    harness.ok("logoutHSM")                            # approvers sign without logging in
    harness.ok(f"signToken {token} {tmp_path / 'enc.key'} {tmp_path / 'a.sig'} @env:PEM_PASS")
    assert len((tmp_path / "a.sig").read_bytes()) == 256
    outcome, printed = harness.run(f"signToken {token} {tmp_path / 'enc.key'} {tmp_path / 'b.sig'}")
    assert printed[-1]["error"]["reference"] == "invalid-argument"
    assert "encrypted" in printed[-1]["error"]["message"]
    assert not (tmp_path / "b.sig").exists()
    log = (harness.home / "clusters" / "default" / "audit.log").read_text()
    assert "s3cret-phrase" not in log and "signToken" in log


def test_classic_output_follows_cloudhsm(clocked, officers, tmp_path):
    quorum = clocked                   # "600 sec" read a second late on a loaded machine
    quorum.open(output="classic")
    quorum.shell.run("loginHSM CO admin officer1pw", "t")
    out = quorum.shell.env.stdout
    start = out.tell()
    quorum.shell.run("getMValue 3", "t")
    quorum.shell.run(f"getToken 3 admin {tmp_path / 't'}", "t")
    signature = officers["officer2"].sign(tmp_path / "t", tmp_path / "t.sig")
    quorum.shell.run(f"approveToken {cmu_approval(tmp_path / 'a', tmp_path / 't', [('officer2', signature)])}", "t")
    quorum.shell.run("listTokens", "t")
    text = out.getvalue()[start:]
    assert "MValue of service 3[USER_MGMT] on server 0 : [2]" in text
    assert "getToken success on server 0(" in text
    assert "Token:\nId:1\nService:3\nNode:0\nKey Handle:0\nUser:admin\n" in text
    assert ("Token Validity: 600 sec\nRequired num of approvers : 2\n"
            "Current num of approvals : 1\nApprover-0: officer2\nNum of tokens = 1\n") in text
    assert text.rstrip().endswith("listTokens success")


def test_the_toolbar_shows_pending_tokens(clocked, officers, tmp_path):
    from prompt_toolkit.formatted_text import to_plain_text
    from hsmshell.ui.toolbar import quorum_text, toolbar_text
    assert quorum_text(clocked.shell) == ""
    clocked.ok(f"getToken 3 admin {tmp_path / 't'}")
    approve(clocked, tmp_path, tmp_path / "t", [officers["officer3"]])
    clocked.options["clock"].advance(75)
    assert "· token 1 USER_MGMT 1/2 8:45 left ·" in to_plain_text(toolbar_text(clocked.shell))
    at_120 = to_plain_text(toolbar_text(clocked.shell, width=120))    # the token keeps its end
    assert len(at_120) < 120 and at_120.endswith("token 1 USER_MGMT 1/2 8:45 left")
    at_80 = to_plain_text(toolbar_text(clocked.shell, width=80))
    assert len(at_80) < 80 and "token 1" in at_80 and "8:45" in at_80
    approve(clocked, tmp_path, tmp_path / "t", [officers["officer2"]], label="b")
    assert "token 1 USER_MGMT 2/2" in to_plain_text(toolbar_text(clocked.shell))


def test_token_validity_is_a_cluster_setting_guarded_like_m(clocked, officers, tmp_path):
    clocked.ok("setTokenValidity 120")
    assert clocked.ok(f"getToken 3 admin {tmp_path / 'short'}")["data"]["valid_seconds"] == 120
    outcome, printed = clocked.run("setTokenValidity 5")
    assert printed[-1]["error"]["reference"] == "invalid-argument"
    clocked.ok("setMValue 4 2")
    assert refusal(clocked, "setTokenValidity 600")["reference"] == "quorum-required"


def test_a_log_with_a_quorum_flow_replays_without_divergence(quorum, officers, tmp_path, capsys):
    from batch_audit_support import cli, json_lines
    token = tmp_path / "t"
    quorum.ok(f"getToken 3 admin {token}")
    quorum.ok(f"signToken {token} {officers['officer3'].key} {tmp_path / 'shell.sig'}")
    approve(quorum, tmp_path, token, [officers["admin"], officers["officer2"]])
    quorum.ok("createUser CU alice alicepass1")
    refusal(quorum, "createUser CU bob bobpass12")
    quorum.close()
    for path in tmp_path.iterdir():                 # replay needs none of the files again
        if path.is_file():
            path.unlink()
    status, out, err = cli(capsys, quorum.home, "--json", "audit", "replay")
    report = json_lines(out)[0]
    assert status == 0 and report["error"] is None, (report, err)


def test_a_full_hsm_purges_expired_tokens_to_make_room(clocked, tmp_path, monkeypatch):
    from hsmshell.backends.emulator import quorum_store
    monkeypatch.setattr(quorum_store, "MAX_TOKENS_PER_HSM", 3)
    for n in range(3):
        clocked.ok(f"getToken 3 admin {tmp_path / f't{n}'}")
        clocked.options["clock"].advance(100)
    outcome, printed = clocked.run(f"getToken 3 admin {tmp_path / 'full'}")
    assert printed[-1]["error"]["reference"] == "limit-exceeded"
    clocked.options["clock"].advance(350)               # the first token (of three) expires
    assert clocked.ok(f"getToken 3 admin {tmp_path / 'fits'}")["data"]["token_id"] == 4
    assert [t["token_id"] for t in clocked.ok("listTokens")["data"]["servers"][0]["tokens"]] == [2, 3, 4]


def test_approval_file_assembles_the_signatures_that_approve_token_takes(quorum, officers, tmp_path):
    token = tmp_path / "admin.token"
    quorum.ok(f"getToken 3 admin {token}")
    signatures = [officers[name].sign(token, tmp_path / f"{name}.sig") for name in ("officer2", "officer3")]
    approval = tmp_path / "approval.txt"
    made = quorum.ok(f"approvalFile {token} {approval} officer2:CO:{signatures[0]},officer3:CO:{signatures[1]}")
    assert made["data"]["approvals"] == 2
    assert "Multi Token File Path = admin.token;" in approval.read_text()
    assert quorum.ok(f"approveToken {approval}")["data"]["approved"] is True
    assert quorum.ok("createUser CU alice alicepass1")["data"]["user"] == "alice"
    outcome, printed = quorum.run(f"approvalFile {token} {tmp_path / 'bad.txt'} officer2:XX:{signatures[0]}")
    assert outcome.status == 2 and "name:CO|CU:signature-file" in printed[-1]["error"]["message"]
    outcome, _ = quorum.run(f"approvalFile {token} {tmp_path / 'bad.txt'} officer2:CO:{tmp_path / 'none.sig'}")
    assert outcome.status != 0 and not (tmp_path / "bad.txt").exists()
