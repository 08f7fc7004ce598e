"""parse: text -> Invocation, for both tool styles, and every kind of bad input with its
stable reference. Pure: no shell, no state dir."""

from __future__ import annotations

import time

import pytest

from hsmshell.commands import command_table
from hsmshell.errors import HsmshellError, InvalidArgument, ParseError, UnknownCommand
from hsmshell.parse import parse_line, split_statements, tokenize
from hsmshell.parse.binder import redact_unparsed
from hsmshell.parse.lexer import MAX_LINE

SECRET = "S3cret-Pa55"


@pytest.fixture(scope="module")
def table():
    return command_table()


def parse(table, line):
    return parse_line(line, table, "test:1")


def refused(table, line) -> HsmshellError:
    with pytest.raises(HsmshellError) as caught:
        parse(table, line)
    return caught.value


# -- the two argument styles -------------------------------------------------------------------
@pytest.mark.parametrize("line", [
    f"loginHSM CU alice {SECRET}",                       # CMU positional
    f"loginHSM -u CU -s alice -p {SECRET}",              # KMU flags
    f"loginHSM -p {SECRET} -s alice -u CU",              # flags in any order
    f"loginHSM CU -s alice {SECRET}",                    # mixed: a flag fills its slot
])
def test_login_binds_the_same_arguments_in_cmu_and_kmu_form(table, line):
    inv = parse(table, line)
    assert inv.name == "loginHSM"
    assert inv.args["user_type"] == "CU" and inv.args["user_name"] == "alice"
    ref = inv.args["password"]
    assert ref.source == "literal" and ref.literal == SECRET
    assert inv.secrets == {"password": ref}
    assert inv.source == "test:1"


@pytest.mark.parametrize("token, source, ref", [
    ("-hpswd", "prompt", ""), ("@env:HSM_PW", "env", "HSM_PW"), ("@file:/run/pw", "file", "/run/pw"),
    ("@keyring", "keyring", ""), ("@keyring:ops", "keyring", "ops"),
])
def test_secret_sources_are_recorded_not_resolved(table, token, source, ref):
    inv = parse(table, f"createUser CU bob {token}")
    assert (inv.args["password"].source, inv.args["password"].ref) == (source, ref)
    assert token in inv.text                  # the reference is shown; it is not the secret


def test_hpswd_fills_the_password_wherever_it_stands(table):
    inv = parse(table, "loginHSM -hpswd -u CO -s admin")
    assert inv.args["password"].source == "prompt" and inv.args["user_name"] == "admin"


def test_a_password_may_start_with_a_dash_and_is_never_echoed(table):
    inv = parse(table, "loginHSM CU alice -Dashing1")
    assert inv.args["password"].literal == "-Dashing1"
    assert "-Dashing1" not in inv.text and "-Dashing1" not in inv.history_text


@pytest.mark.parametrize("typed, name", [
    ("listU", "listUsers"), ("LISTUSERS", "listUsers"), ("listusers", "listUsers"),
    ("logi", "loginHSM"), ("logo", "logoutHSM"), ("createU", "createUser"), ("changeP", "changePswd"),
    ("whoami", "whoami"), ("exit", None),
])
def test_unique_prefixes_and_any_case_name_a_command(table, typed, name):
    spec = table.lookup(typed)
    assert spec.name == (name or spec.name)


@pytest.mark.parametrize("typed", ["l", "lo", "log", "c", "del"])
def test_an_ambiguous_prefix_lists_the_candidates(table, typed):
    error = refused(table, typed)
    assert isinstance(error, UnknownCommand) and error.reference == "unknown-command"
    assert "ambiguous" in error.message
    candidates = error.detail["candidates"]
    assert len(candidates) > 1 and all(c.lower().startswith(typed) for c in candidates)


@pytest.mark.parametrize("typo, suggestion", [
    ("lstUsers", "listUsers"), ("crateUser", "createUser"), ("loginHMS", "loginHSM"),
    ("chngePswd", "changePswd"), ("delteUser", "deleteUser"),
])
def test_a_typo_gets_did_you_mean(table, typo, suggestion):
    error = refused(table, f"{typo} CU bob")
    assert error.reference == "unknown-command" and f"'{typo}'" in error.message
    assert error.hint.startswith("did you mean") and suggestion in error.hint


def test_a_word_far_from_every_command_is_not_repeated(table):
    # it may be a password typed when nothing asked for one: the message goes to the log
    error = refused(table, "Xq7-pass!word")
    assert error.reference == "unknown-command" and "Xq7" not in error.message
    assert error.hint == "type 'help' for the list of commands"
    assert redact_unparsed("Xq7-pass!word", table) == (None, "<unknown command>")


# -- arity and types ---------------------------------------------------------------------------
@pytest.mark.parametrize("line, words", [
    ("createUser", "missing user type"),
    ("createUser CU", "missing user name"),
    ("createUser CU bob", "missing password"),
    ("deleteUser CU", "missing user name"),
    ("listUsers extra", "too many arguments"),
    ("deleteUser CU bob extra", "too many arguments"),
    ("loginHSM -u CU -s", "-s needs a value"),
    ("loginHSM -u CU -u CO -s a -p b", "user_type given twice"),
    ("listUsers -x", "unknown option -x"),
    ("loginHSM -u CU -x alice pw12345", "loginHSM: unknown option"),
    ("whoami -hpswd", "takes no password"),
])
def test_wrong_arity_is_invalid_argument_with_usage(table, line, words):
    error = refused(table, line)
    assert isinstance(error, InvalidArgument) and error.reference == "invalid-argument"
    assert words in error.message
    assert error.hint.startswith("usage: ")
    assert error.detail["command"] == table.lookup(line.split()[0]).name


@pytest.mark.parametrize("line, words, hint", [
    ("info server abc", "server_id must be a whole number", None),
    ("info server -1x", "unknown option", None),
    ("info client 0", "what must be one of server", None),
    ("deleteUser XX bob", "invalid user type 'XX'", "user types: CO, CU, PRECO, PCO, AU"),
    ("deleteUser co bob", "invalid user type 'co'", "case-sensitive: did you mean CO?"),
    ("deleteUser CU bob-1", "invalid user name 'bob-1'", "letters, digits and _"),
    ("deleteUser CU " + "a" * 32, "32 characters long (at most 31)", None),
    # where a password could have slipped into the wrong place, the word is not repeated
    ("createUser co bob pw12345", "createUser: invalid user type", "case-sensitive: did you mean CO?"),
    ("loginHSM CU Pa55-word", "loginHSM: invalid user name", "letters, digits and _"),
    ("loginHSM CU alice -x -y", "loginHSM: unknown option", "usage: loginHSM"),
])
def test_bad_types_name_the_argument(table, line, words, hint):
    error = refused(table, line)
    assert error.reference == "invalid-argument" and words in error.message
    if hint:
        assert hint in error.hint


def test_a_31_character_name_is_accepted(table):
    assert parse(table, "deleteUser CU " + "a" * 31).args["user_name"] == "a" * 31


# -- what a line may contain --------------------------------------------------------------------
@pytest.mark.parametrize("line, words", [
    ("", "empty command"), ("   \t ", "empty command"),
    ("createUser CU alicé pw12345", "non-ASCII character \\xe9 at column 19"),
    ("listUsers \N{SNOWMAN}", "non-ASCII character \\u2603 at column 11"),
    ("listUsers\x07", "control character 0x07 at column 10"),
    ("list\x00Users", "control character 0x00 at column 5"),
    ("listUsers\x1b[31m", "control character 0x1b at column 10"),
    ("listUsers\x7f", "control character 0x7f at column 10"),
    ("createUser CU 'bob pw12345", "cannot split the line: no closing quotation"),
    ("createUser CU bob pw\\", "cannot split the line: no escaped character"),
])
def test_bad_text_is_a_parse_error_that_says_where(table, line, words):
    error = refused(table, line)
    assert isinstance(error, ParseError) and error.reference == "parse-error"
    assert words in error.message
    assert "\n" not in error.message and error.message.isprintable()


def test_a_one_megabyte_line_is_refused_at_once(table):
    line = "listUsers " + "x" * (1 << 20)
    started = time.process_time()
    error = refused(table, line)
    assert error.reference == "parse-error"
    assert f"line too long: {len(line)} characters (at most {MAX_LINE})" == error.message
    assert time.process_time() - started < 1.0      # CPU time: no quadratic work on the line


def test_tabs_separate_words_and_quotes_group_them(table):
    assert tokenize("createUser\tCU  bob 'pass word'") == ["createUser", "CU", "bob", "pass word"]
    inv = parse(table, 'loginHSM CU bob "two words"')
    assert inv.args["password"].literal == "two words"


def test_split_statements_keeps_quoted_semicolons():
    assert split_statements("listUsers; loginHSM CU a 'x;y' ;; whoami ") == \
        ["listUsers", "loginHSM CU a 'x;y'", "whoami"]
    assert split_statements('a "b;c" \\; d; e') == ['a "b;c" \\; d', "e"]
    assert split_statements("  ;  ") == []


# -- redaction ---------------------------------------------------------------------------------
@pytest.mark.parametrize("line, text, history", [
    (f"loginHSM CU alice {SECRET}", "loginHSM CU alice ********", "loginHSM CU alice -hpswd"),
    (f"loginHSM -u CU -s alice -p {SECRET}", "loginHSM -u CU -s alice -p ********",
     "loginHSM -u CU -s alice -p -hpswd"),
    (f"changePswd CU bob '{SECRET} x'", "changePswd CU bob ********", "changePswd CU bob -hpswd"),
    ("createUser CU bob @env:BOB_PW", "createUser CU bob @env:BOB_PW", "createUser CU bob @env:BOB_PW"),
    ("createUser CU bob -hpswd", "createUser CU bob -hpswd", "createUser CU bob -hpswd"),
])
def test_invocation_text_and_history_replace_literal_secrets(table, line, text, history):
    inv = parse(table, line)
    assert inv.text == text
    assert inv.history_text == history
    assert SECRET not in repr(inv)              # not even in a traceback


@pytest.mark.parametrize("line, command, logged", [
    (f"createUser CU bob {SECRET} extra", "createUser", "createUser CU bob ******** ********"),
    (f"loginHSM -u CU -s bob -p {SECRET} -z", "loginHSM", "loginHSM -u CU -s bob -p ******** ********"),
    (f"loginHSM -u CU -s bob {SECRET} extra", "loginHSM", "loginHSM -u CU -s bob ******** ********"),
    (f"listU {SECRET}", "listUsers", "listUsers ********"),
    (f"crateUser CU bob {SECRET}", None, "crateUser <3 argument(s) not logged>"),
    (f"loginHSM CU bob '{SECRET}", None, "<unparsable line>"),
    ("createUser CU bob -hpswd extra", "createUser", "createUser CU bob -hpswd ********"),
])
def test_redact_unparsed_keeps_secrets_of_lines_that_failed_to_parse(table, line, command, logged):
    with pytest.raises(HsmshellError):
        parse(table, line)
    assert redact_unparsed(line, table) == (command, logged)
    assert SECRET not in logged


# -- trailing comments, as README examples have them ---------------------------------------
@pytest.mark.parametrize("line, args", [
    ("loginHSM PRECO admin password   # activates admin", ("PRECO", "admin", "password")),
    ("loginHSM CU bob wrongpass\t# six times", ("CU", "bob", "wrongpass")),
    ("loginHSM CU bob 'pa #ss'  # quoted # stays", ("CU", "bob", "pa #ss")),
    ("loginHSM CU bob pass#word", ("CU", "bob", "pass#word")),
])
def test_a_trailing_comment_is_not_part_of_the_command(table, line, args):
    inv = parse(table, line)
    assert (inv.args["user_type"], inv.args["user_name"], inv.args["password"].literal) == args
    assert "#" not in inv.text.replace("pass#word", "")


def test_comment_words_are_never_masked_as_passwords_in_unparsed_lines(table):
    assert parse(table, "loginHSM PRECO admin password  # a b c").text == "loginHSM PRECO admin ********"
    assert split_statements("listUsers  # then; whoami") == ["listUsers"]
    assert split_statements("# nothing at all") == []
    assert tokenize("listUsers # x") == ["listUsers"]
