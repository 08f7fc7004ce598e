"""What a user meets, for scripts/bench.py: the installed `hsmshell` console script of the plain
venv, run as a subprocess, timed by the wall clock from spawn to exit (start-up included),
interleaved with its baseline, medians.

* one-shot `hsmshell --json -c listUsers` vs that venv's `python -c pass`: <= 4x, with the
  warm-start process the first command started (docs/performance.md); the cold first command
  is reported too, without a budget;
* `hsmshell --json --yes run FILE`, 2,000 x `genSymKey -t 31 -s 32`, audit on: >= 5,000/s;
  the same with the default output, stdout a pipe: >= 3,000/s;
* 1,000 x RSA-2048 `sign -m 1` (SHA256_RSA_PKCS) of 1 KB through `--json run FILE` vs a bare
  `cryptography` loop signing the same data with the same key, also a whole process: >= 0.8.

Every batch run starts from a fresh copy of one prepared state dir, so each measures the same
cluster (keys do not pile up from run to run).
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from pathlib import Path

from bench_venv import Context, must, row, run_timed

STARTUP_BUDGET = 4.0
GEN_JSON_BUDGET, GEN_DEFAULT_BUDGET = 5000.0, 3000.0
SIGN_BUDGET = 0.8
PASSWORDS = {"BENCH_ADMIN_PW": "officer1pw", "BENCH_CU_PW": "benchpw1"}
LOGIN = "loginHSM CU bench @env:BENCH_CU_PW"
HEAVY_MODULES = ("rich", "prompt_toolkit", "keyring", "pexpect")

BARE_SIGN = """
import sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
data = open(sys.argv[2], "rb").read()
for _ in range(int(sys.argv[3])):
    key.sign(data, padding.PKCS1v15(), hashes.SHA256())
"""


def prepare(ctx: Context, home: Path) -> None:
    """An activated cluster with a crypto user `bench`, made through the console script."""
    must(run_timed(ctx.hsmshell(home, "--json", "--yes", "-c",
                                "loginHSM PRECO admin password; changePswd PRECO admin @env:BENCH_ADMIN_PW; "
                                "createUser CU bench @env:BENCH_CU_PW"), ctx.env), "activating the cluster")


def fresh(template: Path, work: Path) -> Path:
    home = work / "run-home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(template, home)
    return home


def ensure_warm(ctx: Context, home: Path) -> None:
    """The first command a user runs starts the warm-start process; the bench measures the
    commands after it (the cold row measures the first). Waits until one answers, then
    checks that commands really run there (HSMSHELL_WARM_START=require has no fallback)."""
    must(run_timed(ctx.hsmshell(home, "--json", "-c", "listUsers"), ctx.env), "the first one-shot")
    deadline = time.monotonic() + 60
    require = {**ctx.env, "HSMSHELL_WARM_START": "require"}
    while run_timed(ctx.hsmshell(home, "--json", "-c", "listUsers"), require).status != 0:
        if time.monotonic() > deadline:
            raise RuntimeError("no warm-start process answered within 60 s")
        time.sleep(0.2)


def bench_startup(ctx: Context, home: Path) -> list[dict]:
    ensure_warm(ctx, home)
    one_shot = ctx.hsmshell(home, "--json", "-c", "listUsers")
    baseline = [str(ctx.venv.python), "-c", "pass"]
    cold_env = {**ctx.env, "HSMSHELL_WARM_START": "off"}
    for _ in range(2):                  # page cache and byte-code warm: not measured
        must(run_timed(one_shot, ctx.env), "the one-shot")
        run_timed(baseline, ctx.env)
    shell, python, cold = [], [], []
    for _ in range(ctx.size(21, 9, 2)):     # interleaved, so load from elsewhere hits all alike
        python.append(run_timed(baseline, ctx.env))
        shell.append(must(run_timed(one_shot, ctx.env), "the one-shot"))
        cold.append(must(run_timed(one_shot, cold_env), "the cold one-shot"))
    python_ms = statistics.median(t.wall for t in python) * 1000
    rows = []
    for times, name, budget in ((shell, "one-shot: hsmshell --json -c listUsers (warm start)", STARTUP_BUDGET),
                                (cold, "one-shot, cold (first command; HSMSHELL_WARM_START=off)", None)):
        shell_ms = statistics.median(t.wall for t in times) * 1000
        ratio = shell_ms / python_ms
        rows.append(row(name, round(shell_ms, 1), "ms", f"<= {budget:g}x" if budget else None,
                        ratio <= budget if budget else True, baseline=round(python_ms, 1), ratio=round(ratio, 2),
                        note=f"baseline: python -c pass; min {min(t.wall for t in times) * 1000:.0f} vs "
                        f"{min(t.wall for t in python) * 1000:.0f} ms" + (
                            "" if budget else "; no budget: what the first command after 10 idle minutes meets")))
    return rows + [heavy_imports_row(ctx, home)]


def heavy_imports_row(ctx: Context, home: Path) -> dict:
    """rich, prompt_toolkit, keyring and pexpect must not be imported by a --json one-shot."""
    probe = ("import sys\nfrom hsmshell.cli import main\n"
             f"main(['--home', {str(home)!r}, '--json', '-c', 'listUsers'])\n"
             f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules), file=sys.stderr)")
    probe += "\nimport hsmshell\nprint(hsmshell.__file__, file=sys.stderr)"
    done = must(run_timed([str(ctx.venv.python), "-c", probe], ctx.env), "the import probe")
    *_, loaded, imported_from = [""] + done.err.decode().strip().splitlines()
    if ctx.venv.plain and not imported_from.startswith(str(ctx.venv.python.parent.parent)):
        raise RuntimeError(f"the probe imported hsmshell from {imported_from}, not from the bench venv")
    return row("one-shot: heavy modules imported by --json", loaded or "none", "",
               "none of " + "/".join(HEAVY_MODULES), not loaded)


def bench_batches(ctx: Context, template: Path) -> list[dict]:
    count = ctx.size(2000, 2000, 20)
    batch = ctx.work / "gen.hsm"
    batch.write_text("\n".join([LOGIN] + [f"genSymKey -t 31 -s 32 -l bench-{n}" for n in range(count)]) + "\n")
    commands = count + 1
    runs = {"json": [], "default": []}
    for _ in range(ctx.size(5, 3, 1)):        # the two outputs take turns
        for output, flags in (("json", ["--json"]), ("default", [])):
            home = fresh(template, ctx.work)
            runs[output].append(must(run_timed(ctx.hsmshell(home, *flags, "--yes", "run", str(batch)), ctx.env),
                                     f"the {output} batch"))
    cold = {output: must(run_timed(ctx.hsmshell(fresh(template, ctx.work), *flags, "--yes", "run", str(batch)),
                                   {**ctx.env, "HSMSHELL_WARM_START": "off"}), f"the cold {output} batch")
            for output, flags in (("json", ["--json"]), ("default", []))}
    rows = []
    for output, budget, label in (("json", GEN_JSON_BUDGET, "--json"), ("default", GEN_DEFAULT_BUDGET, "default output")):
        rate = commands / statistics.median(t.wall for t in runs[output])
        rows.append(row(f"batch: genSymKey AES-256 x{count} via run FILE, {label}, stdout a pipe", round(rate),
                        "commands/s", f">= {budget:g}", rate >= budget, ratio=round(rate / budget, 2),
                        note=f"whole process incl. start-up, warm start; cold (one run) "
                        f"{round(commands / cold[output].wall)}/s"))
    return rows


def bench_sign(ctx: Context, template: Path) -> list[dict]:
    setup = fresh(template, ctx.work)
    made = must(run_timed(ctx.hsmshell(setup, "--json", "--yes", "-c",
                                       f"{LOGIN}; genRSAKeyPair -m 2048 -e 65537 -l bench-rsa; "
                                       "genSymKey -t 31 -s 32 -l bench-wrap"), ctx.env), "making the RSA key")
    import json
    results = [json.loads(line)["data"] for line in made.out.splitlines() if line.strip()]
    private, wrap = results[1]["private_key_handle"], results[2]["key_handle"]
    pem = ctx.work / "bench-key.pem"
    must(run_timed(ctx.hsmshell(setup, "--json", "--yes", "-c",
                                f"{LOGIN}; exportPrivateKey -k {private} -w {wrap} -out {pem}"), ctx.env),
         "exporting the RSA key for the bare loop")
    data = ctx.work / "data"
    data.write_bytes(os.urandom(1024))
    count = ctx.size(1000, 1000, 10)
    batch = ctx.work / "sign.hsm"
    batch.write_text("\n".join([LOGIN] + [f"sign -f {data} -k {private} -m 1 -out {ctx.work / 'sig'}"] * count) + "\n")
    bare_argv = [str(ctx.venv.python), "-c", BARE_SIGN, str(pem), str(data), str(count)]
    shell, bare = [], []
    for _ in range(ctx.size(5, 3, 1)):
        bare.append(must(run_timed(bare_argv, ctx.env), "the bare sign loop"))
        home = fresh(setup, ctx.work / "sign")
        shell.append(must(run_timed(ctx.hsmshell(home, "--json", "--yes", "run", str(batch)), ctx.env), "the sign batch"))
    cold = must(run_timed(ctx.hsmshell(fresh(setup, ctx.work / "sign"), "--json", "--yes", "run", str(batch)),
                          {**ctx.env, "HSMSHELL_WARM_START": "off"}), "the cold sign batch")
    shell_rate = count / statistics.median(t.wall for t in shell)
    bare_rate = count / statistics.median(t.wall for t in bare)
    ratio = shell_rate / bare_rate
    pem.unlink()
    return [row(f"sign: RSA-2048 SHA256_RSA_PKCS x{count} via --json run FILE", round(shell_rate), "signs/s",
                f">= {SIGN_BUDGET:g}x", ratio >= SIGN_BUDGET, baseline=round(bare_rate), ratio=round(ratio, 2),
                note=f"baseline: bare cryptography loop, whole process too; warm start; cold (one run) "
                f"{count / cold.wall / bare_rate:.2f}x")]


def run(ctx: Context) -> list[dict]:
    ctx.env = {**ctx.env, **PASSWORDS}
    template = ctx.work / "template"
    prepare(ctx, template)
    (ctx.work / "sign").mkdir()
    return bench_startup(ctx, template) + bench_batches(ctx, template) + bench_sign(ctx, template)
