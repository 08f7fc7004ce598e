"""Issue 5's closing scenario: a provisioning batch (activate, create COs and CUs, register
quorum keys, set M, get a token approved, create and share keys) shows a correct dry-run
plan, runs with passwords from the keyring, verifies, and replays with 0 divergences."""

from __future__ import annotations

from batch_audit_support import (cli, file_keyring, fingerprint,  # noqa: F401
                                 json_lines, write_batch)
from hsmshell.status import ExitStatus
from quorum_support import cmu_approval, make_approvers, register_command

PASSWORDS = {"initial": "password", "admin": "officer1pw", "officer2": "officer2pw",
             "alice": "alicepass1", "bob": "bobpass12", "carol": "carolpass1"}


def provisioning_batch(tmp_path) -> str:
    keys = make_approvers(tmp_path, "admin", "officer2")
    token = tmp_path / "user-mgmt.token"
    signatures = {name: tmp_path / f"{name}.token.sig" for name in keys}
    approval = cmu_approval(tmp_path / "approval.txt", token, list(signatures.items()))
    return "\n".join([
        "loginHSM PRECO admin @keyring:initial",
        "changePswd PRECO admin @keyring",                      # activates: admin is the PCO
        "createUser CO officer2 @keyring",
        "createUser CU alice @keyring",
        "createUser CU bob @keyring",
        register_command(keys["admin"]),
        "logoutHSM",
        "loginHSM CO officer2 @keyring",
        register_command(keys["officer2"]),
        "logoutHSM",
        "loginHSM CO admin @keyring",
        "setMValue 3 2",
        "createUser CU carol @keyring",                         # line 13: needs quorum
        f"getToken 3 admin {token}",
        *(f"signToken {token} {keys[name].key} {signatures[name]}" for name in keys),
        f"approveToken {approval}",
        "createUser CU carol @keyring",
        "logoutHSM",
        "loginHSM CU alice @keyring",
        "genSymKey -t 31 -s 32 -l team-aes",
        "genRSAKeyPair -m 2048 -e 65537 -l alice-rsa",
        "shareKey 262147 5 1",                                  # the private key, with bob
        "logoutHSM",
        "loginHSM CU bob @keyring",
        "findKey",
    ]) + "\n"


def test_provisioning_batch_plan_run_verify_replay(capsys, tmp_path, home, file_keyring):
    for name, password in PASSWORDS.items():
        file_keyring.set_password("hsmshell:default", name, password)
    batch = write_batch(tmp_path, provisioning_batch(tmp_path), "provision.hsm")
    cli(capsys, home, "--json", "-c", "listUsers")                   # first use makes the cluster
    before = fingerprint(home)

    status, out, err = cli(capsys, home, "--json", "--yes", "run", str(batch), "--dry-run")
    plan = json_lines(out)
    assert status == ExitStatus.QUORUM, err                          # what line 13 would give
    blocked = [(r["source"].rsplit(":", 1)[1], r["plan"]) for r in plan if r["plan"] != "would-run"]
    assert blocked == [("13", "needs-quorum")], [r for r in plan if r["plan"] != "would-run"]
    assert plan[12]["quorum"]["service"] == 3 and plan[12]["quorum"]["m"] == 2
    assert "service 3 USER_MGMT, M=2, approvals 0/2" in plan[12]["reason"]
    assert len(plan) == 26 and "warning" not in err
    assert fingerprint(home) == before
    assert not (tmp_path / "user-mgmt.token").exists()               # written to the scratch copy

    status, out, err = cli(capsys, home, "--json", "--yes", "run", str(batch), "--continue-on-error")
    results = json_lines(out)
    assert status == ExitStatus.QUORUM and "ran 26, failed 1, denied 1" in err
    assert [r["source"].rsplit(":", 1)[1] for r in results if r["error_code"]] == ["13"]
    shared = results[-1]["data"]
    assert shared                                                    # bob finds the shared key

    assert cli(capsys, home, "audit", "verify")[0] == 0
    status, out, _ = cli(capsys, home, "--json", "audit", "replay")
    report = json_lines(out)[0]["data"]
    assert status == 0 and report["divergences"] == 0, report
    assert report["commands"] >= 26
