"""`hsmshell credentials set|delete|list` on a real file-backed keyring, and @keyring logins."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import types

import pytest

from batch_audit_support import ADMIN_PASSWORD, activate, cli, file_keyring, json_lines  # noqa: F401
from hsmshell.record import replace
from hsmshell.status import ExitStatus

PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"


def test_set_from_stdin_list_and_delete(capsys, home, file_keyring, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-value\n"))
    status, out, _ = cli(capsys, home, "--json", "credentials", "set", "alice", "--stdin")
    assert status == 0 and json_lines(out)[0]["data"] == {
        "service": "hsmshell:default", "backend": PLAINTEXT, "name": "alice"}
    assert file_keyring.get_password("hsmshell:default", "alice") == "s3cret-value"
    status, out, _ = cli(capsys, home, "--json", "credentials", "list")
    assert json_lines(out)[0]["data"]["names"] == ["alice"]
    assert "s3cret" not in (home / "credentials.json").read_text()     # the index holds names only
    status, out, _ = cli(capsys, home, "--json", "--cluster", "other", "credentials", "list")
    assert json_lines(out)[0]["data"] == {"service": "hsmshell:other", "backend": PLAINTEXT, "names": []}
    status, _, _ = cli(capsys, home, "credentials", "delete", "alice")
    assert status == 0 and file_keyring.get_password("hsmshell:default", "alice") is None
    status, out, _ = cli(capsys, home, "--json", "credentials", "delete", "alice")
    assert status == ExitStatus.USAGE and json_lines(out)[0]["error"]["reference"] == "no-such-credential"
    assert json_lines(cli(capsys, home, "--json", "credentials", "list")[1])[0]["data"]["names"] == []


def hidden_answers(harness, *answers):
    """The subcommand run with an environment whose hidden prompt gives `answers`."""
    from hsmshell.subcommands import credentials
    asked = []
    replies = iter(answers)

    def ask(prompt):
        asked.append(prompt)
        return next(replies)

    env = replace(harness.env(environ={"HSMSHELL_ALLOW_INSECURE_KEYRING": "1"}),
                              ask_secret_fn=ask)
    options = types.SimpleNamespace(credentials_command="set", name="bob", stdin=False)
    return credentials.run(options, env), asked, env


def test_set_asks_twice_with_hidden_input(harness, file_keyring):
    status, asked, env = hidden_answers(harness, "bobpass12", "bobpass12")
    assert status == 0 and asked == ["Password for bob: ", "Re-enter password: "]
    assert file_keyring.get_password("hsmshell:default", "bob") == "bobpass12"
    assert "bobpass12" not in env.stdout.getvalue() + env.stderr.getvalue()


def test_mismatched_answers_store_nothing(harness, file_keyring):
    from hsmshell.errors import InvalidArgument
    with pytest.raises(InvalidArgument, match="do not match"):
        hidden_answers(harness, "bobpass12", "bobpass13")
    assert file_keyring.get_password("hsmshell:default", "bob") is None


def test_login_with_the_stored_password_of_that_user(capsys, home, file_keyring, monkeypatch):
    activate(capsys, home)
    file_keyring.set_password("hsmshell:default", "admin", ADMIN_PASSWORD)
    status, out, err = cli(capsys, home, "--json", "-c", "loginHSM CO admin @keyring; whoami")
    assert status == 0, err
    assert json_lines(out)[1]["data"]["user"] == "admin"
    status, out, _ = cli(capsys, home, "--json", "-c", "loginHSM CU nobody_here @keyring")
    error = json_lines(out)[0]["error"]
    assert error["reference"] == "invalid-argument" and "credentials set nobody_here" in error["hint"]


def test_no_usable_keyring_backend_says_how_to_configure_one(capsys, home, file_keyring):
    import keyring
    from keyring.backends import fail
    keyring.set_keyring(fail.Keyring())
    status, out, _ = cli(capsys, home, "--json", "credentials", "list")
    error = json_lines(out)[0]["error"]
    assert status == ExitStatus.USAGE and error["reference"] == "keyring-unavailable"
    assert "desktop keyring" in error["hint"] and "@env:VAR" in error["hint"]
    status, out, _ = cli(capsys, home, "--json", "-c", "loginHSM PRECO admin @keyring")
    assert json_lines(out)[0]["error"]["reference"] == "keyring-unavailable"


def test_a_separate_process_finds_the_keyring_from_its_environment(tmp_path, home, file_keyring):
    command = [sys.executable, "-m", "hsmshell", "--home", str(home), "--json"]
    env = dict(os.environ)                  # PYTHON_KEYRING_BACKEND and XDG_DATA_HOME of the fixture
    stored = subprocess.run([*command, "credentials", "set", "admin", "--stdin"], input="password\n",
                            env=env, capture_output=True, text=True)
    assert stored.returncode == 0, stored.stderr
    assert file_keyring.get_password("hsmshell:default", "admin") == "password"
    login = subprocess.run([*command, "-c", "loginHSM PRECO admin @keyring"], env=env,
                           capture_output=True, text=True)
    assert login.returncode == 0, login.stdout + login.stderr


def test_a_plaintext_backend_is_refused_without_an_opt_in_and_named_with_one(
        capsys, home, file_keyring, monkeypatch):
    monkeypatch.delenv("HSMSHELL_ALLOW_INSECURE_KEYRING")
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-value\n"))
    status, out, err = cli(capsys, home, "credentials", "set", "alice", "--stdin")
    assert status == ExitStatus.USAGE and "error[keyring-insecure]" in err
    assert PLAINTEXT in err and "HSMSHELL_ALLOW_INSECURE_KEYRING=1" in err
    assert not os.path.exists(file_keyring.file_path)          # nothing written in the clear
    status, out, _ = cli(capsys, home, "--json", "-c", "loginHSM PRECO admin @keyring")
    assert json_lines(out)[0]["error"]["reference"] == "keyring-insecure"
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-value\n"))
    status, out, err = cli(capsys, home, "credentials", "set", "alice", "--stdin",
                           "--allow-insecure-keyring")
    assert status == 0 and f"backend {PLAINTEXT}" in out and "unencrypted" in err
    assert file_keyring.get_password("hsmshell:default", "alice") == "s3cret-value"


def test_a_secure_backend_is_named_and_needs_no_opt_in(capsys, home, monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):          # stands in for Secret Service / Keychain
        priority = 1
        values: dict = {}

        def get_password(self, service, name):
            return self.values.get((service, name))

        def set_password(self, service, name, value):
            self.values[(service, name)] = value

        def delete_password(self, service, name):
            self.values.pop((service, name))

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-value\n"))
        status, out, _ = cli(capsys, home, "--json", "credentials", "set", "alice", "--stdin")
        assert status == 0 and json_lines(out)[0]["data"]["backend"].endswith("MemoryKeyring")
        assert MemoryKeyring.values[("hsmshell:default", "alice")] == "s3cret-value"
    finally:
        keyring.set_keyring(previous)


def test_the_venv_of_scripts_hsmshell_never_gets_the_test_keyring():
    """./scripts/hsmshell and ./scripts/test use different virtualenvs, and only the test
    extras pull keyrings.alt in (so the shell never picks its plaintext backend by itself)."""
    import tomllib
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert not any("keyrings" in d for d in project["dependencies"])
    assert any("keyrings.alt" in d for d in project["optional-dependencies"]["test"])
    where = subprocess.run(["bash", "-c", 'source scripts/_venv.sh; venv_for ""; venv_for test'],
                           cwd=root, capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    app, tests = where.stdout.split()
    assert app != tests and app.endswith("/.venv")
    for script, venv in (("hsmshell", '""'), ("test", '"test"')):
        assert f"ensure_venv {venv}" in (root / "scripts" / script).read_text()
