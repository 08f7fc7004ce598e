"""`hsmshell audit verify|show|export|replay`: find the log, run the check, hand the report
to render/."""

from __future__ import annotations

from hsmshell.audit.locate import LogTarget, locate_log
from hsmshell.audit.verify import VerifyReport, verify_log
from hsmshell.errors import AuditTampered, ConfigError
from hsmshell.status import ExitStatus


def audit_command(options, env) -> ExitStatus:
    handlers = {"verify": _verify, "show": _show, "export": _export, "replay": _replay}
    handler = handlers.get(options.audit_command)
    if handler is None:
        raise ConfigError(f"unknown audit command {options.audit_command}")
    return handler(options, env)


def verify_target(target: LogTarget, env, observe=None) -> VerifyReport:
    """Verify a log; the cluster's own log also against the head its state keeps, after
    finishing an append a crash interrupted (that record is committed state)."""
    if not target.own:
        return verify_log(target.path, target.key_dir, None, observe)
    from hsmshell.audit.log import AuditLog, read_head
    from hsmshell.state.db import ClusterDB
    db = ClusterDB(target.cluster_dir)
    try:
        with db.exclusive():
            before = target.path.stat().st_size if target.path.exists() else 0
            audit = AuditLog(db, env.clock, target.path)
            try:
                audit.recover()
            except AuditTampered:
                pass                         # verify names the first bad record below
            finally:
                audit.close()
            state = read_head(db)
            head = (state.seq, state.hash.hex()) if state.seq else None
            report = verify_log(target.path, target.key_dir, head, observe)
            if target.path.stat().st_size != before:
                report.restored = _records_in_tail(target.path, before)
            return report
    finally:
        db.close()


def _records_in_tail(path, offset: int) -> int:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read().count(b"\n")


def _verify(options, env) -> ExitStatus:
    from hsmshell.render.audit_report import render_verify
    report = verify_target(locate_log(env, options.log), env)
    render_verify(env, report)
    return ExitStatus.SUCCESS if report.ok else AuditTampered.status


def _show(options, env) -> ExitStatus:
    from hsmshell.audit.filters import filter_from_options
    from hsmshell.audit.reader import read_records
    from hsmshell.render.audit_views import render_show
    target = locate_log(env, options.log)
    records = read_records(target.path, filter_from_options(options, env))
    render_show(env, records, getattr(options, "last", None))
    return ExitStatus.SUCCESS


def _export(options, env) -> ExitStatus:
    from hsmshell.audit.filters import filter_from_options
    from hsmshell.audit.reader import read_lines
    from hsmshell.render.audit_views import write_export
    target = locate_log(env, options.log)
    keep = filter_from_options(options, env)
    if options.format == "cloudhsm":
        from hsmshell.audit.cloudhsm_format import cloudhsm_entries
        from hsmshell.audit.reader import read_records
        genesis = next(read_records(target.path), None)
        if genesis is None or genesis.get("kind") != "genesis":
            raise AuditTampered(f"{target.path} does not start with the cluster's genesis record")
        write_export(env, cloudhsm_entries(genesis, lambda: read_records(target.path, keep), options.hsm))
    else:
        write_export(env, (line.decode("ascii") for line, _ in read_lines(target.path, keep)))
    return ExitStatus.SUCCESS


def _replay(options, env) -> ExitStatus:
    from hsmshell.audit.replay import replay_log
    from hsmshell.render.audit_views import render_replay
    target = locate_log(env, options.log)
    report = replay_log(target, env)
    render_replay(env, report)
    if not report.verify.ok or report.divergence is not None:
        return ExitStatus.AUDIT
    if report.changes_total:                 # --roles: decisions would change (as diff(1))
        return ExitStatus.DIFFERENCES
    return ExitStatus.SUCCESS
