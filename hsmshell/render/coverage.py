"""One table for what every HSM lists (users, keys, tokens), with a per-HSM coverage column,
in place of one identical table per HSM (208 users on 3 HSMs were 650 lines). A row every
reachable HSM has says `all`; a row only some have (or a value that differs between HSMs,
such as one HSM's login failure count) names its servers, so differences stand out. The
idea of CloudHSM CLI's cluster-coverage."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from hsmshell.render.classic import server_label
from hsmshell.render.fast_table import FAST_ROWS, grid_lines


def print_coverage(console, result, title: str, columns, rows_of) -> None:
    """columns: (name, justify) pairs; rows_of(status) -> the rows (tuples of markup cells)
    of one HSM's listing, in its order."""
    answered = []
    for status in result.servers:
        if status.error is not None:
            console.print(f"[red]{escape(title)} on {escape(server_label(status))} · {status.hsm}: "
                          f"{escape(status.error.message)}[/]")
        else:
            answered.append(status)
    if not answered:
        return
    seen: dict[tuple, list[int]] = {}
    for status in answered:
        for row in rows_of(status):
            seen.setdefault(tuple(row), []).append(status.server)
    every = [s.server for s in answered]
    agree = all(servers == every for servers in seen.values())
    if len(every) == 1:
        heading = f"{title} on {server_label(answered[0])} · {answered[0].hsm}"
    else:
        heading = f"{title} · " + (f"the same on {_names(every)}" if agree else _names(every))
    columns = [*columns, ("HSMs", "left")]
    rows = [(*row, "all" if servers == every else f"[yellow]{_names(servers)} only[/]")
            for row, servers in seen.items()]
    # a long listing on a terminal without building a rich Table (the same bytes: fast_table.py)
    listing = grid_lines(console, heading, columns, rows) if len(rows) >= FAST_ROWS and getattr(console, "one_pass_tables", False) else None
    if listing is not None:
        console.print(listing, crop=False)
    else:
        table = Table(title=heading, title_justify="left")
        for name, justify in columns:
            table.add_column(name, justify=justify)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    if not agree:
        console.print(f"[yellow]The HSMs differ: rows marked 'only' are not on every HSM "
                      f"(`hsmshell cluster diff` shows the syncs that fix it).[/]")


def _names(servers: list[int]) -> str:
    return ("server " if len(servers) == 1 else "servers ") + ", ".join(map(str, servers))
