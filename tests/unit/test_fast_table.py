"""Long listings on a terminal skip rich's Table (render/fast_table.py): the bytes must be the
ones rich prints, colours and borders included, and anything the writer cannot reproduce must
go through rich. Every comparison here first checks that the one-pass writer really ran."""

from __future__ import annotations

import io
import random
from types import SimpleNamespace

import pytest
from rich.console import Console
from rich.table import Table

from hsmshell.backends.result import Result, ServerStatus
from hsmshell.render import fast_table
from hsmshell.render.consoles import make_console
from hsmshell.render.coverage import print_coverage


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def console_for(color: bool, width: int = 140, **extra) -> Console:
    stream = Tty()
    console = make_console(SimpleNamespace(color=color), stream, True)
    console.width = width
    for name, value in extra.items():
        setattr(console, name, value)
    return console


def by_rich(console, table: Table) -> str:
    """What rich itself prints for `table` on a console made like `console`."""
    twin = console_for(not console.no_color, console.width)
    twin._color_system = console._color_system
    Console.print(twin, table)                     # rich's own print, not the one-pass one
    return twin.file.getvalue()


def one_pass(console, table: Table) -> str:
    assert fast_table.fast_lines(console, table) is not None, "the one-pass writer declined the table"
    console.print(table)
    return console.file.getvalue()


def random_table(rng: random.Random, rows: int) -> Table:
    words = ["CU", "CO", "admin", "app_user", "NO", "YES", "0", "12345", "all", "ünïcode", "名前",
             "a b", "x" * 17, "user[1]", "path\\to", "-", ""]
    styles = ["red", "yellow", "bold", "green", "dim"]
    table = Table(title=rng.choice([None, "Users · the same on servers 0, 1, 2", "Keys", "t"]),
                  title_justify="left")
    columns = rng.randint(1, 6)
    for n in range(columns):
        table.add_column(rng.choice(["User Id", "Name", "LoginFailureCnt", "2FA", "HSMs", "k"]) + str(n),
                         justify=rng.choice(["left", "right", "center"]))
    from rich.markup import escape
    for _ in range(rows):
        cells = []
        for _ in range(columns):
            word = escape(rng.choice(words))
            if word and rng.random() < 0.1:
                word = f"[{rng.choice(styles)}]{word}[/]"
            cells.append(word)
        table.add_row(*cells)
    return table


@pytest.mark.parametrize("color", [True, False], ids=["colour", "no-colour"])
@pytest.mark.parametrize("seed", range(12))
def test_one_pass_tables_are_byte_for_byte_what_rich_prints(color, seed):
    rng = random.Random(seed)
    table = random_table(rng, rng.choice([fast_table.FAST_ROWS, 100, 300]))
    console = console_for(color)
    expected = by_rich(console, table)
    assert one_pass(console, table) == expected


@pytest.mark.parametrize("color_system", ["standard", "256", "truecolor"])
def test_every_colour_system_gets_the_same_escape_codes_as_from_rich(color_system):
    from rich.console import COLOR_SYSTEMS
    table = random_table(random.Random(7), 80)
    table.add_row(*(["[red]9 locked[/]"] + ["[yellow]servers 0, 1 only[/]"] * (len(table.columns) - 1)))
    console = console_for(True)
    console._color_system = COLOR_SYSTEMS[color_system]
    assert one_pass(console, table) == by_rich(console, table)


def users_result(count: int, differ: bool) -> Result:
    def users(server: int):
        listed = [{"user_id": n, "user_type": "CU", "user_name": f"user{n:04d}", "mofn_pub_key": n % 7 == 0,
                   "login_failure_count": 9 if n == 5 else 0, "two_fa": False} for n in range(1, count + 1)]
        if differ and server == 2:
            listed[3]["login_failure_count"] = 1
            listed.pop()
        return listed
    return Result("listUsers", "users", servers=[
        ServerStatus(s, f"hsm-{s}", f"10.0.{s}.1", "success", None, {"users": users(s)}) for s in range(3)])


@pytest.mark.parametrize("differ", [False, True], ids=["hsms-agree", "hsms-differ"])
@pytest.mark.parametrize("color", [True, False], ids=["colour", "no-colour"])
def test_list_users_on_a_terminal_is_unchanged(monkeypatch, color, differ):
    from hsmshell.render.rich_out import RichRenderer
    result = users_result(300, differ)

    def rendered(fast: bool) -> str:
        stream = Tty()
        env = SimpleNamespace(color=color, stdout=stream, stderr=Tty(), stdout_is_terminal=True,
                              stderr_is_terminal=True, pager=False, output="rich")
        renderer = RichRenderer.__new__(RichRenderer)
        renderer.env = env
        renderer.console = make_console(env, stream, True)
        renderer.console.width = 140
        if not fast:
            monkeypatch.setattr(fast_table, "FAST_ROWS", 10 ** 9)
            monkeypatch.setattr("hsmshell.render.coverage.FAST_ROWS", 10 ** 9)
        renderer._view_users(result)
        monkeypatch.undo()
        return stream.getvalue()

    calls = []
    real = fast_table.grid_lines
    monkeypatch.setattr("hsmshell.render.coverage.grid_lines", lambda *a, **k: calls.append(1) or real(*a, **k))
    fast = rendered(True)
    assert calls, "listUsers did not take the one-pass writer"
    assert fast == rendered(False)
    assert "user0300" in fast and ("locked" in fast) and (("only" in fast) == differ)


@pytest.mark.parametrize("change", ["too wide", "two lines", "edge spaces", "two styles", "expand",
                                    "lines", "column style", "no box", "control character", "row style",
                                    "end of section"])
def test_what_the_writer_cannot_reproduce_goes_through_rich(change):
    table = Table(title="Users", title_justify="left")
    table.add_column("Name")
    table.add_column("Count", justify="right")
    for n in range(100):
        table.add_row(f"user{n}", str(n))
    cell = {"too wide": "x" * 200, "two lines": "a\nb", "edge spaces": " a", "two styles": "[red]a[/] [blue]b[/]",
            "control character": "a\x1bb"}.get(change)
    if cell is not None:
        table.add_row(cell, "1")
    if change in ("row style", "end of section"):       # help's table dims the commands it refuses
        table.add_row("refused", "2", **({"style": "dim"} if change == "row style" else {"end_section": True}))
    if change == "expand":
        table.expand = True
    if change == "lines":
        table.show_lines = True
    if change == "column style":
        table.columns[0].style = "red"
    if change == "no box":
        table.box = None
    console = console_for(True, width=120)
    assert fast_table.fast_lines(console, table) is None
    console.print(table)
    assert console.file.getvalue() == by_rich(console, table)


def test_short_tables_are_left_to_rich():
    table = Table()
    table.add_column("a")
    for n in range(fast_table.FAST_ROWS - 1):
        table.add_row(str(n))
    assert fast_table.fast_lines(console_for(True), table) is None


def test_the_pager_captures_a_one_pass_table(monkeypatch):
    console = console_for(True)
    table = random_table(random.Random(3), 100)
    expected = by_rich(console, table)
    with console.capture() as captured:
        console.print(table)
    assert captured.get() == expected and console.file.getvalue() == ""


def test_print_coverage_on_a_plain_rich_console_keeps_rich():
    # a console hsmshell did not make (no one_pass_tables) always gets rich's Table
    console = Console(file=Tty(), width=140, force_terminal=True)
    print_coverage(console, users_result(100, False), "Users", (("User Id", "right"), ("User Name", "left")),
                   lambda status: ((str(u["user_id"]), u["user_name"]) for u in status.data["users"]))
    assert "user0100" in console.file.getvalue()


def test_a_no_color_console_with_a_colour_system_is_left_to_rich():
    console = console_for(True)
    console.no_color = True
    assert fast_table.fast_lines(console, random_table(random.Random(1), 100)) is None
