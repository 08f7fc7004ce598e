"""Inputs that never end, and waits nobody should share (docs/hardening.md): what is read is
bounded (sizes, substitution, line length), a FIFO or device where a file is expected is
refused instead of waited on, the cluster lock is never held while a secret is fetched from
outside the process, and a wait for the lock ends with a clear error."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from batch_audit_support import ADMIN_PASSWORD, activate, cli, cluster_dir, json_lines

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
HERE = Path(__file__).resolve().parent


def hsmshell(home: Path, *argv: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """A separate process, so a hang fails the test after `timeout` instead of stopping the suite."""
    return subprocess.run([sys.executable, "-m", "hsmshell", "--home", str(home), *argv],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def bounded(function, seconds: float = 20, megabytes: int = 64):
    """Run `function` in this process; it must use at most `seconds` of CPU time (not wall
    clock: a loaded machine must not fail it) and allocate at most `megabytes` at its peak."""
    tracemalloc.start()
    started = time.process_time()
    try:
        return function()
    finally:
        elapsed = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < seconds, f"took {elapsed:.1f} s of CPU"
        assert peak < megabytes * 2**20, f"peaked at {peak / 2**20:.0f} MiB"


def test_a_variable_doubling_itself_stops_at_the_limit(home, capsys, tmp_path):
    batch = tmp_path / "grow.hsm"
    batch.write_text("set A xxxxxxxx\n" + "set A ${A}${A}\n" * 64 + "listUsers ${A}\n")
    status, out, err = bounded(lambda: cli(capsys, home, "run", str(batch)))
    assert status == 2 and "error[batch-file-error]" in err and "after substitution" in err, err


def test_long_lines_and_long_continuations_are_refused(home, capsys, tmp_path):
    for text in ("listUsers " + "x" * 70_000 + "\n", "listUsers \\\n" * 20_000 + "x\n"):
        batch = tmp_path / "long.hsm"
        batch.write_text(text)
        status, out, err = bounded(lambda: cli(capsys, home, "run", str(batch)))
        assert status == 2 and "longer than 65536 characters" in err, err[:300]


def test_source_of_a_device_is_refused_not_read_forever(home, capsys, tmp_path):
    batch = tmp_path / "zero.hsm"
    batch.write_text("source /dev/zero\n")
    status, out, err = bounded(lambda: cli(capsys, home, "run", str(batch)))
    assert status == 2 and "it is a device, not a regular file" in err, err


def test_the_files_of_a_batch_together_are_bounded(home, capsys, tmp_path, monkeypatch):
    from hsmshell.modes import batchfile
    monkeypatch.setattr(batchfile, "MAX_BATCH_FILE", 4096)
    (tmp_path / "part.hsm").write_text("# " + "x" * 1000 + "\n")
    batch = tmp_path / "many.hsm"
    batch.write_text("source part.hsm\n" * 10)
    status, out, err = cli(capsys, home, "run", str(batch))
    assert status == 2 and "larger than" in err, err


@needs_fifo
def test_fifos_where_files_are_expected_are_refused_at_once(home, capsys, tmp_path):
    activate(capsys, home)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    including = tmp_path / "inc.hsm"
    including.write_text(f"source {fifo}\n")
    roles = tmp_path / "roles"
    roles.mkdir()
    os.mkfifo(roles / "co.toml")
    cases = [
        (("run", str(fifo)), "it is a FIFO"),
        (("run", str(including)), "it is a FIFO"),
        (("--json", "--yes", "-c", f"loginHSM CO admin @file:{fifo}"), "it is a FIFO"),
        (("--roles", str(roles), "-c", "listUsers"), "it is a FIFO"),
    ]
    for argv, why in cases:
        done = hsmshell(home, *argv, timeout=30)     # a hang would end here, failing the test
        assert done.returncode == 2 and why in done.stdout + done.stderr, (argv, done)
        assert "Traceback" not in done.stderr


def test_a_slow_secret_source_never_holds_the_cluster_lock(home, capsys, tmp_path):
    """In a batch group, `@keyring` (here a keyring that answers only when told) is asked after
    the group has committed: meanwhile another shell can take the cluster lock."""
    activate(capsys, home)
    folder = tmp_path / "slow"
    folder.mkdir()
    batch = tmp_path / "b.hsm"
    batch.write_text(f"loginHSM CO admin {ADMIN_PASSWORD}\nlistUsers\ncreateUser CU kim kimpass12\n"
                     "createUser CU lee @keyring:lee\nlistUsers\n")
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "slow_keyring.SlowKeyring", "SLOW_KEYRING_DIR": str(folder),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", "hsmshell", "--home", str(home), "--json", "--yes",
                                "run", str(batch)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 60
        while not (folder / "asked").exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the keyring was never asked"
            time.sleep(0.01)
        lock = os.open(cluster_dir(home) / "lock", os.O_RDWR)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)     # BlockingIOError: held while asking
            fcntl.flock(lock, fcntl.LOCK_UN)
        finally:
            os.close(lock)
        (folder / "answer").write_text("leepass12")
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, (out, err)
    created = [r for r in json_lines(out) if r["command"] == "createUser"]
    assert [r["error_code"] for r in created] == [0, 0]


def test_a_wait_for_the_cluster_lock_ends_with_a_clear_error(home, capsys, monkeypatch):
    from hsmshell.state import db
    activate(capsys, home)
    monkeypatch.setattr(db, "LOCK_TIMEOUT", 0.3)
    lock = os.open(cluster_dir(home) / "lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)                       # another shell, stuck
    try:
        status, out, err = bounded(lambda: cli(capsys, home, "-c", "listUsers"), seconds=20)
    finally:
        os.close(lock)
    assert status == 5 and "error[cluster-busy]" in err and "Traceback" not in err, err
    assert cli(capsys, home, "--json", "-c", "listUsers")[0] == 0
