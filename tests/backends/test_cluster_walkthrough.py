"""The README's "Cluster life" walkthrough, command by command, through hsmshell's command line."""

from __future__ import annotations

import glob

from cluster_support import cli, needs_openssl, openssl, openssl_ca


@needs_openssl
def test_the_readme_walkthrough(tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    for name in ("HSMSHELL_CLUSTER", "HSMSHELL_ON_SERVER_FAILURE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CA_PASS", "ca-passphrase")
    for name, value in (("ADMIN_PW", "officer1pw"), ("ALICE_PW", "alicepass1"), ("BOB_PW", "bobpass12")):
        monkeypatch.setenv(name, value)

    def ok(*argv, status_is=0):
        status, objs = cli(home, capsys, *argv)
        assert status == status_is, objs
        return objs

    # 1. three HSMs in three zones
    [made] = ok("cluster", "create", "prod", "--hsms", "3", "--azs", "us-east-1a,us-east-1b,us-east-1c",
                "--subnets", "10.0.1.0/24,10.0.2.0/24,10.0.3.0/24")
    hsms = made["data"]["hsms"]
    assert [h["az"] for h in hsms] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    # 2. a CA made with openssl
    cert, key = openssl_ca(tmp_path, passphrase="ca-passphrase")
    ok("cluster", "initialize", "prod", "--ca-cert", str(cert), "--ca-key", str(key), "--ca-key-passphrase", "@env:CA_PASS")
    folder = home / "clusters" / "prod"
    [hsm_cert] = glob.glob(str(folder / "cluster-*_CustomerHsmCertificate.crt"))
    assert openssl("verify", "-CAfile", folder / "customerCA.crt", hsm_cert).returncode == 0
    # 3. configure, activate, a user and a key
    ok("configure", "-a", hsms[0]["ip"])
    ok("--yes", "-c", "loginHSM PRECO admin password; changePswd PRECO admin @env:ADMIN_PW; "
                      "createUser CU alice @env:ALICE_PW")
    ok("--yes", "-c", "loginHSM CU alice @env:ALICE_PW; genSymKey -t 31 -s 32 -l payments")
    # 4. an HSM fails; bob reaches server 0 only (abort); users drift
    ok("cluster", "fail-hsm", "prod", "1", "--replace-after", "60")
    status, objs = cli(home, capsys, "--yes", "-c", "loginHSM CO admin @env:ADMIN_PW; createUser CU bob @env:BOB_PW")
    assert status == 5
    assert objs[-1]["error"]["hint"].startswith("createUser took effect on server 0 only, not on servers 1, 2; "
                                                "`hsmshell cluster diff prod` shows")
    [drift] = ok("cluster", "diff", "prod", status_is=8)           # differences found, as diff(1)
    assert [u["user"] for u in drift["data"]["users"]] == ["bob"] and drift["data"]["unreachable"] == [1]
    assert drift["error"]["reference"] == "differences-found"
    # 5. replaced (a clone of server 0); bob's key cannot reach server 2
    [replaced] = ok("cluster", "replace", "prod", "1")
    assert replaced["data"]["cloned_from"] == hsms[0]["hsm"]
    objs = ok("--yes", "-c", "loginHSM CU bob @env:BOB_PW; genSymKey -t 31 -s 32 -l bob-key", status_is=7)
    bob_key = objs[-1]["data"]["key_handle"]                      # partial: the key is made, data kept
    assert objs[-1]["error"]["message"].startswith("genSymKey took effect on servers 0, 1 only, not on server 2 "
                                                   "(bob does not exist on server 2")
    [drift] = ok("cluster", "diff", "prod", status_is=8)
    fix = drift["data"]["fix"]
    assert fix == ["server 0", "syncUser 4 2", f"syncKey {bob_key} 2", "exit"]
    # 6. resync, check, and find the steps in the HSM logs
    ok("--yes", "-c", "loginHSM CO admin @env:ADMIN_PW; " + "; ".join(fix))
    [drift] = ok("cluster", "diff", "prod")
    assert drift["data"]["in_sync"]
    [logs] = ok("logs")
    seen = {(e["stream"], e["opcode"]) for e in logs["data"]["events"]}
    first, new, third = hsms[0]["hsm"], replaced["data"]["hsm"], hsms[2]["hsm"]
    for step in ((first, "CN_INIT_TOKEN"), (first, "CN_CHANGE_PSWD"), (third, "CN_CREATE_USER"),
                 (first, "CN_CLONE_SOURCE_STAGE1"), (first, "CN_EXTRACT_MASKED_OBJECT_USER"),
                 (third, "CN_INSERT_MASKED_OBJECT_USER"), (new, "CN_LOGIN")):
        assert step in seen, step
    assert {e["opcode"] for e in logs["data"]["events"] if e.get("key_handle") == bob_key} >= \
        {"CN_GENERATE_KEY", "CN_INSERT_MASKED_OBJECT_USER"}
    assert hsms[1]["hsm"] in logs["data"]["streams"]        # the failed HSM's stream is still there
    [alarms] = ok("logs", "--alarms")
    assert {a["filter"]: a["state"] for a in alarms["data"]["alarms"]}["CN_CREATE_USER"] == "ALARM"
