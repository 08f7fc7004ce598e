"""The REPL's pieces without a terminal: Tab completion from the command table and the role,
and the history that never keeps a secret."""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from hsmshell.ui.completer import ShellCompleter
from hsmshell.ui.history import RedactingHistory, redact_for_history


def completions(shell, text: str) -> list[str]:
    return [c.text for c in ShellCompleter(shell).get_completions(Document(text), CompleteEvent())]


@pytest.fixture
def shell(harness):
    harness.open()
    return harness.shell


def test_anonymous_is_offered_only_what_it_may_run(shell):
    assert completions(shell, "listU") == ["listUsers"]
    assert completions(shell, "createU") == []
    assert completions(shell, "lo") == ["login", "loginHSM"]      # CloudHSM CLI's and CMU's
    offered = completions(shell, "")
    assert {"listUsers", "loginHSM", "help", "quit"} <= set(offered)
    assert not {"createUser", "deleteUser", "logoutHSM"} & set(offered)


def test_a_crypto_officer_is_offered_user_management(activated):
    shell = activated.shell
    assert completions(shell, "createU") == ["createUser"]
    assert completions(shell, "lo") == ["login", "logout", "loginHSM", "logoutHSM"]
    assert completions(shell, "listUsers; createU") == ["createUser"]     # after a `;` too


def test_arguments_complete_user_types_and_known_names(activated):
    activated.ok("createUser CU alice alicepass1")
    shell = activated.shell
    assert completions(shell, "createUser C") == ["CO", "CU"]
    assert completions(shell, "loginHSM p") == ["PRECO"]
    assert completions(shell, "deleteUser CU al") == ["alice"]
    assert completions(shell, "deleteUser CU A") == ["admin", "alice", "app_user"]
    assert completions(shell, "loginHSM -s ap") == ["app_user"]
    assert completions(shell, "loginHSM -u C") == ["CO", "CU"]
    assert completions(shell, "deleteUser CU alice ") == []              # nothing more to fill
    assert "createUser" in completions(shell, "help cre")


def test_the_next_argument_is_the_one_the_parser_would_fill(activated):
    """The completer walks a line as the binder does (parse/grammar.py): an argument given by
    its flag is filled, so the next plain word is the next argument still open."""
    activated.ok("createUser CU alice alicepass1")
    shell = activated.shell
    assert completions(shell, "loginHSM -u CU al") == ["alice"]          # was: user types again
    assert completions(shell, "deleteUser -u CU al") == ["alice"]
    assert completions(shell, "deleteUser -s alice C") == ["CO", "CU"]   # the type is still open


def test_an_option_given_by_position_is_not_offered_again(activated):
    """`loginHSM CU -<tab>`: the user type is given (by position), so -u would be 'given twice'."""
    offered = completions(activated.shell, "loginHSM CU -")
    assert "-u" not in offered and "-s" in offered


@pytest.mark.parametrize("typed, kept", [
    ("loginHSM CU alice Pa55word!", "loginHSM CU alice -hpswd"),
    ("loginHSM -u CU -s alice -p Pa55word!", "loginHSM -u CU -s alice -p -hpswd"),
    ("listUsers; createUser CU bob Pa55word!", "listUsers; createUser CU bob -hpswd"),
    ("createUser CU bob Pa55word! extra", "createUser CU bob ******** ********"),
    ("loginHSM CU Pa55word!", "loginHSM ******** ********"),   # a word is missing: any may be it
    ("createUser CU bob @env:BOB_PW", "createUser CU bob @env:BOB_PW"),
    ("Pa55word!", ""),                          # typed when nothing asked: not kept at all
    ("listUsers; Pa55word!", "listUsers"),
    ("lstUsers", "lstUsers"),                   # a typo is worth recalling
    ("lsitUsers 'a b'", "lsitUsers 'a b'"),       # as typed: its commands take no secret
    ("logniHSM CU alice -hpswd", "logniHSM CU alice -hpswd"),
    ("logniHSM CU alice Pa55word!", "logniHSM CU alice -hpswd"),      # its secret removed
    ("logniHSM CU Pa55word!", "logniHSM <2 argument(s) not logged>"),  # which word is it?
])
def test_history_keeps_commands_but_no_secret(typed, kept, shell):
    assert redact_for_history(typed, shell.table) == kept


def test_the_history_file_gets_only_redacted_lines(tmp_path, shell):
    path = tmp_path / "history"
    history = RedactingHistory(path, shell.table)
    history.append_string("loginHSM CU alice Pa55word!")
    history.append_string("Pa55word!")
    text = path.read_text()
    assert "Pa55word!" not in text and "+loginHSM CU alice -hpswd" in text
    assert list(history.load_history_strings()) == ["loginHSM CU alice -hpswd"]


def _help_of(harness, command: str) -> dict:
    return harness.ok(f"help {command}")["data"]


@pytest.mark.parametrize("who, login", [("alice(CU)", "loginHSM CU alice alicepass1"),
                                        ("admin(PRECO)", "loginHSM PRECO admin password")])
def test_help_completion_and_policy_agree_on_your_own_password(harness, who, login):
    """changePswd is allowed to a CU and a PRECO for their own password only: Tab offers it,
    help says so with the condition, and the policy lets exactly that through."""
    if who.startswith("alice"):
        harness.activate()
        harness.ok("createUser CU alice alicepass1")
        harness.ok("createUser CU bob bobpass12")
        harness.ok("logoutHSM")
    harness.ok(login)
    assert completions(harness.shell, "changeP") == ["changePswd"]
    data = _help_of(harness, "changePswd")
    assert data["allowed"] is True and data["allowed_for_you"] == "only for your own password"
    assert {f["when"]: f["allowed"] for f in data["forms"]} == {
        "for your own password": True, "for another user's password": False}
    assert "changePswd" in [r["command"] for r in harness.ok("help")["data"]["commands"] if r["allowed"]]
    if who.startswith("alice"):
        outcome, printed = harness.run("changePswd CU bob bobpass99")
        assert outcome.status == 3 and printed[-1]["error"]["reference"] == "permission-denied"
        harness.ok("changePswd CU alice alicepass2")
    from hsmshell.render import make_renderer
    env = harness.env(output="rich")
    make_renderer(env).result(harness.shell.run("help changePswd", "t").result, "t")
    shown = env.stdout.getvalue()
    assert "allowed for you: only for your own password" in shown
    assert "for another user's password: action user.password.other, roles CO" in shown


def test_the_toolbar_fits_80_columns_without_cutting_a_word(shell):
    from hsmshell.ui.toolbar import _compact, _plain, toolbar_text
    wide = _plain(toolbar_text(shell, width=200).value)
    narrow = _plain(toolbar_text(shell, width=80).value)
    assert "Ctrl-D quits" in wide and len(narrow) < 80
    assert "cluster default" in narrow and "HSMs 3/3" in narrow and "not logged in" in narrow
    assert _compact("token 3 USER_MGMT key 5 1/2 9:41 left") == "token 3 1/2 9:41"


def test_banner_and_usage_hints_wrap_between_words_at_80_columns(harness, monkeypatch):
    import io
    from hsmshell.errors import InvalidArgument
    from hsmshell.modes.repl import WELCOME
    from hsmshell.render.rich_out import RichRenderer

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("COLUMNS", "80")
    env = harness.env(output="rich", color=False)
    env.stderr = Terminal()
    renderer = RichRenderer(env)
    banner = WELCOME.format(cluster="default")
    renderer.note(banner)
    usage = harness.open().table.lookup("genSymKey").usage()
    renderer.error(InvalidArgument("genSymKey: unknown option", hint=f"usage: {usage}"), "genSymKey", "t")
    lines = env.stderr.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert " ".join(lines[:2]).split() == banner.split()                 # no word cut in two
    hint = " ".join(line.strip() for line in lines[3:])
    for group in ("[-id <key-id>]", "[-min_srv <n>]", "-t <16|21|31>", "[-m_value <0..8>]"):
        assert any(group in line for line in lines), group                # never split
    assert hint.startswith("hint: usage: genSymKey -t <16|21|31>")
