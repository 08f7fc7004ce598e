"""Many shells starting at the same instant on a state dir that does not exist yet: one of them
makes the cluster (or the token's state folder), the others wait for it under the cluster lock
and use it; none sees it half-made (`cluster-state-damaged` / `audit-key-damaged` was the
symptom while the completeness check ran before the lock: clusters.py, state/db.py).

Eight processes at once, a few rounds each on a fresh home, make the race likely: the code
before that fix failed about one process in four here."""

from __future__ import annotations

import os
import subprocess
import sys

from batch_audit_support import json_lines
from pkcs11_support import USER_PIN, softhsm  # noqa: F401 (fixture)

SHELLS = 8
ROUNDS = 3


def start_at_once(home, argv_of, environ=None) -> list[tuple[int, str, str]]:
    """SHELLS processes of `hsmshell --home HOME *argv_of(i)`, started back to back, then waited for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSMSHELL_")}
    env.update(environ or {})
    procs = [subprocess.Popen([sys.executable, "-m", "hsmshell", "--home", str(home), *argv_of(i)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(SHELLS)]
    outputs = [p.communicate(timeout=240) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]


def verified(home, argv=()) -> dict:
    done = subprocess.run([sys.executable, "-m", "hsmshell", "--home", str(home), *argv, "--json",
                           "audit", "verify"], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if not k.startswith("HSMSHELL_")})
    assert done.returncode == 0, (done.stdout, done.stderr)
    return json_lines(done.stdout)[0]["data"]


def genesis_records(log) -> list[dict]:
    import json
    return [r for r in map(json.loads, log.read_text().splitlines()) if r.get("kind") == "genesis"]


def test_eight_shells_on_a_new_state_dir_all_start_on_one_cluster(tmp_path):
    for round_ in range(ROUNDS):
        home = tmp_path / f"home{round_}"
        results = start_at_once(home, lambda i: ["--json", "-c", "listUsers"])
        assert [code for code, _, _ in results] == [0] * SHELLS, results
        users = {tuple(sorted(u["user_name"] for s in json_lines(out)[-1]["data"]["servers"] for u in s["users"]))
                 for _, out, _ in results}
        assert len(users) == 1, users                      # every shell saw the one cluster
        assert len(genesis_records(home / "clusters" / "default" / "audit.log")) == 1
        verified(home)


def test_eight_shells_on_a_new_token_state_folder_lose_no_key(tmp_path, softhsm):
    for round_ in range(ROUNDS):
        home = tmp_path / f"home{round_}"
        results = start_at_once(
            home, lambda i: [*softhsm.argv(), "--json", "--yes", "-c",
                             f"loginHSM CU payments @env:PIN; genSymKey -t 31 -s 32 -l r{round_}k{i}"],
            {"PIN": USER_PIN, "SOFTHSM2_CONF": str(softhsm.conf)})
        assert [code for code, _, _ in results] == [0] * SHELLS, results
        made = [json_lines(out)[-1]["data"]["key_handle"] for _, out, _ in results]
        assert len(set(made)) == SHELLS
        folders = list((home / "clusters").iterdir())
        assert len(folders) == 1 and len(genesis_records(folders[0] / "audit.log")) == 1
        verified(home, softhsm.argv())
