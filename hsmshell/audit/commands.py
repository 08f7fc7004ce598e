"""`hsmshell audit ...` subcommands."""

from __future__ import annotations

from pathlib import Path

from hsmshell.audit.verify import verify_log
from hsmshell.errors import AuditTampered, ConfigError
from hsmshell.state.db import ClusterDB
from hsmshell.state.home import StateHome
from hsmshell.status import ExitStatus


def audit_command(options, env) -> ExitStatus:
    if options.audit_command == "verify":
        return _verify(options, env)
    raise ConfigError(f"unknown audit command {options.audit_command}")


def _verify(options, env) -> ExitStatus:
    directory = StateHome(env.home).cluster_dir(env.cluster)
    if not (directory / "state.db").is_file():
        raise ConfigError(f"no cluster named '{env.cluster}' in {env.home}")
    db = ClusterDB(directory)
    try:
        with db.exclusive():
            meta = db.meta_many("audit_seq", "audit_hash")
            log = Path(options.log) if options.log else directory / "audit.log"
            head = (int(meta["audit_seq"]), meta["audit_hash"]) if meta and not options.log else None
            report = verify_log(log, directory, head)
    finally:
        db.close()
    from hsmshell.render.audit_report import render_verify
    render_verify(env, report)
    if not report.ok:
        return AuditTampered.status
    return ExitStatus.SUCCESS
