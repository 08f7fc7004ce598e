"""login, logout, cluster activate and hsm-info (AWS's CloudHSM CLI pages)."""

from hsmshell.commands.sdk5.args import CLUSTER_ID, ROLE, TOOL, USERNAME, password
from hsmshell.commands.spec import CommandSpec
from hsmshell.model.capabilities import Capability
from hsmshell.model.hsm_rules import ANYONE, LOGGED_IN

SPECS = [
    CommandSpec("login", "session.login", "log in to the cluster (SDK 5)",
                "login [OPTIONS] --username <USERNAME> --role <ROLE> [--password <PASSWORD>]",
                (USERNAME, ROLE, password(prompt_twice=False), CLUSTER_ID),
                opcode="CN_LOGIN", tool=TOOL,
                details="Five failed logins lock the user; an admin unlocks it with "
                        "user change-password. admin covers CO, PCO and the unactivated admin.",
                hsm=ANYONE, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("logout", "session.logout", "log out of the cluster (SDK 5)", "logout [OPTIONS]",
                (CLUSTER_ID,), opcode="CN_LOGOUT", tool=TOOL,
                hsm=LOGGED_IN, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("cluster activate", "cluster.activate",
                "activate a new cluster: set the admin's password",
                "cluster activate [OPTIONS] [--password <PASSWORD>]",
                (password(prompt_twice=True), CLUSTER_ID), caution=True, asks_on_failure=False, opcode="CN_CHANGE_PSWD",
                tool=TOOL, capability=Capability.USERS,
                details="Sets the password of the unactivated admin `admin` (initial password "
                        "`password`), which becomes an admin; the same change as CMU's "
                        "changePswd PRECO admin.",
                hsm=ANYONE, views=("sdk5",), backends=("emulator", "cloudhsm")),
    CommandSpec("cluster hsm-info", "hsm.info", "hardware and firmware information of every HSM",
                "cluster hsm-info [OPTIONS]", (CLUSTER_ID,), tool=TOOL,
                hsm=ANYONE, views=("sdk5_hsms",), backends=("emulator", "cloudhsm")),
]
