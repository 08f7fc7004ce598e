"""Audit-log budgets (docs/architecture.md), for scripts/bench.py:

* the installed `hsmshell --json audit verify`, net of its own start-up, as a ratio to a bare
  verifier over the same file, doing no less than any verifier must (<= 1.2x): the SHA-256
  chain, each stored hash compared, each checkpoint's signature checked;
* peak memory (VmHWM) of the installed `audit verify` and `audit replay` on the big log
  (streamed; <= 150 MB): 1,000,000 records, 100,000 with --quick;
* `audit replay` rate on a log of user management and AES key generation, in-process (a
  profiling aid; >= 1,000 records/s).

The big log is made directly (records encoded and chained as the shell writes them, signed
checkpoints every 1,000) from two records a real shell wrote: `whoami`, and a `createUser`
refused because nobody is logged in.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

from bench_venv import row

VERIFY_RATIO_BUDGET = 1.2
REPLAY_RATE_BUDGET = 1000.0
MEMORY_BUDGET_MB = 150.0
ADMIN_PASSWORD = "officer1pw"


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


# -- verify vs a bare verifier ---------------------------------------------------------------------
# The least any verifier of this log must do (the format: hsmshell/audit/records.py), written
# as tightly as plain Python allows (locals in a function, no call of ours per record): per
# record, SHA-256 over the domain tag, the previous hash and the bytes before the record's
# `,"hash":"<hex>"}\n` tail, and that tail compared whole with the one the digest makes (the
# hash does not cover it); every checkpoint's Ed25519 signature checked with the key the
# genesis record names. (The earlier baseline, `sha256(prev + line)` at module level, compared
# nothing and checked no signature: it timed less than a verifier must do.)
BARE_CHAIN = """
import base64, binascii, hashlib, json, sys, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

def verify(path):
    domain, sha256, hexlify = b"hsmshell-audit-record-v1\\x00", hashlib.sha256, binascii.hexlify
    marker, end = b',"hash":"', b'"}\\n'
    prev, key, checkpoints = bytes(32), None, 0
    with open(path, "rb") as handle:
        for line in handle:
            digest = sha256(domain + prev + line[:-76]).digest()
            if marker + hexlify(digest) + end != line[-76:]:
                sys.exit("hash mismatch")
            if key is None:
                key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(json.loads(line)["audit_key"]))
            elif line.find(b'"covers_hash"', 8, 30) > 0:     # sorted fields: a checkpoint's first
                record = json.loads(line)
                key.verify(base64.b64decode(record["signature"]), b"hsmshell-audit-checkpoint-v1\\x00"
                           + record["covers_seq"].to_bytes(8, "big") + bytes.fromhex(record["covers_hash"]))
                checkpoints += 1
            prev = digest
    return checkpoints

start = time.perf_counter()
checkpoints = verify(sys.argv[1])
print(time.perf_counter() - start, checkpoints)
"""


def bench_verify(ctx, big: Path, small: Path, records: int) -> list[dict]:
    """The installed `hsmshell --json audit verify` on the big log, net of its own start-up (the
    same command on a cluster with a two-record log), against the bare verifier (BARE_CHAIN)
    over the same file, timed inside its process (so also net of start-up). Interleaved, medians."""
    from bench_venv import must, run_timed
    verify_big = ctx.hsmshell(big, "--json", "audit", "verify")
    verify_small = ctx.hsmshell(small, "--json", "audit", "verify")
    bare_argv = [str(ctx.venv.python), "-c", BARE_CHAIN, str(big / "clusters" / "default" / "audit.log")]
    run_timed(bare_argv, ctx.env)             # the file in the page cache: not measured
    bare, shell, start_up = [], [], []
    for _ in range(ctx.size(5, 3, 1)):
        seconds, checkpoints = must(run_timed(bare_argv, ctx.env), "the bare verifier").out.split()
        if int(checkpoints) != records // 1000:
            raise RuntimeError(f"the bare verifier checked {checkpoints} checkpoints, not {records // 1000}")
        bare.append(float(seconds))
        start_up.append(must(run_timed(verify_small, ctx.env), "audit verify of a small log").wall)
        shell.append(must(run_timed(verify_big, ctx.env), "audit verify of the big log").wall)
    net = statistics.median(shell) - statistics.median(start_up)
    baseline = statistics.median(bare)
    ratio = net / baseline
    size = (big / "clusters" / "default" / "audit.log").stat().st_size / 1e6
    return [row(f"audit verify, {records:,} records ({size:.0f} MB), net of its start-up", round(net, 3), "s",
                f"<= {VERIFY_RATIO_BUDGET:g}x", ratio <= VERIFY_RATIO_BUDGET, baseline=round(baseline, 3),
                ratio=round(ratio, 2), note=f"baseline: a bare verifier (chain, stored hashes, signatures); start-up "
                f"{statistics.median(start_up) * 1000:.0f} ms subtracted")]


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


def bench_replay_rate(work: Path, quick: bool, smoke: bool = False) -> list[dict]:
    from hsmshell.audit.locate import locate_log
    from hsmshell.modes.replay import replay_log
    from hsmshell.commands import command_table
    from hsmshell.environment import Environment

    home = work / "replay-home"
    has_aes = "genSymKey" in command_table()
    users, keys = (10, 20) if smoke else (300, 600) if quick else (1000, 2000)
    records = workload_log(home, users, keys if has_aes else 0)
    env = Environment(home=home, environ={}, interactive=False)
    start = time.perf_counter()
    report = replay_log(locate_log(env, None), env)
    elapsed = time.perf_counter() - start
    assert report.divergence is None and report.verify.ok, report.to_dict()
    rate = records / elapsed
    what = "user management + AES" if has_aes else "user management"
    return [row(f"audit replay (in-process): {what} ({records:,} records, verify pass included)", round(rate),
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


def peak_rss_mb(python: Path, hsmshell_argv: list[str], env: dict) -> tuple[float, int]:
    done = subprocess.run([str(python), "-c", PEAK_PROBE, *hsmshell_argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=env)
    peak = next(line.split()[1] for line in done.stderr.splitlines() if line.startswith("peak-kib"))
    return int(peak) / 1024, done.returncode


def bench_memory(ctx, home: Path, records: int) -> list[dict]:
    base = ["--home", str(home), "--json", "audit"]
    rows = []
    for command in ("verify", "replay"):
        start = time.perf_counter()
        megabytes, status = peak_rss_mb(ctx.venv.python, [*base, command], ctx.env)
        elapsed = time.perf_counter() - start
        rows.append(row(f"audit {command}: peak memory ({records:,} records)", round(megabytes, 1), "MB",
                        f"<= {MEMORY_BUDGET_MB:g}", status == 0 and megabytes <= MEMORY_BUDGET_MB,
                        seconds=round(elapsed, 1), **({} if status == 0 else {"error": f"exit {status}"})))
    return rows


def run(ctx) -> list[dict]:
    records = ctx.size(1_000_000, 100_000, 2_000)
    log = make_big_log(ctx.work / "big-home", records)
    run_cli(["--home", str(ctx.work / "small-home"), "--json", "-c", "whoami"])
    rows = bench_verify(ctx, log.parent.parent.parent, ctx.work / "small-home", records)
    rows += bench_replay_rate(ctx.work, ctx.quick or ctx.smoke, ctx.smoke)
    rows += bench_memory(ctx, ctx.work / "big-home", records)
    return rows
