"""Views of the cluster's life (`hsmshell cluster ...`, `configure`, `logs`, server mode and
syncUser/syncKey): text lines for --output classic, rich tables for people. Mixins of
ClassicRenderer and RichRenderer; a Result's `kind` picks `_view_<kind>`."""

from __future__ import annotations

import datetime as dt

from hsmshell.model.words import plural


def when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def hsm_state(hsm: dict) -> str:
    if hsm["state"] == "ACTIVE":
        return "ACTIVE"
    due = "never replaced" if hsm["replace_at"] is None else f"replaced at {when(hsm['replace_at'])}"
    return f"{hsm['state']} (unreachable since {when(hsm['failed_at'])}; {due})"


def network_lines(d: dict) -> list[str]:
    lines = [f"Cluster {d['cluster']} ({d['cluster_id']})  state {d['state']}"]
    if d.get("region"):
        group = d["security_group"]
        rules = "; ".join(f"{r['direction']} {r['protocol']} {r['ports']} {r['peer']}" for r in group["rules"])
        lines += [f"Region {d['region']}  VPC {d['vpc_id']}  HSM type {d['hsm_type']}"
                  + (f" ({d['mode']} mode)" if d.get("mode") else ""),
                  f"Security group {group['group_id']} {group['name']}: {rules}",
                  f"Log group {d['log_group']}  (sent by the service-linked role {d['service_linked_role']})"]
    lines.append("Subnets: " + "; ".join(f"{s['az']} {s['subnet_id'] or ''} {s['cidr']}".replace("  ", " ")
                                        for s in d["subnets"]))
    delay = "never" if d["replace_after"] is None else f"{d['replace_after']:.0f} s"
    lines.append(f"Failed HSMs are replaced after: {delay}")
    return lines


def hsm_rows(d: dict) -> list[tuple[str, ...]]:
    return [(str(h["server"]), h["hsm"], h["az"], h["ip"], h["eni"] or "-", hsm_state(h)) for h in d["hsms"]]


def certificate_lines(d: dict) -> list[str]:
    cert = d.get("certificate")
    if not cert:
        return ["Certificate: none (initialize the cluster to sign its CSR)" if d["state"] == "UNINITIALIZED"
                else "Certificate: none (created already initialized)"]
    return [f"Certificate: {cert['subject']}", f"  issued by {cert['issuer']}, valid until {cert['not_after']}",
            f"  client trust anchor: {d['customer_ca'] or 'missing'}"]


def event_line(e: dict) -> str:
    detail = ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("time", "event", "hsm") and v is not None)
    return f"{when(e['time'])}  {e['event']}{' ' + e['hsm'] if e['hsm'] else ''}{'  ' + detail if detail else ''}"


def diff_lines(d: dict) -> list[str]:
    lines = []
    for s in d["servers"]:
        if not s["reachable"]:
            lines.append(f"server {s['server']} ({s['hsm']}): unreachable, not compared")
        else:
            lines.append(f"server {s['server']} ({s['hsm']}): {plural(s['users'], 'user')}, {plural(s['keys'], 'key')}"
                         + (f", key hash {s['key_hash']}" if s["key_hash"] else ""))
    for kind, field in (("user", "user"), ("key", "key_handle")):
        for entry in d[f"{kind}s"]:
            kms = f" (KMS key {entry['kms_key_arn']})" if entry.get("kms_key_arn") else ""
            lines.append(f"{kind} {entry[field]}{kms}: " + _drift_text(entry))
    if d["in_sync"]:
        lines.append("The reachable HSMs agree: users and keys are in sync.")
    else:
        lines += ["To bring them back in step, run in the shell (as a CO):", *("  " + c for c in d["fix"])]
    return lines


def _drift_text(entry: dict) -> str:
    parts = []
    if entry["missing_on"]:
        parts.append("missing on server " + ", ".join(map(str, entry["missing_on"])))
    if entry["differs_on"]:
        parts.append("differs on server " + ", ".join(map(str, entry["differs_on"])))
    return "; ".join(parts) + f" (copy from server {entry['source_server']})"


def log_event_lines(event: dict) -> list[str]:
    return [f"{event['stream']}:", *("    " + line for line in event["message"].splitlines()), ""]


def alarm_line(alarm: dict) -> str:
    return f"{alarm['state']:<6} {alarm['filter']:<24} {alarm['count']:>5} (alarm at >= {alarm['threshold']})  {alarm['what']}"


def client_config_lines(d: dict) -> list[str]:
    lines = [f"wrote {d['config']} for cluster {d['cluster']} ({plural(len(d['servers']), 'server')})"]
    lines += [f"  server {s['server']}: {s['ip']} ({s['hsm']})" for s in d["servers"]]
    if d.get("note"):
        lines.append(d["note"])
    previous = d.get("previous_default")
    if previous != d["cluster"]:
        lines.append(f"{d['cluster']} is now the default cluster of hsmshell commands"
                     + (f" (it was {previous})" if previous else "")
                     + "; --cluster NAME or HSMSHELL_CLUSTER picks another")
    return lines


def initialized_lines(d: dict) -> list[str]:
    return [f"cluster {d['cluster']} is INITIALIZED",
            f"  cluster certificate: {d['certificate']}",
            f"  issuing certificate installed for the client: {d['customer_ca']}",
            f"  check it: openssl verify -CAfile {d['customer_ca']} {d['certificate']}",
            f"  next: {d['next']}"]


class ClassicClusterViews:
    def _view_cluster_list(self, result) -> list[str]:
        return [f"{c['cluster']:<20} {c['cluster_id']:<20} {c['state']:<14} "
                f"{c['hsms_reachable']}/{c['hsms_total']} HSMs  {','.join(c['availability_zones'])}"
                f"{'  (configured)' if c['configured'] else ''}" for c in result.data["clusters"]]

    def _view_cluster(self, result) -> list[str]:
        d = result.data
        return [*network_lines(d), "HSMs:", *("  server " + "  ".join(row) for row in hsm_rows(d)),
                *certificate_lines(d), "Events:", *("  " + event_line(e) for e in d["events"])]

    def _view_cluster_initialized(self, result) -> list[str]:
        return initialized_lines(result.data)

    def _view_hsm_change(self, result) -> list[str]:
        return [result.data["message"]]

    def _view_cluster_diff(self, result) -> list[str]:
        return diff_lines(result.data)

    def _view_client_config(self, result) -> list[str]:
        return client_config_lines(result.data)

    def _view_hsm_log(self, result) -> list[str]:
        lines = [line for event in result.data["events"] for line in log_event_lines(event)]
        return lines + [alarm_line(a) for a in result.data.get("alarms", [])]

    def _view_sync(self, result) -> list[str]:
        return list(result.data["lines"])

    def _view_server_mode(self, result) -> list[str]:
        return [result.data["message"]]


class RichClusterViews:
    def _lines(self, lines: list[str], style: str = "") -> None:
        from rich.markup import escape
        for line in lines:
            self.console.print(f"[{style}]{escape(line)}[/]" if style else escape(line), soft_wrap=True)

    def _view_cluster_list(self, result) -> None:
        from rich.table import Table
        table = Table(title="Clusters", title_justify="left")
        for column in ("cluster", "id", "state", "HSMs reachable", "availability zones", "configured"):
            table.add_column(column)
        for c in result.data["clusters"]:
            table.add_row(c["cluster"], c["cluster_id"] or "-", c["state"],
                          f"{c['hsms_reachable']}/{c['hsms_total']}", ", ".join(c["availability_zones"]),
                          "yes" if c["configured"] else "")
        self.console.print(table)

    def _view_cluster(self, result) -> None:
        from rich.table import Table
        d = result.data
        self._lines(network_lines(d)[:1], "bold")
        self._lines(network_lines(d)[1:])
        table = Table(title="HSMs", title_justify="left")
        for column in ("server", "HSM", "zone", "IP", "ENI", "state"):
            table.add_column(column)
        for row in hsm_rows(d):
            table.add_row(*row, style="" if row[-1] == "ACTIVE" else "red")
        self.console.print(table)
        self._lines(certificate_lines(d))
        if d["events"]:
            self._lines(["Events:", *("  " + event_line(e) for e in d["events"])], "dim")

    def _view_cluster_initialized(self, result) -> None:
        self._lines(initialized_lines(result.data)[:1], "bold green")
        self._lines(initialized_lines(result.data)[1:])

    def _view_hsm_change(self, result) -> None:
        self._lines([result.data["message"]], "bold")

    def _view_cluster_diff(self, result) -> None:
        d = result.data
        self._lines(diff_lines(d), "" if d["in_sync"] else "yellow")

    def _view_client_config(self, result) -> None:
        self._lines(client_config_lines(result.data))

    def _view_hsm_log(self, result) -> None:
        for event in result.data["events"]:
            style = "" if event["response"].startswith("0:") else "red"
            self._lines(log_event_lines(event)[:1], "bold cyan")
            self._lines(log_event_lines(event)[1:], style)
        for alarm in result.data.get("alarms", []):
            self._lines([alarm_line(alarm)], "bold red" if alarm["state"] == "ALARM" else "green")

    def _view_sync(self, result) -> None:
        self._lines(result.data["lines"])

    def _view_server_mode(self, result) -> None:
        self._lines([result.data["message"]])
