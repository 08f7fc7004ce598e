#!/usr/bin/env python3
"""Key batches IN-PROCESS, for scripts/bench.py: profiling aids, not the budgets (bench_user.py
times the installed console script for those). `hsmshell.cli.main` of the working tree is
called in this process, so start-up and the interpreter's own costs are left out:

- AES-256 genSymKey through `--json --yes run FILE`, audit on;
- RSA-2048 sign (SHA256_RSA_PKCS) through the shell, as a ratio to a bare `cryptography` sign
  loop over the same data in this process.

Both on this process's CPU time (the wall-clock rate is in the notes).
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench_venv import row

PASSWORDS = {"BENCH_ADMIN_PW": "officer1pw", "BENCH_CU_PW": "benchpw1"}
LOGIN = "loginHSM CU bench @env:BENCH_CU_PW"


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


def bench_generation(home: Path, work: Path, quick: bool, count: int) -> dict:
    lines = [LOGIN] + [f"genSymKey -t 31 -s 32 -l bench-{n}" for n in range(count)]
    runs = [batch(home, work / "gen.hsm", lines) for _ in range(1 if quick else 3)]
    rate = statistics.median(len(lines) / cpu for cpu, _ in runs)
    wall_rate = statistics.median(len(lines) / wall for _, wall in runs)
    return row(f"in-process: genSymKey AES-256 batch, --json, audit on ({len(lines)} commands)", round(rate),
               "commands/s", None, True, note=f"per CPU second; {round(wall_rate)}/s by the wall clock")


def bench_sign(home: Path, work: Path, quick: bool, count: int) -> dict:
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
    return row(f"in-process: RSA-2048 sign through the shell ({count} signs)", round(shell), "signs/s",
               None, True, baseline=round(baseline),
               ratio=round(ratio, 2), note="both per CPU second")


def run(ctx) -> list[dict]:
    quick = ctx.quick or ctx.smoke
    saved = {k: os.environ.get(k) for k in PASSWORDS}
    os.environ.update(PASSWORDS)
    try:
        with tempfile.TemporaryDirectory(prefix="hsmshell-bench-keys-") as scratch:
            work = Path(scratch)
            home = work / "home"
            prepare(home)
            return [bench_generation(home, work, quick, ctx.size(2000, 500, 10)),
                    bench_sign(home, work, quick, ctx.size(1000, 200, 5))]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

