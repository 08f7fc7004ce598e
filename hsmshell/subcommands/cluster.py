"""`hsmshell cluster create|list|describe|csr|initialize|fail-hsm|replace|add-hsm|remove-hsm|diff`:
the emulated cluster's life, as the CloudHSM API and console run it (docs/cluster.md)."""

from __future__ import annotations

NAME = "cluster"
HELP = "create, initialize, inspect and fail over emulated clusters (docs/cluster.md)"
EXAMPLES = """examples:
  hsmshell cluster create prod --hsms 3 --azs us-east-1a,us-east-1b,us-east-1c
  hsmshell cluster initialize prod --ca-cert customerCA.crt --ca-key customerCA.key --ca-key-passphrase -hpswd
  hsmshell cluster describe prod
  hsmshell cluster fail-hsm prod 1; hsmshell cluster replace prod 1
  hsmshell cluster diff prod                     # the syncs that fix drift (exit 8 if any)
  hsmshell --yes cluster remove-hsm prod 2"""
COMMANDS = ("create", "list", "describe", "csr", "initialize", "fail-hsm", "replace", "add-hsm",
            "remove-hsm", "diff", "network", "delete")


def add_arguments(parser, common) -> None:
    sub = parser.add_subparsers(dest="cluster_command", required=True, metavar="{" + ",".join(COMMANDS) + "}")

    def command(name: str, help: str, hsm: bool = False):
        p = sub.add_parser(name, parents=[common], help=help)
        p.add_argument("name", metavar="NAME", help="cluster name")
        if hsm:
            p.add_argument("hsm", metavar="HSM", help="HSM id, ENI IP or server number")
        return p

    create = command("create", "a new cluster: HSMs in availability zones, UNINITIALIZED")
    create.add_argument("--hsms", type=int, default=3, help="how many HSMs (1-28; default 3)")
    create.add_argument("--azs", help="availability zones, comma-separated (default us-east-1a,b,c)")
    create.add_argument("--subnets", help="one subnet CIDR per zone, comma-separated (default 10.0.<i>.0/24)")
    create.add_argument("--replace-after", metavar="SECONDS", default=None,
                        help="replace a failed HSM automatically after SECONDS, or never (default 600)")
    create.add_argument("--hsm-type", choices=("hsm2m.medium", "hsm1.medium"), default=None,
                        help="the HSMs' type (default hsm2m.medium; hsm1.medium has no mTLS, "
                             "no cluster quorum service, no non-FIPS mode)")
    create.add_argument("--mode", dest="hsm_mode", choices=("FIPS", "NON_FIPS", "fips", "non-fips"), default=None,
                        help="FIPS (default) or NON_FIPS (hsm2m.medium only: allows ed25519)")
    sub.add_parser("list", parents=[common], help="every cluster in the state dir")
    command("describe", "HSMs, network, security group, log group, certificate, events")
    csr = command("csr", "write the cluster's certificate signing request (to sign with openssl)")
    csr.add_argument("-o", "--out", dest="csr_file", metavar="FILE", help="where (default: the cluster's folder)")
    init = command("initialize", "sign the cluster's CSR with your CA; install customerCA.crt")
    init.add_argument("--ca-cert", metavar="FILE", help="the issuing CA certificate (PEM)")
    init.add_argument("--ca-key", metavar="FILE", help="its private key (PEM)")
    init.add_argument("--ca-key-passphrase", metavar="SECRET",
                      help="the key's passphrase: @env:VAR, @file:PATH, @keyring:NAME or -hpswd")
    init.add_argument("--self-signed", action="store_true", help="make a new CA for a trial")
    init.add_argument("--signed-cert", metavar="FILE", help="the CSR signed elsewhere (openssl x509 -req)")
    init.add_argument("--trust-anchor", metavar="FILE", help="the CA that signed it (customerCA.crt)")
    fail = command("fail-hsm", "make an HSM unreachable (it is replaced automatically later)", hsm=True)
    fail.add_argument("--replace-after", metavar="SECONDS",
                      help="replace it after SECONDS, or never (default: the cluster's setting)")
    replace = command("replace", "replace an HSM now: new id and IP in its AZ, cloned", hsm=True)
    replace.add_argument("--from", dest="source", metavar="HSM", help="the healthy HSM to clone")
    add = command("add-hsm", "add an HSM, cloned from a healthy one")
    add.add_argument("--az", help="its availability zone (default: the zone with the fewest HSMs)")
    add.add_argument("--from", dest="source", metavar="HSM", help="the healthy HSM to clone")
    command("remove-hsm", "delete an HSM (later servers move down one number)", hsm=True)
    command("diff", "users and keys that differ between HSMs, and the syncs that fix them")
    from hsmshell.admin import network_ops
    network_ops.add_arguments(sub, common)


def run(options, env):
    from hsmshell.admin import cluster_ops as ops
    from hsmshell.backends.emulator.lifecycle import CLUSTER_SETTING, NEVER, parse_delay
    from hsmshell.render.show import show

    command, name = options.cluster_command, getattr(options, "name", None)
    if command == "list":
        return show(env, ops.list_clusters(env))
    if command == "create":
        delay = 600.0 if options.replace_after is None else parse_delay(options.replace_after)
        return show(env, ops.create(env, name, options.hsms, _items(options.azs), _items(options.subnets), delay,
                                    options.hsm_type, options.hsm_mode))
    if command == "describe":
        return show(env, ops.describe(env, name))
    if command == "diff":
        return show(env, ops.diff(env, name))
    if command in ("delete", "remove-hsm"):
        _confirm(env, f"delete cluster {name}: its HSMs, users, keys and audit log" if command == "delete"
                 else f"delete HSM {options.hsm} of {name} (later servers move down one number)")
    if command in ("network", "delete"):
        from hsmshell.admin import network_ops
        return show(env, network_ops.network(env, name, options) if command == "network"
                    else network_ops.delete(env, name))
    if command == "csr":
        return show(env, ops.write_csr(env, name, options.csr_file))
    if command == "initialize":
        return show(env, ops.initialize(env, name, options.ca_cert, options.ca_key, options.ca_key_passphrase,
                                        options.self_signed, options.signed_cert, options.trust_anchor))
    args = {"hsm": getattr(options, "hsm", None), "source": getattr(options, "source", None)}
    if command == "fail-hsm":
        delay = CLUSTER_SETTING if options.replace_after is None else parse_delay(options.replace_after)
        args["replace_after"] = NEVER if delay is None else delay    # None would mean "not given"
    if command == "add-hsm":
        args["az"] = options.az
    return show(env, ops.change_hsms(env, name, command, **{k: v for k, v in args.items() if v is not None}))


def _items(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def _confirm(env, what: str) -> None:
    """Deleting is confirmed as a write command's CAUTION question is: --yes, or y on a
    terminal; anything else runs nothing."""
    from hsmshell.errors import ConfirmationRequired, UsageError
    if env.assume_yes:
        return
    if not env.can_confirm:
        raise ConfirmationRequired(f"this would {what}, and needs confirmation")
    from hsmshell.render import make_renderer
    make_renderer(env).note(f"This will {what}.")
    if not env.confirm("Do you want to continue(y/n)?"):
        raise UsageError("not run: the question was answered n", reference="cancelled")
