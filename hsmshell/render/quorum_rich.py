"""Quorum views for humans: rich tables of M values and tokens. A mixin of RichRenderer."""

from __future__ import annotations


from rich.markup import escape
from rich.table import Table

from hsmshell.record import replace
from hsmshell.render import classic
from hsmshell.render.coverage import print_coverage
from hsmshell.render.quorum_classic import m_value_line, signature_line


def approvals_text(token: dict) -> str:
    text = f"{token['approvals']}/{token['approvals_required']}"
    return f"[green]{text}[/]" if token["approvals"] >= token["approvals_required"] else text


class RichQuorumViews:
    def _view_m_value(self, result) -> None:
        for status in result.servers:
            if status.error is None:
                self.console.print(escape(m_value_line(result.data, status)))
            else:
                self._server_failure(result.command, status)

    def _view_token(self, result) -> None:
        self._view_per_server(result)
        d = result.data
        self._key_values(f"Token {d['token_id']}", {
            "service": f"{d['service']} ({d['service_name']})", "key handle": d["key_handle"],
            "user": d["user"], "file": d["file"], "valid for": f"{d['valid_seconds']} s",
            "approvals needed": d["approvals_required"]})
        self.console.print(f"[dim]Each approver signs the file: openssl dgst -sha256 -sign KEY "
                           f"-out SIG {escape(d['file'])}  (or signToken), then approveToken "
                           f"<approval-file>.[/]")

    def _view_tokens(self, result) -> None:
        for status in result.servers:
            if status.error is not None:
                self._server_failure(result.command, status)

        def rows(status):
            for t in status.data["tokens"]:
                valid = "[red]expired[/]" if t["expired"] else f"{t['valid_seconds']} s"
                yield (str(t["token_id"]), f"{t['service']} {t['service_name']}",
                       str(t["key_handle"] or ""), escape(t["user"]), valid,
                       approvals_text(t), escape(", ".join(t["approvers"])), "yes" if t["this_session"] else "")
        result = replace(result, servers=[s for s in result.servers if s.error is None])
        print_coverage(self.console, result, "Tokens", (
            ("Id", "right"), ("Service", "left"), ("Key", "right"), ("User", "left"), ("Valid", "right"),
            ("Approvals", "center"), ("Approvers", "left"), ("Yours", "center")), rows)

    def _view_approval(self, result) -> None:
        self._view_per_server(result)
        d = result.data
        state = ("[bold green]approved[/]: good for one operation in this session"
                 if d["approved"] else f"needs {d['approvals_required'] - d['approvals']} more")
        self.console.print(f"Token {d['token_id']} ({d['service_name']}): approvals "
                           f"{approvals_text(d)} — {state}")

    def _view_signature(self, result) -> None:
        self.console.print(f"[green]✓[/] {escape(signature_line(result.data))}")

    def _server_failure(self, command: str, status) -> None:
        self.console.print(f"[red]✗[/] {command} failed on {classic.server_label(status)}: "
                           f"{escape(status.error.message)}")
