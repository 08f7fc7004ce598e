#!/usr/bin/env python3
"""pkcs11 backend benchmarks and their budgets, a plugin of scripts/bench.py, on a
SoftHSM2 token made for the run:

- RSA-2048 sign (SHA256_RSA_PKCS, KMU -m 1) through `hsmshell --json --yes run FILE` as a ratio
  to a bare python-pkcs11 sign loop on the same key of the same token: at least 0.7;
- AES-256 token-key generation (genSymKey -t 31 -s 32) through the shell as a ratio to bare
  python-pkcs11 generate_key(store=True) on the same token: at least 0.7.

Both sides run in this process (SoftHSM2 is a library: its work is this process's CPU time too),
in turns, several times; the ratio is the median of the turns, on CPU time (the wall-clock
ratio, which on a shared machine also measures the neighbours, is in the notes). The shell's
side includes everything `run FILE` does per command: parse, policy, audit record, the
signature file; the bare loop signs the same data and keeps the signature in memory.

    .venv/bin/python scripts/bench_pkcs11.py [--quick]     (or through scripts/bench.py)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 0.7
PIN = "benchpin1"
MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
SIGN_NAME = "pkcs11: RSA-2048 sign via `run FILE` / bare python-pkcs11"
GEN_NAME = "pkcs11: AES-256 token keygen via `run FILE` / bare python-pkcs11"


def row(name, value, unit, budget, ok, **extra) -> dict:
    return {"name": name, "value": value, "unit": unit, "budget": budget, "ok": ok, **extra}


def shell_batch(home: Path, path: Path, lines: list[str], token: dict) -> tuple[float, float]:
    from hsmshell.cli import main
    path.write_text("\n".join(lines) + "\n")
    argv = ["--home", str(home), "--backend", "pkcs11", "--pkcs11-module", token["module"],
            "--token", "bench", "--json", "--yes", "run", str(path)]
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        cpu, wall = time.process_time(), time.perf_counter()
        status = main(argv)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if status != 0:
        raise RuntimeError(f"the batch {path.name} failed with exit {status}")
    return cpu, wall


def bare(token: dict, work) -> tuple[float, float]:
    """(CPU, wall) seconds of a bare python-pkcs11 session: load, log in, `work(session)`."""
    import pkcs11
    cpu, wall = time.process_time(), time.perf_counter()
    library = pkcs11.lib(token["module"])
    with library.get_token(token_label="bench").open(rw=True, user_pin=PIN) as session:
        work(session)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    library.finalize()               # as the shell does at its end: the next side starts afresh
    return cpu, wall


def make_token(work: Path) -> dict:
    module = next((m for m in MODULES if Path(m).is_file()), None)
    if module is None or shutil.which("softhsm2-util") is None:
        raise LookupError("SoftHSM2 is not installed (apt-get install softhsm2)")
    (work / "tokens").mkdir()
    conf = work / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {work / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench", "--pin", PIN,
                    "--so-pin", PIN], check=True, capture_output=True)
    os.environ["BENCH_PKCS11_PIN"] = PIN
    return {"module": module}


def ratio_row(name: str, turns: list[tuple], count: int, unit: str) -> dict:
    cpu = statistics.median(b[0] / s[0] for s, b in turns)
    wall = statistics.median(b[1] / s[1] for s, b in turns)
    shell_rate = statistics.median(count / s[0] for s, _ in turns)
    bare_rate = statistics.median(count / b[0] for _, b in turns)
    return row(name, round(shell_rate), unit, f">= {BUDGET:g}x bare", cpu >= BUDGET,
               baseline=round(bare_rate), ratio=round(cpu, 2),
               note=f"median of {len(turns)} turns, CPU time; by the wall clock {wall:.2f}x")


def run(quick: bool) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    saved = os.environ.get("SOFTHSM2_CONF")
    try:
        with tempfile.TemporaryDirectory(prefix="hsmshell-bench-pkcs11-") as scratch:
            work = Path(scratch)
            try:
                token = make_token(work)
            except LookupError as missing:
                return [row(n, None, "", f">= {BUDGET:g}x bare", False, error=str(missing))
                        for n in (SIGN_NAME, GEN_NAME)]
            return _measure(work, token, quick)
    finally:
        if saved is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = saved


def _measure(work: Path, token: dict, quick: bool) -> list[dict]:
    from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

    home = work / "home"
    login = "loginHSM CU bench @env:BENCH_PKCS11_PIN"
    shell_batch(home, work / "setup.hsm", [login, "genRSAKeyPair -m 2048 -e 65537 -l bench-rsa"], token)
    data = work / "data.bin"
    data.write_bytes(os.urandom(1024))
    signs, keys, rounds = (200, 50, 3) if quick else (1000, 200, 5)
    sign_lines = [login] + [f"sign -f {data} -k 2 -m 1 -out {work / 'sig.bin'}"] * signs
    payload = data.read_bytes()

    def sign_loop(session):
        key = session.get_key(ObjectClass.PRIVATE_KEY, label="bench-rsa")
        for _ in range(signs):
            key.sign(payload, mechanism=Mechanism.SHA256_RSA_PKCS)

    counter = iter(range(10**9))

    def gen_loop(session):
        for _ in range(keys):
            n = next(counter)
            session.generate_key(KeyType.AES, 256, label=f"bare{n}", id=os.urandom(8), store=True,
                                 template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: True})

    sign_turns, gen_turns = [], []
    for turn in range(rounds):
        sign_turns.append((shell_batch(home, work / "sign.hsm", sign_lines, token), bare(token, sign_loop)))
        gen_lines = [login] + [f"genSymKey -t 31 -s 32 -l shell{turn}-{i}" for i in range(keys)]
        gen_turns.append((shell_batch(home, work / "gen.hsm", gen_lines, token), bare(token, gen_loop)))
    return [ratio_row(SIGN_NAME, sign_turns, signs, "signatures/s"),
            ratio_row(GEN_NAME, gen_turns, keys, "keys/s")]


if __name__ == "__main__":
    for r in run("--quick" in sys.argv):
        print(r)
