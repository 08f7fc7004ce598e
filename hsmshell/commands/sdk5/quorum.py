"""Quorum the CloudHSM CLI way (AWS's CloudHSM CLI pages): token files signed with
openssl, approver keys registered with a signed token; the actions of CMU's getToken,
listTokens, delToken, setMValue, getMValue and registerQuorumPubKey."""

from hsmshell.commands.sdk5.args import APPROVAL, CLUSTER_ID, TOOL, filter_arg, option
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.hsm_rules import LOGGED_IN, OFFICERS, QUORUM_USERS

SERVICES = ("user", "quorum", "cluster", "registration", "key-usage", "key-management")

SPECS = [
    CommandSpec("quorum token-sign generate", "quorum.token.get",
                "write a quorum token file for approvers to sign (or a registration token)",
                "quorum token-sign generate --service <SERVICE> --token <TOKEN> [--filter <FILTER>...]",
                (option("service", "choice", choices=SERVICES,
                        help="user, quorum, cluster (hsm2m.medium), registration, key-usage or key-management"),
                 option("token", "path", help="the token file to write"),
                 filter_arg(required=False), CLUSTER_ID),
                tool=TOOL,
                details="Approvers sign the decoded token: openssl pkeyutl -sign -inkey KEY "
                        "-pkeyopt digest:sha256, and add {username, role, signature} to "
                        "signatures. The token serves one operation, in this login only, for "
                        "10 minutes.",
                hsm=QUORUM_USERS, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("quorum token-sign list", "quorum.token.list", "list the quorum tokens on the HSMs",
                "quorum token-sign list", (CLUSTER_ID,), tool=TOOL,
                hsm=LOGGED_IN, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("quorum token-sign delete", "quorum.token.delete", "delete quorum tokens",
                "quorum token-sign delete --scope <SCOPE>",
                (option("scope", "choice", choices=("user", "all"),
                        help="user: your tokens; all: every token (admins)"), CLUSTER_ID),
                tool=TOOL,
                hsm=QUORUM_USERS, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("quorum token-sign set-quorum-value", "quorum.m_value.set",
                "set how many approvals a service needs (1 is off, 2-8)",
                "quorum token-sign set-quorum-value [OPTIONS] --service <SERVICE> --value <VALUE>",
                (option("service", "choice", choices=("user", "quorum", "cluster"),
                        help="user, quorum, or cluster (mTLS changes; hsm2m.medium only)"),
                 option("value", "int", help="1 (off) or 2..8"), APPROVAL, CLUSTER_ID),
                caution=True, asks_on_failure=False, opcode="CN_SET_M_VALUE", tool=TOOL,
                details="The user value may not exceed the quorum value.",
                hsm=OFFICERS, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("quorum token-sign list-quorum-values", "quorum.m_value.get",
                "show each service's quorum value", "quorum token-sign list-quorum-values",
                (CLUSTER_ID,), tool=TOOL,
                hsm=LOGGED_IN, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("user change-quorum token-sign register", "quorum.register",
                "register your RSA-2048 quorum approval key",
                "user change-quorum token-sign register --public-key <PUBLIC_KEY> --signed-token <SIGNED_TOKEN>",
                (option("public_key", "path", help="your public key, PEM"),
                 option("signed_token", "path", help="the registration token file, signed"),
                 CLUSTER_ID),
                caution=True, asks_on_failure=False, tool=TOOL,
                details="Generate the token with quorum token-sign generate --service "
                        "registration; sign each unsigned token with openssl pkeyutl -sign "
                        "-pkeyopt digest:sha256 and put its base64 in signed.",
                hsm=QUORUM_USERS, views=("sdk5",), backends=("emulator", "cloudhsm")),
]
