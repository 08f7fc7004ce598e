"""Helpers for the batch, dry-run, credentials and audit tests: the real CLI entry point run
in this process, a file-backed keyring in the test's folder, folder fingerprints, and
rewriting an audit log the way an insider holding the cluster's keys could."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

ADMIN_PASSWORD = "officer1pw"


def cli(capsys, home: Path, *argv: str) -> tuple[int, str, str]:
    """`hsmshell --home HOME ARGV...` in-process: (exit status, stdout, stderr)."""
    from hsmshell.cli import main
    capsys.readouterr()
    status = main(["--home", str(home), *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def activate(capsys, home: Path) -> None:
    status, out, err = cli(capsys, home, "--json", "--yes", "-c",
                           f"loginHSM PRECO admin password; changePswd PRECO admin {ADMIN_PASSWORD}")
    assert status == 0, (out, err)


def activated_with(capsys, home: Path, commands: str) -> Path:
    """An activated cluster where the crypto officer `admin` has run `commands` (`;`-separated),
    every one succeeding."""
    activate(capsys, home)
    officer_ran(capsys, home, commands)
    return home


def officer_ran(capsys, home: Path, commands: str) -> None:
    """`commands` run, logged in as the crypto officer `admin`, every one succeeding."""
    status, out, err = cli(capsys, home, "--json", "--yes", "-c", f"loginHSM CO admin {ADMIN_PASSWORD}; {commands}")
    assert status == 0, (out, err)


def verify_json(capsys, home: Path, *argv: str) -> tuple[int, dict]:
    """`audit verify ARGV...` with --json: (exit status, its result object)."""
    status, out, _ = cli(capsys, home, "--json", "audit", "verify", *argv)
    return status, json_lines(out)[-1]


def write_batch(folder: Path, text: str, name: str = "batch.hsm") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def cluster_dir(home: Path, name: str = "default") -> Path:
    return home / "clusters" / name


def fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below `folder` (SQLite's shared-memory index, -shm, is not state)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith("-shm")}


def log_lines(home: Path, name: str = "default") -> list[bytes]:
    return (cluster_dir(home, name) / "audit.log").read_bytes().splitlines(keepends=True)


def log_records(home: Path, name: str = "default") -> list[dict]:
    return [json.loads(line) for line in log_lines(home, name)]


def rechain(home: Path, records: list[dict], name: str = "default") -> None:
    """Rewrite the log from `records` with a valid chain and freshly signed checkpoints, and
    move the cluster state's head to match: what someone holding the audit keys could do.
    Only replay (which re-runs the commands) can tell such a log from a true one."""
    from hsmshell.audit import records as codec
    from hsmshell.audit.keys import sign_checkpoint
    from hsmshell.audit.log import read_head, write_head
    from hsmshell.state.db import ClusterDB

    directory = cluster_dir(home, name)
    prev, lines = codec.GENESIS_PREV, []
    for seq, record in enumerate(records, start=1):
        fields = {k: v for k, v in record.items() if k not in ("seq", "hash")}
        if fields.get("kind") == "checkpoint":
            fields.update(covers_seq=seq - 1, covers_hash=prev.hex(), signature=base64.b64encode(
                sign_checkpoint(directory, codec.checkpoint_message(seq - 1, prev))).decode())
        line, prev = codec.encode(seq, fields, prev)
        lines.append(line)
    data = b"".join(lines)
    (directory / "audit.log").write_bytes(data)
    db = ClusterDB(directory)
    try:
        with db.transaction():
            write_head(db, read_head(db)._replace(seq=len(records), hash=prev, length=len(data), pending=""))
    finally:
        db.close()


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    """A real file-backed keyring (keyrings.alt) in this test's folder, never the developer's;
    subprocesses find the same file through PYTHON_KEYRING_BACKEND and XDG_DATA_HOME. It keeps
    passwords unencrypted, so the tests opt in as a user would have to
    (HSMSHELL_ALLOW_INSECURE_KEYRING=1; ALLOW_INSECURE below for in-process environments)."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    data_home = tmp_path / "xdg-data"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.setenv("HSMSHELL_ALLOW_INSECURE_KEYRING", "1")
    backend = PlaintextKeyring()
    backend.file_path = str(data_home / "python_keyring" / "keyring_pass.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
