"""The prompt text and the bottom toolbar: cluster, HSMs reachable/total, login."""

from __future__ import annotations

from prompt_toolkit.formatted_text import HTML
from prompt_toolkit.utils import get_cwidth  # noqa: F401  (kept for width-aware layouts)


def prompt_text(shell):
    p = shell.backend.principal
    who = f"{p.name}({p.user_type})" if p else "not logged in"
    return HTML(f"<b>{shell.env.cluster}</b>:<ansigreen>{who}</ansigreen>&gt; ")


def toolbar_text(shell):
    summary = shell.backend.summary()
    p = shell.backend.principal
    who = p.label if p else "not logged in"
    return HTML(f" cluster <b>{summary['cluster']}</b> ({summary['state']}) · HSMs "
                f"<b>{summary['hsms_reachable']}/{summary['hsms_total']}</b> reachable · {who} "
                f"· Tab completes · Ctrl-D quits")
