"""`hsmshell audit verify|show|export|replay ...`."""

from __future__ import annotations

NAME = "audit"
HELP = "verify, show, export and replay the audit log"
EXAMPLES = """examples:
  hsmshell audit verify                          # chain, checkpoints and head (exit 6 if bad)
  hsmshell audit show --user alice --denied --since 2h --limit 20
  hsmshell audit export --format cloudhsm --hsm 0
  hsmshell audit replay                          # re-run on a fresh cluster: 0 divergences
  hsmshell --roles stricter/ audit replay        # decisions that would change (exit 8)"""
LOG_HELP = "log file (default: the cluster's audit.log)"


def add_arguments(parser, common) -> None:
    sub = parser.add_subparsers(dest="audit_command", required=True, metavar="{verify,show,export,replay}")
    verify = sub.add_parser("verify", parents=[common], help="check the hash chain, checkpoints and head")
    verify.add_argument("log", nargs="?", help=LOG_HELP)
    _trust(verify)

    show = sub.add_parser("show", parents=[common], help="list records (rich table, or JSON lines with --json)")
    show.add_argument("log", nargs="?", help=LOG_HELP)
    _filters(show)
    show.add_argument("--last", "--limit", dest="last", type=int, metavar="N",
                      help="only the last N matching records (--limit, as in logs)")
    show.add_argument("--checkpoints", action="store_true", help="list the signed checkpoints too")

    export = sub.add_parser("export", parents=[common], help="write records as JSON lines or CloudHSM audit text")
    export.add_argument("log", nargs="?", help=LOG_HELP)
    export.add_argument("--format", choices=("jsonl", "cloudhsm"), default="jsonl",
                        help="jsonl: the stored records, verbatim; cloudhsm: the HSM audit-log entry format")
    export.add_argument("--hsm", metavar="N|ID", help="cloudhsm: only this HSM's stream (server number or HSM id)")
    _filters(export)
    export.set_defaults(checkpoints=True)

    replay = sub.add_parser("replay", parents=[common],
                            help="re-run the log on a fresh emulated cluster; with --roles DIR, list "
                                 "the decisions another policy would change")
    replay.add_argument("log", nargs="?", help=LOG_HELP)
    _trust(replay)


def _trust(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--key", metavar="FILE", help="trust this audit public key (an audit.pub, or "
                       "a PEM Ed25519 key) instead of the current cluster's")
    group.add_argument("--key-fingerprint", metavar="FP", help="trust the key the log's genesis record "
                       "names if its fingerprint is FP (sha256:<64 hex>, as verify prints it)")


def _filters(parser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--user", help="records of this user (who ran it, or who a login was for)")
    group.add_argument("--command", help="command name(s): comma-separated, globs allowed (create*)")
    group.add_argument("--denied", action="store_true", help="only refused commands (exit 3 or 4)")
    group.add_argument("--since", help="from this time: 2025-01-31, 2025-01-31T09:15, or an age (30m, 2h, 7d)")
    group.add_argument("--until", help="before this time (same forms)")
    group.add_argument("--source", help="where it came from: batch.hsm, batch.hsm:12, repl:*, or --source=-c:*")


def run(options, env):
    from hsmshell.modes.audit_commands import audit_command
    return audit_command(options, env)
