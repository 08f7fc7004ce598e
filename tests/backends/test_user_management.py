"""User management on the emulated cluster, through the whole pipeline."""

from hsmshell.status import ExitStatus


def test_first_use_lists_preco_and_au_on_three_hsms(harness):
    obj = harness.ok("listUsers")
    servers = obj["data"]["servers"]
    assert len(servers) == 3
    for server in servers:
        assert [(u["user_id"], u["user_type"], u["user_name"]) for u in server["users"]] == \
            [(1, "PRECO", "admin"), (2, "AU", "app_user")]


def test_activation_turns_preco_into_pco(harness):
    harness.activate()
    who = harness.ok("whoami")["data"]
    assert who["user_type"] == "PCO"
    assert {u["user_type"] for s in harness.ok("listUsers")["data"]["servers"]
            for u in s["users"] if u["user_name"] == "admin"} == {"PCO"}


def test_cu_is_refused_create_user_with_the_reason(activated):
    activated.ok("createUser CU alice alicepass1")
    activated.ok("logoutHSM")
    activated.ok("loginHSM CU alice alicepass1")
    outcome, printed = activated.run("createUser CU bob bobpass12")
    assert outcome.status == ExitStatus.DENIED
    error = printed[0]["error"]
    assert error["reference"] == "permission-denied"
    assert "needs role CO" in error["message"] and "alice (CU)" in error["message"]


def test_lockout_after_more_than_five_failures_and_co_unlock(activated):
    activated.ok("createUser CU carol carolpass1")
    activated.ok("logoutHSM")
    for _ in range(6):
        outcome, printed = activated.run("loginHSM CU carol wrongpass")
        assert printed[0]["error"]["reference"] == "login-failed"
    outcome, printed = activated.run("loginHSM CU carol carolpass1")
    assert printed[0]["error"]["reference"] == "user-locked"
    activated.ok("loginHSM CO admin officer1pw")
    counts = {u["login_failure_count"] for s in activated.ok("listUsers")["data"]["servers"]
              for u in s["users"] if u["user_name"] == "carol"}
    assert counts == {6}
    activated.ok("changePswd CU carol carolpass2")
    activated.ok("logoutHSM")
    activated.ok("loginHSM CU carol carolpass2")
