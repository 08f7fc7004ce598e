"""render: Results and errors to the screen (rich), JSON Lines, or classic CMU/KMU text.
Only this package (and cli.py) writes to the console."""

from __future__ import annotations


def make_renderer(env):
    if env.output == "json":
        from hsmshell.render.json_out import JsonRenderer
        return JsonRenderer(env)
    if env.output == "classic":
        from hsmshell.render.classic import ClassicRenderer
        return ClassicRenderer(env)
    from hsmshell.render.rich_out import RichRenderer
    return RichRenderer(env)
