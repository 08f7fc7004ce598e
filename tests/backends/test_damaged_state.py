"""State the shell must never rebuild, and damaged state as one-line errors (docs/hardening.md):
a cluster that has ever existed is never re-created in place; whatever is missing or damaged,
every command refuses with one line naming it, writes nothing, and `audit verify` still checks
the log's own chain and signatures."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from batch_audit_support import (ADMIN_PASSWORD, activate, activated_with, cli, cluster_dir, fingerprint, json_lines,
                                 verify_json)


@pytest.fixture
def used(home, capsys):
    """An activated cluster that has run write commands (a key, a user)."""
    return activated_with(capsys, home, "createUser CU carl carlpass1; "
                          "logoutHSM; loginHSM CU carl carlpass1; genSymKey -t 31 -s 32 -l k")


def one_line_refusal(capsys, home, *argv, reference: str, status: int) -> str:
    code, out, err = cli(capsys, home, *argv)
    assert code == status, (out, err)
    assert "Traceback" not in out + err
    message = err.splitlines()[0]
    assert f"error[{reference}]: " in message and message.startswith(("hsmshell: error[", "error[")), err
    assert all(line.startswith(("hsmshell: error[", "error[", "  hint: ")) for line in err.splitlines()), err
    return message


@pytest.mark.parametrize("name, reference, status", [
    ("state.db", "cluster-state-damaged", 5),
    ("key-encryption.key", "cluster-state-damaged", 5),
    ("audit.key", "audit-key-damaged", 6),
    ("audit.pub", "audit-key-damaged", 6),
    ("audit.hmac", "audit-key-damaged", 6),
])
def test_a_missing_cluster_file_is_named_and_nothing_is_rebuilt(used, capsys, name, reference, status):
    directory = cluster_dir(used)
    (directory / name).unlink()
    for leftover in ("state.db-wal", "state.db-shm"):
        if name == "state.db" and (directory / leftover).exists():
            (directory / leftover).unlink()
    before = fingerprint(directory)
    for argv in (("-c", "listUsers"), ("--yes", "-c", "genSymKey -t 31 -s 16 -l x"), ()):
        message = one_line_refusal(capsys, used, *argv, reference=reference, status=status)
        assert name in message and "never re-created" in message
    assert fingerprint(directory) == before                       # nothing written, nothing made
    assert not (directory / name).exists()


def test_the_old_log_still_verifies_after_its_state_is_deleted_and_again_once_restored(used, capsys):
    directory = cluster_dir(used)
    backup = used.parent / "backup"
    shutil.copytree(directory, backup)
    records = len((directory / "audit.log").read_bytes().splitlines())
    for file in ("state.db", "state.db-wal", "state.db-shm"):
        if (directory / file).exists():
            (directory / file).unlink()
    cli(capsys, used, "-c", "listUsers")                         # refused; must not append a genesis
    code, report = verify_json(capsys, used)
    assert code == 6 and report["error"]["reference"] == "audit-head-unchecked"
    assert report["error"]["ok"] and report["error"]["records"] == records
    assert report["error"]["checkpoints"] >= 1 and "state.db" in report["error"]["head_problem"]
    shutil.copy2(backup / "state.db", directory / "state.db")
    if (backup / "state.db-wal").exists():
        shutil.copy2(backup / "state.db-wal", directory / "state.db-wal")
    code, report = verify_json(capsys, used)
    assert code == 0 and report["data"]["head_checked"] and report["data"]["records"] == records
    assert cli(capsys, used, "--json", "-c", "listUsers")[0] == 0


@pytest.mark.parametrize("damage", ["empty", "cut", "header", "garbled"])
def test_a_damaged_state_db_is_one_line_and_verify_still_checks_the_chain(used, capsys, damage):
    directory = cluster_dir(used)
    cli(capsys, used, "-c", "listUsers")                           # checkpoint the WAL away
    for leftover in ("state.db-wal", "state.db-shm"):
        if (directory / leftover).exists():
            (directory / leftover).unlink()
    db = directory / "state.db"
    data = db.read_bytes()
    db.write_bytes({"empty": b"", "cut": data[:len(data) // 3], "header": b"NOT SQLITE" + data[10:],
                    "garbled": data[:4096] + bytes(b ^ 0x5A for b in data[4096:])}[damage])
    message = one_line_refusal(capsys, used, "--yes", "-c", "listUsers", reference="cluster-state-damaged",
                               status=5)
    assert "state" in message
    code, report = verify_json(capsys, used)
    assert code == 6, report
    assert report["error"]["reference"] in ("audit-head-unchecked",)
    assert report["error"]["records"] >= 5 and not report["error"]["head_checked"]
    code, out, err = cli(capsys, used, "audit", "verify")
    assert code == 6 and "head could not be checked" in err and "Traceback" not in out + err


def test_a_short_audit_key_a_folder_for_the_lock_and_a_file_for_the_cluster(used, capsys):
    directory = cluster_dir(used)
    key = (directory / "audit.key").read_bytes()
    (directory / "audit.key").write_bytes(key[:5])
    message = one_line_refusal(capsys, used, "-c", "listUsers", reference="audit-key-damaged", status=6)
    assert "audit.key (5 bytes, not 32)" in message
    (directory / "audit.key").write_bytes(key)
    (directory / "lock").unlink()
    (directory / "lock").mkdir()
    message = one_line_refusal(capsys, used, "-c", "listUsers", reference="cluster-state-damaged", status=5)
    assert "lock" in message and "Is a directory" in message
    other = used / "clusters" / "plain-file"
    other.write_text("not a cluster")
    message = one_line_refusal(capsys, used, "--cluster", "plain-file", "-c", "listUsers",
                               reference="cluster-state-damaged", status=5)
    assert "not a folder" in message
    one_line_refusal(capsys, used, "cluster", "create", "plain-file", reference="cluster-state-damaged",
                     status=5)
    assert other.read_text() == "not a cluster"


def test_cluster_create_never_completes_or_removes_a_damaged_cluster(used, capsys):
    directory = cluster_dir(used)
    (directory / "state.db").unlink()
    before = fingerprint(directory)
    one_line_refusal(capsys, used, "cluster", "create", "default", reference="cluster-state-damaged", status=5)
    assert fingerprint(directory) == before


def test_a_same_size_edit_of_the_last_record_is_caught_by_the_next_command(used, capsys):
    log = cluster_dir(used) / "audit.log"
    data = log.read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    at = data.index(b'"time":"', last_start) + len(b'"time":"2026-01-01T00:00:0')
    edited = data[:at] + (b"1" if data[at:at + 1] != b"1" else b"2") + data[at + 1:]   # one digit
    assert len(edited) == len(data)
    log.write_bytes(edited)
    message = one_line_refusal(capsys, used, "-c", "listUsers", reference="audit-tampered", status=6)
    assert "last record" in message
    assert log.read_bytes() == edited


def test_the_last_record_is_checked_once_per_shell_not_once_per_command(activated, monkeypatch):
    """docs/hardening.md: each shell checks the last record when it first opens the log; every
    later transaction reads the head only (no re-read of the log's tail per command)."""
    from hsmshell.audit.log import AuditLog

    checked = []
    check = AuditLog._check_last_record
    monkeypatch.setattr(AuditLog, "_check_last_record",
                        lambda self, fd, head: (checked.append(head.seq), check(self, fd, head))[1])
    activated.open()                                         # a new shell on the cluster
    activated.ok(f"loginHSM CO admin {ADMIN_PASSWORD}")
    for n in range(3):
        activated.ok(f"createUser CU u{n} userpass{n}")      # a transaction each
    assert len(checked) == 1, checked


def test_batch_set_without_a_name_export_of_non_ascii_and_a_missing_keyring_module(used, capsys, tmp_path):
    batch = tmp_path / "b.hsm"
    batch.write_text("set\n")
    message = one_line_refusal(capsys, used, "run", str(batch), reference="batch-file-error", status=2)
    assert "set NAME value" in message
    log = cluster_dir(used) / "audit.log"
    copy = tmp_path / "copy.log"
    copy.write_bytes(log.read_bytes().replace(b'"kind":"command"', '"kind":"commänd"'.encode(), 1))
    code, out, err = cli(capsys, used, "audit", "export", str(copy))
    assert code == 6 and "Traceback" not in err and "is not ASCII" in err
    # keyring picks its backend once per process: a fresh one
    done = subprocess.run([sys.executable, "-m", "hsmshell", "--home", str(used), "--json", "-c",
                           "loginHSM CU carl @keyring"], capture_output=True, text=True,
                          env={**os.environ, "PYTHON_KEYRING_BACKEND": "no_such_module_at_all.Keyring"})
    reply = json_lines(done.stdout)[-1]
    assert done.returncode == 2 and reply["error"]["reference"] == "keyring-unavailable", done
    assert "PYTHON_KEYRING_BACKEND" in reply["error"]["message"] and "Traceback" not in done.stderr


def test_state_files_and_folders_have_explicit_modes_under_umask_000(home, capsys):
    old = os.umask(0)
    try:
        activate(capsys, home)
        cli(capsys, home, "--json", "--yes", "-c",
            f"loginHSM CO admin {ADMIN_PASSWORD}; createUser CU u1 userpass1")
        db = sqlite3.connect(cluster_dir(home) / "state.db")
        ip = db.execute("SELECT ip FROM hsms LIMIT 1").fetchone()[0]
        db.close()
        assert cli(capsys, home, "configure", "-a", ip)[0] == 0
        from hsmshell.commands import command_table
        from hsmshell.kms.store import KmsDB
        from hsmshell.ui.history import RedactingHistory
        RedactingHistory(home / "history", command_table()).append_string("listUsers")
        KmsDB(home).close()
    finally:
        os.umask(old)
    modes = {str(p.relative_to(home)): p.stat().st_mode & 0o777 for p in [home, *home.rglob("*")]}
    assert all(mode & 0o022 == 0 for mode in modes.values()), modes      # nobody else may write
    for path, mode in modes.items():
        if (home / path).is_dir():
            assert mode == 0o700, (path, oct(mode))
        elif not path.endswith(("audit.pub", ".crt", ".pem", "lock")):
            assert mode == 0o600, (path, oct(mode))
    assert modes["clusters/default/audit.pub"] == 0o644
    assert modes["history"] == 0o600 and modes["kms/kms.db"] == 0o600
    assert json.loads((home / "client.json").read_text())
