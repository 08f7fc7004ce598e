"""The user group (AWS's CloudHSM CLI pages): the same actions as CMU's createUser,
deleteUser, changePswd and listUsers, so one policy covers both vocabularies."""

from hsmshell.commands.sdk5.args import APPROVAL, CLUSTER_ID, ROLE, TOOL, USERNAME, password
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.hsm_rules import ANYONE, LOGGED_IN, OFFICERS, per_action



def _password_action(args: dict, principal) -> str:
    """Your own password and another user's are different permissions (as changePswd)."""
    if principal is not None and str(args.get("username", "")).lower() == principal.name.lower():
        return "user.password.self"
    return "user.password.other"


_password_action.possible_actions = ("user.password.self", "user.password.other")

SPECS = [
    CommandSpec("user create", "user.create", "create an admin or crypto user",
                "user create [OPTIONS] --username <USERNAME> --role <ROLE> [--password <PASSWORD>]",
                (USERNAME, ROLE, password(prompt_twice=True), APPROVAL, CLUSTER_ID),
                caution=True, asks_on_failure=False, opcode="CN_CREATE_USER", tool=TOOL,
                details="--approval is needed when the user service's quorum value is above 1.",
                hsm=OFFICERS, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("user delete", "user.delete", "delete a user",
                "user delete [OPTIONS] --username <USERNAME> --role <ROLE>",
                (USERNAME, ROLE, APPROVAL, CLUSTER_ID), caution=True, asks_on_failure=False, opcode="CN_DELETE_USER",
                tool=TOOL, details="A logged-in user, or a crypto user who owns keys, cannot be deleted.",
                hsm=OFFICERS, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("user list", "user.list", "list the cluster's users", "user list [OPTIONS]",
                (CLUSTER_ID,), tool=TOOL,
                hsm=ANYONE, views=("sdk5_users",), backends=("emulator", "cloudhsm")),
    CommandSpec("user change-password", "user.password.other",
                "change a password (your own, or as admin anyone's; unlocks a locked user)",
                "user change-password [OPTIONS] --username <USERNAME> --role <ROLE> [--password <PASSWORD>]",
                (USERNAME, ROLE, password(prompt_twice=True), APPROVAL, CLUSTER_ID),
                caution=True, asks_on_failure=False, opcode="CN_CHANGE_PSWD", tool=TOOL, resolve_action=_password_action,
                hsm=per_action(**{"user.password.other": OFFICERS, "user.password.self": LOGGED_IN}), views=("sdk5",), backends=("emulator", "cloudhsm")),
]
