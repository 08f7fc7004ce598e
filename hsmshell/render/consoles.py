"""The rich consoles: on a terminal, its real width; into a pipe or file, never wrapped nor
truncated, and tables as plain lines, one per record.

rich sizes a console that is not a terminal at 80 columns, which wrapped summaries, cut ids
(`cluster-v245…`) and folded `audit show | less` one letter per column. Into a pipe a table
becomes an optional `# title` line, a header line and one line per row, columns aligned with
spaces and no borders; a cell's line breaks become `; `, so every record stays on one line.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table

PIPE_WIDTH = 1_000_000           # "unlimited": nothing printed into a pipe wraps
# the units of a usage line a terminal must not split: `[-id <key-id>]`, `-t <16|21|31>`
_UNITS = re.compile(r"\[[^\]]*\]|-\S+ <[^>]*>|\S+")


def fit(text: str, width: int, indent: str = "") -> str:
    """`text` wrapped at `width` between its units (a word, a bracketed group, a `-flag
    <value>` pair), later lines indented: a usage hint never breaks inside an option. Lines
    that fit are kept as they are."""
    return "\n".join(_fit_line(line, width, indent) for line in text.split("\n"))


def _fit_line(text: str, width: int, indent: str) -> str:
    if len(text) <= width:
        return text
    lead = text[:len(text) - len(text.lstrip())]
    lines, line = [], ""
    for unit in _UNITS.findall(text):
        candidate = f"{line} {unit}" if line else lead + unit
        if line and len(candidate) > width:
            lines.append(line)
            candidate = indent + unit
        line = candidate
    lines.append(line)
    return "\n".join(lines)


def make_console(env, stream, is_terminal: bool) -> Console:
    common = dict(no_color=not env.color, highlight=False, emoji=False,
                  force_terminal=None if env.color else False)
    if is_terminal:
        return TerminalConsole(file=stream, **common)
    return PipeConsole(file=stream, width=PIPE_WIDTH, **common)


class TerminalConsole(Console):
    one_pass_tables = True      # long listings skip rich's Table (render/fast_table.py)

    def print(self, *objects, **options) -> None:
        # a long listing (listUsers on 3 x 1,024 users) in one pass, the same bytes rich prints
        if len(objects) == 1 and isinstance(objects[0], Table) and not options:
            from hsmshell.render.fast_table import fast_lines
            fast = fast_lines(self, objects[0])
            if fast is not None:
                return super().print(fast, crop=False)
        return super().print(*objects, **options)


class PipeConsole(Console):
    def print(self, *objects, **options) -> None:
        if not any(isinstance(o, Table) for o in objects):
            options.setdefault("soft_wrap", True)
            return super().print(*objects, **options)
        for item in objects:
            if isinstance(item, Table):
                self._plain_table(item)
            else:
                super().print(item, soft_wrap=True)

    def _plain_table(self, table: Table) -> None:
        if table.title:
            super().print(f"# {table.title}", soft_wrap=True)
        table.title = None
        table.caption = None
        table.box = None
        table.show_edge = False
        table.pad_edge = False
        table.expand = False
        for column in table.columns:
            column.no_wrap = True
            column.overflow = "ignore"
            column._cells = [_one_line(cell) for cell in column._cells]
        with self.capture() as captured:
            super().print(table)
        for line in captured.get().splitlines():
            self.file.write(line.rstrip() + "\n")


def _one_line(cell):
    if isinstance(cell, str) and "\n" in cell:
        return "; ".join(part.strip() for part in cell.splitlines() if part.strip())
    plain = getattr(cell, "plain", None)
    if plain is not None and "\n" in plain:
        from rich.text import Text
        return Text("; ".join(part.strip() for part in plain.splitlines() if part.strip()))
    return cell
