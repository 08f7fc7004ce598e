"""pkcs11 backend rows of scripts/bench.py, on a SoftHSM2 token made for the run, measured as a
user meets them: the installed `hsmshell` console script as a process against a bare
python-pkcs11 program run by the same venv's python, also a whole process, in turns, medians.

- RSA-2048 sign (SHA256_RSA_PKCS, KMU -m 1) of 1 KB through `hsmshell --json --yes run FILE`
  vs a bare python-pkcs11 loop signing the same data with the same key: at least 0.7;
- AES-256 token-key generation (genSymKey -t 31 -s 32) through the shell vs bare
  python-pkcs11 generate_key(store=True): at least 0.7.

Both sides pay their start-up (interpreter, module load, C_Initialize, login), as a user's
batch does (the shell's command runs in a warm-start fork, whose CPU time the caller's
rusage does not count: no CPU ratio is reported).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
from pathlib import Path

from bench_venv import Context, must, row, run_timed

BUDGET = 0.7
PIN = "benchpin1"
MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
SIGN_NAME = "pkcs11: RSA-2048 sign x{n} via --json run FILE / bare python-pkcs11"
GEN_NAME = "pkcs11: AES-256 token keygen x{n} via --json run FILE / bare python-pkcs11"
LOGIN = "loginHSM CU bench @env:BENCH_PKCS11_PIN"

BARE = """
import os, sys
import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
what, module, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
library = pkcs11.lib(module)
with library.get_token(token_label="bench").open(rw=True, user_pin=os.environ["BENCH_PKCS11_PIN"]) as session:
    if what == "sign":
        data = open(sys.argv[4], "rb").read()
        key = session.get_key(ObjectClass.PRIVATE_KEY, label="bench-rsa")
        for _ in range(count):
            key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)
    else:
        for _ in range(count):
            session.generate_key(KeyType.AES, 256, label="bare", id=os.urandom(8), store=True,
                                 template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: True})
"""


def make_token(ctx: Context) -> str:
    module = next((m for m in MODULES if Path(m).is_file()), None)
    if module is None or shutil.which("softhsm2-util") is None:
        raise LookupError("SoftHSM2 is not installed (apt-get install softhsm2)")
    tokens = ctx.work / "tokens"
    tokens.mkdir()
    conf = ctx.work / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    ctx.env = {**ctx.env, "SOFTHSM2_CONF": str(conf), "BENCH_PKCS11_PIN": PIN}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench", "--pin", PIN,
                    "--so-pin", PIN], check=True, capture_output=True, env=ctx.env)
    return module


def ratio_row(name: str, count: int, unit: str, shell: list, bare: list) -> dict:
    shell_rate = count / statistics.median(t.wall for t in shell)
    bare_rate = count / statistics.median(t.wall for t in bare)
    ratio = shell_rate / bare_rate
    return row(name.format(n=count), round(shell_rate), unit, f">= {BUDGET:g}x", ratio >= BUDGET,
               baseline=round(bare_rate), ratio=round(ratio, 2),
               note="baseline: bare python-pkcs11, whole process too; warm start")


def run(ctx: Context) -> list[dict]:
    try:
        module = make_token(ctx)
    except LookupError as missing:
        return [row(name.format(n=0), None, "", f">= {BUDGET:g}x", False, error=str(missing))
                for name in (SIGN_NAME, GEN_NAME)]
    home = ctx.work / "home"

    def shell(*argv: str) -> list[str]:
        return ctx.hsmshell(home, "--backend", "pkcs11", "--pkcs11-module", module, "--token", "bench",
                            "--json", "--yes", *argv)

    made = must(run_timed(shell("-c", f"{LOGIN}; genRSAKeyPair -m 2048 -e 65537 -l bench-rsa"), ctx.env),
                "making the RSA key")
    private = json.loads(made.out.splitlines()[-1])["data"]["private_key_handle"]
    data = ctx.work / "data"
    data.write_bytes(os.urandom(1024))
    signs, keys, turns = ctx.size(1000, 400, 5), ctx.size(200, 100, 3), ctx.size(5, 3, 1)
    sign_batch, gen_batch = ctx.work / "sign.hsm", ctx.work / "gen.hsm"
    sign_batch.write_text("\n".join([LOGIN] + [f"sign -f {data} -k {private} -m 1 -out {ctx.work / 'sig'}"]
                                    * signs) + "\n")
    gen_batch.write_text("\n".join([LOGIN] + [f"genSymKey -t 31 -s 32 -l shell{i}" for i in range(keys)]) + "\n")
    bare = [str(ctx.venv.python), "-c", BARE]
    timed = {side: [] for side in ("shell-sign", "bare-sign", "shell-gen", "bare-gen")}
    for _ in range(turns):
        timed["bare-sign"].append(must(run_timed(bare + ["sign", module, str(signs), str(data)], ctx.env),
                                       "the bare sign loop"))
        timed["shell-sign"].append(must(run_timed(shell("run", str(sign_batch)), ctx.env), "the sign batch"))
        timed["bare-gen"].append(must(run_timed(bare + ["gen", module, str(keys)], ctx.env), "the bare keygen loop"))
        timed["shell-gen"].append(must(run_timed(shell("run", str(gen_batch)), ctx.env), "the keygen batch"))
    return [ratio_row(SIGN_NAME, signs, "signs/s", timed["shell-sign"], timed["bare-sign"]),
            ratio_row(GEN_NAME, keys, "keys/s", timed["shell-gen"], timed["bare-gen"])]
