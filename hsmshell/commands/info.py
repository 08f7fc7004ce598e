"""Read-only information about the HSMs (no login needed)."""

from hsmshell.commands.spec import Arg, CommandSpec
from hsmshell.model.hsm_rules import ANYONE

SPECS = [
    CommandSpec("info", "hsm.info", "show one server's id, address, state and login",
                "info server <server-id>",
                (Arg("what", "choice", position=0, choices=("server",)),
                 Arg("server_id", "int", position=1, help="server number, 0..N-1")), tool="cmu",
                hsm=ANYONE, views=("server_info",), backends=("emulator", "cloudhsm")),
    CommandSpec("getHSMInfo", "hsm.info", "hardware and firmware information of every HSM",
                "getHSMInfo", tool="both",
                hsm=ANYONE, views=("hsm_info",), backends=("emulator", "cloudhsm")),
    CommandSpec("getCert", "hsm.info", "write one HSM's certificate of a type to a file (PEM)",
                "getCert <file> <1|2|4|8|16>   (KMU: getCert -f <file> -s <type>)",
                (Arg("file", "path", position=0, flags=("-f",), help="the file to write (PEM)"),
                 Arg("cert_type", "int", position=1, flags=("-s", "-t"),
                     help="1 manufacturer root, 2 manufacturer hardware, 4 customer root, "
                          "8 cluster, 16 HSM chained to the manufacturer root")),
                tool="both",
                details="CMU: in server mode, that HSM's; KMU: the session's HSM.",
                hsm=ANYONE, views=("cert_file",), backends=("emulator", "cloudhsm")),
]
