"""The prompt text and the bottom toolbar: cluster, HSMs reachable/total, login."""

from __future__ import annotations

from prompt_toolkit.formatted_text import HTML


def prompt_text(shell):
    p = shell.backend.principal
    who = f"{p.name}({p.user_type})" if p else "not logged in"
    server = shell.backend.server_mode      # CMU server mode: server0>
    where = f":<ansiyellow>server{server}</ansiyellow>" if server is not None else ""
    return HTML(f"<b>{shell.env.cluster}</b>:<ansigreen>{who}</ansigreen>{where}&gt; ")


def toolbar_text(shell):
    summary = shell.backend.summary()
    p = shell.backend.principal
    who = p.label if p else "not logged in"
    return HTML(f" cluster <b>{summary['cluster']}</b> ({summary['state']}) · HSMs "
                f"<b>{summary['hsms_reachable']}/{summary['hsms_total']}</b> reachable · {who} "
                f"{quorum_text(shell)}· Tab completes · Ctrl-D quits")


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
