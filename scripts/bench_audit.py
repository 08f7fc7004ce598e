#!/usr/bin/env python3
"""Audit-log budgets (docs/architecture.md, issue 5), for scripts/bench.py (`run(quick) -> rows`):

* `audit verify` time as a ratio to a bare SHA-256 chain loop over the same file (<= 3x);
* `audit replay` rate on a log of user management and AES key generation (>= 1,000 records/s);
* peak memory (max RSS) of `audit verify` and `audit replay` on a 1,000,000-record log
  (streamed; <= 150 MB). Quick mode uses 100,000 records.

The big log is made directly (records encoded and chained as the shell writes them, signed
checkpoints every 1,000) from two records a real shell wrote: `whoami`, and a `createUser`
refused because nobody is logged in. Run alone: .venv/bin/python scripts/bench_audit.py [--quick]
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERIFY_RATIO_BUDGET = 3.0
REPLAY_RATE_BUDGET = 1000.0
MEMORY_BUDGET_MB = 150.0
ADMIN_PASSWORD = "officer1pw"


def row(name, value, unit, budget, ok, **extra) -> dict:
    return {"name": name, "value": value, "unit": unit, "budget": budget, "ok": ok, **extra}


def run_cli(argv: list[str]) -> int:
    from hsmshell.cli import main
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        return main(argv)


# -- a big log ---------------------------------------------------------------------------------
def make_big_log(home: Path, records: int) -> Path:
    """The cluster `default` of `home` with an audit log of `records` records, its head set."""
    from hsmshell.audit import records as codec
    from hsmshell.audit.keys import sign_checkpoint
    from hsmshell.audit.log import read_head, write_head
    from hsmshell.state.db import ClusterDB

    run_cli(["--home", str(home), "--json", "-c", "whoami; createUser CU bench_user benchpass1"])
    directory = home / "clusters" / "default"
    lines = (directory / "audit.log").read_bytes().splitlines(keepends=True)
    parsed = [json.loads(line) for line in lines]
    genesis = lines[0]
    templates = [{k: v for k, v in r.items() if k not in ("seq", "hash")}
                 for r in parsed if r.get("kind") == "command"]
    prev = codec.stored_hash(genesis)
    written = len(genesis)
    with open(directory / "audit.log", "wb") as out:
        out.write(genesis)
        for seq in range(2, records + 1):
            if seq % 1000 == 0:
                fields = {"kind": "checkpoint", "covers_seq": seq - 1, "covers_hash": prev.hex(),
                          "key_id": "bench", "time": templates[0]["time"],
                          "signature": __import__("base64").b64encode(
                              sign_checkpoint(directory, codec.checkpoint_message(seq - 1, prev))).decode()}
            else:
                fields = dict(templates[seq % len(templates)], source=f"bench.hsm:{seq}")
            line, prev = codec.encode(seq, fields, prev)
            out.write(line)
            written += len(line)
    db = ClusterDB(directory)
    try:
        with db.transaction():
            write_head(db, read_head(db)._replace(seq=records, hash=prev, length=written, pending=""))
    finally:
        db.close()
    return directory / "audit.log"


# -- verify vs a bare chain loop -------------------------------------------------------------------
def bare_chain(path: Path) -> float:
    start = time.perf_counter()
    prev = bytes(32)
    with open(path, "rb") as handle:
        for line in handle:
            prev = hashlib.sha256(prev + line).digest()
    return time.perf_counter() - start


def timed_verify(path: Path) -> float:
    from hsmshell.audit.verify import verify_log
    start = time.perf_counter()
    report = verify_log(path, path.parent, None)
    elapsed = time.perf_counter() - start
    assert report.ok, report.to_dict()
    return elapsed


def bench_verify(path: Path, records: int) -> list[dict]:
    bare = min(bare_chain(path) for _ in range(3))
    verify = min(timed_verify(path) for _ in range(3))
    ratio = verify / bare
    return [row(f"audit verify ({records:,} records)", round(verify, 3), "s", f"<= {VERIFY_RATIO_BUDGET:g}x baseline",
                ratio <= VERIFY_RATIO_BUDGET, baseline=round(bare, 3), ratio=round(ratio, 2))]


# -- replay rate -----------------------------------------------------------------------------------
def workload_log(home: Path, users: int, keys: int) -> int:
    run_cli(["--home", str(home), "--json", "--yes", "-c",
             f"loginHSM PRECO admin password; changePswd PRECO admin {ADMIN_PASSWORD}"])
    lines = [f"loginHSM CO admin {ADMIN_PASSWORD}", "createUser CU keeper keeperpw1"]
    for n in range(users):
        lines += [f"createUser CU u{n} userpass{n:03d}", f"changePswd CU u{n} newpass{n:03d}",
                  "listUsers", f"deleteUser CU u{n}"]
    lines += ["logoutHSM", "loginHSM CU keeper keeperpw1"]
    lines += ["genSymKey -t 31 -s 32 -l bench"] * keys
    batch = home / "workload.hsm"
    batch.write_text("\n".join(lines) + "\n")
    status = run_cli(["--home", str(home), "--json", "--yes", "run", str(batch)])
    assert status == 0, f"the workload batch failed with exit {status}"
    return sum(1 for _ in open(home / "clusters" / "default" / "audit.log", "rb"))


def bench_replay_rate(work: Path, quick: bool) -> list[dict]:
    from hsmshell.audit.locate import locate_log
    from hsmshell.modes.replay import replay_log
    from hsmshell.commands import command_table
    from hsmshell.environment import Environment

    home = work / "replay-home"
    has_aes = "genSymKey" in command_table()
    records = workload_log(home, 300 if quick else 1000, (600 if quick else 2000) if has_aes else 0)
    env = Environment(home=home, environ={}, interactive=False)
    start = time.perf_counter()
    report = replay_log(locate_log(env, None), env)
    elapsed = time.perf_counter() - start
    assert report.divergence is None and report.verify.ok, report.to_dict()
    rate = records / elapsed
    what = "user management + AES" if has_aes else "user management"
    return [row(f"audit replay: {what} ({records:,} records, verify pass included)", round(rate),
                "records/s", f">= {REPLAY_RATE_BUDGET:g}", rate >= REPLAY_RATE_BUDGET,
                ratio=round(rate / REPLAY_RATE_BUDGET, 2))]


# -- peak memory -----------------------------------------------------------------------------------
# The child reports its own peak: VmHWM of its address space. (ru_maxrss would not do: after
# fork and exec it still counts the parent's memory at the fork, here the big log's maker.)
PEAK_PROBE = """
import sys
from hsmshell.cli import main
status = main(sys.argv[1:])
try:
    peak = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1]
except OSError:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print('peak-kib', peak, file=sys.stderr)
sys.exit(status)
"""


def peak_rss_mb(hsmshell_argv: list[str]) -> tuple[float, int]:
    done = subprocess.run([sys.executable, "-c", PEAK_PROBE, *hsmshell_argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    peak = next(line.split()[1] for line in done.stderr.splitlines() if line.startswith("peak-kib"))
    return int(peak) / 1024, done.returncode


def bench_memory(home: Path, records: int) -> list[dict]:
    base = ["--home", str(home), "--json", "audit"]
    rows = []
    for command in ("verify", "replay"):
        start = time.perf_counter()
        megabytes, status = peak_rss_mb([*base, command])
        elapsed = time.perf_counter() - start
        rows.append(row(f"audit {command}: peak memory ({records:,} records)", round(megabytes, 1), "MB",
                        f"<= {MEMORY_BUDGET_MB:g}", status == 0 and megabytes <= MEMORY_BUDGET_MB,
                        seconds=round(elapsed, 1), **({} if status == 0 else {"error": f"exit {status}"})))
    return rows


def run(quick: bool) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    records = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="hsmshell-bench-audit-") as scratch:
        work = Path(scratch)
        log = make_big_log(work / "big-home", records)
        rows = bench_verify(log, records)
        rows += bench_replay_rate(work, quick)
        rows += bench_memory(work / "big-home", records)
    return rows


if __name__ == "__main__":
    for found in run("--quick" in sys.argv):
        print(json.dumps(found))
