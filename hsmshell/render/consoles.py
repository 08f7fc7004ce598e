"""The rich consoles: on a terminal, its real width; into a pipe or file, never wrapped nor
truncated, and tables as plain lines, one per record.

rich sizes a console that is not a terminal at 80 columns, which wrapped summaries, cut ids
(`cluster-v245…`) and folded `audit show | less` one letter per column. Into a pipe a table
becomes an optional `# title` line, a header line and one line per row, columns aligned with
spaces and no borders; a cell's line breaks become `; `, so every record stays on one line.

Into a pipe a line of markup (`[green]✓[/] genSymKey success ...`) is written as its text
without rich: rich measures the console, builds a Text and renders segments for every print,
about 0.1 ms a line, most of a batch's time with the default output. `plain_text` gives
exactly what rich prints there (tests/unit/test_plain_output.py compares the two) and hands
anything unusual back to rich. While held (a batch group's results: pipeline.py), the
lines go out in one write.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import RE_TAGS
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


def plain_text(markup: str) -> str | None:
    """The text rich prints for `markup` on a console without colour or wrapping (tags
    dropped, escapes undone, as rich.markup.render parses them), or None where only rich can
    say: a control character or tab (rich strips or expands them), a tag rich might refuse
    (an explicit or unmatched close) or treat specially (`[@...]`), an unprintable character."""
    if "[" in markup:
        parts, position, depth = [], 0, 0
        for match in RE_TAGS.finditer(markup):
            full_text, escapes, tag = match.groups()
            start, end = match.span()
            if start > position:
                parts.append(markup[position:start].replace("\\[", "["))
            position = end
            if escapes:
                backslashes, escaped = divmod(len(escapes), 2)
                parts.append("\\" * backslashes)
                if escaped:                       # an escaped tag is text
                    parts.append(full_text[len(escapes):])
                    continue
            if tag == "/":
                if not depth:
                    return None                   # rich: nothing to close
                depth -= 1
            elif tag[0] in "/@":
                return None
            else:
                depth += 1
        parts.append(markup[position:].replace("\\[", "["))
        markup = "".join(parts)
    if not markup.isprintable() and not all(line.isprintable() for line in markup.split("\n")):
        return None
    return markup


class PipeConsole(Console):
    held: list[str] | None = None             # lines waiting for release()

    def hold(self) -> None:
        """Keep plain lines until release(), to write them at once (pipeline.py)."""
        if self.held is None:
            self.held = []

    def release(self, keep_holding: bool = False) -> None:
        """Write the held lines (before anything else goes out: order is kept)."""
        held = self.held
        self.held = [] if keep_holding and held is not None else None
        if held:
            self._write_plain("".join(held))

    def _write_plain(self, text: str) -> None:
        try:
            self.file.write(text)
            self.file.flush()
        except BrokenPipeError:
            self.on_broken_pipe()                 # as rich's own writes do

    def print(self, *objects, **options) -> None:
        if (len(objects) == 1 and type(objects[0]) is str and options.keys() <= {"soft_wrap"}
                and not self.record and not self._buffer_index and not self.quiet):
            text = plain_text(objects[0])
            if text is not None:
                if self.held is not None:
                    self.held.append(text + "\n")
                else:
                    self._write_plain(text + "\n")
                return
        if self.held:
            self.release(keep_holding=True)
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
