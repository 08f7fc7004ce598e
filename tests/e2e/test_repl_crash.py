"""A bug in one command does not end the interactive shell: the REPL shows the one-line
internal-error naming the crash report and prompts again."""

from __future__ import annotations

import json

# Loaded by the REPL's interpreter at start-up (sitecustomize on PYTHONPATH): getHSMInfo's
# emulator handler is replaced by one with a bug, as a KeyError in a backend would be.
BUGGY_HANDLER = '''
import hsmshell.backends.emulator.info as info

def hsm_info(cluster, args, secrets):
    return {}["no such field"]

info.HANDLERS["getHSMInfo"] = hsm_info
'''


def test_the_repl_survives_a_bug_in_a_command(terminal, tmp_path):
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(BUGGY_HANDLER)
    home = tmp_path / "home"
    term = terminal(home=home, env={"PYTHONPATH": str(inject)})
    term.wait_prompt("not logged in")
    term.command("getHSMInfo", then="not logged in")
    term.wait_text(r"error\[internal-error\].*crash report")
    term.command("listUsers", then="not logged in")          # the shell goes on
    term.wait_text(r"app_user")
    term.submit("quit")
    assert term.wait_exit() == 0
    [report] = (home / "crashes").glob("crash-*.txt")
    assert "KeyError" in report.read_text()
    log = home / "clusters" / "default" / "audit.log"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    crashed = [r for r in records if r.get("command") == "getHSMInfo"]
    assert crashed and crashed[0]["outcome"]["reference"] == "internal-error"
