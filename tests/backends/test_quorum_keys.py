"""Per-key quorum (KMU -m_value, AWS's key_mgmt_util pages): using such a key needs a
KEY_USAGE (5) token bound to it, managing it a KEY_MANAGEMENT (6) token (CloudHSM CLI's
key-usage and key-management services), each approved by M of the key's users."""

from __future__ import annotations

import pytest

from hsmshell.status import ExitStatus
from quorum_support import approve, login, make_approvers, register_command


@pytest.fixture(scope="module")
def users(tmp_path_factory):
    return make_approvers(tmp_path_factory.mktemp("cu-keys"), "alice", "bob", "carol")


@pytest.fixture
def quorum_key(activated, users, tmp_path):
    """alice owns an RSA private key shared with bob, made with -m_value 2; alice, bob and
    carol (who has no access to the key) registered quorum keys. alice is logged in."""
    for name in users:
        activated.ok(f"createUser CU {name} {name}-pass1")
    ids = {u["user_name"]: u["user_id"] for u in activated.ok("listUsers")["data"]["servers"][0]["users"]}
    for name in users:
        login(activated, name, "CU")
        activated.ok(register_command(users[name], "CU"))
    login(activated, "alice", "CU")
    made = activated.ok(f"genRSAKeyPair -m 2048 -e 65537 -l quorum -u {ids['bob']} -m_value 2")["data"]
    (tmp_path / "data").write_bytes(b"pay 100 to bob")
    activated.key, activated.public_key = made["private_key_handle"], made["public_key_handle"]
    return activated


def sign_line(harness, tmp_path) -> str:
    return f"sign -f {tmp_path / 'data'} -k {harness.key} -m 0 -out {tmp_path / 'sig'}"


def test_a_quorum_key_cannot_sign_until_two_of_its_users_approve(quorum_key, users, tmp_path):
    outcome, printed = quorum_key.run(sign_line(quorum_key, tmp_path))
    assert outcome.status == ExitStatus.QUORUM
    error = printed[-1]["error"]
    # refused by the policy step, before dispatch, naming the key and what is missing
    assert f"key {quorum_key.key} requires 2 approvals, this session has 0" in error["message"]
    assert f"getToken 5 <your-name> <token-file> -k {quorum_key.key}" in error["hint"]
    assert outcome.error.detail["rule"] == "quorum.toml: KEY_USAGE protects key.use"

    token = tmp_path / "key.token"
    got = quorum_key.ok(f"getToken 5 alice {token} -k {quorum_key.key}")["data"]
    assert (got["key_handle"], got["approvals_required"]) == (quorum_key.key, 2)
    outcome, printed = approve(quorum_key, tmp_path, token, [users["alice"]], label="one", approver_type=1)
    assert printed[-1]["error"] is None and printed[-1]["data"]["approvals"] == 1
    assert quorum_key.run(sign_line(quorum_key, tmp_path))[0].status == ExitStatus.QUORUM

    approve(quorum_key, tmp_path, token, [users["bob"]], label="two", approver_type=1)
    quorum_key.ok(sign_line(quorum_key, tmp_path))
    assert len((tmp_path / "sig").read_bytes()) == 256
    assert quorum_key.run(sign_line(quorum_key, tmp_path))[0].status == ExitStatus.QUORUM


def test_only_the_keys_users_may_approve(quorum_key, users, tmp_path):
    token = tmp_path / "key.token"
    quorum_key.ok(f"getToken 5 alice {token} -k {quorum_key.key}")
    outcome, printed = approve(quorum_key, tmp_path, token, [users["carol"]], approver_type=1)
    assert printed[-1]["error"]["reference"] == "invalid-approval"
    assert f"not a user of key {quorum_key.key}" in printed[-1]["error"]["message"]


def test_managing_a_quorum_key_needs_a_key_management_token(quorum_key, users, tmp_path):
    rename = f"setAttribute {quorum_key.key} 3 renamed"
    outcome, printed = quorum_key.run(rename)
    assert outcome.status == ExitStatus.QUORUM, printed
    assert outcome.error.detail["rule"] == "quorum.toml: KEY_MANAGEMENT protects key.attributes.set"
    assert f"getToken 6 <your-name> <token-file> -k {quorum_key.key}" in printed[-1]["error"]["hint"]
    # a use (service 5) token does not serve a management operation
    token = tmp_path / "use.token"
    quorum_key.ok(f"getToken 5 alice {token} -k {quorum_key.key}")
    approve(quorum_key, tmp_path, token, [users["alice"], users["bob"]], approver_type=1)
    assert quorum_key.run(rename)[0].status == ExitStatus.QUORUM
    token = tmp_path / "manage.token"
    quorum_key.ok(f"getToken 6 alice {token} -k {quorum_key.key}")
    approve(quorum_key, tmp_path, token, [users["alice"], users["bob"]], label="m", approver_type=1)
    quorum_key.ok(rename)
    assert quorum_key.run(rename)[0].status == ExitStatus.QUORUM        # one operation per token


def test_deleting_a_quorum_key_needs_no_token(quorum_key):
    """Neither AWS tool lists key deletion among the quorum-controlled operations."""
    quorum_key.ok(f"deleteKey -k {quorum_key.key}")


def test_a_key_token_needs_a_key_user_and_a_quorum_key(quorum_key, tmp_path):
    outcome, printed = quorum_key.run(f"getToken 5 alice {tmp_path / 't'}")
    assert printed[-1]["error"]["reference"] == "invalid-argument"          # no -k
    outcome, printed = quorum_key.run(f"getToken 5 alice {tmp_path / 't'} -k {quorum_key.public_key}")
    assert "no token is needed" in printed[-1]["error"]["message"]
    login(quorum_key, "carol", "CU")
    outcome, printed = quorum_key.run(f"getToken 5 carol {tmp_path / 't'} -k {quorum_key.key}")
    assert printed[-1]["error"]["reference"] == "key-access-denied"


def test_the_hsm_refuses_a_quorum_key_even_when_the_policy_maps_no_quorum(quorum_key, tmp_path):
    """A permissive roles/ (no KEY_USAGE service) cannot bypass the emulated HSM's rule."""
    import shutil
    from hsmshell.policy.roles import default_roles_dir
    roles = tmp_path / "roles"
    shutil.copytree(default_roles_dir(), roles)
    (roles / "quorum.toml").write_text("")
    quorum_key.open(roles_dir=roles)
    quorum_key.ok("loginHSM CU alice alice-pass1")
    outcome, printed = quorum_key.run(sign_line(quorum_key, tmp_path))
    assert outcome.status == ExitStatus.QUORUM
    assert "RET_MXN_AUTH_FAILED" in printed[-1]["error"]["message"]
