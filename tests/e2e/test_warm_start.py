"""The installed `hsmshell` console script with its warm-start process (docs/performance.md):
a command that runs warm behaves as the same command run cold — output, exit status, audit,
stdin, working directory, typed passwords, Ctrl-C — and the process keeps no secret, serves
only a private folder, and exits when that folder goes.

HSMSHELL_WARM_START=require makes the client fail instead of running the command itself, so
every "warm" run here is proved to have run in the warm-start process.
"""

from __future__ import annotations

import array
import fcntl
import json
import os
import select
import shutil
import signal
import socket
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


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


class Warm:
    """A runtime folder with a warm-start process in it, and a cluster made through it."""

    def __init__(self, folder: Path) -> None:
        # a short path: a socket's path has at most 107 bytes (pytest's folders can be longer)
        self.runtime = Path(tempfile.mkdtemp(prefix="hw-"))
        self.home = folder / "home"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HSMSHELL_")}
        # a run cut short (Ctrl-C, a killed worker) leaves its servers for 2 minutes, not 10
        self.env.update(HSMSHELL_RUNTIME_DIR=str(self.runtime), NO_COLOR="1", OFFICER_PW=OFFICER_PW,
                        HSMSHELL_WARM_START_IDLE="120")

    def run(self, *argv: str, mode: str = "require", extra_env: dict | None = None,
            **options) -> subprocess.CompletedProcess:
        options.setdefault("capture_output", True)
        options.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run([SCRIPT, "--home", str(self.home), *argv], text=True, timeout=DEADLINE * 2,
                              env={**self.env, "HSMSHELL_WARM_START": mode, **(extra_env or {})}, **options)

    def start(self) -> None:
        first = self.run("--json", "--yes", "-c", "loginHSM PRECO admin password; "
                         "changePswd PRECO admin @env:OFFICER_PW; createUser CU warm @env:OFFICER_PW",
                         mode="on")
        assert first.returncode == 0, first.stderr
        self.wait_ready()

    def wait_ready(self) -> None:
        """Until a warm-start process takes commands (a command run here starts one)."""
        self.run("--json", "-c", "listUsers", mode="on")
        wait_for(lambda: self.run("--json", "-c", "listUsers").returncode == 0, "a warm-start process")

    def close(self) -> None:
        shutil.rmtree(self.runtime, ignore_errors=True)       # its servers see it and exit

    @property
    def folder(self) -> Path:
        return self.runtime / "hsmshell"

    def server_pids(self, servers_only: bool = False) -> list[int]:
        """The warm-start processes of this folder; `servers_only`: not their forks."""
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if b"hsmshell.warmstart.server" in (entry / "cmdline").read_bytes() and \
                        str(self.runtime).encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except (OSError, ValueError):
                continue
        if servers_only:
            found = [pid for pid in found if _parent(pid) not in found]
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


class Following:
    """`hsmshell logs --follow` run warm (it prints, then waits for more): a command that is
    still running when the test acts on it."""

    def __init__(self, warm: Warm, **options) -> None:
        self.process = subprocess.Popen([SCRIPT, "--home", str(warm.home), "logs", "--follow"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                        env={**warm.env, "HSMSHELL_WARM_START": "require"}, **options)
        ready, _, _ = select.select([self.process.stdout], [], [], DEADLINE)
        assert ready and self.process.stdout.readline(), "the warm command printed nothing"

    def output_ends(self) -> bool:
        """Whether its stdout reaches its end within the deadline: nobody holds it any more."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], max(deadline - time.monotonic(), 0))
            if ready and not os.read(self.process.stdout.fileno(), 65536):
                return True
        return False

    def close(self) -> None:
        self.process.kill()                 # its command goes with it (the server kills it)
        self.process.communicate(timeout=DEADLINE)


@pytest.fixture
def following(warm):
    started = []
    yield lambda **options: started.append(Following(warm, **options)) or started[-1]
    for command in started:
        command.close()


def test_ctrl_c_reaches_the_command(following):
    command = following()
    command.process.send_signal(signal.SIGINT)
    assert command.process.wait(timeout=DEADLINE) == 130


def test_a_command_killed_by_a_signal_ends_its_caller_by_it(following):
    command = following()
    command.process.send_signal(signal.SIGTERM)                  # passed on; the fork dies of it
    assert command.process.wait(timeout=DEADLINE) == -signal.SIGTERM


def _fork_of(command: "Following") -> int:
    """The warm fork running `command`: the process other than the caller writing to its stdout."""
    pipe = os.readlink(f"/proc/{command.process.pid}/fd/1")
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int(entry.name) != command.process.pid \
                    and os.readlink(entry / "fd" / "1") == pipe:
                return int(entry.name)
        except OSError:
            continue
    raise AssertionError("no fork runs the command")


def test_signals_the_caller_ignores_stay_ignored(following):
    """nohup: a hang-up neither ends the caller nor the command (sent to the fork itself too)."""
    command = following(preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    command.process.send_signal(signal.SIGHUP)
    os.kill(_fork_of(command), signal.SIGHUP)
    command.process.send_signal(signal.SIGINT)                   # what ends it is the last signal
    assert command.process.wait(timeout=DEADLINE) == 130, command.process.stderr.read1()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""                           # gone meanwhile


def test_ctrl_z_stops_the_command_with_its_caller(warm, following):
    command = following()
    command.process.send_signal(signal.SIGTSTP)
    wait_for(lambda: _state(command.process.pid) == "T", "the caller to stop")
    wait_for(lambda: any(_state(pid) == "T" for pid in warm.server_pids()), "the command to stop")
    command.process.send_signal(signal.SIGCONT)
    wait_for(lambda: not any(_state(pid) == "T" for pid in warm.server_pids()), "the command to go on")
    command.process.send_signal(signal.SIGINT)
    assert command.process.wait(timeout=DEADLINE) == 130


def test_a_killed_caller_takes_its_command_with_it(following):
    command = following()
    command.process.kill()
    assert command.process.wait(timeout=DEADLINE) == -signal.SIGKILL
    assert command.output_ends(), "the warm command still holds the caller's stdout"


def test_a_killed_server_leaves_the_command_and_its_status(warm, following):
    command = following()
    for pid in warm.server_pids(servers_only=True):
        os.kill(pid, signal.SIGKILL)
    command.process.send_signal(signal.SIGINT)
    assert command.process.wait(timeout=DEADLINE) == 130        # the fork's own status line
    warm.wait_ready()                                           # the next command starts a new one


def test_the_warm_start_process_keeps_no_secret(warm):
    argv_secret, env_secret = "Argv5ecretPwQ", "EnvT0kenSecretXyz"
    done = warm.run("--json", "-c", f"loginHSM CU warm @env:OFFICER_PW; listUsers; loginHSM CU warm {argv_secret}",
                    extra_env={"SOME_TOKEN": env_secret})
    assert done.returncode == 1, done.stderr                   # the last login fails; all ran
    wait_for(lambda: len(warm.server_pids()) <= 2, "the fork that ran it to end")   # server and spare
    pids = warm.server_pids()
    assert pids
    for pid in pids:
        memory = read_memory(pid)
        for secret in (OFFICER_PW, argv_secret, env_secret):
            assert secret.encode() not in memory, f"{secret} in process {pid}"
    for path in warm.folder.iterdir():
        if path.is_file():
            assert OFFICER_PW.encode() not in path.read_bytes()


def read_memory(pid: int) -> bytes:
    """The writable memory of a process (root, or ptrace rights over it)."""
    chunks = []
    try:
        maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    except FileNotFoundError:
        return b""                          # it ended meanwhile (a spare replaced)
    try:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as memory:
            for line in maps:
                span, perms = line.split()[:2]
                if not perms.startswith("rw"):
                    continue
                start, end = (int(x, 16) for x in span.split("-"))
                try:
                    memory.seek(start)
                    chunks.append(memory.read(end - start))
                except (OSError, ValueError, OverflowError):
                    continue
    except PermissionError:
        pytest.skip("cannot read another process's memory here")
    return b"".join(chunks)


def test_inherited_descriptors_run_the_command_here(warm, tmp_path):
    """`run /dev/fd/N N<file`: descriptor N is the caller's own, so the command runs there."""
    batch = tmp_path / "batch.hsm"
    batch.write_text("listUsers\n")
    with open(batch, "rb") as source:
        fd = source.fileno()
        refused = warm.run("run", f"/dev/fd/{fd}", pass_fds=(fd,))
        assert refused.returncode == 5 and "warm-start-unavailable" in refused.stderr
        here = warm.run("--json", "run", f"/dev/fd/{fd}", pass_fds=(fd,), mode="on")
        assert here.returncode == 0 and '"listUsers"' in here.stdout, here.stderr


def test_large_environments_at_once(warm):
    """~1 MB of environment in every other request, 16 at once, twice: each request reaches
    exactly one fork whole (a hand-over once went to two forks, which then read the same
    connection and ran nothing)."""
    big = {**warm.env, "HSMSHELL_WARM_START": "require", **{f"BIG{n}": "x" * 120_000 for n in range(8)}}
    small = {**warm.env, "HSMSHELL_WARM_START": "require"}
    for _ in range(2):
        runs = [subprocess.Popen([SCRIPT, "--home", str(warm.home), "--json", "-c", "listUsers"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                 env=big if n % 2 else small) for n in range(16)]
        for process in runs:
            out, err = process.communicate(timeout=DEADLINE * 2)
            assert (process.returncode, err) == (0, b""), err
            assert json.loads(out)["command"] == "listUsers"


@pytest.fixture
def bash(warm):
    """An interactive bash (job control on) in a pty, commands run warm; closed at the end."""
    shells = []

    def start() -> pexpect.spawn:
        env = {**warm.env, "HSMSHELL_WARM_START": "require", "PS1": "$ ", "TERM": "dumb"}
        shell = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env=env, encoding="utf-8",
                              codec_errors="replace", timeout=DEADLINE)
        shells.append(shell)
        shell.expect_exact("$ ")
        return shell
    yield start
    for shell in shells:
        shell.close(force=True)


def last_status(shell: pexpect.spawn) -> str:
    shell.expect_exact("$ ")
    shell.sendline("echo rc=$?")
    shell.expect(r"rc=(\d+)")
    return shell.match.group(1)


def bring_back_and_log_in(shell: pexpect.spawn, out: Path, prompted: bool = False) -> None:
    """`fg` the stopped job, type the password when it asks (`prompted`: it asked before it
    was stopped, mid-read, and reads on without asking again): the login succeeds."""
    shell.expect_exact("$ ")
    shell.sendline("fg")
    if not prompted:
        shell.expect("assword")
    shell.sendline(OFFICER_PW)
    assert last_status(shell) == "0", out.read_text()
    assert json.loads(out.read_text())["error_code"] == 0


def test_a_background_job_does_not_read_the_terminal(warm, bash, tmp_path):
    """Typed at the shell while a warm job waits for a password: the job stops (as a cold one
    stops on reading the terminal), the shell gets the line, and `fg` brings the prompt back."""
    out = tmp_path / "out.json"
    shell = bash()
    shell.sendline(f'"{SCRIPT}" --home "{warm.home}" --json -c "loginHSM CO admin -hpswd" > "{out}" &')
    shell.sendline("echo typed-at-the-$((6*7))")
    shell.expect_exact("typed-at-the-42")                 # the shell, not the job, read it
    deadline = time.monotonic() + DEADLINE
    while True:                                           # the job stops before it reads
        shell.sendline("jobs")
        if shell.expect([r"Stopped", r"Running"]) == 0:
            break
        assert time.monotonic() < deadline, "the background job never stopped"
        shell.expect_exact("$ ")
    bring_back_and_log_in(shell, out)


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


def test_ctrl_z_and_bg_at_a_password_prompt_do_not_take_the_shells_line(warm, bash, tmp_path):
    """Ctrl-Z at the prompt, `bg`, a line typed at the shell: the shell runs it and the job
    stops on its next read, as a cold command stops; `fg` gives it its password."""
    out = tmp_path / "out.json"
    shell = bash()
    shell.sendline(f'"{SCRIPT}" --home "{warm.home}" --json -c "loginHSM CO admin -hpswd" > "{out}"')
    shell.expect("assword")
    shell.sendcontrol("z")
    shell.expect("Stopped")
    shell.expect_exact("$ ")
    shell.sendline("bg")
    shell.expect_exact("$ ")
    shell.sendline("echo typed-at-the-$((6*7))")
    shell.expect_exact("typed-at-the-42")
    bring_back_and_log_in(shell, out, prompted=True)


def test_an_orphaned_background_job_is_refused_the_terminal(warm, bash, tmp_path):
    """A job nobody can stop (its shell's subshell ended): reading the terminal is refused at
    once, as the kernel refuses it (EIO), not waited for forever."""
    out, err = tmp_path / "out.json", tmp_path / "err.txt"
    shell = bash()
    # the subshell ends at once: the job left behind has no parent in the session (orphaned)
    shell.sendline(f'( sh -c \'"{SCRIPT}" --home "{warm.home}" --json -c "loginHSM CO admin -hpswd" '
                   f'< /dev/tty > "{out}" 2> "{err}"; echo "exit=$?" >> "{err}"\' & )')
    shell.expect_exact("$ ")
    wait_for(lambda: "exit=" in (err.read_text() if err.exists() else ""), "the orphaned job to end")
    assert "exit=2" in err.read_text(), err.read_text()
    assert "cannot read the password" in out.read_text()


def test_a_caller_that_goes_away_before_the_answer_does_not_hurt_the_next(warm):
    """A request whose caller is gone before the server answers (killed at once): the
    commands after it all run."""
    for _ in range(3):
        doomed = subprocess.Popen([SCRIPT, "--home", str(warm.home), "logs", "--follow"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                  env={**warm.env, "HSMSHELL_WARM_START": "require"})
        doomed.kill()
        doomed.wait(timeout=DEADLINE)
        for _ in range(3):
            done = warm.run("--json", "-c", "listUsers")
            assert (done.returncode, done.stderr) == (0, ""), done.stderr


def test_a_caller_allowed_more_than_the_server_runs_its_command_itself(new_warm):
    """A server started under `ulimit -n 256` cannot give a fork more: a caller with the usual
    limit runs the command itself; one within the server's limits runs warm."""
    import resource

    def low() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    server = new_warm()
    server.run("--json", "-c", "listUsers", mode="on", preexec_fn=low)         # starts a server under 256
    wait_for(lambda: server.run("--json", "-c", "listUsers", preexec_fn=low).returncode == 0,
             "a warm-start process")
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] > 256:
        refused = server.run("--json", "-c", "listUsers")
        assert refused.returncode == 5 and "warm-start-unavailable" in refused.stderr
        assert server.run("--json", "-c", "listUsers", mode="on").returncode == 0
        # ... and gets a server of its own, under its own limits (callers of both kinds go on)
        wait_for(lambda: server.run("--json", "-c", "listUsers").returncode == 0, "a second warm-start process")
        assert len({path.name for path in server.folder.glob("warm-*.sock")}) == 2
        assert server.run("--json", "-c", "listUsers", preexec_fn=low).returncode == 0


def test_unbuffered_output_interleaves_as_a_cold_start_does(warm, tmp_path):
    """-u / PYTHONUNBUFFERED: stdout and stderr into one file come in the same order warm and cold."""
    unbuffered = {"PYTHONUNBUFFERED": "1"}
    warm.run("--json", "-c", "listUsers", mode="on", extra_env=unbuffered)     # its own server
    wait_for(lambda: warm.run("--json", "-c", "listUsers", extra_env=unbuffered).returncode == 0,
             "an unbuffered warm-start process")
    outputs = {}
    for mode in ("off", "require"):
        both = tmp_path / f"{mode}.txt"
        with open(both, "w") as sink:
            warm.run("-c", "listUsers; bogus; listUsers", mode=mode, extra_env=unbuffered,
                     capture_output=False, stdout=sink, stderr=subprocess.STDOUT)
        outputs[mode] = both.read_text()
    assert "unknown-command" in outputs["off"]
    assert outputs["require"] == outputs["off"]


def test_the_installed_command_imports_little_before_the_hand_over(warm):
    """bin/hsmshell, not pip's generated script: no `re` (nor anything of hsmshell's but the
    warm-start client) is imported when a warm-start process takes the command (counted past
    what the interpreter's own start imports: an editable install's finder imports `re`)."""
    def imported(*argv: str) -> set[str]:
        done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True,
                              env={**warm.env, "HSMSHELL_WARM_START": "require"}, stdin=subprocess.DEVNULL,
                              timeout=DEADLINE)
        assert done.returncode == 0, done.stderr
        return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    added = imported(SCRIPT, "--home", str(warm.home), "--json", "-c", "listUsers") - imported("-c", "pass")
    assert "re" not in added and "enum" not in added, sorted(added)
    assert {name for name in added if name.startswith("hsmshell")} <= {
        "hsmshell", "hsmshell.warmstart", "hsmshell.warmstart.client", "hsmshell.warmstart.address"}, sorted(added)


def test_a_malformed_request_is_refused_and_logged_without_its_content(warm):
    secret = b"S3cretInAHeader"
    sock = next(warm.folder.glob("warm-*.sock"))
    body = b"hsmshell-warm-2\0" + secret
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(DEADLINE)
        client.connect(str(sock))
        client.sendmsg([len(body).to_bytes(4, "big") + body], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                                                 array.array("i", [0, 1, 2]).tobytes())])
        assert client.recv(100).startswith(b"R")                     # refused in words: nothing ran
    log = next(warm.folder.glob("warm-*.log")).read_bytes()
    assert b"request refused: ValueError" in log and secret not in log
    assert warm.run("--json", "-c", "listUsers").returncode == 0        # and the server serves on
