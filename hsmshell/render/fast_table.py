"""Long listings on a terminal in one pass: the same bytes rich's Table prints, without its cost.

rich measures, wraps and crops every cell of a table as a Text through several layers: 3,072
users (listUsers on 3 HSMs x 1,024) took about a second, 74 % of it there, while the person at
the REPL waited for the next prompt (docs/performance.md). `fast_lines` writes the tables
hsmshell builds (rich's defaults: heavy-headed box, one space of padding, a left-justified
title, bold header) with one width pass over the cell strings, rows joined column by column. It takes
only tables it can reproduce exactly, and answers None for any other one, so the caller prints
it through rich: every setting at rich's default, the table no wider than the console (no
shrinking or wrapping), cells one line each of printable text without edge spaces, and a cell's
markup at most one style over the whole cell. tests/unit/test_fast_table.py compares the two
outputs byte for byte, colours included.
"""

from __future__ import annotations

from rich import box as boxes
from rich.cells import cell_len
from rich.markup import render as render_markup
from rich.segment import Segment
from rich.style import Style
from rich.table import Table

FAST_ROWS = 64          # below this rich is quick enough, and prints the table itself

# Table and Column settings the writer reproduces (their defaults in rich); any other value
# sends the table through rich
_TABLE_DEFAULTS = {"box": boxes.HEAVY_HEAD, "padding": (0, 1, 0, 1), "collapse_padding": False,
                   "pad_edge": True, "expand": False, "show_header": True, "show_footer": False,
                   "show_edge": True, "show_lines": False, "leading": 0, "style": "none", "highlight": False,
                   "row_styles": [], "header_style": "table.header", "footer_style": "table.footer",
                   "border_style": None, "title_style": None, "caption": None, "width": None,
                   "min_width": None, "safe_box": None}
_COLUMN_DEFAULTS = {"style": "", "header_style": "", "footer": "", "overflow": "ellipsis",
                    "no_wrap": False, "width": None, "min_width": None, "max_width": None,
                    "ratio": None, "vertical": "top", "highlight": False}
_JUSTIFY = frozenset({"left", "right", "center"})


class FastTable:
    """Pre-rendered lines (escape codes included) that rich prints as they are."""

    def __init__(self, lines: list[str]):
        self.lines = lines

    def __rich_console__(self, console, options):
        yield Segment("\n".join(self.lines) + "\n")


def fast_lines(console, table: Table, min_rows: int = FAST_ROWS) -> FastTable | None:
    """The rich Table as rich would print it on `console`, or None when rich must print it."""
    if table.row_count < min_rows or not _plain_settings(console, table):
        return None
    columns = table.columns
    return grid_lines(console, table.title, [(c.header, c.justify) for c in columns],
                      zip(*(c._cells for c in columns)), table.title_justify)


def grid_lines(console, title, columns, rows, title_justify: str = "left") -> FastTable | None:
    """A table of rich's defaults as rich would print it on `console` (None: rich must print
    it): `columns` are (header, justify) pairs, `rows` tuples of markup cells."""
    if console.legacy_windows or getattr(console, "_highlight", True) or (console.no_color and console._color_system):
        return None         # (the last: rich strips colours but keeps bold; hsmshell never makes one)
    headers = [header for header, _ in columns]
    justify = [how for _, how in columns]
    if not all(isinstance(h, str) and _plain_text(h) for h in headers) or not _JUSTIFY.issuperset(justify):
        return None
    parsed: dict[str, tuple[str, int, str | None] | None] = {}   # cells repeat: "CU", "NO", "all"
    body = []
    for row in rows:
        cells = []
        for cell in row:
            one = parsed[cell] if cell in parsed else parsed.setdefault(cell, _cell(cell))
            if one is None:
                return None
            cells.append(one)
        body.append(cells)
    widths = [cell_len(h) + 2 for h in headers]
    for index, column in enumerate(zip(*body)):
        widths[index] = max(widths[index], max(width for _, width, _ in column) + 2)
    table_width = sum(widths) + len(widths) + 1
    if table_width > console.width:
        return None                                   # rich would shrink and wrap columns
    styled = _Styles(console)
    box = boxes.HEAVY_HEAD.substitute(console.options, safe=console.safe_box)
    lines = []
    if title:
        heading = _cell(title) if isinstance(title, str) else None
        if heading is None or heading[2] is not None or heading[1] > table_width or title_justify != "left":
            return None
        lines.append(styled("table.title", heading[0] + " " * (table_width - heading[1])))
    lines.append(box.get_top(widths))
    pad = styled("table.header", " ")
    lines.append(box.head_left + box.head_vertical.join(
        pad + styled("table.header", _justified(header, cell_len(header), None, width - 2, how, styled)) + pad
        for header, width, how in zip(headers, widths, justify)) + box.head_right)
    lines.append(box.get_row(widths, "head", edge=True))
    # column by column (one comprehension each), then the rows joined: the hot loop of 3,072 rows
    padded = [[_justified(text, width, style, room, how, styled) for text, width, style in column]
              for column, room, how in zip(zip(*body), [w - 2 for w in widths], justify)]
    left, middle, right = box.mid_left + " ", " " + box.mid_vertical + " ", " " + box.mid_right
    lines += [left + middle.join(cells) + right for cells in zip(*padded)]
    lines.append(box.get_bottom(widths))
    return FastTable(lines)


def _plain_settings(console, table: Table) -> bool:
    if any(getattr(table, name) != value for name, value in _TABLE_DEFAULTS.items()):
        return False
    if any(row.style or row.end_section for row in table.rows):     # (help dims rows it refuses)
        return False
    return all(getattr(column, name) == value for column in table.columns
               for name, value in _COLUMN_DEFAULTS.items())


def _plain_text(text: str) -> bool:
    return text.isprintable() and text == text.strip() and "[" not in text


def _cell(cell) -> tuple[str, int, str | None] | None:
    """(text, cell width, style or None) of a markup cell; None if rich must print it."""
    if not isinstance(cell, str):
        return None
    if "[" not in cell:                     # no markup: the text itself
        if not (cell.isprintable() and cell == cell.strip()):
            return None
        return cell, (len(cell) if cell.isascii() else cell_len(cell)), None
    text = render_markup(cell, emoji=False)
    plain = text.plain
    if not (plain.isprintable() and plain == plain.strip()) or len(text.spans) > 1 or text.style:
        return None
    if text.spans:
        span = text.spans[0]
        if span.start != 0 or span.end != len(plain) or not isinstance(span.style, str):
            return None
        return plain, cell_len(plain), span.style
    return plain, cell_len(plain), None


def _justified(text: str, width: int, style: str | None, room: int, how: str, styled) -> str:
    """A cell's text padded to `room` columns as rich's Text.justify does (spaces unstyled)."""
    if style is not None:
        text = styled(style, text)
    excess = room - width
    if how == "left":
        return text + " " * excess
    if how == "right":
        return " " * excess + text
    return " " * (excess // 2) + text + " " * (excess - excess // 2)


class _Styles:
    """Text in a named style, as the console writes it (its colour system's escape codes)."""

    def __init__(self, console):
        self.console = console
        self.cache: dict[str, Style] = {}

    def __call__(self, name: str, text: str) -> str:
        style = self.cache.get(name)
        if style is None:
            style = self.cache[name] = self.console.get_style(name)
        return style.render(text, color_system=self.console._color_system,
                            legacy_windows=self.console.legacy_windows)
