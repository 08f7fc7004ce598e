"""Server mode and a failing server, in the real REPL: the `server0>` prompt, `exit`, and CMU's
Retry/Ignore/Abort question answered at the keyboard."""

from __future__ import annotations


def test_server_mode_prompt_and_the_retry_ignore_abort_question(terminal, harness):
    from hsmshell.admin import cluster_ops
    harness.activate("officer1pw")
    harness.close()
    cluster_ops.change_hsms(harness.env(), "default", "fail-hsm", hsm="1", replace_after=None)

    term = terminal()
    term.wait_prompt("not logged in")
    term.command("loginHSM CO admin officer1pw", then="admin(PCO)")
    term.command("server 2", then="admin(PCO):server2")
    term.wait_text(r"Server is in 'E2' mode")
    term.command("exit", then="admin(PCO)")
    term.submit("createUser CU bob bobpass12")
    term.wait_input("Do you want to continue(y/n)?")
    term.submit("y")
    term.wait_text(r"createUser failed on server 1\(")
    term.wait_input("Retry/Ignore/Abort?(R/I/A):")
    term.submit("I")
    term.wait_prompt("admin(PCO)")
    term.wait_text(r"createUser success on server 2\(")
    term.submit("quit")
    assert term.wait_exit() == 0          # the status of the last command, quit
