"""Showing the Result of an `hsmshell <subcommand>` with the renderer of --output, as the
shell shows a command's (source "hsmshell")."""

from __future__ import annotations

from hsmshell.status import ExitStatus


def show(env, result) -> ExitStatus:
    from hsmshell.render import make_renderer
    make_renderer(env).result(result, "hsmshell")
    return ExitStatus(result.error.status) if result.error is not None else ExitStatus.SUCCESS
