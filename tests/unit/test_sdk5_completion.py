"""Tab completion of CloudHSM CLI's commands: word by word through the phrase, then the
--options not given yet, then an option's values; only what the current login may run."""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from hsmshell.ui.completer import ShellCompleter


def completions(shell, text: str) -> list[str]:
    return [c.text for c in ShellCompleter(shell).get_completions(Document(text), CompleteEvent())]


@pytest.fixture
def crypto_user(harness):
    harness.ok("cluster activate --password Passw0rd!x")
    harness.ok("login --username admin --role admin --password Passw0rd!x")
    harness.ok("user create --username alice --role crypto-user --password alicepass1")
    harness.ok("logout")
    harness.ok("login --username alice --role crypto-user --password alicepass1")
    return harness.shell


def test_phrases_complete_word_by_word(crypto_user):
    assert "key" in completions(crypto_user, "")
    assert completions(crypto_user, "ke") == ["key"]
    assert completions(crypto_user, "key gen") == ["generate-asymmetric-pair", "generate-file",
                                                    "generate-symmetric"]
    assert completions(crypto_user, "key generate-symmetric ") == ["aes", "generic-secret"]
    assert completions(crypto_user, "crypto sign rsa") == ["rsa-pkcs", "rsa-pkcs-pss"]


def test_options_complete_once_and_values_after_them(crypto_user):
    offered = completions(crypto_user, "key generate-symmetric aes --")
    assert "--label" in offered and "--key-length-bytes" in offered
    assert "--label" not in completions(crypto_user, "key generate-symmetric aes --label k --")
    assert completions(crypto_user, "crypto sign rsa-pkcs --hash-function sha") == [
        "sha1", "sha224", "sha256", "sha384", "sha512"]
    assert completions(crypto_user, "key share --filter attr.label=k --username al") == ["alice"]
    assert completions(crypto_user, "key list --ver") == ["--verbose"]


def test_only_what_the_login_may_run_is_offered(harness):
    offered = completions(harness.shell or harness.open(), "")
    assert "user" in offered and "cluster" in offered and "key" not in offered
    assert completions(harness.shell, "user ") == ["list"]
    assert completions(harness.shell, "user create --rol") == ["--role"]     # options still help
