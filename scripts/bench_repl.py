"""REPL responsiveness, for scripts/bench.py: the installed `hsmshell` of the plain venv in a
pseudo-terminal (140 x 60, xterm), driven by pexpect, on a cluster of 3 HSMs x 1,024 users
(made through the console script: `createUser` x 1,022 in one batch).

* Enter to next prompt for `listUsers`: from the Enter key to the next prompt drawn after the
  last user's row (what the person waits through, the terminal output included): < 50 ms;
* Tab completion of a user name (`deleteUser CU app_` Tab -> `app_user`, every user name of
  the cluster considered): from the Tab key to the completed text on the screen: < 50 ms.

Each figure is the median of several tries in one session (the first, warming caches, is not
counted).
"""

from __future__ import annotations

import statistics
import time

from bench_venv import Context, must, row, run_timed

BUDGET_MS = 50.0
PASSWORD = "officer1pw"
# the prompt once the officer is logged in; colour and cursor codes may sit between its parts
PROMPT = rb"admin\(PCO\)(?:\x1b\[[0-9;?]*[A-Za-z])*>"


def prepare(ctx: Context, users: int):
    home = ctx.work / "home"
    must(run_timed(ctx.hsmshell(home, "--json", "--yes", "-c",
                                f"loginHSM PRECO admin password; changePswd PRECO admin {PASSWORD}"), ctx.env),
         "activating the cluster")
    names = [f"user{n:04d}" for n in range(users - 2)]         # admin and app_user are there already
    batch = ctx.work / "users.hsm"
    batch.write_text("\n".join([f"loginHSM CO admin {PASSWORD}"] + [f"createUser CU {n} userpass1" for n in names]) + "\n")
    must(run_timed(ctx.hsmshell(home, "--json", "--yes", "run", str(batch)), ctx.env), "creating the users")
    return home, names[-1]


def spawn(ctx: Context, home):
    import pexpect
    env = {**ctx.env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    # --no-pager: the row times the shell from Enter to its next prompt, not a person paging
    # 3,072 rows through less (paging is on for a terminal by default)
    command = ctx.hsmshell(home, "--no-pager")
    child = pexpect.spawn(command[0], command[1:], env=env, dimensions=(60, 140), timeout=60,
                          searchwindowsize=4096, maxread=65536)
    child.delaybeforesend = None
    child.expect_exact(b"not logged in")
    child.send(f"loginHSM CO admin {PASSWORD}\r")
    child.expect(PROMPT)
    return child


def enter_to_prompt(child, last_user: str) -> float:
    start = time.perf_counter()
    child.send("listUsers\r")
    child.expect_exact(last_user.encode())       # the last row, then the next prompt
    child.expect(PROMPT)
    return time.perf_counter() - start


def tab_completion(child) -> float:
    child.send("deleteUser CU app_")
    child.expect_exact(b"app_")
    start = time.perf_counter()
    child.send("\t")
    child.expect_exact(b"user")                  # what Tab inserts (the echo above has no `user`)
    elapsed = time.perf_counter() - start
    child.send("\x01\x0b")                       # Ctrl-A Ctrl-K: the line emptied, the prompt kept
    drain(child)
    return elapsed


def drain(child, quiet: float = 0.2) -> None:
    """Read until the terminal has been quiet for `quiet` seconds (between tries, not timed)."""
    import pexpect
    while True:
        try:
            child.read_nonblocking(65536, timeout=quiet)
        except pexpect.TIMEOUT:
            return


def run(ctx: Context) -> list[dict]:
    users = ctx.size(1024, 1024, 70)   # smoke: still taller than the pty, as the listing a pager would take
    home, last_user = prepare(ctx, users)
    child = spawn(ctx, home)
    try:
        tries = ctx.size(15, 7, 2)
        enter = [enter_to_prompt(child, last_user) for _ in range(tries + 1)][1:]
        drain(child)
        tab = [tab_completion(child) for _ in range(tries + 1)][1:]
        child.send("quit\r")
        child.expect(__import__("pexpect").EOF)
    finally:
        child.close(force=True)
    rows = []
    for what, times in ((f"REPL: Enter to next prompt, listUsers, 3 HSMs x {users} users", enter),
                        (f"REPL: Tab completion of a user name, 3 HSMs x {users} users", tab)):
        ms = statistics.median(times) * 1000
        rows.append(row(what, round(ms, 1), "ms", f"< {BUDGET_MS:g} ms", ms < BUDGET_MS,
                        ratio=round(ms / BUDGET_MS, 2), note=f"{len(times)} tries, min {min(times) * 1000:.1f} ms"))
    return rows
