"""Rendering of `audit show`, `audit export` and `audit replay` reports."""

from __future__ import annotations

import json
from collections import deque
from itertools import islice
from typing import Iterable, Iterator

from hsmshell.model.words import plural
from hsmshell.render.report import envelope
from hsmshell.status import ExitStatus

LISTED_IN_TEXT = 20             # decision changes a terminal shows (JSON: up to 10,000)
ROWS_PER_TABLE = 500            # rich tables are built whole: print a long listing in parts
COLUMNS = ("seq", "time", "source", "who", "command", "decision", "outcome")


def record_row(record: dict) -> tuple[str, ...]:
    kind = record.get("kind")
    principal = record.get("principal") or {}
    who = f"{principal['user']} ({principal['type']})" if principal.get("user") else "-"
    stamp = str(record.get("time", ""))[:19].replace("T", " ")
    if kind == "genesis":
        what = f"cluster {record.get('cluster')} created ({plural(len(record.get('hsms', [])), 'HSM')})"
        return (str(record.get("seq")), stamp, "-", "-", what, "", "")
    if kind == "checkpoint":
        return (str(record.get("seq")), stamp, "-", "-",
                f"signed checkpoint over records 1..{record.get('covers_seq')}", "", "")
    if kind == "session_end":
        return (str(record.get("seq")), stamp, "-", who, "session ended (logged out)", "", "ok")
    decision = record.get("decision")
    if decision is None:
        verdict = ""
    elif decision.get("allowed"):
        verdict = "allowed"
    else:
        verdict = f"{decision.get('reference')}: {decision.get('rule')}"
    outcome = record.get("outcome") or {}
    result = "ok" if outcome.get("error_code") == 0 else f"error[{outcome.get('reference')}]"
    return (str(record.get("seq")), stamp, str(record.get("source") or ""), who,
            str(record.get("text") or record.get("command") or ""), verdict, result)


def render_show(env, records: Iterable[dict], last: int | None) -> None:
    if last is not None:
        records = deque(records, maxlen=max(last, 0))
    if env.output == "json":
        for record in records:
            env.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
        return
    if env.output != "rich":         # classic: tab-separated (a tab is in no field), "-" for none
        for record in records:
            env.stdout.write("\t".join(cell.replace("\t", " ") or "-" for cell in record_row(record)) + "\n")
        return
    from hsmshell.render.pager import show_text, wants_pager
    if wants_pager(env):                 # on a terminal, a long listing goes through $PAGER
        from hsmshell.render.consoles import make_console
        console = make_console(env, env.stdout, True)
        with console.capture() as captured:
            _rich_listing(env, iter(records), console)
        show_text(env, captured.get(), console.height)
        return
    _rich_listing(env, iter(records))


def _rich_listing(env, records: Iterator[dict], console=None) -> None:
    from rich.markup import escape
    from rich.table import Table

    from hsmshell.render.consoles import make_console
    console = console or make_console(env, env.stdout, env.stdout_is_terminal)
    shown = 0
    while True:
        part = list(islice(records, ROWS_PER_TABLE))
        if not part:
            break
        table = Table(title="Audit log" if shown == 0 else None, title_justify="left",
                      show_header=shown == 0 or env.stdout_is_terminal)   # a pipe: one header
        for column in COLUMNS:
            table.add_column(column, overflow="fold", no_wrap=column in ("seq", "time", "outcome"))
        for record in part:
            cells = record_row(record)
            style = "red" if cells[6].startswith("error[") else ""
            table.add_row(*(escape(c) for c in cells), style=style)
        console.print(table)
        shown += len(part)
    if shown == 0:
        console.print("no matching records")


def write_export(env, chunks: Iterable[str]) -> None:
    for chunk in chunks:
        env.stdout.write(chunk)


# -- replay ------------------------------------------------------------------------------------
def render_replay(env, report) -> None:
    if not report.verify.ok:
        from hsmshell.render.audit_report import render_verify
        render_verify(env, report.verify, "audit replay")
        return
    divergence = report.divergence
    if env.output == "json":
        error = None if divergence is None else {
            "reference": "audit-replay-divergence", "log": report.log,
            "message": f"record {divergence.seq} ({divergence.text}) replays differently: {divergence.what}",
            "hint": "the log does not reproduce on a fresh cluster; compare the two sides in data"}
        status = ExitStatus.SUCCESS if divergence is None else ExitStatus.AUDIT
        if error is None and report.changes_total:
            error = {"reference": "differences-found", "message": _changes_line(report), "hint": None}
            status = ExitStatus.DIFFERENCES
        env.stdout.write(envelope("audit replay", report.to_dict(), error, status) + "\n")
        return
    out = env.stdout.write
    out(f"{plural(report.records, 'record')} replayed, {plural(0 if divergence is None else 1, 'divergence')}"
        f"{'' if divergence is None else ' (replay stopped at the first)'}\n")
    if divergence is not None:
        _divergence_lines(out, divergence)
    other = {k: n for k, n in report.skipped.items() if k.startswith("--backend ")}
    for kind, n in other.items():
        out(f"skipped {n} record{'s' if n != 1 else ''} of {kind}s: they ran on other HSMs "
            "than the emulator's, so there is nothing to re-create\n")
    unknown = {k: n for k, n in report.skipped.items() if k not in other}
    if unknown:
        out("skipped record kinds this hsmshell cannot replay: "
            + ", ".join(f"{kind} ({n})" for kind, n in unknown.items()) + "\n")
    if report.not_reproducible_total:
        out(f"{report.not_reproducible_total} record(s) not reproducible (secret input: key "
            "material the log does not keep):\n")
        for item in report.not_reproducible:
            out(f"  record {item['seq']} {item['source'] or '-'}: {item['text']} — {item['replayed']}\n")
        if report.not_reproducible_total > len(report.not_reproducible):
            out(f"  ... and {report.not_reproducible_total - len(report.not_reproducible)} more\n")
    if report.roles_dir is not None:
        _decision_changes(out, report)


def _divergence_lines(out, divergence) -> None:
    out(f"first divergent record: {divergence.seq} at {divergence.source or '-'}: {divergence.text or ''}\n")
    out(f"  {divergence.what} differs\n")
    recorded, replayed = _flat(divergence.recorded), _flat(divergence.replayed)
    width = max([len(k) for k in (*recorded, *replayed)] + [5])
    out(f"  {'':{width}}  {'recorded':<40}  replay produced\n")
    for key in dict.fromkeys([*recorded, *replayed]):
        mark = "  " if recorded.get(key) == replayed.get(key) else "≠ "
        out(f"{mark}{key:{width}}  {recorded.get(key, '-')!s:<40}  {replayed.get(key, '-')!s}\n")


def _changes_line(report) -> str:
    return (f"{plural(report.changes_total, 'decision')} would change under {report.roles_dir}"
            if report.changes_total else f"no decision would change under {report.roles_dir}")


def _decision_changes(out, report) -> None:
    if report.changes_total == 0:
        out(_changes_line(report) + "\n")
        return
    out(f"{_changes_line(report)}:\n")
    for change in report.decision_changes[:LISTED_IN_TEXT]:
        before, after = change["recorded"], change["under_roles"]
        out(f"  record {change['seq']} {change['source'] or '-'} {change['user'] or '-'}: {change['text']}\n"
            f"      recorded: {_verdict(before)}\n      would be: {_verdict(after)}\n")
    if report.changes_total > LISTED_IN_TEXT:
        out(f"  ... and {report.changes_total - LISTED_IN_TEXT} more (--json lists "
            f"{len(report.decision_changes):,} of them)\n")
    out(f"{_changes_line(report)} (exit {int(ExitStatus.DIFFERENCES)})\n")


def _verdict(decision: dict) -> str:
    if decision.get("allowed"):
        return f"allowed ({decision.get('rule')})"
    return f"{decision.get('reference')} ({decision.get('rule')})"


def _flat(value, prefix: str = "") -> dict:
    """One row per leaf, so the two sides line up field by field."""
    if isinstance(value, dict):
        rows = {}
        for key, inner in value.items():
            rows.update(_flat(inner, f"{prefix}{key}."))
        return rows or {prefix.rstrip(".") or "value": "{}"}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        rows = {}
        for index, inner in enumerate(value):
            rows.update(_flat(inner, f"{prefix}{index}."))
        return rows
    return {prefix.rstrip(".") or "value": value}
