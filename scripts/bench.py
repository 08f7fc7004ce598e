#!/usr/bin/env python3
"""hsmshell's performance budgets (docs/architecture.md), measured as a user meets them.

    .venv/bin/python scripts/bench.py [--quick] [--json] [--only NAME]

Builds (or reuses, cached by a hash of the tree under .bench-venv/) a plain venv with a
NON-editable install of this working tree, and times its installed `hsmshell` console script
as a subprocess against that same venv's `python -c pass` or a bare loop doing the same work,
interleaved, medians of several runs. Rows (each with its ratio, baseline and budget):

* bench_user:  one-shot start-up; batch AES generation (--json and default output into a
               pipe); RSA-2048 sign through `run FILE` vs a bare `cryptography` loop;
* bench_repl:  the real REPL in a pty: Enter to next prompt for listUsers and Tab completion
               of user names, 3 HSMs x 1,024 users;
* bench_audit: `audit verify` net of its start-up vs a bare verifier (chain, hashes, signatures); peak memory;
               replay rate (in-process);
* bench_keys, bench_cluster, bench_cloudhsm: in-process rows (profiling aids), scale rows;
* bench_pkcs11: RSA-2048 sign and AES-256 keygen on a SoftHSM2 token vs bare python-pkcs11.

A module provides `run(ctx: Context) -> list[dict]` (see bench_venv.py). The machine may be
shared: every figure is a median and every ratio is to a baseline measured in the same run.
Exits 0 either way: a missed budget is a finding, not a crash (`--smoke` is for the tests:
tiny sizes, one run, an existing interpreter allowed through --python).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))      # in-process rows and the big-log maker import hsmshell

from bench_venv import Context, child_environment, ensure_bench_venv, reuse_interpreter, row  # noqa: E402

MODULES = ("bench_user", "bench_repl", "bench_audit", "bench_keys", "bench_cluster", "bench_cloudhsm",
           "bench_pkcs11")


def module_rows(name: str, ctx: Context) -> list[dict]:
    try:
        return [{"source": name, **r} for r in importlib.import_module(name).run(ctx)]
    except Exception as exc:           # one broken module must not hide the other numbers
        return [row(f"{name} failed", None, "", None, False, source=name,
                    error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(limit=4))]


def render_table(rows: list[dict]) -> str:
    header = ("benchmark", "measured", "baseline", "ratio", "budget", "ok", "notes")
    table = [header]
    for r in rows:
        value = "-" if r.get("value") is None else f"{r['value']} {r.get('unit') or ''}".strip()
        baseline = "" if r.get("baseline") is None else f"{r['baseline']} {r.get('baseline_unit', r.get('unit')) or ''}".strip()
        ratio = "" if r.get("ratio") is None else f"{r['ratio']}x"
        verdict = "-" if r.get("budget") is None and r.get("ok") else "met" if r.get("ok") else "MISSED"
        table.append((str(r.get("name")), value, baseline, ratio, str(r.get("budget") or ""), verdict,
                      str(r.get("note") or "")))
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in rows:
        if r.get("error"):
            lines.append(f"! {r['name']}: {r['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, smaller logs (a rough figure, fast)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run: checks the machinery, not the speed")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument("--only", action="append", choices=MODULES, help="run only this module (repeatable)")
    parser.add_argument("--python", help="measure this interpreter's install instead of building the plain venv "
                        "(not the honest figures when it is an editable venv)")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    log = (lambda text: print(text, file=sys.stderr)) if options.json else print
    venv = reuse_interpreter(options.python) if options.python else ensure_bench_venv(log=log)
    rows: list[dict] = []
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="hsmshell-bench-") as scratch:
        work = Path(scratch)
        # `python -c` children put their working directory first on sys.path: from a source
        # checkout they would import its hsmshell, not the installed one
        os.chdir(work)
        try:
            ctx = Context(options.quick, options.smoke, venv, child_environment(venv, work / "pycache"), work)
            for name in options.only or MODULES:
                log(f"bench: {name} ...")
                (work / name).mkdir()
                ctx.work = work / name
                rows += module_rows(name, ctx)
        finally:
            os.chdir(here)
    summary = {"quick": options.quick, "smoke": options.smoke, "python": sys.version.split()[0],
               "cpus": os.cpu_count(), "load": os.getloadavg(), "venv": str(venv.python.parent.parent),
               "plain_venv": venv.plain, "seconds": round(time.perf_counter() - started, 1),
               "all_ok": all(r.get("ok") for r in rows), "rows": rows}
    if options.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(render_table(rows))
        print(f"\n{len(rows)} rows in {summary['seconds']} s on {summary['cpus']} CPUs, load "
              f"{' '.join(f'{x:.1f}' for x in summary['load'])} at the end (python {summary['python']}"
              f"{', quick' if options.quick else ''}{', smoke' if options.smoke else ''}"
              f"{'' if venv.plain else ', NOT a plain venv'}); figures are medians; "
              + ("all budgets met" if summary["all_ok"] else "some budgets MISSED"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
