"""scripts/bench.py's machinery on tiny sizes: every row is measured and reported with its
baseline, ratio and budget. No timing is asserted (a test never judges the wall clock); the
figures themselves are scripts/bench.py's job on a quiet machine."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import bench  # noqa: E402
from bench_venv import tree_hash  # noqa: E402

# every budget of docs/architecture.md with the baseline its ratio is taken against (None: an absolute budget)
BUDGET_ROWS = {
    "one-shot: hsmshell --json -c listUsers": "ms",
    "batch: genSymKey AES-256 x20 via run FILE, --json": None,
    "batch: genSymKey AES-256 x20 via run FILE, default output": None,
    "sign: RSA-2048 SHA256_RSA_PKCS": "signs/s",
    "REPL: Enter to next prompt, listUsers": None,
    "REPL: Tab completion of a user name": None,
    "audit verify, 2,000 records": "s",
    "audit verify: peak memory": None,
    "audit replay: peak memory": None,
    "scale (in-process): listUsers, 28 HSMs": None,
}
# the pkcs11 rows need SoftHSM2 (scripts/test installs it as root); without it they say so
PKCS11_ROWS = {"pkcs11: RSA-2048 sign": "signs/s", "pkcs11: AES-256 token keygen": "keys/s"}
HAVE_SOFTHSM = shutil.which("softhsm2-util") is not None


def test_the_bench_measures_every_row_on_tiny_sizes(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--smoke", "--json",
                           "--python", sys.executable], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    rows = summary["rows"]
    errors = [r for r in rows if r.get("error")]
    assert errors == [] if HAVE_SOFTHSM else all(r["name"].startswith("pkcs11:") for r in errors), errors
    assert summary["plain_venv"] is False          # --python: says it is not the honest venv
    for prefix, baseline_unit in {**BUDGET_ROWS, **(PKCS11_ROWS if HAVE_SOFTHSM else {})}.items():
        found = [r for r in rows if r["name"].startswith(prefix)]
        assert len(found) == 1, (prefix, [r["name"] for r in rows])
        measured = found[0]
        assert measured["value"] is not None and measured["budget"] and isinstance(measured["ok"], bool)
        if baseline_unit is not None:
            assert measured["baseline"] > 0 and "ratio" in measured
    assert all(isinstance(r["ok"], bool) for r in rows)


def test_the_table_shows_each_rows_ratio_baseline_budget_and_verdict():
    table = bench.render_table([
        {"name": "one-shot", "value": 80.0, "unit": "ms", "baseline": 10.0, "ratio": 8.0,
         "budget": "<= 4x", "ok": False},
        {"name": "tab", "value": 2.0, "unit": "ms", "ratio": 0.04, "budget": "< 50 ms", "ok": True},
        {"name": "in-process", "value": 900, "unit": "commands/s", "budget": None, "ok": True},
    ])
    one_shot, tab, informative = table.splitlines()[2:5]
    assert "80.0 ms" in one_shot and "10.0 ms" in one_shot and "8.0x" in one_shot
    assert "<= 4x" in one_shot and "MISSED" in one_shot
    assert "< 50 ms" in tab and " met" in tab
    assert "MISSED" not in informative and " met" not in informative


def test_the_bench_venv_is_rebuilt_when_the_package_changes_and_only_then(tmp_path):
    def git(*argv):
        subprocess.run(["git", "-C", str(tmp_path), *argv], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text(".venv/\n")
    for name, text in {"pyproject.toml": "[project]\n", "hsmshell/cli.py": "x = 1\n",
                       "roles/co.toml": "role = 'CO'\n", "tests/test_x.py": "y = 1\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    git("add", "-A")
    first = tree_hash(tmp_path)
    (tmp_path / "tests" / "test_x.py").write_text("y = 2\n")           # not installed
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "junk.py").write_text("ignored\n")           # ignored by git
    assert tree_hash(tmp_path) == first
    (tmp_path / "hsmshell" / "cli.py").write_text("x = 2\n")            # an edit, not committed
    edited = tree_hash(tmp_path)
    assert edited != first
    (tmp_path / "roles" / "new.toml").write_text("role = 'X'\n")        # a new, untracked file
    assert tree_hash(tmp_path) not in (first, edited)


def test_the_cloudhsm_rows_run_the_emulated_tools_from_the_measured_venv(monkeypatch):
    # bench.py works from a scratch directory: `python -m hsmshell` of the interpreter running it
    # may find no package (a user's `python3 scripts/bench.py` failed so); the smoke run above
    # cannot tell, its --python is the interpreter running it
    from types import SimpleNamespace
    import bench_cloudhsm
    seen = []

    def measure(work, count, python):
        seen.append(python)
        each = {"listUsers": 1.0, "genSymKey": 1.0}
        return {"emulator": each, "cloudhsm": each}

    monkeypatch.setattr(bench_cloudhsm, "measure", measure)
    measured = Path("/measured/venv/bin/python")
    rows = bench_cloudhsm.run(SimpleNamespace(venv=SimpleNamespace(python=measured), size=lambda *sizes: 1))
    assert seen == [str(measured)] and len(rows) == 2
