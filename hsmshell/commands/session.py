"""Logging in and out of every HSM in the cluster."""

from hsmshell.commands.common import PASSWORD, USER_NAME, USER_TYPE
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.hsm_rules import ANYONE, LOGGED_IN

SPECS = [
    CommandSpec(
        "loginHSM", "session.login", "log in to every HSM in the cluster",
        "loginHSM <CO|CU|PRECO> <user-name> <password|-hpswd>   (KMU: loginHSM -u CU -s <name> -p <pw>)",
        (USER_TYPE, USER_NAME, PASSWORD), opcode="CN_LOGIN", tool="both",
        details="More than 5 failed logins lock the user on that HSM; a CO unlocks it with changePswd.",
        hsm=ANYONE, views=("per_server",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec("logoutHSM", "session.logout", "log out of every HSM", "logoutHSM",
                opcode="CN_LOGOUT", tool="both",
                hsm=LOGGED_IN, views=("per_server",), backends=("emulator", "cloudhsm", "pkcs11")),
]
