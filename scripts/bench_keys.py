#!/usr/bin/env python3
"""Key benchmarks (docs/architecture.md performance budgets), a plugin of scripts/bench.py:

- AES-256 genSymKey through a batch file (`hsmshell --json --yes run FILE`, in-process, audit
  on): at least 2,000 commands/s;
- RSA-2048 sign (SHA256_RSA_PKCS) through the shell, as a ratio to a bare `cryptography` sign
  loop over the same data in the same run: at least 0.6.

Both are measured on this process's CPU time, as scripts/bench.py measures the user-management
batch: the batches are CPU-bound (no fsync per command), and on a shared machine the wall
clock also measures the neighbours. The wall-clock rate is shown in the notes.

    .venv/bin/python scripts/bench_keys.py [--quick]     (or through scripts/bench.py)
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN_BUDGET = 2000.0
SIGN_BUDGET = 0.6
PASSWORDS = {"BENCH_ADMIN_PW": "officer1pw", "BENCH_CU_PW": "benchpw1"}
LOGIN = "loginHSM CU bench @env:BENCH_CU_PW"


def row(name, value, unit, budget, ok, **extra) -> dict:
    return {"name": name, "value": value, "unit": unit, "budget": budget, "ok": ok, **extra}


def hsmshell(home: Path, *argv: str) -> tuple[int, list[dict]]:
    """hsmshell's real entry point in this process; returns (status, its JSON objects)."""
    from hsmshell.cli import main
    out = tempfile.TemporaryFile(mode="w+")
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(out), contextlib.redirect_stderr(sink):
        status = main(["--home", str(home), "--json", "--yes", *argv])
    out.seek(0)
    return status, [json.loads(line) for line in out if line.strip()]


def batch(home: Path, path: Path, lines: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) to run `lines` as a batch file: the shell's time only (its
    output goes to /dev/null unread)."""
    from hsmshell.cli import main
    path.write_text("\n".join(lines) + "\n")
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        cpu, wall = time.process_time(), time.perf_counter()
        status = main(["--home", str(home), "--json", "--yes", "run", str(path)])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if status != 0:
        raise RuntimeError(f"the batch {path.name} failed with exit {status}")
    return cpu, wall


def prepare(home: Path) -> None:
    status, _ = hsmshell(home, "-c", "loginHSM PRECO admin password; "
                         "changePswd PRECO admin @env:BENCH_ADMIN_PW; createUser CU bench @env:BENCH_CU_PW")
    if status != 0:
        raise RuntimeError(f"setting up the cluster failed with exit {status}")


def bench_generation(home: Path, work: Path, quick: bool) -> dict:
    count = 500 if quick else 2000
    lines = [LOGIN] + [f"genSymKey -t 31 -s 32 -l bench-{n}" for n in range(count)]
    runs = [batch(home, work / "gen.hsm", lines) for _ in range(1 if quick else 3)]
    rate = statistics.median(len(lines) / cpu for cpu, _ in runs)
    wall_rate = statistics.median(len(lines) / wall for _, wall in runs)
    return row(f"keys: genSymKey AES-256 batch, audit on ({len(lines)} commands)", round(rate),
               "commands/s", f">= {GEN_BUDGET:g}", rate >= GEN_BUDGET, ratio=round(rate / GEN_BUDGET, 2),
               note=f"per CPU second; {round(wall_rate)}/s by the wall clock")


def bench_sign(home: Path, work: Path, quick: bool) -> dict:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    status, out = hsmshell(home, "-c", f"{LOGIN}; genRSAKeyPair -m 2048 -e 65537 -l bench-rsa")
    if status != 0:
        raise RuntimeError(f"genRSAKeyPair failed with exit {status}")
    pair = out[-1]["data"]
    data = work / "data"
    data.write_bytes(os.urandom(1024))
    pem, key_out = work / "bench.pem", work / "bench-key.pem"
    aes = hsmshell(home, "-c", f"{LOGIN}; genSymKey -t 31 -s 32 -l bench-wrap")[1][-1]["data"]["key_handle"]
    hsmshell(home, "-c", f"{LOGIN}; exportPrivateKey -k {pair['private_key_handle']} -w {aes} -out {key_out}")
    private = serialization.load_pem_private_key(key_out.read_bytes(), None)
    count = 200 if quick else 1000
    lines = [LOGIN] + [f"sign -f {data} -k {pair['private_key_handle']} -m 1 -out {work / 'sig'}"] * count
    payload = data.read_bytes()

    def bare() -> float:
        start = time.process_time()
        for _ in range(count):
            private.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        return count / (time.process_time() - start)

    shell_rates, bare_rates = [], []
    for _ in range(1 if quick else 3):     # interleaved, so load from elsewhere hits both alike
        bare_rates.append(bare())
        shell_rates.append(len(lines) / batch(home, work / "sign.hsm", lines)[0])
    shell, baseline = statistics.median(shell_rates), statistics.median(bare_rates)
    ratio = shell / baseline
    pem.unlink(missing_ok=True)
    return row(f"keys: RSA-2048 sign through the shell ({count} signs)", round(shell), "signs/s",
               f">= {SIGN_BUDGET:g}x baseline", ratio >= SIGN_BUDGET, baseline=round(baseline),
               ratio=round(ratio, 2), note="both per CPU second")


def run(quick: bool) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    saved = {k: os.environ.get(k) for k in PASSWORDS}
    os.environ.update(PASSWORDS)
    try:
        with tempfile.TemporaryDirectory(prefix="hsmshell-bench-keys-") as scratch:
            work = Path(scratch)
            home = work / "home"
            prepare(home)
            return [bench_generation(home, work, quick), bench_sign(home, work, quick)]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


if __name__ == "__main__":
    for result in run("--quick" in sys.argv[1:]):
        print(json.dumps(result))
