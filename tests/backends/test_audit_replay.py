"""`audit replay`: a log re-runs on a fresh emulated cluster with no secrets and no
divergence; a forged record is found; `--roles DIR` lists exactly the changed decisions."""

from __future__ import annotations

import shutil
from pathlib import Path

from batch_audit_support import (ADMIN_PASSWORD, activate, cli, cluster_dir, json_lines, log_lines,
                                 log_records, rechain, write_batch)
from hsmshell.status import ExitStatus

ROLES = Path(__file__).resolve().parents[2] / "roles"

WORKLOAD = f"""loginHSM CO admin {ADMIN_PASSWORD}
createUser CU alice alicepass1
createUser CU bob bobpass12
createUser CO officer2 officer2pw
createUser CU shorty abc
logoutHSM
loginHSM CU alice wrongpass1
loginHSM CU alice wrongpass2
loginHSM CU alice wrongpass3
loginHSM CU alice wrongpass4
loginHSM CU alice wrongpass5
loginHSM CU alice wrongpass6
loginHSM CU alice alicepass1
loginHSM CU nobody whatever1
loginHSM CO officer2 officer2pw
changePswd CU alice alicepass2
deleteUser CU bob
createUser CU bob bobpass99
logoutHSM
loginHSM CU alice alicepass2
genSymKey -t 31 -s 32 -l aes1
genRSAKeyPair -m 2048 -e 65537 -l rsa1
findKey
createUser CU mallory mallorypw1
whoami
logoutHSM
loginHSM CO admin {ADMIN_PASSWORD}
deleteUser CU bob
listUsers
"""


def run_workload(capsys, home, tmp_path) -> None:
    activate(capsys, home)
    batch = write_batch(tmp_path, WORKLOAD)
    status, out, err = cli(capsys, home, "--json", "--yes", "run", str(batch), "--continue-on-error")
    codes = [o["error_code"] for o in json_lines(out)]
    assert codes.count(0) == 19 and status == ExitStatus.USAGE, codes    # shorty's short password first


def replay(capsys, home, *extra) -> tuple[int, dict]:
    status, out, _ = cli(capsys, home, "--json", *extra, "audit", "replay")
    return status, json_lines(out)[0]


def test_a_log_of_logins_lockouts_users_and_keys_replays_without_divergence(capsys, home, tmp_path):
    run_workload(capsys, home, tmp_path)
    status, report = replay(capsys, home)
    assert status == 0, report
    assert report["data"]["divergences"] == 0 and report["data"]["first_divergence"] is None
    assert report["data"]["records"] == len(log_lines(home))
    assert report["data"]["commands"] >= 28      # shorty's short password never reaches the HSM
    status, out, _ = cli(capsys, home, "audit", "replay")
    assert out.startswith(f"{len(log_lines(home))} records replayed, 0 divergences")


def test_the_log_keeps_whether_a_password_fits_the_rules_not_its_length(capsys, home, tmp_path):
    run_workload(capsys, home, tmp_path)
    records = log_records(home)
    text = b"".join(log_lines(home)).decode()
    assert "secret_lengths" not in text and '"password_length"' not in text
    assert records[0]["users"][0]["password_length_class"] == "in-range"
    short = next(r for r in records if r.get("text", "").startswith("createUser CU shorty"))
    assert short["secret_length_classes"] == {"password": "too-short"}
    assert "(this one has" not in short["outcome"]["message"]
    created = next(r for r in records if r.get("text", "").startswith("createUser CU alice"))
    assert created["secret_length_classes"] == {"password": "in-range"}


def test_a_forged_outcome_with_a_valid_chain_is_found_by_replay(capsys, home, tmp_path):
    run_workload(capsys, home, tmp_path)
    records = log_records(home)
    locked = next(r for r in records if r.get("kind") == "command"
                  and (r.get("outcome") or {}).get("reference") == "user-locked")
    locked["outcome"] = {"error_code": 0, "reference": None, "message": None,
                         "servers": [{**s, "status": "success"} for s in locked["outcome"]["servers"]]}
    locked["outcome"]["servers"] = [{k: v for k, v in s.items() if k != "reference"}
                                    for s in locked["outcome"]["servers"]]
    rechain(home, records)
    assert cli(capsys, home, "audit", "verify")[0] == 0        # the chain alone cannot tell
    status, report = replay(capsys, home)
    assert status == ExitStatus.AUDIT
    divergence = report["data"]["first_divergence"]
    assert divergence["seq"] == locked["seq"] and divergence["what"] == "outcome"
    assert divergence["recorded"]["error_code"] == 0 and divergence["replayed"]["reference"] == "user-locked"
    assert report["error"]["reference"] == "audit-replay-divergence"
    status, out, _ = cli(capsys, home, "audit", "replay")
    assert "1 divergence (replay stopped" in out and f"first divergent record: {locked['seq']}" in out
    assert "≠ reference" in out


def test_a_forged_principal_is_found(capsys, home, tmp_path):
    run_workload(capsys, home, tmp_path)
    records = log_records(home)
    target = next(r for r in records if r.get("command") == "findKey")
    target["principal"] = {"user": "bob", "type": "CU", "id": 4}
    rechain(home, records)
    status, report = replay(capsys, home)
    divergence = report["data"]["first_divergence"]
    assert status == ExitStatus.AUDIT and divergence["what"] == "principal"
    assert divergence["seq"] == target["seq"] and divergence["replayed"]["user"] == "alice"


def test_a_tampered_log_is_not_replayed(capsys, home, tmp_path):
    run_workload(capsys, home, tmp_path)
    lines = log_lines(home)
    del lines[6]
    (cluster_dir(home) / "audit.log").write_bytes(b"".join(lines))
    status, report = replay(capsys, home)
    assert status == ExitStatus.AUDIT and report["error"]["reference"] == "audit-tampered"
    assert report["error"]["first_bad_record"] == 7


def test_stricter_roles_list_exactly_the_commands_whose_decision_changes(capsys, home, tmp_path):
    run_workload(capsys, home, tmp_path)
    strict = tmp_path / "strict-roles"
    shutil.copytree(ROLES, strict)
    co = strict / "co.toml"
    co.write_text(co.read_text() + '\ndeny = ["user.delete"]\n')
    status, report = replay(capsys, home, "--roles", str(strict))
    assert status == ExitStatus.DIFFERENCES and report["data"]["divergences"] == 0   # as diff(1)
    assert report["error_code"] == 8 and report["error"]["reference"] == "differences-found"
    expected = [r["seq"] for r in log_records(home) if r.get("command") == "deleteUser"
                and (r.get("decision") or {}).get("allowed")]
    changes = report["data"]["decision_changes"]
    assert len(expected) == 2 and [c["seq"] for c in changes] == expected
    assert changes[0]["recorded"]["allowed"] and not changes[0]["under_roles"]["allowed"]
    assert changes[0]["under_roles"]["rule"] == "co.toml: deny user.delete"
    status, out, _ = cli(capsys, home, "--roles", str(strict), "audit", "replay")
    assert status == ExitStatus.DIFFERENCES and out.endswith("2 decisions would change under "
                                                              f"{strict} (exit 8)\n")
    assert "would be: permission-denied (co.toml: deny user.delete)" in out
    status, report = replay(capsys, home, "--roles", str(ROLES))
    assert status == 0 and report["data"]["decision_changes_total"] == 0


def test_a_long_list_of_changed_decisions_is_cut_on_a_terminal_not_in_json(capsys, home, tmp_path):
    run_workload(capsys, home, tmp_path)
    strict = tmp_path / "strict-roles"
    shutil.copytree(ROLES, strict)
    (strict / "anonymous.toml").write_text('role = "anonymous"\ndescription = "nothing"\nallow = []\n')
    for name in ("co.toml", "cu.toml", "preco.toml"):
        (strict / name).write_text((ROLES / name).read_text().split("allow")[0] + "allow = []\n")
    status, report = replay(capsys, home, "--roles", str(strict))
    total = report["data"]["decision_changes_total"]
    assert status == ExitStatus.DIFFERENCES and total > 20
    assert len(report["data"]["decision_changes"]) == total
    status, out, _ = cli(capsys, home, "--roles", str(strict), "audit", "replay")
    assert out.count("      would be: ") == 20 and f"... and {total - 20} more (--json lists {total} of them)" in out


def test_interleaved_sessions_replay_as_they_ran(capsys, home, harness):
    """B cannot delete alice while A is logged in as alice, and can once A's shell ended."""
    activate(capsys, home)
    officer, user = harness, type(harness)(home)         # two shells on one cluster
    try:
        officer.ok(f"loginHSM CO admin {ADMIN_PASSWORD}")
        officer.ok("createUser CU alice alicepass1")
        user.ok("loginHSM CU alice alicepass1")
        outcome, printed = officer.run("deleteUser CU alice")
        assert printed[0]["error"]["reference"] == "permission-denied"
        user.close()
        officer.ok("deleteUser CU alice")
    finally:
        officer.close()
        user.close()
    status, report = replay(capsys, home)
    assert status == 0 and report["data"]["divergences"] == 0, report
    kinds = [r["kind"] for r in log_records(home)]
    assert kinds.count("session_end") >= 2
