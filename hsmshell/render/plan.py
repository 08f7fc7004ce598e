"""The plan of `run --dry-run`: a rich table, plain lines (classic), or one JSON object per
line with a `plan` field; the summary goes to stderr."""

from __future__ import annotations

from hsmshell import jsontext

LABELS = {"would-run": "would run", "denied": "denied", "needs-quorum": "needs quorum",
          "would-fail": "would fail"}
STYLES = {"would-run": "green", "denied": "red", "needs-quorum": "yellow", "would-fail": "red"}


def row_label(row) -> str:
    label = LABELS[row.plan]
    return f"{label} ({row.reason})" if row.reason else label


def render_plan(env, renderer, plan, continue_on_error: bool) -> None:
    if env.output == "json":
        for row in plan.rows:
            env.stdout.write(jsontext.line(row.to_dict()) + "\n")
    elif env.output == "rich" and hasattr(renderer, "console"):
        _rich_table(renderer, plan)
    else:
        for row in plan.rows:
            env.stdout.write(f"{row.source}  {row.text}  {row_label(row)}"
                             f"{'  (not reached)' if row.after_stop else ''}\n")
    renderer.note(summary_line(plan, continue_on_error))


def summary_line(plan, continue_on_error: bool) -> str:
    counts = plan.counts()
    text = "dry run: " + ", ".join(f"{n} {LABELS[kind]}" for kind, n in counts.items())
    if plan.stop_at and not continue_on_error:
        text += f"; the real run would stop at {plan.stop_at}"
    return text + "; nothing was changed"


def _rich_table(renderer, plan) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Dry-run plan", title_justify="left")
    for column in ("line", "command", "plan"):
        table.add_column(column)
    for row in plan.rows:
        label = escape(row_label(row))
        if row.after_stop:
            label += " [dim](not reached: the run stops earlier)[/]"
        table.add_row(escape(row.source), escape(row.text), f"[{STYLES[row.plan]}]{label}[/]",
                      style="dim" if row.after_stop else "")
    renderer.console.print(table)
