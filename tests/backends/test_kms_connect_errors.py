"""Every ConnectionErrorCode KMS reports for a CloudHSM key store, each from a cluster set up
to cause it, then fixed with the command `kms check` names, until the store connects."""

from __future__ import annotations

from kms_support import ADMIN_PW, kms  # noqa: F401  (fixture)


def _reconnects(kms, name: str = "shop") -> None:
    kms.ok("kms", "disconnect", name)
    data = kms.ok("kms", "connect", name)
    assert data["ConnectionState"] == "CONNECTED" and data["States"] == ["CONNECTING", "CONNECTED"]


def _fix_named_by_check(kms, requirement: str, code: str) -> str:
    row = kms.check()[requirement]
    assert row["Met"] is False and row["ConnectionErrorCode"] == code, row
    return row["Fix"][0]


def test_cluster_not_found(kms):
    kms.cluster()
    kms.store()
    kms.ok("--yes", "cluster", "delete", "shop")
    kms.connect_fails_with("CLUSTER_NOT_FOUND")
    assert kms.check()["cluster-exists"]["ConnectionErrorCode"] == "CLUSTER_NOT_FOUND"


def test_insufficient_cloudhsm_hsms(kms):
    kms.cluster()
    kms.store()
    kms.ok("cluster", "fail-hsm", "shop", "0")
    kms.ok("kms", "connect", "shop")                  # one active HSM is enough to connect
    kms.ok("kms", "disconnect", "shop")
    kms.ok("cluster", "fail-hsm", "shop", "1")
    kms.connect_fails_with("INSUFFICIENT_CLOUDHSM_HSMS")
    assert "restores the latest backup" in _fix_named_by_check(kms, "active-hsm", "INSUFFICIENT_CLOUDHSM_HSMS")


def test_insufficient_free_addresses_in_subnet(kms):
    kms.cluster()
    kms.store()
    kms.ok("cluster", "network", "shop", "--occupy-addresses", "us-east-1b")
    kms.connect_fails_with("INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET")
    fix = _fix_named_by_check(kms, "free-addresses", "INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET")
    assert fix == "hsmshell cluster network shop --release-addresses us-east-1b"
    kms.ok(*fix.split()[1:])
    _reconnects(kms)


def test_subnet_not_found(kms):
    kms.cluster(hsms=3, azs="us-east-1a,us-east-1b,us-east-1c")
    kms.store()
    kms.ok("cluster", "network", "shop", "--delete-subnet", "us-east-1c")
    kms.connect_fails_with("SUBNET_NOT_FOUND")
    kms.ok(*_fix_named_by_check(kms, "subnets-exist", "SUBNET_NOT_FOUND").split()[1:6])
    _reconnects(kms)


def test_network_errors(kms):
    kms.cluster()
    kms.store()
    kms.ok("cluster", "network", "shop", "--block-network-acl")
    kms.connect_fails_with("NETWORK_ERRORS")
    kms.ok(*_fix_named_by_check(kms, "network-acl", "NETWORK_ERRORS").split()[1:])
    _reconnects(kms)


def test_user_not_found(kms):
    kms.cluster(kmsuser=False)
    kms.store()                       # CreateCustomKeyStore does not look for kmsuser
    kms.connect_fails_with("USER_NOT_FOUND")
    assert "createUser CU kmsuser" in _fix_named_by_check(kms, "kmsuser-exists", "USER_NOT_FOUND")
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; createUser CU kmsuser @env:KMSUSER_PW")
    _reconnects(kms)


def test_user_not_found_on_one_hsm_names_the_sync(kms):
    kms.cluster(hsms=3, azs="us-east-1a,us-east-1b,us-east-1c", kmsuser=False)
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; server 0; createUser CU kmsuser @env:KMSUSER_PW; "
                      "server 1; createUser CU kmsuser @env:KMSUSER_PW; exit")
    kms.store()
    kms.connect_fails_with("USER_NOT_FOUND")
    row = kms.check()["kmsuser-exists"]
    assert row["Detail"] == "missing on server 2" and "syncUser 3 2" in row["Fix"][0]


def test_invalid_credentials_then_update_key_store(kms, monkeypatch):
    kms.cluster()
    kms.store()
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; changePswd CU kmsuser otherpass1")
    kms.connect_fails_with("INVALID_CREDENTIALS")
    users = kms.shell("shop", "listUsers")[-1]["data"]["servers"]
    assert {u["login_failure_count"] for s in users for u in s["users"] if u["user_name"] == "kmsuser"} == {1}
    assert kms.check()["kmsuser-password"]["ConnectionErrorCode"] == "INVALID_CREDENTIALS"
    kms.ok("kms", "disconnect", "shop")
    monkeypatch.setenv("NEW_PW", "otherpass1")
    kms.ok("kms", "update-key-store", "shop", "--kmsuser-password", "@env:NEW_PW")
    assert kms.ok("kms", "connect", "shop")["ConnectionState"] == "CONNECTED"


def test_wrong_password_connects_lock_kmsuser_out(kms):
    kms.cluster()
    kms.store()
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; changePswd CU kmsuser otherpass1")
    for _ in range(6):                # each attempt is a failed login of kmsuser on every HSM
        kms.connect_fails_with("INVALID_CREDENTIALS")
        kms.ok("kms", "disconnect", "shop")
    kms.connect_fails_with("USER_LOCKED_OUT")
    fix = _fix_named_by_check(kms, "kmsuser-not-locked", "USER_LOCKED_OUT")
    assert "changePswd CU kmsuser" in fix


def test_user_locked_out_by_bad_logins(kms):
    kms.cluster()
    kms.store()
    for _ in range(6):
        kms.run("--cluster", "shop", "-c", "loginHSM CU kmsuser wrongpass1")
    kms.connect_fails_with("USER_LOCKED_OUT")
    kms.ok("kms", "disconnect", "shop")
    kms.shell("shop", f"loginHSM CO admin {ADMIN_PW}; changePswd CU kmsuser @env:KMSUSER_PW")   # unlocks
    assert kms.ok("kms", "connect", "shop")["ConnectionState"] == "CONNECTED"


def test_user_logged_in(kms):
    import io

    from hsmshell.clusters import open_shell
    from hsmshell.environment import Environment

    kms.cluster()
    kms.store()
    env = Environment(home=kms.home, stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                      output="json", assume_yes=True, interactive=False, color=False, environ={},
                      cluster="shop")
    shell = open_shell(env)          # another shell (this process) logged in as kmsuser
    try:
        assert shell.run("loginHSM CU kmsuser kmsuserpw1", "test").status == 0
        kms.connect_fails_with("USER_LOGGED_IN")
        assert kms.check()["kmsuser-not-logged-in"]["Met"] is False
        shell.run("logoutHSM", "test")
    finally:
        shell.close()
    _reconnects(kms)


def test_internal_error_when_kmsuser_differs_between_hsms(kms):
    kms.cluster()
    kms.store()
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; server 1; changePswd CU kmsuser otherpass1; exit")
    kms.connect_fails_with("INTERNAL_ERROR")
    assert kms.check()["kmsuser-consistent"]["ConnectionErrorCode"] == "INTERNAL_ERROR"
    kms.shell("shop", "loginHSM CO admin @env:ADMIN_PW; changePswd CU kmsuser @env:KMSUSER_PW")
    _reconnects(kms)


def test_fast_refusals_leave_the_store_disconnected(kms):
    kms.cluster()
    kms.store()
    kms.ok("cluster", "network", "shop", "--revoke-rule", "inbound")
    error = kms.fails("kms", "connect", "shop")
    assert error["exception"] == "CloudHsmClusterInvalidConfigurationException"
    assert error["reference"] == "cloudhsm-cluster-invalid-configuration"
    assert kms.describe()["ConnectionState"] == "DISCONNECTED"
    assert "ConnectionErrorCode" not in kms.describe()
    kms.ok("cluster", "network", "shop", "--restore-security-group")
    assert kms.ok("kms", "connect", "shop")["ConnectionState"] == "CONNECTED"


def test_connect_states_and_what_a_failed_store_needs(kms):
    kms.cluster()
    kms.store()
    kms.ok("cluster", "network", "shop", "--block-network-acl")
    kms.connect_fails_with("NETWORK_ERRORS")
    error = kms.fails("kms", "connect", "shop")          # FAILED: disconnect first
    assert error["exception"] == "CustomKeyStoreInvalidStateException"
    kms.ok("kms", "disconnect", "shop")
    assert kms.fails("kms", "disconnect", "shop")["exception"] == "CustomKeyStoreInvalidStateException"
    kms.ok("cluster", "network", "shop", "--unblock-network-acl")
    assert kms.ok("kms", "connect", "shop", "--no-wait")["ConnectionState"] == "CONNECTING"
    assert kms.describe()["ConnectionState"] == "CONNECTED"     # the attempt finished meanwhile
    assert kms.fails("kms", "delete-key-store", "shop")["exception"] == "CustomKeyStoreInvalidStateException"


def test_check_names_every_missing_requirement_at_once_and_its_fixes_lead_to_a_connection(kms):
    import shlex

    kms.cluster(hsms=3, azs="us-east-1a,us-east-1b,us-east-1c", kmsuser=False)
    kms.store()
    for change in (["--delete-subnet", "us-east-1c"], ["--occupy-addresses", "us-east-1a"],
                   ["--block-network-acl"], ["--revoke-rule", "inbound"]):
        kms.ok("cluster", "network", "shop", *change)
    rows = kms.check()
    unmet = {name for name, row in rows.items() if row["Met"] is False}
    assert unmet == {"subnets-exist", "free-addresses", "network-acl", "security-group", "kmsuser-exists"}
    assert all(rows[name]["Fix"] for name in unmet)
    met = []
    for _ in range(8):                     # one fix at a time, as a user would
        status, objs = kms.run("kms", "connect", "shop")
        if status == 0:
            break
        error = objs[-1]["error"]
        met.append(error.get("ConnectionErrorCode") or error["exception"])
        if error.get("ConnectionState") == "FAILED":
            kms.ok("kms", "disconnect", "shop")
        why = met[-1]           # the requirement the refusal names
        row = next(r for r in kms.check().values()
                   if r["Met"] is False and why in (r.get("ConnectionErrorCode"), r.get("Exception")))
        fix = row["Fix"][0].replace("-hpswd", "@env:KMSUSER_PW").replace("loginHSM CO admin @env:KMSUSER_PW",
                                                                          "loginHSM CO admin @env:ADMIN_PW")
        words = shlex.split(fix.split("   (")[0])
        assert words[0] == "hsmshell", fix
        status, objs = kms.run("--yes", *words[1:])
        assert status == 0, (fix, objs)
    assert met == ["CloudHsmClusterInvalidConfigurationException", "SUBNET_NOT_FOUND",
                   "INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET", "NETWORK_ERRORS", "USER_NOT_FOUND"]
    assert kms.describe()["ConnectionState"] == "CONNECTED"


def test_enforced_mtls_is_refused_at_once(kms):
    kms.cluster()
    kms.store()
    anchor = kms.anchor()
    kms.shell("shop", f"login --username admin --role admin --password {ADMIN_PW}; "
                      f"cluster mtls register-trust-anchor --path {anchor}; cluster mtls set-enforcement --level cluster")
    error = kms.fails("kms", "connect", "shop")
    assert error["exception"] == "CloudHsmClusterInvalidConfigurationException" and "mTLS" in error["message"]
    assert kms.describe()["ConnectionState"] == "DISCONNECTED"
    row = kms.check()["mtls-off"]
    assert row["Met"] is False and "set-enforcement --level none" in row["Fix"][0]
    kms.shell("shop", f"login --username admin --role admin --password {ADMIN_PW}; "
                      "cluster mtls set-enforcement --level none")
    assert kms.ok("kms", "connect", "shop")["ConnectionState"] == "CONNECTED"
