"""Property tests (hypothesis): on any text the parser raises nothing but hsmshell's own
errors, and a literal secret never reaches the text that is logged or kept in history."""

from __future__ import annotations

import difflib
import shlex

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from hsmshell.commands import command_table
from hsmshell.errors import HsmshellError
from hsmshell.parse import parse_line, split_statements, tokenize
from hsmshell.parse.binder import redact_unparsed
from hsmshell.parse.lexer import check_text
from hsmshell.ui.history import redact_for_history

TABLE = command_table()
NAMES = sorted({name for spec in TABLE for name in (spec.name, *spec.aliases)})

# Text a user (or a batch file) could plausibly send: anything, weighted towards command-like
# lines built from real command names, flags, quotes and separators.
words = st.one_of(
    st.sampled_from(NAMES), st.sampled_from(["CO", "CU", "PRECO", "PCO", "AU", "-u", "-s", "-p",
                                             "-hpswd", "@env:X", "@file:/x", "@keyring", "0", "-1"]),
    st.text(min_size=1, max_size=12),
    st.text(alphabet="'\"\\; \t", min_size=1, max_size=3),
)
command_like = st.lists(words, min_size=0, max_size=8).map(" ".join)
any_text = st.one_of(st.text(max_size=200), command_like)
fast = settings(max_examples=300, deadline=None)


@fast
@given(any_text)
@example("createUser CU bob 'pw")
@example("listUsers \x00")
@example("\\")
def test_parse_line_raises_only_hsmshell_errors(text):
    try:
        inv = parse_line(text, TABLE, "prop")
    except HsmshellError as error:
        assert error.reference and error.message
        assert redact_unparsed(text, TABLE) is not None
    else:
        assert inv.spec in TABLE.specs.values()


@fast
@given(any_text)
def test_tokenize_and_split_statements_raise_only_hsmshell_errors(text):
    for statement in split_statements(text):
        assert statement == statement.strip() and statement
        try:
            tokenize(statement)
        except HsmshellError:
            pass


@fast
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters="'\"\\"),
               max_size=80))
def test_the_quick_split_agrees_with_shlex(text):
    """Without quotes, the quick split is shlex's, up to a `#` that starts a word (a comment)."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words = list(lexer)
    comment = next((i for i, w in enumerate(words) if w.startswith("#")), len(words))
    assert tokenize(text) == words[:comment]


@fast
@given(st.text(max_size=60))
def test_check_text_accepts_exactly_printable_ascii_and_tabs(text):
    plain = all(c == "\t" or 32 <= ord(c) <= 126 for c in text)
    try:
        check_text(text)
    except HsmshellError as error:
        assert not plain and error.reference == "parse-error"
    else:
        assert plain


# A password: any printable ASCII, 7-32 characters, that is not a secret *reference*.
passwords = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=7,
                    max_size=32).filter(lambda p: not p.startswith("@") and p != "-hpswd"
                                        and "*" not in p)
forms = st.sampled_from([
    "loginHSM CU alice {pw}", "loginHSM -u CU -s alice -p {pw}", "loginHSM -p {pw} -u CU -s alice",
    "createUser CU bob {pw}", "changePswd CO admin {pw}", "createUser CU bob {pw} extra",
    "loginHSM -u CU -s bob {pw} extra", "createU CU bob {pw} -u", "loginHSM CU {pw}",
    "loginHSM -u CU -s alice -p {pw} -p {pw}", "{pw}",
])


# The same password with other letters and digits: what its line shows in the same places is
# static text (a usage line, an argument name), not the password.
TWIN = str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                     "nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM5678901234")


def shown_for(form: str, password: str) -> list[str]:
    """Everything the shell would log, keep or show for the line with this password."""
    line = form.format(pw=shlex.quote(password))
    kept = [redact_for_history(line, TABLE)]
    try:
        inv = parse_line(line, TABLE, "prop")
    except HsmshellError as error:
        return kept + [redact_unparsed(line, TABLE)[1], error.message, error.hint or ""]
    plain = [v for k, v in inv.args.items() if k not in inv.secrets]
    assert all(repr(ref) == f"SecretRef({ref.source!r}, {ref.ref!r})" for ref in inv.secrets.values())
    return kept + [inv.text, inv.history_text, repr(plain)]


@settings(max_examples=400, deadline=None)
@given(forms, passwords)
@example("loginHSM CU alice {pw}", "-dashing1")
@example("loginHSM -u CU -s bob {pw} extra", "Pa55word!")
@example("{pw}", "S3cret!word")
@example("loginHSM CU {pw}", "passwor")             # a word of the messages themselves
def test_a_literal_secret_never_reaches_the_logged_text(form, password):
    twin = password.translate(TWIN)
    assume(twin != password and password not in form.format(pw=""))
    if form == "{pw}":     # a bare word is logged when it is a typo of a command: not a secret
        assume(not difflib.get_close_matches(password.lower(), [n.lower() for n in NAMES], cutoff=0.6)
               and not any(n.lower().startswith(password.lower()) for n in NAMES))
    for text, twin_text in zip(shown_for(form, password), shown_for(form, twin)):
        assert password not in text or password in twin_text, (text, twin_text)
