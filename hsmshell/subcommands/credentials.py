"""`hsmshell credentials set|delete|list`: passwords in the OS keyring, service
`hsmshell:<cluster>`, used by `@keyring` (entry = the command's user name) and `@keyring:NAME`."""

from __future__ import annotations

NAME = "credentials"
HELP = "store, delete and list passwords kept in the OS keyring"


def add_arguments(parser, common) -> None:
    sub = parser.add_subparsers(dest="credentials_command", required=True, metavar="{set,delete,list}")
    store = sub.add_parser("set", parents=[common], help="store a password (asked twice, hidden)")
    store.add_argument("name", help="entry name: the HSM user name for `@keyring`, or any NAME for `@keyring:NAME`")
    store.add_argument("--stdin", action="store_true", help="read the password from the first line of stdin")
    delete = sub.add_parser("delete", parents=[common], help="remove a stored password")
    delete.add_argument("name")
    sub.add_parser("list", parents=[common], help="list the names of the stored passwords (never the values)")


def run(options, env):
    from hsmshell import keyring_store as store
    from hsmshell.errors import InvalidArgument
    from hsmshell.render.report import report
    from hsmshell.status import ExitStatus

    index = store.CredentialIndex(env.home)
    service = store.service_name(env.cluster)
    command = f"credentials {options.credentials_command}"
    if options.credentials_command == "list":
        store.usable_keyring()
        names = index.names(env.cluster)
        report(env, command, {"service": service, "names": names},
               names or [f"no stored credentials for cluster {env.cluster} ({service})"])
        return ExitStatus.SUCCESS
    name = store.check_entry_name(options.name)
    if options.credentials_command == "delete":
        existed = store.delete_password(env.cluster, name)
        index.remove(env.cluster, name)
        if not existed:
            raise InvalidArgument(f"no password for '{name}' in the keyring ({service})",
                                  reference="no-such-credential",
                                  hint="`hsmshell credentials list` shows the stored names")
        report(env, command, {"service": service, "name": name},
               [f"deleted the password of {name} from the keyring ({service})"])
        return ExitStatus.SUCCESS
    store.usable_keyring()                   # say so before asking for a password
    password = _read_password(env, name, options.stdin)
    store.set_password(env.cluster, name, password)
    index.add(env.cluster, name)
    report(env, command, {"service": service, "name": name},
           [f"stored the password of {name} in the keyring ({service})"])
    return ExitStatus.SUCCESS


def _read_password(env, name: str, from_stdin: bool) -> str:
    from hsmshell.errors import InvalidArgument
    if from_stdin:
        password = env.stdin.readline().rstrip("\r\n")
    else:
        if not env.interactive and env.ask_secret_fn is None:
            raise InvalidArgument("cannot ask for the password: no terminal",
                                  hint="pipe it in with --stdin, e.g. from a secrets manager")
        password = env.ask_secret(f"Password for {name}: ")
        if env.ask_secret("Re-enter password: ") != password:
            raise InvalidArgument("the two passwords do not match; nothing was stored")
    if not password:
        raise InvalidArgument("empty password; nothing was stored")
    return password
