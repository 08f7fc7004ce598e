"""`hsmshell audit verify ...`."""

from __future__ import annotations

NAME = "audit"
HELP = "verify the audit log"


def add_arguments(parser, common) -> None:
    sub = parser.add_subparsers(dest="audit_command", required=True, metavar="{verify}")
    verify = sub.add_parser("verify", parents=[common], help="check the hash chain, checkpoints and head")
    verify.add_argument("log", nargs="?", help="log file (default: the cluster's audit.log)")


def run(options, env):
    from hsmshell.audit.commands import audit_command
    return audit_command(options, env)
