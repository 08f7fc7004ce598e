"""Shell-local commands: answered by hsmshell itself, never sent to an HSM."""

from hsmshell.commands.spec import Arg, CommandSpec

SPECS = [
    CommandSpec("help", "shell.help", "list the commands, or show one command's syntax",
                "help [command]", (Arg("topic", "str", position=0, required=False, complete="command"),),
                local=True, tool="both",
                views=("help",)),
    CommandSpec("whoami", "shell.whoami", "show who is logged in, and in which role", "whoami",
                local=True, tool="shell",
                views=("whoami",)),
    CommandSpec("status", "shell.status", "show the cluster, its HSMs and your login", "status",
                local=True, tool="shell",
                views=("status",)),
    CommandSpec("Error2String", "shell.error_string", "show the text of a key_mgmt_util response code",
                "Error2String -r <response-code>", (Arg("response_code", "str", position=0, flags=("-r",),
                                                        help="the code in hex, with its 0x prefix: 0xdb"),),
                local=True, tool="kmu",
                details="Answered by the client as key_mgmt_util does, without an HSM.",
                views=("error_string",)),
    CommandSpec("approvalFile", "shell.approval_file",
                "write a CMU approval file from a token and its approvers' signature files",
                "approvalFile <token-file> <approval-file> <name:CO|CU:signature-file>[,...]",
                (Arg("token_file", "path", position=0, complete="path", help="the token getToken wrote"),
                 Arg("approval_file", "path", position=1, complete="path", help="the approval file to write"),
                 Arg("approvals", "str", position=2,
                     help="each approver as name:type:signature-file (type CO or CU), comma-separated")),
                local=True, tool="shell",
                details="No hand-editing: the file is checked as approveToken reads it (the token, "
                        "each signature's size) before it is kept; then approveToken <approval-file>.",
                views=("message",)),
    CommandSpec("clear", "shell.clear", "clear the screen", "clear", local=True, tool="shell",
                details="As Ctrl-L. Into a pipe or with --json it prints nothing.",
                views=("clear",)),
    CommandSpec("quit", "shell.quit", "log out and leave the shell", "quit", local=True,
                tool="both",
                views=("message",)),          # `exit` (commands/servers.py) also leaves server mode
]
