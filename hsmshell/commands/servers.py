"""CMU server mode: send commands to one HSM (`server N` ... `exit`), and the repairs made
there when HSMs drift apart (syncUser, syncKey)."""

from hsmshell.commands.spec import Arg, CommandSpec
from hsmshell.model.capabilities import Capability
from hsmshell.model.hsm_rules import ANYONE, OFFICERS, QUORUM_USERS

DEST_SERVER = Arg("server_id", "int", position=1, help="destination server number, 0..N-1")

SPECS = [
    CommandSpec("server", "hsm.server_mode", "enter server mode: commands go to one HSM only",
                "server <server-id>", (Arg("server_id", "int", position=0, help="server number, 0..N-1"),),
                tool="cmu", details="The prompt shows server<N>>; `exit` returns to global mode.",
                hsm=ANYONE, views=("server_mode",), backends=("emulator", "cloudhsm")),
    CommandSpec("exit", "shell.exit", "leave server mode (outside server mode: quit the shell)",
                "exit", local=True, tool="both",
                views=("message",)),
    CommandSpec("syncUser", "user.sync", "copy a user from this server to another (server mode)",
                "syncUser <user-id> <destination-server>",
                (Arg("user_id", "int", position=0, help="the user's id on this server (listUsers)"),
                 DEST_SERVER), opcode="CN_INSERT_MASKED_OBJECT_USER", tool="cmu",
                capability=Capability.TOPOLOGY,       # a copy between HSMs, not user management
                details="Run in server mode on the source HSM, as a CO; `hsmshell cluster diff` "
                        "lists the syncs that bring drifted HSMs back in step.",
                hsm=OFFICERS, views=("sync",), backends=("emulator", "cloudhsm")),
    CommandSpec("syncKey", "key.sync", "copy a key from this server to another (server mode)",
                "syncKey <key-handle> <destination-server>",
                (Arg("key_handle", "int", position=0, help="the key's handle"), DEST_SERVER),
                opcode="CN_INSERT_MASKED_OBJECT_USER", tool="cmu", capability=Capability.TOPOLOGY,
                details="A CO may sync any key; a CU only keys it owns. The owner must exist on "
                        "the destination (syncUser it first).",
                hsm=QUORUM_USERS, views=("sync",), backends=("emulator", "cloudhsm")),
]
