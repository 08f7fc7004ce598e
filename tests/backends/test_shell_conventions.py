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


def test_a_one_shot_builds_the_global_option_parser_once(monkeypatch):
    """Recognising a bare command word reads the same parser -c then uses (start-up path);
    plain options and -c build none (cli._quick_options)."""
    from hsmshell import cli
    built = []
    real = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda *a, **k: built.append(k) or real(*a, **k))
    for argv, parsers in ((["--json", "-c", "listUsers"], []), (["--json", "listUsers"], [{"subcommands": False}])):
        built.clear()
        options = cli.parse_arguments(argv)
        assert options.commands == "listUsers" and built == parsers


@pytest.mark.parametrize("argv", [
    [], ["-c", "listUsers"], ["--json", "--yes", "-c", "x"], ["--home=/h", "--cluster", "c", "-y", "-c", "x"],
    ["--output", "classic", "--no-color", "--no-pager", "--backend", "pkcs11", "--token", "t",
     "--pkcs11-module=/m.so", "--pkcs11-profile", "softhsm", "--on-server-failure", "ignore", "-c", "x"],
    ["--roles", "r", "--output", "rich", "--json", "-c", "a", "-c", "b"],
])
def test_plain_options_read_without_argparse_mean_what_argparse_reads(argv):
    from hsmshell import cli
    quick = cli._quick_options(argv)
    parsed, rest = cli.build_parser(subcommands=False).parse_known_args(argv)
    assert quick is not None and rest == [] and vars(quick) == {**vars(parsed), "mode": None}


@pytest.mark.parametrize("argv", [
    ["--js", "-c", "x"], ["--output", "html", "-c", "x"], ["-c"], ["-c", "-x"], ["--home"], ["-h"],
    ["--version"], ["--json", "listUsers"], ["audit", "verify"], ["--yes=1"], ["-yc", "x"], ["--", "-c", "x"],
])
def test_anything_else_goes_to_argparse(argv):
    from hsmshell import cli
    assert cli._quick_options(argv) is None


def test_audit_show_and_logs_take_the_same_count_option(tmp_path, capsys):
    home = str(tmp_path / "home")
    main(["--home", home, "-c", "listUsers; whoami; status"])
    capsys.readouterr()
    for argv in (["audit", "show", "--limit", "2"], ["audit", "show", "--last", "2"]):
        assert main(["--home", home, "--json", *argv]) == 0
        assert len(capsys.readouterr().out.splitlines()) == 2
    for argv in (["logs", "--last", "1"], ["logs", "--limit", "1"]):
        assert main(["--home", home, "--json", *argv]) == 0
        assert len(json.loads(capsys.readouterr().out)["data"]["events"]) == 1


@pytest.mark.parametrize("subcommand", ["run", "audit", "cluster", "logs", "configure", "credentials"])
def test_subcommand_help_has_examples_and_leaves_the_globals_to_hsmshell_help(subcommand, capsys):
    with pytest.raises(SystemExit):
        main([subcommand, "--help"])
    shown = capsys.readouterr().out
    assert "examples:\n  hsmshell " in shown
    assert "--on-server-failure" not in shown and "--backend" not in shown
    assert "hsmshell --help lists them" in shown
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--on-server-failure" in capsys.readouterr().out


def test_bash_completion_script_completes_subcommands_options_and_commands(tmp_path, capsys):
    import shutil
    import subprocess
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert main(["completion", "zsh"]) == 0 and "bashcompinit" in capsys.readouterr().out
    if shutil.which("bash") is None:
        pytest.skip("no bash")

    def complete(*words: str) -> list[str]:
        probe = (f'{script}\nCOMP_WORDS=(hsmshell {" ".join(words)}); COMP_CWORD={len(words)}; '
                 '_hsmshell; printf "%s\\n" "${COMPREPLY[@]}"')
        return subprocess.run(["bash", "-c", probe], capture_output=True, text=True).stdout.split()

    assert "cluster" in complete("cl") and "listUsers" in complete("list")
    assert complete("cluster", "rem") == ["remove-hsm"]
    assert complete("audit", "show", "--li") == ["--limit"]
    assert "--stdin" in complete("credentials", "set", "--")


def test_option_flags_complete_in_the_shell_with_their_meaning(harness):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document
    from hsmshell.ui.completer import ShellCompleter
    completer = ShellCompleter(harness.open())
    found = {c.text: c.display_meta_text for c in completer.get_completions(Document("genSymKey -"), CompleteEvent())}
    assert {"-t", "-s", "-l", "-nex"} <= set(found) and found["-t"] == "16 generic secret, 21 3DES, 31 AES"
    after = [c.text for c in completer.get_completions(Document("genSymKey -t 31 -"), CompleteEvent())]
    assert "-t" not in after and "-s" in after


def test_help_topics_list_the_commands_of_a_family(harness):
    names = [r["command"] for r in harness.ok("help quorum")["data"]["commands"]]
    assert {"getToken", "approveToken", "setMValue", "registerQuorumPubKey"} <= set(names)
    assert "listUsers" not in names
    assert "genSymKey" in [r["command"] for r in harness.ok("help key")["data"]["commands"]]
