"""Read-only information about the HSMs (no login needed)."""

from hsmshell.commands.spec import Arg, CommandSpec

SPECS = [
    CommandSpec("info", "hsm.info", "show one server's id, address, state and login",
                "info server <server-id>",
                (Arg("what", "choice", position=0, choices=("server",)),
                 Arg("server_id", "int", position=1, help="server number, 0..N-1")), tool="cmu"),
    CommandSpec("getHSMInfo", "hsm.info", "hardware and firmware information of every HSM",
                "getHSMInfo", tool="both"),
]
