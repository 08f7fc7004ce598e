"""HSM user management (CMU): create, delete, change passwords, list."""

from hsmshell.commands.common import NEW_PASSWORD, USER_NAME, USER_TYPE
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.hsm_rules import ANYONE, LOGGED_IN, OFFICERS, per_action


def _password_action(args: dict, principal) -> str:
    """Changing your own password and changing another user's are different permissions."""
    if principal is not None and str(args.get("user_name", "")).lower() == principal.name.lower():
        return "user.password.self"
    return "user.password.other"


_password_action.possible_actions = ("user.password.self", "user.password.other")
_password_action.conditions = {"user.password.self": "for your own password",       # help says these
                               "user.password.other": "for another user's password"}

SPECS = [
    CommandSpec("createUser", "user.create", "create a CO or CU on every HSM",
                "createUser <CO|CU> <user-name> <password|-hpswd>",
                (USER_TYPE, USER_NAME, NEW_PASSWORD), caution=True, opcode="CN_CREATE_USER",
                hsm=OFFICERS, views=("per_server",), backends=("emulator", "cloudhsm")),
    CommandSpec("deleteUser", "user.delete", "delete a user from every HSM",
                "deleteUser <CO|CU> <user-name>", (USER_TYPE, USER_NAME), caution=True,
                opcode="CN_DELETE_USER",
                details="A logged-in user, the AU, and a CU that owns keys cannot be deleted.",
                hsm=OFFICERS, views=("per_server",), backends=("emulator", "cloudhsm")),
    CommandSpec("changePswd", "user.password.other", "change a password (your own, or as CO anyone's)",
                "changePswd <CO|CU|PRECO> <user-name> <password|-hpswd>",
                (USER_TYPE, USER_NAME, NEW_PASSWORD), caution=True, opcode="CN_CHANGE_PSWD",
                resolve_action=_password_action,
                details="As PRECO, changing your own password activates the cluster. "
                        "A CO setting a locked user's password unlocks it.",
                hsm=per_action(**{"user.password.other": OFFICERS, "user.password.self": LOGGED_IN}), views=("per_server",), backends=("emulator", "cloudhsm", "pkcs11")),
    CommandSpec("listUsers", "user.list", "list the users on each HSM", "listUsers",
                opcode=None, tool="both",
                hsm=ANYONE, views=("users",), backends=("emulator", "cloudhsm")),
]
