"""`hsmshell audit verify|show|export|replay`: find the log, run the check, hand the report
to render/."""

from __future__ import annotations

import sqlite3

from hsmshell.audit.locate import LogTarget, locate_log
from hsmshell.audit.verify import VerifyReport, verify_log
from hsmshell.errors import AuditTampered, ClusterStateDamaged, ConfigError
from hsmshell.status import ExitStatus


def audit_command(options, env) -> ExitStatus:
    handlers = {"verify": _verify, "show": _show, "export": _export, "replay": _replay}
    handler = handlers.get(options.audit_command)
    if handler is None:
        raise ConfigError(f"unknown audit command {options.audit_command}")
    return handler(options, env)


def verify_target(target: LogTarget, env, observe=None) -> VerifyReport:
    """Verify a log; the cluster's own log also against the head its state keeps, after
    finishing an append a crash interrupted (that record is committed state). A damaged or
    missing state does not stop the check of the log's own chain and signatures: the report
    then says why the head could not be checked."""
    if not target.own:
        return verify_log(target.path, target.trust, None, observe)
    from hsmshell.audit.log import AuditLog, read_head
    from hsmshell.state.db import ClusterDB, state_damaged
    try:
        db = ClusterDB(target.cluster_dir)
    except ClusterStateDamaged as error:
        return _without_head(target, observe, error.message)
    try:
        with db.exclusive():
            before = target.path.stat().st_size if target.path.exists() else 0
            audit = AuditLog(db, env.clock, target.path)
            try:
                audit.recover()
                state = read_head(db)
            except AuditTampered:
                state = read_head(db)        # verify names the first bad record below
            except sqlite3.DatabaseError as error:
                return _without_head(target, observe, state_damaged(db.path, error).message)
            finally:
                audit.close()
            head = (state.seq, state.hash.hex()) if state.seq else None
            report = verify_log(target.path, target.trust, head, observe)
            if target.path.stat().st_size != before:
                report.restored = _records_in_tail(target.path, before)
            return report
    finally:
        db.close()


def _without_head(target: LogTarget, observe, problem: str) -> VerifyReport:
    report = verify_log(target.path, target.trust, None, observe)
    report.head_problem = problem
    return report


def _records_in_tail(path, offset: int) -> int:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read().count(b"\n")


def _verify(options, env) -> ExitStatus:
    from hsmshell.render.audit_report import render_verify
    report = verify_target(_target(options, env), env)
    render_verify(env, report)
    return ExitStatus.SUCCESS if report.ok and report.head_problem is None else AuditTampered.status


def _target(options, env) -> LogTarget:
    return locate_log(env, options.log, getattr(options, "key", None),
                      getattr(options, "key_fingerprint", None))


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
    from hsmshell.modes.replay import replay_log
    from hsmshell.render.audit_views import render_replay
    target = _target(options, env)
    report = replay_log(target, env)
    render_replay(env, report)
    if not report.verify.ok or report.divergence is not None:
        return ExitStatus.AUDIT
    if report.changes_total:                 # --roles: decisions would change (as diff(1))
        return ExitStatus.DIFFERENCES
    return ExitStatus.SUCCESS
