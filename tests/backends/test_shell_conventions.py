"""Conventions a new user expects: `clear`, `<command> -h`, help that says what option values
mean, and `hsmshell help` / `hsmshell <command>` on the command line."""

from __future__ import annotations

import json

import pytest

from hsmshell.cli import main


def test_clear_is_a_command_and_prints_nothing_into_a_pipe(harness):
    assert harness.ok("clear")["command"] == "clear"
    assert harness.ok("help clear")["data"]["summary"] == "clear the screen"


@pytest.mark.parametrize("typed", ["genSymKey -h", "genSymKey --help", "help genSymKey"])
def test_command_dash_h_is_that_commands_help_and_says_what_t_means(harness, typed):
    data = harness.ok(typed)["data"]
    assert data["command"] == "genSymKey"
    options = {o["option"]: o["help"] for o in data["options"]}
    assert options["-t <key-type>"] == "16 generic secret, 21 3DES, 31 AES"


def test_dash_h_in_the_emulated_kmu_and_cmu(tmp_path, capsys, monkeypatch):
    import io
    import sys
    for tool, line in (("kmu", "genSymKey -h\nexit\n"), ("cmu", "listUsers -h\nquit\n")):
        monkeypatch.setattr(sys, "stdin", io.StringIO(line))
        main(["--home", str(tmp_path / "home"), "emulate", tool])
        out = capsys.readouterr().out
        assert "unknown option" not in out
        assert ("16 generic secret, 21 3DES, 31 AES" in out) if tool == "kmu" else ("list the users" in out)


def test_hsmshell_help_and_a_bare_command_word_run_as_dash_c(tmp_path, capsys):
    home = str(tmp_path / "home")
    assert main(["--home", home, "--json", "help"]) == 0
    rows = json.loads(capsys.readouterr().out)["data"]["commands"]
    assert "listUsers" in [r["command"] for r in rows]
    assert main(["--home", home, "--json", "help", "genSymKey"]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["command"] == "genSymKey"
    assert main(["--json", "--home", home, "listUsers"]) == 0
    assert json.loads(capsys.readouterr().out)["command"] == "listUsers"
    assert main(["--home", home, "--json", "lisUsers"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["hint"] == "did you mean listUsers or syncUser?"
