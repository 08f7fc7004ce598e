#!/usr/bin/env python3
"""The cost of the pexpect path, a plugin of scripts/bench.py: the same commands through the
in-process emulator backend and through `--backend cloudhsm` driving `hsmshell emulate
cmu|kmu` in pseudo-terminals (each with its own state dir), per command, medians.

The overhead is the difference: the terminal round trip, hsmshell's parsing of the tool's
text, and the tool's own pipeline (the emulated tool audits each command too). genSymKey
through the tools also asks KMU for the new key's KCV (getAttribute), as the Result needs it.
In-process on the shell side (the working tree's shell object in this process).
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from pathlib import Path

from bench_venv import row

OVERHEAD_BUDGET_MS = 100.0          # per command, on top of the in-process emulator
SETUP = ("loginHSM PRECO admin password", "changePswd PRECO admin officer1pw",
         "createUser CU bench benchpw12", "logoutHSM")
LOGIN = "loginHSM CU bench benchpw12"


def open_shell(home: Path, backend: str = "emulator", environ: dict | None = None):
    from hsmshell.clusters import open_shell as open_
    from hsmshell.environment import Environment
    env = Environment(home=home, stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                      environ=environ or {}, output="json", assume_yes=True, interactive=False,
                      color=False, backend=backend)
    return open_(env)


def run_line(shell, line: str) -> None:
    outcome = shell.run(line, "bench")
    if outcome.status != 0:
        raise RuntimeError(f"{line} failed: {outcome.error and outcome.error.message}")


def per_command_ms(shell, line: str, count: int) -> float:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        run_line(shell, line)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(work: Path, count: int, python: str) -> dict[str, dict[str, float]]:
    tools = work / "tools-home"
    environ = {"HSMSHELL_CMU_COMMAND": f"{python} -m hsmshell emulate cmu --home {tools}",
               "HSMSHELL_KMU_COMMAND": f"{python} -m hsmshell emulate kmu --home {tools}"}
    timings: dict[str, dict[str, float]] = {}
    for backend, home in (("emulator", work / "emulator-home"), ("cloudhsm", work / "shell-home")):
        setup = open_shell(work / "emulator-home" if backend == "emulator" else tools)
        for line in SETUP:
            run_line(setup, line)
        setup.close()
        shell = open_shell(home, backend, environ)
        try:
            run_line(shell, LOGIN)
            timings[backend] = {line.split()[0]: per_command_ms(shell, line, count)
                                for line in ("listUsers", "genSymKey -t 31 -s 32 -l bench-aes")}
        finally:
            shell.close()
    return timings


def run(ctx) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="hsmshell-bench-cloudhsm-") as scratch:
        # the emulated tools run from the measured venv's install: bench.py works from a scratch
        # directory, where the interpreter running it may not find the source tree's package
        timings = measure(Path(scratch), ctx.size(40, 10, 2), str(ctx.venv.python))
    rows = []
    for command in ("listUsers", "genSymKey"):
        emulated, driven = timings["emulator"][command], timings["cloudhsm"][command]
        overhead = driven - emulated
        rows.append(row(f"cloudhsm backend (pexpect, emulated tools, in-process shell): {command} per command",
                        round(driven, 1), "ms", f"overhead <= {OVERHEAD_BUDGET_MS:g} ms",
                        overhead <= OVERHEAD_BUDGET_MS, baseline=round(emulated, 2),
                        ratio=round(driven / emulated, 1),
                        note=f"overhead {overhead:.1f} ms over the in-process emulator"))
    return rows

