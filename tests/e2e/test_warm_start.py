"""The installed `hsmshell` console script with its warm-start process (docs/performance.md):
a command that runs warm behaves as the same command run cold — output, exit status, audit,
stdin, working directory, typed passwords, Ctrl-C — and the process keeps no secret, serves
only a private folder, and exits when that folder goes.

HSMSHELL_WARM_START=require makes the client fail instead of running the command itself, so
every "warm" run here is proved to have run in the warm-start process.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect
import pytest

DEADLINE = float(os.environ.get("E2E_DEADLINE", "30"))
SCRIPT = str(Path(sys.executable).with_name("hsmshell"))
OFFICER_PW = "Warm5tartSecret"          # distinctive: finding it anywhere is a real leak

pytestmark = pytest.mark.skipif(not Path(SCRIPT).is_file(), reason="no installed hsmshell console script")


def wait_for(condition, what: str):
    deadline = time.monotonic() + DEADLINE
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {DEADLINE:.0f} s for {what}")
        time.sleep(0.05)
    return result


class Warm:
    """A runtime folder with a warm-start process in it, and a cluster made through it."""

    def __init__(self, folder: Path) -> None:
        # a short path: a socket's path has at most 107 bytes (pytest's folders can be longer)
        self.runtime = Path(tempfile.mkdtemp(prefix="hw-"))
        self.home = folder / "home"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HSMSHELL_")}
        self.env.update(HSMSHELL_RUNTIME_DIR=str(self.runtime), NO_COLOR="1", OFFICER_PW=OFFICER_PW)

    def run(self, *argv: str, mode: str = "require", **options) -> subprocess.CompletedProcess:
        options.setdefault("capture_output", True)
        options.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run([SCRIPT, "--home", str(self.home), *argv], env={**self.env, "HSMSHELL_WARM_START": mode},
                              text=True, timeout=DEADLINE * 2, **options)

    def start(self) -> None:
        first = self.run("--json", "--yes", "-c", "loginHSM PRECO admin password; "
                         "changePswd PRECO admin @env:OFFICER_PW; createUser CU warm @env:OFFICER_PW",
                         mode="on")
        assert first.returncode == 0, first.stderr
        wait_for(lambda: self.run("--json", "-c", "listUsers").returncode == 0, "a warm-start process")

    def close(self) -> None:
        shutil.rmtree(self.runtime, ignore_errors=True)       # its servers see it and exit

    @property
    def folder(self) -> Path:
        return self.runtime / "hsmshell"

    def server_pids(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if b"hsmshell.warmstart.server" in (entry / "cmdline").read_bytes() and \
                        str(self.runtime).encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except (OSError, ValueError):
                continue
        return found

    def lock_is_free(self) -> bool:
        with open(next(self.folder.glob("warm-*.lock")), "rb") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False
            return True


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    server = Warm(tmp_path_factory.mktemp("warm"))
    server.start()
    yield server
    server.close()


@pytest.fixture
def new_warm(tmp_path):
    made = []
    yield lambda: made.append(Warm(tmp_path)) or made[-1]
    for server in made:
        server.close()


def test_warm_and_cold_runs_print_the_same_and_exit_the_same(warm):
    for argv in (["--json", "-c", "listUsers"], ["-c", "listUsers"], ["-c", "bogus"],
                 ["--json", "-c", "findKey"], ["run", "/no/such/file"],
                 ["--json", "audit", "verify", "--bogus-flag"]):
        cold, hot = warm.run(*argv, mode="off"), warm.run(*argv)
        assert (hot.returncode, hot.stdout, hot.stderr) == (cold.returncode, cold.stdout, cold.stderr), argv
    assert warm.run("-c", "bogus").returncode == 2
    verified = warm.run("--json", "audit", "verify")
    assert verified.returncode == 0 and json.loads(verified.stdout)["data"]["ok"] is True, verified.stdout


def test_stdin_is_the_callers(warm):
    batch = "loginHSM CU warm @env:OFFICER_PW\ngenSymKey -t 31 -s 32 -l warm-key\n"
    done = warm.run("--json", "--yes", "run", "-", input=batch, stdin=None)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["data"]["key_handle"]


def test_a_relative_output_file_is_written_in_the_callers_folder(warm, tmp_path):
    done = warm.run("--json", "--yes", "-c", "loginHSM CU warm @env:OFFICER_PW; "
                    "genRSAKeyPair -m 2048 -e 65537 -l warm-rsa", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    public = json.loads(done.stdout.splitlines()[-1])["data"]["public_key_handle"]
    out = warm.run("--json", "--yes", "-c", f"loginHSM CU warm @env:OFFICER_PW; exportPubKey -k {public} "
                   "-out warm-pub.pem", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "warm-pub.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")


def test_a_password_typed_on_the_terminal_is_read_hidden(warm, tmp_path):
    """stdout to a file (so the command runs warm), stdin and stderr the terminal: the warm
    fork has no terminal of its own and reads the password on the caller's, echo off."""
    out = tmp_path / "out.json"
    env = {**warm.env, "HSMSHELL_WARM_START": "require"}
    child = pexpect.spawn("/bin/sh", ["-c", f'exec "$0" --home "$1" --json -c "loginHSM CO admin -hpswd" > "$2"',
                                      SCRIPT, str(warm.home), str(out)],
                          env=env, encoding="utf-8", codec_errors="replace", timeout=DEADLINE)
    try:
        child.expect("assword")
        child.sendline(OFFICER_PW)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, (child.before, out.read_text())
    assert OFFICER_PW not in child.before
    assert json.loads(out.read_text())["error_code"] == 0


def test_ctrl_c_reaches_the_command(warm):
    process = subprocess.Popen([SCRIPT, "--home", str(warm.home), "logs", "--follow"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               env={**warm.env, "HSMSHELL_WARM_START": "require"})
    try:
        assert process.stdout.readline()            # it runs (and prints) in the warm fork
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=DEADLINE) == 130
    finally:
        process.kill()
        process.communicate()


def test_the_warm_start_process_keeps_no_secret(warm):
    done = warm.run("--json", "-c", "loginHSM CU warm @env:OFFICER_PW; listUsers")
    assert done.returncode == 0, done.stderr
    pids = warm.server_pids()
    assert pids
    for pid in pids:
        assert OFFICER_PW.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
    for path in warm.folder.iterdir():
        if path.is_file():
            assert OFFICER_PW.encode() not in path.read_bytes()


def test_parallel_warm_commands_all_run_and_audit(warm):
    runs = [subprocess.Popen([SCRIPT, "--home", str(warm.home), "--json", "-c", "listUsers"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             env={**warm.env, "HSMSHELL_WARM_START": "require"}) for _ in range(8)]
    for process in runs:
        out, err = process.communicate(timeout=DEADLINE * 2)
        assert process.returncode == 0, err
        assert json.loads(out)["command"] == "listUsers"
    assert warm.run("--json", "audit", "verify").returncode == 0


def test_a_runtime_folder_too_long_for_a_socket_is_not_used(new_warm, tmp_path):
    server = new_warm()
    server.runtime = tmp_path / ("x" * 100)
    server.runtime.mkdir()
    server.env["HSMSHELL_RUNTIME_DIR"] = str(server.runtime)
    assert server.run("--json", "-c", "listUsers", mode="on").returncode == 0     # runs here
    refused = server.run("--json", "-c", "listUsers")
    assert refused.returncode == 5 and "warm-start-unavailable" in refused.stderr
    assert not list(server.runtime.iterdir())                                    # and started nothing


def test_a_folder_others_may_enter_is_not_used(new_warm):
    server = new_warm()
    server.folder.mkdir(mode=0o700)
    server.folder.chmod(0o755)
    assert server.run("--json", "-c", "listUsers", mode="on").returncode == 0     # runs here instead
    refused = server.run("--json", "-c", "listUsers")
    assert refused.returncode == 5 and "warm-start-unavailable" in refused.stderr
    assert not list(server.folder.iterdir())                                     # and started nothing


def test_the_process_ends_when_its_socket_is_removed(new_warm):
    server = new_warm()
    server.start()
    assert server.server_pids()
    next(server.folder.glob("warm-*.sock")).unlink()
    wait_for(server.lock_is_free, "the warm-start process to end")
    wait_for(lambda: not server.server_pids(), "the warm-start process and its spare to exit")
    assert server.run("--json", "-c", "listUsers").returncode == 5               # nobody answers now
