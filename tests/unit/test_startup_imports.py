"""The one-shot path (`hsmshell --json -c ...`) imports only what it uses: its start-up is a
performance budget (docs/performance.md), and every module imported there is paid by every
scripted call. Modules only some modes or some inputs need stay out of it."""

from __future__ import annotations

import json
import subprocess
import sys

# the interactive and human-output stack, the OS keyring, the real-tool driver; "did you
# mean" (difflib) and quoted-argument lexing (shlex) only when a line needs them; the crash
# report (and its traceback) only when a bug shows
NOT_ON_THE_ONE_SHOT_PATH = ("rich", "prompt_toolkit", "keyring", "pexpect", "difflib", "shlex",
                            "hsmshell.crash_report", "traceback")
# Once the cluster exists (every one-shot but the first): no dataclasses (-> inspect, ast, dis,
# tokenize; hsmshell's records are hsmshell/record.py's), no orjson (it imports dataclasses,
# uuid and platform; jsontext.py loads it once a process writes many documents), no uuid; no
# argparse for plain options (cli._quick_options), no tomllib (the compiled policy is cached:
# policy/cache.py), no secrets/random (os.urandom does)
NOR_ON_AN_EXISTING_CLUSTER = ("dataclasses", "inspect", "orjson", "uuid", "platform", "argparse", "gettext",
                              "tomllib", "secrets", "random")


def _modules_after(tmp_path, *argv: str) -> set[str]:
    probe = ("import json, sys\nfrom hsmshell.cli import main\n"
             f"status = main({['--home', str(tmp_path / 'home'), *argv]!r})\n"
             "print(json.dumps([status, sorted(sys.modules)]), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    status, modules = json.loads(done.stderr.strip().splitlines()[-1])
    assert status == 0, done.stdout
    return set(modules)


def test_a_json_one_shot_leaves_the_heavy_and_the_occasional_modules_unimported(tmp_path):
    modules = _modules_after(tmp_path, "--json", "-c", "listUsers")
    assert [m for m in NOT_ON_THE_ONE_SHOT_PATH if m in modules] == []


def test_a_json_one_shot_on_an_existing_cluster_leaves_records_and_json_machinery_unimported(tmp_path):
    _modules_after(tmp_path, "--json", "-c", "listUsers")     # first use: creates the cluster's keys
    modules = _modules_after(tmp_path, "--json", "-c", "listUsers")
    assert [m for m in (*NOT_ON_THE_ONE_SHOT_PATH, *NOR_ON_AN_EXISTING_CLUSTER) if m in modules] == []


def test_a_typo_and_a_quoted_argument_still_get_their_modules(tmp_path):
    modules = _modules_after(tmp_path, "--json", "-c", "listUsers; help 'listUsers'")
    assert "shlex" in modules
    typo = subprocess.run([sys.executable, "-m", "hsmshell", "--home", str(tmp_path / "home"), "--json",
                           "-c", "listUserz"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    error = json.loads(typo.stdout)["error"]
    assert typo.returncode == 2 and error["reference"] == "unknown-command" and "listUsers" in error["hint"]
