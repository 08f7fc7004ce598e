"""`hsmshell credentials set|delete|list`: passwords in the OS keyring, service
`hsmshell:<cluster>`, used by `@keyring` (entry = the command's user name) and `@keyring:NAME`."""

from __future__ import annotations

NAME = "credentials"
HELP = "store, delete and list passwords kept in the OS keyring"
EXAMPLES = """examples:
  hsmshell credentials set admin                 # asks twice, hidden; then loginHSM CO admin @keyring
  printf '%s\\n' "$PW" | hsmshell credentials set alice --stdin
  hsmshell credentials list                      # names and the keyring backend, never values
  hsmshell credentials delete alice"""
INSECURE_HELP = ("accept a keyring backend that keeps passwords unencrypted (keyrings.alt's "
                 "PlaintextKeyring); same as HSMSHELL_ALLOW_INSECURE_KEYRING=1")


def add_arguments(parser, common) -> None:
    sub = parser.add_subparsers(dest="credentials_command", required=True, metavar="{set,delete,list}")
    store = sub.add_parser("set", parents=[common], help="store a password (asked twice, hidden)")
    store.add_argument("name", help="entry name: the HSM user name for `@keyring`, or any NAME for `@keyring:NAME`")
    store.add_argument("--stdin", action="store_true", help="read the password from the first line of stdin")
    delete = sub.add_parser("delete", parents=[common], help="remove a stored password")
    delete.add_argument("name")
    listing = sub.add_parser("list", parents=[common], help="list the names of the stored passwords (never the values)")
    for each in (store, delete, listing):
        each.add_argument("--allow-insecure-keyring", action="store_true", help=INSECURE_HELP)


def run(options, env):
    from hsmshell import keyring_store as store
    from hsmshell.errors import InvalidArgument
    from hsmshell.render.report import report
    from hsmshell.status import ExitStatus

    allow = getattr(options, "allow_insecure_keyring", False) or store.insecure_allowed(env.environ)
    index = store.CredentialIndex(env.home)
    service = store.service_name(env.cluster)
    command = f"credentials {options.credentials_command}"
    _, backend = store.usable_keyring(allow)           # say so before asking for a password
    where = f"the keyring ({service}, backend {backend})"
    if store.is_insecure_name(backend):
        env.stderr.write(f"hsmshell: warning: {backend} keeps passwords unencrypted on disk "
                         f"(accepted by your opt-in)\n")
    if options.credentials_command == "list":
        names = index.names(env.cluster)
        report(env, command, {"service": service, "backend": backend, "names": names},
               names or [f"no stored credentials for cluster {env.cluster} in {where}"])
        return ExitStatus.SUCCESS
    name = store.check_entry_name(options.name)
    if options.credentials_command == "delete":
        existed = store.delete_password(env.cluster, name, allow)
        index.remove(env.cluster, name)
        if not existed:
            raise InvalidArgument(f"no password for '{name}' in {where}",
                                  reference="no-such-credential",
                                  hint="`hsmshell credentials list` shows the stored names")
        report(env, command, {"service": service, "backend": backend, "name": name},
               [f"deleted the password of {name} from {where}"])
        return ExitStatus.SUCCESS
    password = _read_password(env, name, options.stdin)
    store.set_password(env.cluster, name, password, allow)
    index.add(env.cluster, name)
    report(env, command, {"service": service, "backend": backend, "name": name},
           [f"stored the password of {name} in {where}"])
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
