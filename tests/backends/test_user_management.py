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


def test_a_bad_new_password_is_refused_before_it_is_asked_again_or_any_caution(harness):
    """The first answer at -hpswd is checked at once: no re-entry, no CAUTION, no HSM."""
    harness.activate()
    asked = []

    def ask_secret(prompt):
        asked.append(prompt)
        return "short"

    def ask_yes_no(question):
        asked.append(question)
        return "y"

    harness.open(ask_secret_fn=ask_secret, ask_yes_no_fn=ask_yes_no, assume_yes=False)
    harness.ok("loginHSM CO admin officer1pw")
    outcome, printed = harness.run("createUser CU bob -hpswd")
    assert outcome.status == 2 and "passwords are 7 to 32 characters long" in printed[-1]["error"]["message"]
    assert asked == ["Enter new password: "]
    outcome, printed = harness.run("createUser CU bob bob")       # a literal: refused before CAUTION
    assert outcome.status == 2 and asked == ["Enter new password: "]
    assert "bob" not in [u["user_name"] for u in harness.ok("listUsers")["data"]["servers"][0]["users"]]


def test_an_empty_password_is_never_sent_to_the_hsm(harness):
    harness.activate()
    harness.open(ask_secret_fn=lambda prompt: "")
    for _ in range(7):                       # more than the lockout limit: none of them counts
        outcome, printed = harness.run("loginHSM CO admin -hpswd")
        assert outcome.status == 2 and printed[-1]["error"]["message"].startswith("the password is empty")
    users = harness.ok("listUsers")["data"]["servers"][0]["users"]
    assert [u["login_failure_count"] for u in users if u["user_name"] == "admin"] == [0]
