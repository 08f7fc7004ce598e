"""CloudHSM CLI's noun-verb grammar (parse/nounverb.py): phrases, --options, help spellings,
errors; hypothesis: no input raises anything but hsmshell's errors, and a literal password
never reaches the logged or remembered text."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from hsmshell.commands import command_table
from hsmshell.errors import HsmshellError, InvalidArgument, UnknownCommand
from hsmshell.model.sdk5 import FilterTerm
from hsmshell.parse import parse_line
from hsmshell.parse.binder import redact_unparsed
from hsmshell.parse.nounverb import LEFT_OUT
from hsmshell.ui.history import redact_for_history

TABLE = command_table()
PHRASES = sorted(spec.name for spec in TABLE.phrases.values())
# text the messages may show whatever the password: usage lines, option names, help
STATIC = " ".join(f"{s.name} {s.usage()} {s.summary} " + " ".join(a.help for a in s.args)
                  for s in TABLE.phrases.values()).lower()
OPTIONS = sorted({flag for spec in TABLE.phrases.values() for arg in spec.args for flag in arg.flags})


def parsed(line: str):
    return parse_line(line, TABLE, "test")


def test_every_phrase_shares_an_action_id_with_an_sdk3_command_or_is_new_for_a_reason():
    sdk3_actions = {a for spec in TABLE if spec.tool != "sdk5" for a in spec.actions()}
    for spec in TABLE.phrases.values():
        # new: activation without a login, and mTLS, which SDK 3 has no command for
        assert spec.actions() & sdk3_actions or spec.actions() <= {
            "cluster.activate", "cluster.mtls.manage", "cluster.mtls.get"}, spec.name
    assert TABLE.phrases[("user", "create")].action == TABLE.specs["createUser"].action == "user.create"


def test_options_bind_by_name_in_any_order_with_equals_too():
    a = parsed("user create --username Alice --role crypto-user")
    b = parsed("user create --role=crypto-user --username=alice")
    assert a.spec is b.spec and a.args["username"] == b.args["username"] == "alice"
    assert a.args["password"].source == "prompt"          # left out: asked for after the policy
    key = parsed("key generate-symmetric aes --label k --key-length-bytes 32 --session "
                 "--attributes encrypt=true decrypt=true --share-crypto-users bob carol")
    assert key.args["key_length_bytes"] == 32 and key.args["session"] is True
    assert key.args["attributes"] == (("encrypt", "true"), ("decrypt", "true"))
    assert key.args["share_crypto_users"] == ("bob", "carol")


def test_filters_take_every_word_up_to_the_next_option():
    inv = parsed('key list --filter attr.label="my key" attr.class=private-key -v --max-items 3')
    assert inv.args["filter"] == (FilterTerm("label", "my key"), FilterTerm("class", "private-key"))
    assert inv.args["verbose"] is True and inv.args["max_items"] == 3
    assert parsed("key delete --filter key-reference=0xabc").args["filter"] == (FilterTerm("key-reference", "0xabc"),)
    assert parsed("key delete --filter attr.key-reference=0x1").args["filter"][0].name == "key-reference"


@pytest.mark.parametrize("line", ["help key generate-symmetric aes", "key generate-symmetric aes --help",
                                  "key generate-symmetric aes -h", "key help generate-symmetric aes",
                                  "key generate-symmetric aes --label x --help"])
def test_three_spellings_of_help(line):
    inv = parsed(line)
    assert inv.name == "help" and inv.args["topic"] == "key generate-symmetric aes"


def test_login_and_logout_are_sdk5_unless_written_the_cmu_way():
    assert parsed("login --username a --role admin").name == "login"
    assert parsed("logout").name == "logout"
    assert parsed("login CU alice secret12").name == "loginHSM"
    assert parsed("login -u CU -s alice -p secret12").name == "loginHSM"
    assert parsed("logoutHSM").name == "logoutHSM"


@pytest.mark.parametrize("line, error, words", [
    ("key", UnknownCommand, "'key' needs a subcommand"),
    ("key generate-symmetric", UnknownCommand, "needs a subcommand"),
    ("key genrate-file", UnknownCommand, "no subcommand 'genrate-file'"),
    ("key list --filtr attr.label=x", InvalidArgument, "unknown option --filtr"),
    ("key list --filter", InvalidArgument, "--filter needs at least one value"),
    ("key list --filter label=x", InvalidArgument, "must start with attr."),
    ("key list --filter attr.colour=red", InvalidArgument, "unknown key attribute"),
    ("key list --filter key-reference=0xZZ", InvalidArgument, "invalid key-reference"),
    ("key list --max-items ten", InvalidArgument, "whole number"),
    ("key list --verbose=yes", InvalidArgument, "takes no value"),
    ("user create --username alice", InvalidArgument, "missing --role"),
    ("user create --username alice --role CU", InvalidArgument, "admin, crypto-user"),
    ("user create --username al-ice --role admin", InvalidArgument, "invalid user name"),
    ("user list --cluster-id a --cluster-id b", InvalidArgument, "given twice"),
    ("user delete --username a --role admin stray", InvalidArgument, "unexpected argument 'stray'"),
])
def test_bad_lines_are_one_line_errors_of_the_project(line, error, words):
    with pytest.raises(error) as caught:
        parsed(line)
    assert words in caught.value.message


def test_a_typo_in_a_verb_suggests_the_verb():
    with pytest.raises(UnknownCommand) as caught:
        parsed("user craete --username a --role admin")
    assert caught.value.hint == "did you mean user create?"


def test_a_literal_password_is_masked_in_the_text_and_left_out_of_history():
    inv = parsed("user create --username a --role admin --password S3cretPass")
    assert inv.text == "user create --username a --role admin --password ********"
    assert inv.history_text == "user create --username a --role admin"
    assert parsed("login --username a --role admin --password @env:PW").history_text.endswith("--password @env:PW")
    assert redact_unparsed("user create --username a --password S3cretPass --oops", TABLE)[1] == \
        "user create --username a --password ******** ********"
    assert redact_unparsed("user create --username a --role admin S3cretPass", TABLE)[1].endswith("********")


# -- hypothesis -----------------------------------------------------------------------------------
words = st.one_of(
    st.sampled_from(PHRASES), st.sampled_from(OPTIONS),
    st.sampled_from(["help", "user", "key", "crypto", "cluster", "login", "logout", "attr.label=x",
                     "key-reference=0x1", "admin", "crypto-user", "=", "--", "-", "0x", "true"]),
    st.text(min_size=1, max_size=12),
    st.text(alphabet="'\"\\= -", min_size=1, max_size=3),
)
lines = st.lists(words, min_size=1, max_size=10).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(lines)
@example("key list --filter attr.label='unclosed")
@example("help key nothing")
@example("key help")
@example("login --password")
@example("key list --filter=")
def test_parse_never_raises_anything_but_the_projects_errors(line):
    try:
        inv = parsed(line)
    except HsmshellError as error:
        assert error.reference and error.message
        command, text = redact_unparsed(line, TABLE)
        assert isinstance(text, str)
    else:
        assert inv.spec in TABLE.specs.values()


passwords = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8,
                    max_size=32).filter(lambda p: not p.startswith(("@", "-")) and "*" not in p)
forms = st.sampled_from([
    "user create --username bob --role admin --password {pw}",
    "user create --password {pw} --username bob --role admin --bogus",
    "user change-password --username bob --role admin {pw}",
    "login --username bob --role crypto-user --password={pw}",
    "login --username bob --role crypto-user --password {pw} extra",
    "cluster activate --password {pw} --password {pw}",
    "user create --username bob {pw} --role admin",
])


@settings(max_examples=300, deadline=None)
@given(forms, passwords)
def test_a_literal_password_never_reaches_what_is_logged_or_kept(form, password):
    assume(password not in form.format(pw="") and password.lower() not in STATIC)
    line = form.format(pw=shlex.quote(password))
    kept = [redact_for_history(line, TABLE)]
    try:
        inv = parsed(line)
        kept += [inv.text, inv.history_text, repr({k: v for k, v in inv.args.items() if k not in inv.secrets})]
    except HsmshellError as error:
        kept += [redact_unparsed(line, TABLE)[1], error.message, error.hint or ""]
    for text in kept:
        assert password not in text, text


@pytest.mark.parametrize("line, named", [
    ("login mfa-token-sign --username a --role admin --token t.json", "login mfa-token-sign"),
    ("user change-mfa token-sign --username a --role admin --token t", "user change-mfa"),
    ("user replicate --username a --role admin", "user replicate"),
    ("key replicate --filter attr.label=k", "key replicate"),
    ("key generate-asymmetric-pair ml-dsa --label k", "key generate-asymmetric-pair ml-dsa"),
    ("quorum token-sign set-timeout --value 1", "quorum token-sign set-timeout"),
    ("help user replicate", "user replicate"),
])
def test_a_command_of_the_reference_tree_left_out_is_named_as_such(line, named):
    # not "loginHSM: invalid user type" or "no subcommand": the user learns it is left out
    with pytest.raises(UnknownCommand) as refused:
        parsed(line)
    assert f"'{named}' is a CloudHSM CLI command hsmshell does not implement" in refused.value.message
    assert "docs/sdk5.md" in refused.value.hint
    implemented = {" ".join(words) for words in TABLE.phrases}
    assert named not in implemented


@pytest.mark.parametrize("words", sorted(LEFT_OUT), ids=" ".join)
def test_every_command_left_out_is_refused_naming_it(words):
    # docs/sdk5.md: typing any of them answers unknown-command naming it, not a parse error
    named = " ".join(words)
    with pytest.raises(UnknownCommand) as refused:
        parsed(f"{named} --label k")
    assert f"'{named}' is a CloudHSM CLI command hsmshell does not implement" in refused.value.message
