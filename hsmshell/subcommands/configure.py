"""`hsmshell configure -a <IP> [--cluster NAME]`: write the client config from one HSM's IP."""

from __future__ import annotations

NAME = "configure"
HELP = "write the client config (client.json) from any one HSM's IP, as configure --cmu does"
EXAMPLES = """examples:
  hsmshell configure -a 10.0.1.194               # that HSM's cluster becomes the default
  hsmshell configure -a 10.0.1.194 --cluster prod"""


def add_arguments(parser, common) -> None:
    parser.add_argument("-a", dest="ip", required=True, metavar="IP", help="the ENI IP of any HSM of the cluster")


def run(options, env):
    from hsmshell.admin.configure import configure
    from hsmshell.render.show import show

    named = options.cluster or env.environ.get("HSMSHELL_CLUSTER")
    return show(env, configure(env, options.ip, named))
