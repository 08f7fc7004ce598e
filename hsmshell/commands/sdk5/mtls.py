"""cluster mtls (AWS's CloudHSM CLI pages): the cluster's mTLS trust anchors and
enforcement level (hsm2m.medium in AWS; the emulated cluster keeps them as a cluster setting)."""

from hsmshell.commands.sdk5.args import APPROVAL, CLUSTER_ID, TOOL, option
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.capabilities import Capability
from hsmshell.model.hsm_rules import ANYONE, CRYPTO_USERS, OFFICERS


def _spec(verb: str, action: str, hsm, summary: str, syntax: str, args: tuple, **extra) -> CommandSpec:
    return CommandSpec(f"cluster mtls {verb}", action, summary, f"cluster mtls {verb} [OPTIONS]{syntax}",
                       (*args, CLUSTER_ID), tool=TOOL, capability=Capability.TOPOLOGY, **extra,
                       hsm=hsm, views=("sdk5",), backends=("emulator", "cloudhsm"))


SPECS = [
    # admins manage the trust anchors; admins and crypto users read the level
    _spec("register-trust-anchor", "cluster.mtls.manage", OFFICERS, "register a CA certificate clients' mTLS certificates chain to",
          " --path <PATH>", (option("path", "path", help="PEM certificate (chain), at most 6980 bytes"), APPROVAL),
          caution=True, asks_on_failure=False),
    _spec("deregister-trust-anchor", "cluster.mtls.manage", OFFICERS, "remove a trust anchor",
          " --certificate-reference <REFERENCE>",
          (option("certificate_reference", help="as list-trust-anchors shows it, e.g. 0x01"), APPROVAL),
          caution=True, asks_on_failure=False),
    _spec("list-trust-anchors", "hsm.info", ANYONE, "list the trust anchors (no login needed)", "", ()),
    _spec("get-enforcement", "cluster.mtls.get", OFFICERS | CRYPTO_USERS, "show whether mTLS is enforced", "", ()),
    _spec("set-enforcement", "cluster.mtls.manage", OFFICERS, "enforce mTLS for every client, or not",
          " --level <LEVEL>", (option("level", "choice", choices=("none", "cluster"), help="none or cluster"),
                               APPROVAL), caution=True, asks_on_failure=False,
          details="Only the default admin (named admin) may set it."),
]
