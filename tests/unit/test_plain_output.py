"""Default output into a pipe: one-line results are written as plain text without rich
(render/consoles.py `plain_text`), and must be exactly what rich printed there. Each check
renders the same thing twice, through the plain path and through rich, and compares."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape

from hsmshell.backends.result import Result, ServerStatus
from hsmshell.environment import Environment
from hsmshell.errors import BackendUnavailable, NoSuchUser, PermissionDenied
from hsmshell.render import consoles
from hsmshell.render.consoles import PIPE_WIDTH, PipeConsole, plain_text
from hsmshell.render.rich_out import RichRenderer


def by_rich(markup: str) -> str:
    """What rich itself prints for `markup` on the pipe console's settings."""
    out = io.StringIO()
    Console(file=out, width=PIPE_WIDTH, no_color=True, highlight=False, emoji=False,
            force_terminal=False).print(markup, soft_wrap=True)
    return out.getvalue()


TRICKY = ["plain words", "[green]✓[/] genSymKey success on server 0(10.0.0.93)",
          f"[green]Symmetric key created:[/] handle [bold]262145[/] (AES secret key, label {escape('[x]')})",
          escape("a\\[b] c\\\\[d] [/] [@x] e\\"), escape("ends with a backslash\\"), "a \\[bold] b",
          "\\\\[bold]two backslashes then a tag[/]", "[bold red]x[/][dim] y[/]", "[link=http://x]l[/]",
          "unclosed [bold]tag", "tab\there", "line\nbreak", "trailing newline\n", "bell\x07", "cr\rx",
          "esc\x1b[31m", "wide 漢字 and é", "nbsp\u00a0x", "[", "]", "[]", "[ a ]", "[/]", "[/bold]",
          "[bold]x[/bold]", "[@click=x]y[/]", "[#ff0000]hex[/]", "a]b[c", "[[bold]]", ":smile: [1, 2]"]


@pytest.mark.parametrize("markup", TRICKY)
def test_plain_text_is_what_rich_prints_or_is_left_to_rich(markup):
    plain = plain_text(markup)
    try:
        printed = by_rich(markup)
    except MarkupError:
        assert plain is None                      # rich refuses it: so does the plain path
        return
    if plain is not None:
        assert plain + "\n" == printed


def test_random_markup_agrees_with_rich():
    alphabet = ["[", "]", "/", "\\", "a", "b", "bold", "@", "#", "=", " ", "\t", "\n", "é", "✓", "\x1b", "x]"]
    rng = random.Random(15)
    plain_seen = 0
    for _ in range(3000):
        markup = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        plain = plain_text(markup)
        try:
            printed = by_rich(markup)
        except MarkupError:
            assert plain is None, markup
            continue
        if plain is not None:
            plain_seen += 1
            assert plain + "\n" == printed, markup
    assert plain_seen > 1000              # the plain path is the common one, not the exception


def test_the_views_lines_take_the_plain_path():
    for markup in TRICKY[:4]:
        assert plain_text(markup) is not None, markup


# -- whole results, every kind this path serves, through the renderer ------------------------
def env_for(out, err) -> Environment:
    return Environment(home=None, stdin=io.StringIO(), stdout=out, stderr=err, output="rich",
                       assume_yes=True, interactive=False, color=False, environ={})


def servers(*errors) -> list[ServerStatus]:
    return [ServerStatus(n, f"hsm-{n}abc", f"10.0.{n}.9", "failed" if e else "success", e, {})
            for n, e in enumerate(errors)]


KEY = {"key_class": 4, "key_type": 31, "extractable": True, "kcv": "a1b2c3", "attested": False,
       "label": "lab[el]\\x", "id": "", "session": False, "owner": 3, "shared_with": [], "m_value": 0}
RESULTS = [
    Result("genSymKey", "key_created", data={"key_handle": 262145, **KEY}, servers=servers(None, None, None)),
    Result("genSymKey", "key_created", data={"key_handle": 7, **KEY, "shared_with": [4, 5], "extractable": False,
                                             "attested": True, "session": True},
           servers=servers(None, BackendUnavailable("server 1(10.0.1.9) is unavailable"), None)),
    Result("genRSAKeyPair", "key_pair_created",
           data={"public_key_handle": 8, "private_key_handle": 9, **KEY, "key_class": 3, "key_type": 0},
           servers=servers(None, None)),
    Result("createUser", "per_server", data={"user": "alice", "user_type": "CU"},
           servers=servers(None, NoSuchUser("no [bold]such[/] user"))),
    Result("changePswd", "per_server", data={"user": "admin", "user_type": "PRECO", "activated": True},
           servers=servers(None)),
    Result("loginHSM", "per_server", data={"user": "bob"}, servers=servers(None, None, None)),
    Result("whoami", "whoami", data={"user": "bob", "user_type": "CU", "user_id": 3, "cluster": "prod[1]"}),
    Result("x", "generic", data={"message": "a [message]\\", "count": 3, "names": ["a", "b[c]"]},
           servers=servers(None)),
    Result("x", "error_string", data={"message": "Error [1]: RET_OK"}),
    Result("exSymKey", "key_file", data={"file": "/tmp/k[1].bin", "length": 32, "default_iv": True}),
    Result("verify", "signature_verified", data={"key_handle": 5, "mechanism": "SHA256_RSA_PKCS"}),
    Result("genSymKey", "key_created", data={"key_handle": 1, **KEY}, servers=servers(None),
           error=PermissionDenied("denied [x]", hint="ask \\ someone")),
]


def render_all(plain: bool, monkeypatch, hold: bool) -> tuple[str, str]:
    with monkeypatch.context() as patch:
        if not plain:
            patch.setattr(consoles, "plain_text", lambda markup: None)      # every line by rich
        out, err = io.StringIO(), io.StringIO()
        renderer = RichRenderer(env_for(out, err))
        assert isinstance(renderer.console, PipeConsole)
        if hold:
            renderer.hold()
        for result in RESULTS:
            renderer.result(result, "b:1")
        if hold:
            renderer.release()
        return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("hold", [False, True])
def test_every_result_kind_prints_the_same_text_as_rich_did(monkeypatch, hold):
    assert render_all(True, monkeypatch, hold) == render_all(False, monkeypatch, False)


def test_one_line_results_into_a_pipe_do_not_go_through_rich(monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("rich rendered a one-line result")
    monkeypatch.setattr(Console, "print", refused)
    out = io.StringIO()
    renderer = RichRenderer(env_for(out, io.StringIO()))
    for result in RESULTS[:6]:
        renderer.result(result, "b:1")
    assert "handle 262145 (AES secret key, label lab[el]\\x)" in out.getvalue()


class CountingStream(io.StringIO):
    writes = 0

    def write(self, text):
        self.writes += 1
        return super().write(text)


def test_held_lines_go_out_in_one_write_and_stderr_keeps_the_order():
    out = CountingStream()
    both = []
    renderer = RichRenderer(env_for(out, io.StringIO()))
    renderer.errors.file = type("Err", (io.StringIO,), {"write": lambda self, t: both.append(("err", out.getvalue()))})()
    renderer.hold()
    for result in RESULTS[:3]:
        renderer.result(result, "b:1")
    assert out.writes == 0
    renderer.result(RESULTS[-1], "b:2")         # an error: what was held is written before it
    assert both and both[0][1].count("key created") == 3 and out.writes == 1
    renderer.result(RESULTS[0], "b:3")
    renderer.release()
    assert out.writes == 2 and out.getvalue().count("key created") == 4
