"""Long output is paged on a terminal only ($PAGER, --no-pager, the config file), and the
config file sets defaults the command line and the environment override."""

from __future__ import annotations

import io
import json

import pytest

from hsmshell.cli import main
from hsmshell.render import make_renderer


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def listing(activated, tmp_path, **env_options):
    for n in range(30):
        activated.ok(f"createUser CU user{n} password{n:02d}")
    outcome = activated.shell.run("listUsers", "t")
    paged = tmp_path / "paged.txt"
    environ = {"PAGER": f"sh -c 'cat > {paged}'", "COLUMNS": "100", "LINES": "24", "TERM": "xterm",
               **env_options.pop("environ", {})}
    env = activated.env(output="rich", environ=environ, **env_options)
    env.stdout = Terminal()
    make_renderer(env).result(outcome.result, "t")
    return env.stdout.getvalue(), paged.read_text() if paged.exists() else None


def test_a_long_listing_on_a_terminal_goes_through_pager(activated, tmp_path):
    printed, paged = listing(activated, tmp_path)
    assert printed == "" and "user29" in paged


def test_no_pager_prints_it(activated, tmp_path):
    printed, paged = listing(activated, tmp_path, pager=False)
    assert paged is None and "user29" in printed


def test_a_dumb_terminal_is_not_paged(activated, tmp_path):
    printed, paged = listing(activated, tmp_path, environ={"TERM": "dumb"})
    assert paged is None and "user29" in printed


def test_into_a_pipe_nothing_is_paged(activated, tmp_path):
    outcome = activated.shell.run("listUsers", "t")
    env = activated.env(output="rich", environ={"PAGER": "false"})
    make_renderer(env).result(outcome.result, "t")
    assert "admin" in env.stdout.getvalue()


def test_the_config_file_sets_defaults_that_options_override(tmp_path, capsys, monkeypatch):
    config = tmp_path / "xdg" / "hsmshell" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('output = "json"\npager = false\ncluster = "default"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    home = str(tmp_path / "home")
    assert main(["--home", home, "-c", "whoami"]) == 0
    assert json.loads(capsys.readouterr().out)["command"] == "whoami"          # json from the file
    assert main(["--home", home, "--output", "classic", "-c", "whoami"]) == 0
    assert capsys.readouterr().out.strip() == "not logged in"
    config.write_text('output = "yaml"\n')
    assert main(["--home", home, "-c", "whoami"]) == 2
    assert f"{config}: output must be rich or json or classic" in capsys.readouterr().err
    config.write_text('colour = false\n')
    assert main(["--home", home, "-c", "whoami"]) == 2
    assert "unknown setting 'colour'" in capsys.readouterr().err
