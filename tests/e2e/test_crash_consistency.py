"""Kill -9 a running batch at random points: after each kill the audit log verifies and the
cluster state agrees with it (the users on every HSM are exactly the genesis users plus the
successful createUser records minus the successful deleteUser records); at the end the
whole log, with its killed sessions, replays without divergence."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

ROUNDS = 20
ADMIN_PASSWORD = "officer1pw"


def hsmshell(home: Path, *argv: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hsmshell", "--home", str(home), *argv],
                          capture_output=True, text=True, **options)


def batch_for(folder: Path, round_number: int) -> Path:
    lines = [f"loginHSM CO admin {ADMIN_PASSWORD}"]
    for n in range(150):
        lines += [f"createUser CU r{round_number}u{n} userpass{n:03d}", f"deleteUser CU r{round_number}u{n}"]
    path = folder / f"round{round_number}.hsm"
    path.write_text("\n".join(lines) + "\n")
    return path


def users_per_hsm(home: Path) -> dict[str, set[str]]:
    db = sqlite3.connect(f"file:{home / 'clusters' / 'default' / 'state.db'}?mode=ro", uri=True)
    try:
        found: dict[str, set[str]] = {}
        for hsm_id, name in db.execute("SELECT hsm_id, name FROM users"):
            found.setdefault(hsm_id, set()).add(name)
        return found
    finally:
        db.close()


def users_the_log_says(home: Path) -> set[str]:
    users: set[str] = set()
    for line in (home / "clusters" / "default" / "audit.log").read_text().splitlines():
        record = json.loads(line)
        if record["kind"] == "genesis":
            users = {u["name"] for u in record["users"]}
        elif record["kind"] == "command" and record["outcome"]["error_code"] == 0:
            if record["command"] == "createUser":
                users.add(record["args"]["user_name"])
            elif record["command"] == "deleteUser":
                users.discard(record["args"]["user_name"])
    return users


def verify(home: Path):
    """`audit verify` of the cluster's own log, in this process (no start-up cost)."""
    from hsmshell.modes.audit_commands import verify_target
    from hsmshell.audit.locate import locate_log
    from hsmshell.environment import Environment
    env = Environment(home=home, environ={}, interactive=False)
    return verify_target(locate_log(env, None), env)


def test_sigkill_at_random_points_keeps_log_and_state_in_agreement(tmp_path):
    home = tmp_path / "home"
    activated = hsmshell(home, "--json", "--yes", "-c",
                         f"loginHSM PRECO admin password; changePswd PRECO admin {ADMIN_PASSWORD}")
    assert activated.returncode == 0, activated.stderr
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for round_number in range(ROUNDS):
        batch = batch_for(tmp_path, round_number)
        process = subprocess.Popen([sys.executable, "-m", "hsmshell", "--home", str(home), "--json",
                                    "--yes", "run", str(batch)], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=env)
        # wait for progress (results printed after their records are committed), then kill
        for _ in range(rng.randint(0, 120)):
            if not process.stdout.readline():
                break
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()

        report = verify(home)
        assert report.ok, (seed, round_number, report.to_dict())
        expected = users_the_log_says(home)
        for hsm_id, names in users_per_hsm(home).items():
            assert names == expected, (seed, round_number, hsm_id, names ^ expected)

    replayed = hsmshell(home, "--json", "audit", "replay")
    report = json.loads(replayed.stdout)
    assert replayed.returncode == 0 and report["data"]["divergences"] == 0, (seed, report)
