"""The venv scripts/bench.py measures in: a plain venv with a NON-editable install of the
working tree, as a user who ran `pip install .` has it (a helper of bench.py, not a plugin).

An editable development venv's `.pth` import hooks roughly double the interpreter's start, so
timing against it flatters every ratio. The venv is cached under `.bench-venv/<hash>/` (ignored
by git), keyed by a hash of the files that go into the install, so reruns reuse it and any
edit to the package makes a new one. Only the newest few are kept.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench-venv"
INSTALLED_DIRS = ("hsmshell/", "roles/")   # with the top-level files: what the install reads
KEEP = 2                                 # cached venvs kept (the current one and one before)


@dataclass(frozen=True)
class BenchVenv:
    """Where the measured programs live: `python` and the `hsmshell` console script."""
    python: Path
    hsmshell: list[str]
    plain: bool                          # a fresh non-editable install (False: reused interpreter)


def tree_files(root: Path = ROOT) -> list[str]:
    """The files a fresh clone with the current edits has: git's tracked and untracked,
    not ignored (so .venv, caches and build leftovers are left out), in a stable order."""
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    return sorted({name for name in listed.decode().split("\0") if name and (root / name).is_file()})


def tree_hash(root: Path = ROOT) -> str:
    """SHA-256 over the names and contents of the files the install reads (the package, the
    role files, the top-level build files): any edit there makes a new venv; an edit to the
    tests, docs or benchmarks does not."""
    digest = hashlib.sha256()
    for name in tree_files(root):
        if "/" in name and not name.startswith(INSTALLED_DIRS):
            continue
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((root / name).read_bytes()).digest())
    return digest.hexdigest()[:16]


def ensure_bench_venv(root: Path = ROOT, log=print) -> BenchVenv:
    """The cached plain venv of this tree, built when the tree changed (a minute or so)."""
    target = CACHE / tree_hash(root)
    ready = target / ".ready"
    if not ready.is_file():
        shutil.rmtree(target, ignore_errors=True)
        log(f"bench: building a plain venv with a non-editable install in {target.relative_to(root)} ...")
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
        # Install from a copy of the tree, so pip's in-tree build leaves nothing behind here.
        source = target / "source"
        for name in tree_files(root):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, source / name)
        done = subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "-q",
                               "--disable-pip-version-check", str(source)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip install of the tree failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        shutil.rmtree(source)
        ready.write_text("ok\n")
        _prune(target)
    return BenchVenv(target / "bin" / "python", [str(target / "bin" / "hsmshell")], True)


def reuse_interpreter(python: str) -> BenchVenv:
    """Measure an existing interpreter instead (e.g. the test venv, for the smoke test): its
    figures are not the honest ones when that venv is editable."""
    bin_dir = Path(python).parent
    script = bin_dir / "hsmshell"
    command = [str(script)] if script.is_file() else [python, "-m", "hsmshell"]
    return BenchVenv(Path(python), command, False)


def _prune(current: Path) -> None:
    others = sorted((p for p in CACHE.iterdir() if p.is_dir() and p != current),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[KEEP - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def child_environment(venv: BenchVenv, cache: Path) -> dict:
    """As an installed package runs: no colour codes, no HSMSHELL_* settings or venv activation
    leaking in. A plain install has its byte-code compiled by pip; a reused (editable)
    interpreter caches it in a private folder, so no source tree is touched."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
           and not k.startswith("HSMSHELL_")}
    if not venv.plain:
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    env["NO_COLOR"] = "1"
    # The warm-start process (docs/performance.md) lives in the bench's scratch folder: it
    # exits when that folder is removed, and never serves anything but the bench.
    runtime = cache.parent / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env["HSMSHELL_RUNTIME_DIR"] = str(runtime)
    return env


# -- what every benchmark module gets ------------------------------------------------------------
@dataclass
class Context:
    """One bench run: its size, the venv measured, the children's environment, a scratch dir."""
    quick: bool
    smoke: bool                          # tiny sizes, one run: exercises the machinery only
    venv: BenchVenv
    env: dict
    work: Path

    def size(self, full, quick, smoke):
        return smoke if self.smoke else quick if self.quick else full

    def hsmshell(self, home: Path, *argv: str) -> list[str]:
        return [*self.venv.hsmshell, "--home", str(home), *argv]


def row(name, value, unit, budget, ok, **extra) -> dict:
    return {"name": name, "value": value, "unit": unit, "budget": budget, "ok": ok, **extra}


@dataclass
class Timed:
    wall: float                          # seconds by the wall clock, spawn to exit
    cpu: float                           # the child's user + system CPU seconds
    status: int
    out: bytes
    err: bytes


def run_timed(argv: list[str], env: dict, capture: bool = True, stdin: bytes | None = None) -> Timed:
    """Run a program to its end. `capture`: its stdout is a pipe this process drains (as a
    user's `| less` or `> file` would), else /dev/null."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    out, err = child.communicate(stdin)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu, child.returncode, out or b"", err)


def must(timed: Timed, what: str) -> Timed:
    if timed.status != 0:
        tail = (timed.out[-300:] + timed.err[-300:]).decode(errors="replace").strip()
        raise RuntimeError(f"{what} failed with exit {timed.status}: {tail}")
    return timed
