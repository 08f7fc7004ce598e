"""The default human output: rich tables and coloured per-server lines."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from hsmshell.render.base import BaseRenderer
from hsmshell.render.classic import server_label
from hsmshell.render.consoles import PipeConsole, fit, make_console
from hsmshell.render.coverage import print_coverage
from hsmshell.render.pager import show_text, wants_pager
from hsmshell.render.session_views import HSM_COLUMNS, field_name, hsm_rows, status_summary, whoami_lines
from hsmshell.render.cluster_views import RichClusterViews
from hsmshell.render.kms_views import KmsViews
from hsmshell.render.quorum_rich import RichQuorumViews
from hsmshell.render.rich_keys import RichKeyViews
from hsmshell.render.sdk5_views import RichSdk5Views
from hsmshell.render.text import CAUTION_BANNER, PROGRESS


class RichRenderer(RichSdk5Views, KmsViews, RichQuorumViews, RichKeyViews, RichClusterViews, BaseRenderer):
    def __init__(self, env):
        super().__init__(env)
        self.console = make_console(env, env.stdout, env.stdout_is_terminal)
        self._errors_tty = env.stderr_is_terminal
        self.errors = make_console(env, env.stderr, self._errors_tty)

    # -- the renderer interface ----------------------------------------------------------------
    def hold(self) -> None:
        """Into a pipe, plain lines wait for release() (consoles.py); a terminal gets each."""
        if isinstance(self.console, PipeConsole):
            self.console.hold()

    def release(self) -> None:
        if isinstance(self.console, PipeConsole):
            self.console.release()

    def _flush_held(self) -> None:
        if isinstance(self.console, PipeConsole):
            self.console.release(keep_holding=True)

    def result(self, result, source: str) -> None:
        view = getattr(self, f"_view_{result.kind}", self._view_generic)
        if wants_pager(self.env) and result.kind != "clear":
            with self.console.capture() as captured:
                view(result)
            show_text(self.env, captured.get(), self.console.height)
        else:
            view(result)
        if result.error is not None:
            self.error(result.error, result.command, source)

    def error(self, error, command, source: str) -> None:
        self._flush_held()
        if error.reference == "cancelled":    # answered n: a choice, not an error
            self.errors.print(f"[yellow]{escape(command or '')}: {escape(error.message)}[/]")
            return
        # on a terminal lines wrap between words, a usage's `[-id <key-id>]` kept whole
        # (into a pipe nothing wraps: consoles.py)
        self.errors.print(f"[bold red]{escape(self.error_line(error, command, source))}[/]", soft_wrap=True)
        if error.hint:
            self.errors.print(f"[dim]{escape(self._fit(f'  hint: {error.hint}', '        '))}[/]", soft_wrap=True)

    def caution(self, command: str, what: str | None = None) -> None:
        self.console.print(f"[yellow]{escape(CAUTION_BANNER)}[/]")
        if what:                              # CMU's banner never says what it is about
            self.console.print(f"This will {escape(what)}.")

    def note(self, text: str) -> None:
        self._flush_held()
        self.errors.print(f"[yellow]{escape(self._fit(text))}[/]", soft_wrap=True)

    def _fit(self, text: str, indent: str = "") -> str:
        """On a terminal, wrapped at its width between words (never inside a word, a path or
        an option such as `[-id <key-id>]`); into a pipe, one line."""
        if not self._errors_tty:
            return text
        import shutil
        return fit(text, shutil.get_terminal_size((80, 24)).columns - 1, indent)

    def print_renderable(self, renderable) -> None:
        self.console.print(renderable)

    # -- views -----------------------------------------------------------------------------------
    def _view_per_server(self, result) -> None:
        template = PROGRESS.get(result.command)
        if template and result.data.get("user"):
            self.console.print(escape(template.format(nodes=len(result.servers), **result.data)))
        for status in result.servers:
            if status.error is None:
                self.console.print(f"[green]✓[/] {result.command} success on {server_label(status)}")
            else:
                self.console.print(f"[red]✗[/] {result.command} failed on {server_label(status)}: "
                                   f"{escape(status.error.message)}")
        if result.data.get("activated"):
            self.console.print("[bold green]Cluster activated:[/] admin is now the primary crypto officer (PCO).")

    def _view_users(self, result) -> None:
        def rows(status):
            for u in status.data["users"]:
                failures = str(u["login_failure_count"])
                if u["login_failure_count"] > 5:
                    failures = f"[red]{failures} locked[/]"
                name = u["user_name"]       # (escape's regex, skipped where it has nothing to do)
                yield (str(u["user_id"]), u["user_type"], escape(name) if "[" in name or "\\" in name else name,
                       "YES" if u["mofn_pub_key"] else "NO", failures, "YES" if u["two_fa"] else "NO")
        print_coverage(self.console, result, "Users", (
            ("User Id", "right"), ("User Type", "left"), ("User Name", "left"),
            ("MofnPubKey", "center"), ("LoginFailureCnt", "right"), ("2FA", "center")), rows)

    def _view_server_info(self, result) -> None:
        self._key_values(f"Server {result.data['server']}", result.data)

    def _view_hsm_info(self, result) -> None:
        for status in result.servers:
            self._key_values(f"Server {status.server} HSM Info · {status.hsm}", status.data.get("info", {}))

    def _view_whoami(self, result) -> None:
        for line in whoami_lines(result.data):
            self.console.print(escape(line))

    def _view_status(self, result) -> None:
        for line in status_summary(result.data):
            self.console.print(escape(line))
        rows = hsm_rows(result.data)
        if rows:
            table = Table(title="HSMs", title_justify="left")
            for column in HSM_COLUMNS:
                table.add_column(column)
            for row in rows:
                table.add_row(*map(escape, row))
            self.console.print(table)

    def _view_clear(self, result) -> None:
        if self.env.stdout_is_terminal:
            self.console.clear()

    def _view_help(self, result) -> None:
        data = result.data
        if "command" in data:
            self.console.print(f"[bold]{escape(data['command'])}[/] — {escape(data['summary'])}")
            self.console.print(f"  usage: {escape(data['syntax'])}")
            if data.get("details"):
                self.console.print(f"  {escape(data['details'])}")
            if data.get("options"):
                grid = Table.grid(padding=(0, 2))
                for option in data["options"]:
                    need = "" if option["required"] else " [dim](optional)[/]"
                    grid.add_row(f"  [bold]{escape(option['option'])}[/]{need}", escape(option["help"]))
                self.console.print(grid)
            if data.get("forms"):
                self.console.print(f"  allowed for you: {escape(data['allowed_for_you'])}")
                for form in data["forms"]:
                    self.console.print(f"    {escape(form['when'])}: action {form['action']}, "
                                       f"roles {', '.join(form['roles']) or 'none'}")
            else:
                self.console.print(f"  action: {data['action']}   allowed for you: "
                                   f"{data['allowed_for_you']} (roles: {', '.join(data['roles']) or 'none'})")
            return
        table = Table(title="Commands", title_justify="left")
        for column in ("command", "what it does", "tool"):
            table.add_column(column)
        for row in data["commands"]:
            style = "" if row["allowed"] else "dim"
            table.add_row(row["command"], row["summary"], row["tool"], style=style)
        self.console.print(table)
        self.console.print("[dim]Dimmed commands are not allowed for your current role. "
                           "`help <command>` shows its syntax.[/]")

    def _view_error_string(self, result) -> None:
        self.console.print(escape(result.data["message"]))

    def _view_cert_file(self, result) -> None:
        d = result.data
        self.console.print(escape(f"wrote the {d['certificate']} certificate of server {d['server']} "
                                  f"({d['hsm']}) to {d['file']}"))

    def _view_generic(self, result) -> None:
        data = {k: v for k, v in result.data.items() if v is not None}
        if "message" in data:
            self.console.print(escape(str(data.pop("message"))))
        if data:
            self._key_values(None, data)
        if result.servers:
            self._view_per_server(result)

    # a KMU helper command's sentence, then its data (render/classic_keys.py: the tool's form)
    _view_tool_report = _view_tool_answer = _view_generic

    def _key_values(self, title: str | None, data: dict) -> None:
        """Fields as `name  value` rows (names in words, not raw keys; nothing for None); a
        list of records becomes a table of its own, never packed `k=v` strings."""
        table = Table(title=escape(title) if title else None, title_justify="left", show_header=False)
        table.add_column(style="bold")
        table.add_column()
        records = {}
        for key, value in data.items():
            if value is None:
                continue
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                records[key] = value
                continue
            if isinstance(value, list):
                value = ", ".join(map(str, value))
            table.add_row(escape(field_name(key)), escape(str(value)))
        if table.row_count:
            self.console.print(table)
        for key, rows in records.items():
            columns = list(dict.fromkeys(k for row in rows for k in row))
            listing = Table(title=escape(field_name(key)).capitalize(), title_justify="left")
            for column in columns:
                listing.add_column(escape(field_name(column)))
            for row in rows:
                listing.add_row(*(escape("" if row.get(c) is None else str(row.get(c))) for c in columns))
            self.console.print(listing)
