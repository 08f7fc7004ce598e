"""The prompt text and the bottom toolbar: cluster, HSMs reachable/total, login."""

from __future__ import annotations

import re

from prompt_toolkit.formatted_text import HTML
from prompt_toolkit.formatted_text.html import html_escape as escape


def prompt_text(shell):
    p = shell.backend.principal
    who = f"{p.name}({p.user_type})" if p else "not logged in"
    server = shell.backend.server_mode      # CMU server mode: server0>
    where = f":<ansiyellow>server{server}</ansiyellow>" if server is not None else ""
    return HTML(f"<b>{shell.env.cluster}</b>:<ansigreen>{who}</ansigreen>{where}&gt; ")


def toolbar_text(shell, width: int | None = None):
    """Laid out for the terminal's width: what matters first (cluster, HSMs, login, pending
    tokens); the state and the key hints go when they do not fit, so nothing is cut mid-word."""
    summary = shell.backend.summary()
    p = shell.backend.principal
    who = escape(p.label if p else "not logged in")
    hsms = f"HSMs <b>{summary['hsms_reachable']}/{summary['hsms_total']}</b>"
    cluster = f"cluster <b>{escape(summary['cluster'])}</b>"
    tokens = quorum_text(shell).strip(" ·")
    width = width or _columns()
    layouts = [
        [f"{cluster} ({summary['state']})", f"{hsms} reachable", who, tokens, "Tab completes", "Ctrl-D quits"],
        [f"{cluster} ({summary['state']})", f"{hsms} reachable", who, tokens],
        [cluster, hsms, who, tokens],
        [cluster, hsms, who, _compact(tokens)],
    ]
    for parts in layouts:
        text = " " + " · ".join(part for part in parts if part)
        if len(_plain(text)) < width:
            return HTML(text)
    return HTML(text)


def _columns() -> int:
    from prompt_toolkit.application import get_app_or_none
    app = get_app_or_none()
    if app is None:                      # no running application: nothing to fit
        return 1000
    return app.output.get_size().columns


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _compact(tokens: str) -> str:
    """`token 3 USER_MGMT key 5 1/2 9:41 left` -> `token 3 1/2 9:41`."""
    return re.sub(r"token (\d+) \S+(?: key \d+)? (\S+) (\d+:\d+) left", r"token \1 \2 \3", tokens)


def quorum_text(shell) -> str:
    """This session's pending quorum tokens: `· token 3 USER_MGMT 1/2 9:41 left `."""
    pending = shell.backend.pending_tokens()
    parts = []
    for t in pending:
        key = f" key {t['key_handle']}" if t["key_handle"] else ""
        minutes, seconds = divmod(t["seconds_left"], 60)
        count = f"{t['approvals']}/{t['required']}"
        if t["approved"]:
            count = f"<ansigreen>{count}</ansigreen>"
        parts.append(f"token {t['token_id']} {t['service_name']}{key} {count} "
                     f"{minutes}:{seconds:02d} left")
    return "· " + ", ".join(parts) + " " if parts else ""
