"""Long output on a terminal goes through a pager, as pgcli does: $PAGER (default `less -FRX`,
which also quits at once when the text fits), never in a pipe, never with --no-pager or
`pager = false` in the config file, nor on TERM=dumb; PAGER=cat (or empty) turns it off too."""

from __future__ import annotations

import shlex
import subprocess

DEFAULT_PAGER = "less -FRX"


def wants_pager(env) -> bool:
    """Only a real terminal (not TERM=dumb: an editor's shell buffer cannot run a pager)."""
    return (env.pager and env.output == "rich" and env.stdout_is_terminal
            and env.environ.get("TERM", "dumb") != "dumb")


def show_text(env, text: str, height: int) -> None:
    """Write `text`, through the pager when it is taller than the terminal."""
    command = env.environ.get("PAGER", DEFAULT_PAGER).strip()
    if text.count("\n") < max(height - 1, 1) or command in ("", "cat"):
        env.stdout.write(text)
        return
    env.stdout.flush()
    try:
        subprocess.run(shlex.split(command), input=text, text=True, check=False,
                       env={**env.environ, "LESS": env.environ.get("LESS", "FRX")})
    except (OSError, ValueError):             # no such pager: print it all instead
        env.stdout.write(text)
