"""`hsmshell logs [--hsm ID] [--follow] [--filter TEXT] [--alarms]`: the HSMs' audit streams."""

from __future__ import annotations

NAME = "logs"
HELP = "read the HSMs' audit log streams (the cluster's CloudWatch log group)"
EXAMPLES = """examples:
  hsmshell logs --hsm 2 --limit 20
  hsmshell logs --filter '"User Name : bob"'
  hsmshell logs --alarms
  hsmshell logs --follow --max-events 10"""


def add_arguments(parser, common) -> None:
    parser.add_argument("--hsm", metavar="ID", help="one stream: HSM id (also a replaced one), IP or server number")
    parser.add_argument("--filter", metavar="PATTERN",
                        help='CloudWatch-style filter: words all present, "a phrase", ?any ?of, -not')
    parser.add_argument("--alarms", action="store_true",
                        help="the recommended alarm filters (login failures, CN_CREATE_USER, CN_CREATE_CO, "
                             "CN_DELETE_USER, unknown users) and their state")
    parser.add_argument("--limit", "--last", dest="limit", type=int, metavar="N",
                        help="only the last N matching events (--last, as in audit show)")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    parser.add_argument("--max-events", type=int, metavar="N", help="with --follow: stop after N events")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="with --follow: stop after SECONDS")
    parser.add_argument("--poll", type=float, default=1.0, metavar="SECONDS",
                        help="with --follow: how often to look for new events (default 1)")


def run(options, env):
    from hsmshell.admin.hsm_log_reader import follow_logs, read_logs
    from hsmshell.render.show import show
    from hsmshell.status import ExitStatus

    if not options.follow:
        return show(env, read_logs(env, env.cluster, options.hsm, options.filter, options.alarms, options.limit))
    for result in follow_logs(env, env.cluster, options.hsm, options.filter, options.alarms,
                              options.max_events, options.timeout, max(options.poll, 0.05)):
        show(env, result)
        env.stdout.flush()
    return ExitStatus.SUCCESS
