"""M-of-N quorum (AWS's cloudhsm_mgmt_util pages, AWS's key_mgmt_util pages): approver keys, M values,
tokens and their approvals. docs/quorum.md tells the whole flow."""

from hsmshell.commands.common import USER_NAME, USER_TYPE
from hsmshell.commands.spec import Arg, CommandSpec
from hsmshell.model.hsm_rules import ANYONE, LOGGED_IN, OFFICERS, QUORUM_USERS

SERVICE = Arg("service", "quorum_service", position=0,
              help="3 (USER_MGMT), 4 (MISC_CO), 5 (KEY_USAGE) or 6 (KEY_MANAGEMENT), or the name")
TOKEN_FILE = Arg("token_file", "path", position=0, complete="path",
                 help="the file getToken wrote")

SPECS = [
    CommandSpec(
        "registerQuorumPubKey", "quorum.register", "register your RSA-2048 quorum approval key",
        "registerQuorumPubKey <CO|CU> <your-name> <registration-token> <signed-token> <public-key.pem>",
        (USER_TYPE, USER_NAME,
         Arg("registration_token", "path", position=2, complete="path",
             help="a file of random data, at most 245 bytes"),
         Arg("signed_token", "path", position=3, complete="path",
             help="openssl dgst -sha256 -sign KEY -out SIG TOKEN"),
         Arg("public_key", "path", position=4, complete="path",
             help="openssl rsa -in KEY -pubout -out KEY.pub")),
        caution=True, tool="cmu",
        details="The signed token proves you hold the private key. listUsers then shows "
                "MofnPubKey YES. Registering again replaces your key.",
        hsm=QUORUM_USERS, views=("per_server",), backends=("emulator", "cloudhsm")),
    CommandSpec("setMValue", "quorum.m_value.set", "set how many approvals a quorum service needs",
                "setMValue <service> <m>",
                (SERVICE, Arg("m", "int", position=1, help="1 (off) or 2..8")),
                caution=True, opcode="CN_SET_M_VALUE", tool="cmu",
                details="M cannot exceed the number of COs with registered quorum keys. When "
                        "service 4 (MISC_CO) has M > 1, changing any M needs an approved "
                        "service-4 token.",
                hsm=OFFICERS, views=("per_server",), backends=("emulator", "cloudhsm")),
    CommandSpec("setTokenValidity", "quorum.validity.set", "set how long new quorum tokens stay valid",
                "setTokenValidity <seconds>",
                (Arg("seconds", "int", position=0, help="60..86400; CloudHSM's default is 600"),),
                caution=True, tool="shell",
                details="A cluster setting for tokens issued from now on (hsmshell's own: CloudHSM "
                        "fixes it at 10 minutes). Protected by service 4 (MISC_CO) like setMValue.",
                hsm=OFFICERS, views=("per_server",), backends=("emulator",)),
    CommandSpec("getMValue", "quorum.m_value.get", "show a quorum service's M on each HSM",
                "getMValue <service>", (SERVICE,), tool="cmu",
                hsm=LOGGED_IN, views=("m_value",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "getToken", "quorum.token.get", "get a quorum token for approvers to sign",
        "getToken <service> <your-name> <token-file> [-k <key-handle>]",
        (SERVICE, Arg("user_name", "user_name", position=1, complete="user_name"),
         Arg("token_file", "path", position=2, complete="path"),
         Arg("key_handle", "int", flags=("-k",), required=False, default=0,
             help="for services 5 (KEY_USAGE) and 6 (KEY_MANAGEMENT): the key the token unlocks")),
        opcode="CN_GET_TOKEN", tool="both",
        details="The token serves one operation, in this login session only, and expires "
                "after 10 minutes. Approvers sign the file: "
                "openssl dgst -sha256 -sign KEY -out SIG TOKEN-FILE",
        hsm=QUORUM_USERS, views=("token",), backends=("emulator", "cloudhsm")),
    CommandSpec(
        "signToken", "quorum.token.sign", "sign a token file with your quorum private key",
        "signToken <token-file> <private-key.pem> <signature-file> [passphrase|-hpswd|@env:VAR]",
        (TOKEN_FILE,
         Arg("private_key", "path", position=1, complete="path"),
         Arg("signature_file", "path", position=2, complete="path"),
         Arg("passphrase", "secret", position=3, flags=("-pass",), required=False,
             prompt="Enter PEM pass phrase:",
             help="the private key's passphrase; -hpswd asks for it")),
        tool="shell",
        details="Runs on this machine; the HSM is not involved. The signature is the same as "
                "openssl dgst -sha256 -sign makes.",
        hsm=ANYONE, views=("signature",), backends=("emulator", "cloudhsm")),
    CommandSpec("approveToken", "quorum.token.approve", "submit the approvers' signatures of a token",
                "approveToken <approval-file>",
                (Arg("approval_file", "path", position=0, complete="path",
                     help="a CMU approval file or an hsmshell JSON bundle"),),
                opcode="CN_APPROVE_TOKEN", tool="both",
                hsm=QUORUM_USERS, views=("approval",), backends=("emulator", "cloudhsm")),
    CommandSpec("listTokens", "quorum.token.list", "list the quorum tokens on each HSM",
                "listTokens", tool="both",
                hsm=LOGGED_IN, views=("tokens",), backends=("emulator", "cloudhsm")),
    CommandSpec("delToken", "quorum.token.delete", "delete your quorum tokens",
                "delToken <id[,id...]|all>",
                (Arg("tokens", "token_ids", position=0, help="token ids (1,2) or all"),),
                opcode="CN_DELETE_TOKEN", tool="both",
                hsm=QUORUM_USERS, views=("per_server",), backends=("emulator", "cloudhsm")),
]
