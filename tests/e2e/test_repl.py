"""The interactive shell as a person uses it: prompt, completion, hidden input, the CAUTION
question, history, Ctrl-C / Ctrl-D / quit — in a real pseudo-terminal."""

from __future__ import annotations

import json

import pytest

from hsmshell.status import ExitStatus

OFFICER_PW = "Offic3rSecret"          # distinctive, so finding it anywhere is a real leak


@pytest.fixture
def prepared(harness):
    """Set the cluster up in-process (fast), then close that shell so the REPL is alone."""

    def prepare(*lines: str) -> None:
        harness.activate(OFFICER_PW)
        for line in lines:
            harness.ok(line)
        harness.close()
    return prepare


@pytest.fixture
def officer(terminal, prepared):
    """The REPL on an activated cluster, logged in as its first CO."""
    prepared()
    term = terminal()
    term.wait_prompt("not logged in")
    term.command(f"loginHSM CO admin {OFFICER_PW}", then="admin(PCO)")
    return term


def users_named(harness, name: str) -> list[dict]:
    servers = harness.ok("listUsers")["data"]["servers"]
    return [u for s in servers for u in s["users"] if u["user_name"] == name]


def test_prompt_shows_cluster_and_login_and_follows_login_and_logout(terminal):
    term = terminal()
    term.wait_text(r"hsmshell — default cluster")
    term.wait_prompt("not logged in")
    term.command("loginHSM PRECO admin password", then="admin(PRECO)")
    term.submit(f"changePswd PRECO admin {OFFICER_PW}")
    term.wait_input("Do you want to continue(y/n)?")
    term.submit("y")
    term.wait_prompt("admin(PCO)")
    term.wait_text(r"Cluster activated")
    term.command("whoami", then="admin(PCO)")
    term.command("logoutHSM", then="not logged in")
    term.submit("quit")
    term.wait_text(r"disconnecting from servers, please wait")
    assert term.wait_exit() == 0


def test_the_bottom_toolbar_shows_cluster_hsms_and_login_in_a_real_terminal(terminal):
    # prompt_toolkit draws the toolbar only once the terminal has said where the cursor is
    term = terminal(answer_cpr=True)
    term.wait_prompt("not logged in")
    term.wait_text(r"cluster default \(INITIALIZED\) · HSMs 3/3 reachable · not logged in")
    term.command("loginHSM PRECO admin password", then="admin(PRECO)")
    term.wait_text(r"HSMs 3/3 reachable · admin \(PRECO\)")
    term.control("d")
    assert term.wait_exit() == 0


def test_tab_completes_only_the_commands_the_role_may_run(terminal, prepared):
    prepared()
    term = terminal()
    prompt = term.wait_prompt("not logged in")
    # Each probe is a word, Tab, then `X`: the X lands after whatever Tab inserted; the allowed
    # command (listUsers) shows that the same keystrokes do complete.
    for word, expected in (("listU", "listUsersX"), ("createU", "createUX"), ("changeP", "changePX")):
        term.type(word)
        term.wait_input(prompt + word)
        term.tab()
        term.type("X")
        term.wait_input(prompt + expected)
        term.control("c")
        term.wait_prompt("not logged in")
    term.command(f"loginHSM CO admin {OFFICER_PW}", then="admin(PCO)")
    prompt = "default:admin(PCO)> "
    term.complete(prompt, "createU", "createUser")
    term.control("c")
    term.wait_input(prompt)
    term.control("d")
    assert term.wait_exit() == 0


def test_tab_shows_the_candidates_of_a_prefix_for_the_role(terminal, prepared):
    prepared()
    term = terminal()
    prompt = term.wait_prompt("not logged in")
    # one candidate: loginHSM (CloudHSM CLI's `login` is not a longer match); logoutHSM needs
    # a login, so Tab completes straight away
    term.complete(prompt, "loginH", "loginHSM")
    term.control("c")
    term.wait_input(prompt)
    term.command(f"loginHSM CO admin {OFFICER_PW}", then="admin(PCO)")
    prompt = "default:admin(PCO)> "
    term.type("lo")
    term.wait_input(prompt + "lo")
    term.tab()
    term.wait_text(r"loginHSM +log in")      # now both are candidates: a menu, with summaries
    term.wait_text(r"logoutHSM +log out")
    # the common part is inserted; wait for the cursor to be back on the input line (the menu
    # is drawn by moving the cursor below it) before Ctrl-C marks the submitted row
    term.wait_input(prompt + "log")
    term.control("c")
    term.wait_input(prompt)
    term.control("d")
    assert term.wait_exit() == 0


def test_tab_completes_user_types_and_known_user_names(terminal, prepared):
    prepared("createUser CU alice alicepass1")
    term = terminal()
    prompt = term.wait_prompt("not logged in")
    line = term.complete(prompt, "loginHSM PR", "loginHSM PRECO")
    term.complete(line, " ali", " alice")
    term.control("c")
    term.wait_input(prompt)
    # a KMU flag takes the completion of its argument: -s is the user name
    term.complete(prompt, "loginHSM -u CU -s app_", "loginHSM -u CU -s app_user")
    term.control("c")
    term.wait_input(prompt)
    term.control("d")
    assert term.wait_exit() == 0


def test_hpswd_reads_the_password_hidden_and_nothing_keeps_it(terminal, prepared, harness):
    prepared()
    new_user_pw = "B0bHiddenPass"
    term = terminal()
    term.wait_prompt("not logged in")
    term.submit("loginHSM CO admin -hpswd")
    term.wait_input("Enter password: ")
    term.submit(OFFICER_PW, echo="*" * len(OFFICER_PW))
    term.wait_prompt("admin(PCO)")
    term.submit("createUser CU bob -hpswd")
    term.wait_input("Enter new password: ")
    term.submit(new_user_pw, echo="*" * len(new_user_pw))
    term.wait_input("Re-enter new password: ")
    term.submit(new_user_pw, echo="*" * len(new_user_pw))
    term.wait_input("Do you want to continue(y/n)?")
    term.submit("y")
    term.wait_prompt("admin(PCO)")
    term.wait_text(r"createUser success on server 2")
    term.submit("quit")
    assert term.wait_exit() == 0

    screen = term.raw.getvalue() + term.text()
    for secret in (OFFICER_PW, new_user_pw):
        assert secret not in screen
    history = (harness.home / "history").read_text()
    assert "loginHSM CO admin -hpswd" in history and "createUser CU bob -hpswd" in history
    log = next(harness.home.glob("clusters/*/audit.log")).read_text()
    for secret in (OFFICER_PW, new_user_pw):
        assert secret not in history and secret not in log
    # the hidden password really was the one set: bob can log in with it
    harness.ok(f"loginHSM CU bob {new_user_pw}")


def test_caution_question_n_cancels_and_y_runs(officer, harness):
    term = officer
    term.submit("createUser CU carol carolpass1")
    term.wait_text(r"\*+CAUTION\*+\nThis is a CRITICAL operation")
    term.wait_text(r"This will create carol \(CU\) on 3 HSMs\.")      # what the question is about
    term.wait_input("Do you want to continue(y/n)?")
    term.submit("n")
    term.wait_prompt("admin(PCO)")
    term.wait_text(r"createUser: not run: the CAUTION question was answered n")
    assert "error[cancelled]" not in term.text()
    term.submit("createUser CU carol carolpass1")
    term.wait_input("Do you want to continue(y/n)?")
    term.submit("maybe")
    term.wait_text(r"Invalid option, please type 'y' or 'n'")
    term.wait_input("Do you want to continue(y/n)?")
    term.submit("y")
    term.wait_prompt("admin(PCO)")
    term.wait_text(r"Creating User carol\(CU\) on 3 nodes")
    term.control("d")
    assert term.wait_exit() == 0

    history = (harness.home / "history").read_text()
    assert "carolpass1" not in history
    assert "createUser CU carol -hpswd" in history       # recalling it asks for the password
    assert len(users_named(harness, "carol")) == 3       # created once, on every HSM


def test_ctrl_c_or_ctrl_d_at_a_question_cancels_only_that_command(terminal, prepared, harness):
    prepared()
    term = terminal()
    term.wait_prompt("not logged in")
    term.submit("loginHSM CO admin -hpswd")
    term.wait_input("Enter password: ")
    term.control("c")
    term.wait_prompt("not logged in")
    term.wait_text(r"loginHSM: cancelled at the question: nothing was run")
    term.command(f"loginHSM CO admin {OFFICER_PW}", then="admin(PCO)")
    term.submit("createUser CU erin erinpass1")
    term.wait_input("Do you want to continue(y/n)?")
    term.control("d")
    term.wait_prompt("admin(PCO)")
    term.command("lstUsers", then="admin(PCO)")          # a failing command last...
    term.wait_text(r"error\[unknown-command\]")
    term.control("d")
    assert term.wait_exit() == 0                         # ...and still a normal end
    assert users_named(harness, "erin") == []


def test_ctrl_c_cancels_the_line_and_ctrl_d_exits_0(officer, harness):
    term = officer
    prompt = "default:admin(PCO)> "
    term.type("createUser CU dave davepass1")
    term.wait_input(prompt + "createUser CU dave davepass1")
    term.control("c")
    term.wait_prompt("admin(PCO)")            # a fresh, empty line; the shell goes on
    term.command("whoami", then="admin(PCO)")
    term.control("d")
    assert term.wait_exit() == ExitStatus.SUCCESS
    assert users_named(harness, "dave") == []
    audited = [json.loads(line) for line in next(harness.home.glob("clusters/*/audit.log")).open()]
    assert not any(r.get("command") == "createUser" for r in audited)
    assert any(r.get("command") == "whoami" for r in audited)


def test_quit_logs_out_and_exits_0_and_the_log_verifies(officer, harness):
    term = officer
    term.submit("quit")
    term.wait_text(r"disconnecting from servers, please wait")
    assert term.wait_exit() == 0
    from hsmshell.cli import main
    assert main(["--home", str(harness.home), "audit", "verify"]) == 0
