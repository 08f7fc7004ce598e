"""cluster mtls (AWS's CloudHSM CLI pages): the cluster's mTLS trust anchors and
enforcement level (hsm2m.medium in AWS; the emulated cluster keeps them as a cluster setting)."""

from hsmshell.commands.sdk5.args import APPROVAL, CLUSTER_ID, TOOL, option
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.capabilities import Capability


def _spec(verb: str, action: str, summary: str, syntax: str, args: tuple, **extra) -> CommandSpec:
    return CommandSpec(f"cluster mtls {verb}", action, summary, f"cluster mtls {verb} [OPTIONS]{syntax}",
                       (*args, CLUSTER_ID), tool=TOOL, capability=Capability.TOPOLOGY, **extra)


SPECS = [
    _spec("register-trust-anchor", "cluster.mtls.manage", "register a CA certificate clients' mTLS certificates chain to",
          " --path <PATH>", (option("path", "path", help="PEM certificate (chain), at most 6980 bytes"), APPROVAL),
          caution=True, asks_on_failure=False),
    _spec("deregister-trust-anchor", "cluster.mtls.manage", "remove a trust anchor",
          " --certificate-reference <REFERENCE>",
          (option("certificate_reference", help="as list-trust-anchors shows it, e.g. 0x01"), APPROVAL),
          caution=True, asks_on_failure=False),
    _spec("list-trust-anchors", "hsm.info", "list the trust anchors (no login needed)", "", ()),
    _spec("get-enforcement", "cluster.mtls.get", "show whether mTLS is enforced", "", ()),
    _spec("set-enforcement", "cluster.mtls.manage", "enforce mTLS for every client, or not",
          " --level <LEVEL>", (option("level", "choice", choices=("none", "cluster"), help="none or cluster"),
                               APPROVAL), caution=True, asks_on_failure=False,
          details="Only the default admin (named admin) may set it."),
]
