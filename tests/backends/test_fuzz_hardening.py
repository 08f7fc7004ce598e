"""Fuzzing the kinds of input docs/hardening.md is about, in the suite (hypothesis, derandomized
so CI runs the same corpus every time): malformed commands and batch files, secret sources,
output paths (devices, FIFOs, links, missing folders, folders), role directories and
corrupted state files. Every example runs under a time bound (hypothesis' deadline) and a
memory bound (tracemalloc's peak), and must end in one of hsmshell's own errors, never a
traceback, an internal-error or a hang. FUZZ_EXAMPLES (below) is the corpus size the
closing note gives."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import stat
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hsmshell.errors import HsmshellError

ROLES = Path(__file__).resolve().parents[2] / "roles"
MEGABYTES = 64
FUZZ_EXAMPLES = {"batch_files": 200, "commands": 200, "sources_and_paths": 48, "role_dirs": 100,
                 "state_files": 60}


def fuzz(name: str, seconds: float = 10):
    return settings(max_examples=FUZZ_EXAMPLES[name], deadline=timedelta(seconds=seconds),
                    derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


@contextlib.contextmanager
def memory_bound(megabytes: int = MEGABYTES):
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < megabytes * 2**20, f"peaked at {peak / 2**20:.0f} MiB"


def fresh(folder: Path) -> Path:
    """An empty folder for one example (hypothesis reuses a test's tmp_path)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


# -- things a path can be --------------------------------------------------------------------------
PATH_KINDS = ["regular", "empty", "large", "binary", "missing", "missing-folder", "folder", "fifo",
              "link-to-file", "dangling-link", "link-to-device", "device"]


def make_path(folder: Path, kind: str) -> Path:
    path = folder / f"p-{kind}"
    if kind == "regular":
        path.write_bytes(b"userpass12\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "large":
        path.write_bytes(b"y" * 300_000)
    elif kind == "binary":
        path.write_bytes(bytes(range(256)))
    elif kind == "missing-folder":
        path = folder / "no-such-folder" / "file"
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-to-file":
        (folder / "victim").write_bytes(b"not yours")
        path.symlink_to(folder / "victim")
    elif kind == "dangling-link":
        path.symlink_to(folder / "nowhere")
    elif kind == "link-to-device":
        path.symlink_to("/dev/zero")
    elif kind == "device":
        path = Path("/dev/zero")
    return path


# -- batch files -----------------------------------------------------------------------------------
batch_lines = st.one_of(
    st.sampled_from(["set A ${A}${A}", "set A xxxxxxxxxxxxxxxx", "set", "set 9x y", "set B ${B}",
                     "source /dev/zero", "source missing.hsm", "source self.hsm", "source", "${",
                     "listUsers ${A}", "${env:HOME}", "${env:NOPE_NOT_SET}", "\\", "$$", "# comment",
                     "listUsers \\", "x" * 70_000, "set C 'unbalanced", "source '/dev/null'"]),
    st.text(max_size=80),
)


@fuzz("batch_files")
@given(st.lists(batch_lines, max_size=40), st.booleans())
def test_fuzz_batch_files_end_in_a_batch_error_or_a_script(tmp_path, lines, crlf):
    from hsmshell.modes.batchfile import read_batch
    folder = fresh(tmp_path / "b")
    batch = folder / "self.hsm"
    batch.write_text(("\r\n" if crlf else "\n").join(lines) + "\n", errors="surrogateescape")
    with memory_bound():
        try:
            script = read_batch(str(batch), {"HOME": "/home/x"})
        except HsmshellError as error:
            assert error.status == 2 and "\n" not in error.message
        else:
            assert sum(len(s.text) for s in script.statements) <= 64 * 2**20


# -- commands, secret sources and output paths through the whole pipeline ------------------------
def _harness_class():
    """tests/conftest.py's Harness (a plain `import conftest` may find another folder's)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("hsmshell_tests_conftest",
                                                  Path(__file__).resolve().parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Harness


@pytest.fixture(scope="module")
def shell_home(tmp_path_factory):
    """An activated cluster with a crypto user and an AES key (handle in key.txt)."""
    Harness = _harness_class()
    home = tmp_path_factory.mktemp("fuzz") / "home"
    h = Harness(home)
    h.activate()
    h.ok("createUser CU alice alicepass1")
    h.ok("logoutHSM")
    h.ok("loginHSM CU alice alicepass1")
    (home / "key.txt").write_text(str(h.ok("genSymKey -t 31 -s 32 -l k")["data"]["key_handle"]))
    h.close()
    return home


@pytest.fixture(scope="module")
def shell(shell_home):
    h = _harness_class()(shell_home)
    h.open()
    h.ok("loginHSM CU alice alicepass1")
    yield h
    h.close()


NAMES = sorted({"listUsers", "loginHSM", "logoutHSM", "createUser", "deleteUser", "genSymKey",
                "exSymKey", "sign", "findKey", "getKeyInfo", "help", "whoami", "changePswd",
                "setAttribute", "wrapKey", "quit"})
words = st.one_of(st.sampled_from(NAMES), st.sampled_from(
    ["CU", "CO", "-hpswd", "@env:PW", "@env:", "@file:", "@keyring", "@keyring:", "-k", "-w", "-out",
     "-t", "31", "-s", "32", "-l", "'", '"', ";", "\\", "\x00", "\t", "262145", "-1", "99999999999999999999"]),
    st.text(max_size=10))
command_text = st.one_of(st.lists(words, max_size=10).map(" ".join), st.text(max_size=300),
                         st.just("x" * 5000))


def run_checked(shell, line: str) -> None:
    outcome, printed = shell.run(line)
    assert 0 <= int(outcome.status) <= 6
    for reply in printed:
        if reply.get("error"):
            assert reply["error"]["reference"] != "internal-error", (line, reply)


@fuzz("commands")
@given(command_text)
def test_fuzz_malformed_commands_are_refused_by_the_pipeline(shell, text):
    with memory_bound():
        run_checked(shell, text)
    if shell.shell.quitting or shell.shell.backend.principal is None:
        shell.open()
        shell.ok("loginHSM CU alice alicepass1")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@fuzz("sources_and_paths")
@given(st.sampled_from(["secret", "out-key", "out-signature", "batch"]), st.sampled_from(PATH_KINDS))
def test_fuzz_secret_sources_and_paths(shell, shell_home, tmp_path, use, kind):
    """Every (use, kind) pair: 4 x 12 = 48 examples, the whole space."""
    if kind == "device" and use != "secret" and use != "batch":
        kind = "link-to-device"                     # never point a writer at a real device
    folder = fresh(tmp_path / "p")
    path = make_path(folder, kind)
    before = os.lstat(path) if os.path.lexists(path) else None
    key = (shell_home / "key.txt").read_text()
    (folder / "data").write_bytes(b"data")
    lines = {
        "secret": f"changePswd CU alice @file:{path}",
        "out-key": f"exSymKey -k {key} -w {key} -out {path}",
        "out-signature": f"sign -f {folder / 'data'} -k {key} -m 1 -out {path}",
    }
    with memory_bound():
        if use == "batch":
            from hsmshell.modes.batchfile import read_batch
            try:
                read_batch(str(path), {})
            except HsmshellError as error:
                assert error.status == 2
        else:
            run_checked(shell, lines[use])
    if before is not None and not stat.S_ISREG(before.st_mode):
        after = os.lstat(path)
        assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode), before.st_ino)
    if (folder / "victim").exists():
        assert (folder / "victim").read_bytes() == b"not yours"
    if use == "secret":                              # whatever happened, alice's password is known again
        shell.run("changePswd CU alice alicepass1")


# -- role directories ------------------------------------------------------------------------------
ROLE_FILES = ["co.toml", "cu.toml", "anonymous.toml", "quorum.toml", "x.toml", "notes.txt"]
role_contents = st.one_of(
    st.sampled_from(["valid", "fifo", "folder", "device-link", "huge", "binary", "empty", "dangling"]),
    st.text(max_size=200))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@fuzz("role_dirs")
@given(st.dictionaries(st.sampled_from(ROLE_FILES), role_contents, max_size=5))
def test_fuzz_role_directories_load_or_refuse(tmp_path, files):
    from hsmshell.commands import command_table
    from hsmshell.policy.roles import load_policy
    folder = fresh(tmp_path / "roles")
    for name, content in files.items():
        path = folder / name
        if content == "valid" and (ROLES / name).is_file():
            shutil.copy(ROLES / name, path)
        elif content == "fifo":
            os.mkfifo(path)
        elif content == "folder":
            path.mkdir()
        elif content == "device-link":
            path.symlink_to("/dev/zero")
        elif content == "dangling":
            path.symlink_to(folder / "nowhere")
        elif content == "huge":
            path.write_text("# " + "x" * 400_000)
        elif content == "binary":
            path.write_bytes(bytes(range(256)))
        else:
            path.write_text("" if content in ("empty", "valid") else content, errors="surrogateescape")
    with memory_bound():
        try:
            load_policy(folder, command_table().actions())
        except HsmshellError as error:
            assert error.status == 2 and "\n" not in error.message


# -- corrupted state files -------------------------------------------------------------------------
STATE_FILES = ["state.db", "audit.log", "audit.key", "audit.pub", "audit.hmac", "key-encryption.key", "lock"]
DAMAGE = ["truncate", "flip", "delete", "folder", "empty", "append"]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A used cluster folder (WAL checkpointed into state.db), copied for each example."""
    from batch_audit_support import ADMIN_PASSWORD
    from hsmshell.cli import main
    home = tmp_path_factory.mktemp("state") / "home"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--home", str(home), "--json", "--yes", "-c",
                     f"loginHSM PRECO admin password; changePswd PRECO admin {ADMIN_PASSWORD}; "
                     "createUser CU bob bobpass12; logoutHSM; loginHSM CU bob bobpass12; "
                     "genSymKey -t 31 -s 16 -l k"]) == 0
    return home


def cli_quiet(*argv: str) -> tuple[int, str, str]:
    from hsmshell.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@fuzz("state_files", seconds=20)
@given(st.sampled_from(STATE_FILES), st.sampled_from(DAMAGE), st.integers(0, 2**32 - 1))
def test_fuzz_corrupted_state_files_are_one_line_errors(template, tmp_path, name, damage, seed):
    import random
    rng = random.Random(seed)
    home = fresh(tmp_path / "s") / "home"
    shutil.copytree(template, home)
    target = home / "clusters" / "default" / name
    data = target.read_bytes() if target.is_file() else b""
    if damage == "truncate":
        target.write_bytes(data[:rng.randrange(len(data) + 1)])
    elif damage == "flip" and data:
        buffer = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buffer[rng.randrange(len(buffer))] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(buffer))
    elif damage in ("delete", "folder") and target.exists():
        target.unlink()
        if damage == "folder":
            target.mkdir()
    elif damage == "empty":
        target.write_bytes(b"")
    elif damage == "append":
        target.write_bytes(data + rng.randbytes(rng.randint(1, 64)))
    with memory_bound():
        for argv in (("--json", "--yes", "-c", "loginHSM CU bob bobpass12; listUsers; genSymKey -t 31 -s 16 -l n"),
                     ("--json", "audit", "verify")):
            status, out, err = cli_quiet("--home", str(home), *argv)
            assert status in (0, 1, 2, 3, 5, 6) and "Traceback" not in out + err, (name, damage, out, err)
            replies = [json.loads(line) for line in out.splitlines() if line.strip()]
            assert replies, (name, damage, err)
            for reply in replies:
                if reply["error"]:
                    assert reply["error"]["reference"] != "internal-error", (name, damage, reply)
                    assert "\n" not in reply["error"]["message"]
