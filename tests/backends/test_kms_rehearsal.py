"""The README's KMS rehearsal, run as printed: its commands are read from the README and run
by bash with the installed `hsmshell` first on PATH, each expected to exit as its comment says
(`# exit N`, else 0); then what they left behind is checked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from cluster_support import needs_openssl

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Rehearsing a KMS custom key store"


def rehearsal_commands() -> list[tuple[str, int]]:
    text = README.read_text()
    section = text[text.index(SECTION):]
    block = section[section.index("```\n") + 4:]
    block = block[:block.index("```")]
    commands = []
    for line in block.splitlines():
        if line.startswith("$ "):
            expected = re.search(r"#\s*exit (\d+)", line)
            commands.append((line[2:], int(expected.group(1)) if expected else 0))
    return commands


def test_the_readme_lists_the_whole_rehearsal():
    text = " ".join(command for command, _ in rehearsal_commands())
    for step in ("cluster create", "cluster initialize", "changePswd PRECO", "createUser CU kmsuser",
                 "kms create-key-store", "kms connect", "kms create-key", "kms encrypt", "kms decrypt",
                 "cluster fail-hsm", "cluster replace", "kms disconnect", "kms describe-key"):
        assert step in text, step


@needs_openssl
def test_the_readme_rehearsal_runs_as_printed(tmp_path):
    script = ["set -u"]
    for number, (command, expected) in enumerate(rehearsal_commands(), 1):
        script += [command, f'got=$?; if [ $got -ne {expected} ]; then echo "README KMS command {number} '
                            f'exited $got, not {expected}" >&2; exit 99; fi']
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSMSHELL_")}
    env.update(PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""), NO_COLOR="1",
               HSMSHELL_HOME=str(home))
    run = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
    assert (tmp_path / "msg.dec").read_bytes() == (tmp_path / "msg.txt").read_bytes()

    def hsmshell(*argv) -> dict:
        out = subprocess.run(["hsmshell", "--json", *argv], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60)
        return json.loads(out.stdout.splitlines()[-1])

    meta = hsmshell("kms", "describe-key", "--key-id", "alias/payments")["data"]["KeyMetadata"]
    assert meta["KeyState"] == "Unavailable" and meta["Origin"] == "AWS_CLOUDHSM"
    [store] = hsmshell("kms", "describe", "shop")["data"]["CustomKeyStores"]
    assert store["ConnectionState"] == "DISCONNECTED" and store["KmsKeyCount"] == 1
    # nothing was deleted: the key is on both HSMs (the replacement too), owned by kmsuser
    objs = subprocess.run(["hsmshell", "--json", "--cluster", "kmsdemo", "-c",
                           "loginHSM CO admin officer1pw; findAllKeys 3 0"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    servers = [json.loads(line) for line in objs.stdout.splitlines()][-1]["data"]["servers"]
    assert [len(s["keys"]) for s in servers] == [1, 1], servers
