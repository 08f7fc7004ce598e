"""argv -> mode. The one place that maps errors to exit codes (and may print outside render/).

Kept light: heavy modules (rich, prompt_toolkit, keyring, cryptography) are imported only by
the modes that need them, so one-shot `--json -c` commands start fast.
"""

from __future__ import annotations

import sys

from hsmshell import __version__
from hsmshell.errors import HsmshellError
from hsmshell.status import ExitStatus


# The global options, declared once: argparse builds its parsers from them, and a one-shot's
# `[options] -c CMDS` is read from them without argparse (_quick_options).
GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], dict], ...] = (
    (("--home",), dict(default=None, help="state dir (else $HSMSHELL_HOME, else XDG data dir)")),
    (("--cluster",), dict(default=None, help="cluster name (default: $HSMSHELL_CLUSTER, else the one "
                                             "`configure -a` chose, else default)")),
    (("--roles",), dict(default=None, metavar="DIR", help="role files to check commands against")),
    (("--backend",), dict(default="emulator", choices=("emulator", "cloudhsm", "pkcs11"))),
    (("--pkcs11-module",), dict(dest="pkcs11_module", metavar="PATH", default=None,
                                help="PKCS#11 library of the token (pkcs11 backend; $HSMSHELL_PKCS11_MODULE)")),
    (("--token",), dict(dest="pkcs11_token", metavar="LABEL", default=None,
                        help="token label or serial (pkcs11 backend; $HSMSHELL_PKCS11_TOKEN)")),
    (("--pkcs11-profile",), dict(dest="pkcs11_profile", default=None,
                                 choices=("softhsm", "cloudhsm", "yubihsm", "generic"),
                                 help="how a login becomes a PIN (default: from the token's maker; "
                                 "$HSMSHELL_PKCS11_PROFILE)")),
    (("--output",), dict(default=None, choices=("rich", "json", "classic"),
                         help="rich (default; or the config file's output), json or classic")),
    (("--json",), dict(dest="output", action="store_const", const="json", default=None,
                       help="same as --output json")),
    (("--no-color",), dict(dest="no_color", action="store_true", default=False)),
    (("--no-pager",), dict(dest="no_pager", action="store_true", default=False,
                           help="never page long output (it is paged only on a terminal, with $PAGER)")),
    (("--yes", "-y"), dict(dest="yes", action="store_true", default=False,
                           help="answer the CAUTION confirmation of write commands")),
    (("--on-server-failure",), dict(dest="on_server_failure", choices=("abort", "ignore"), default=None,
                                    help="answer to Retry/Ignore/Abort when a server fails a write and "
                                    "nobody can be asked (default: $HSMSHELL_ON_SERVER_FAILURE, else abort)")),
)


def _dest(flags: tuple[str, ...], settings: dict) -> str:
    return settings.get("dest") or flags[0].lstrip("-").replace("-", "_")      # as argparse names it


def _common_options(suppress: bool):
    """Global options, accepted before or after a subcommand."""
    import argparse
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("global options")
    for flags, settings in GLOBAL_OPTIONS:
        group.add_argument(*flags, **({**settings, "default": argparse.SUPPRESS} if suppress else settings))
    return parser


def _quick_options(argv: list[str]):
    """`[global options] -c CMDS` and the bare REPL read without argparse, whose import and
    parser building were an eighth of a one-shot's start-up (docs/performance.md); None for
    anything else (a subcommand, a bare command word, help, an abbreviated or unknown option,
    a missing or bad value), which argparse then reads as always."""
    from types import SimpleNamespace
    by_flag = {flag: (flags, settings) for flags, settings in GLOBAL_OPTIONS for flag in flags}
    values = {_dest(flags, settings): settings["default"] for flags, settings in GLOBAL_OPTIONS}
    values.update(commands=None, mode=None)
    index = 0
    while index < len(argv):
        flag, has_value, value = argv[index].partition("=")
        if flag == "-c" and not has_value:
            flags, settings = ("-c",), {"dest": "commands"}
        elif flag in by_flag:
            flags, settings = by_flag[flag]
        else:
            return None
        if "action" in settings:                      # --json, --yes, --no-color, ...
            if has_value:
                return None
            values[_dest(flags, settings)] = settings.get("const", True)
            index += 1
            continue
        if not has_value:
            if index + 1 >= len(argv) or argv[index + 1].startswith("-"):
                return None
            value = argv[index + 1]
        if value not in settings.get("choices", (value,)):
            return None
        values[_dest(flags, settings)] = value
        index += 1 if has_value else 2
    return SimpleNamespace(**values)


GLOBALS_NOTE = ("global options (--home, --cluster, --json, --yes, --no-pager, ...) go before or "
                "after the subcommand: hsmshell --help lists them")


def build_parser(subcommands: bool = True, only: str | None = None):
    """The whole parser; `only`: with that one subcommand's parser alone (argv names it)."""
    import argparse
    parser = argparse.ArgumentParser(
        prog="hsmshell", parents=[_common_options(False)], add_help=subcommands,
        exit_on_error=subcommands,
        description="A role-aware administration shell for CloudHSM-style clusters.")
    parser.add_argument("--version", action="version", version=f"hsmshell {__version__}")
    parser.add_argument("-c", dest="commands", metavar="CMDS", help='run "CMD; CMD; ..." and exit')
    if not subcommands:
        return parser
    from hsmshell.subcommands import SUBCOMMANDS
    sub = parser.add_subparsers(dest="mode", metavar="{" + ",".join(m.NAME for m in SUBCOMMANDS) + "}")
    common = _common_options(True)
    for action in common._actions:          # accepted after a subcommand, listed once: hsmshell --help
        action.help = argparse.SUPPRESS
    for module in SUBCOMMANDS:
        if only is not None and module.NAME != only:
            continue
        module.add_arguments(sub.add_parser(
            module.NAME, parents=[common], help=module.HELP, description=module.HELP,
            epilog=(getattr(module, "EXAMPLES", "") + "\n\n" + GLOBALS_NOTE).lstrip(),
            formatter_class=argparse.RawDescriptionHelpFormatter), common)
    return parser


def parse_arguments(argv: list[str] | None):
    """`-c` and the REPL name no subcommand: read them without argparse when they are plain
    (_quick_options), else without building every subcommand's parser (that took a tenth of
    a one-shot's start-up); anything else, `-h` included, gets the full parser."""
    argv = _hpswd_values(sys.argv[1:] if argv is None else list(argv))
    quick = _quick_options(argv)
    if quick is not None:
        return quick
    import argparse
    root = build_parser(subcommands=False)
    argv = _bare_command(argv, root)
    try:
        options, rest = root.parse_known_args(argv)
    except argparse.ArgumentError:
        rest = argv                          # the full parser says what is wrong
    if rest:
        parser = build_parser(only=_only_subcommand(argv, rest))
        options = parser.parse_args(argv)
        options.root_parser = parser          # `completion` describes it
        return options
    options.mode = None
    return options


def _only_subcommand(argv: list[str], rest: list[str]) -> str | None:
    """The subcommand argv runs, when the parser needs no other (`run FILE` then skips building
    every other subcommand's parser and importing what they import: about 20 ms of a batch's
    start). None for help, `completion` (it describes the whole parser) or anything unclear."""
    from hsmshell.subcommands import SUBCOMMANDS
    if not rest or "-h" in argv or "--help" in argv:
        return None
    names = {module.NAME for module in SUBCOMMANDS}
    return rest[0] if rest[0] in names and rest[0] != "completion" else None


def _bare_command(argv: list[str], root) -> list[str]:
    """`hsmshell listUsers`, `hsmshell help [COMMAND]`: a first word that is no subcommand
    runs the rest of the line as `-c` does (the global options before it still apply)."""
    options = root._option_string_actions          # the parser -c uses, built once per start
    index = 0
    while index < len(argv):
        token = argv[index]
        if token.startswith("-"):
            action = options.get(token.split("=", 1)[0])
            if action is None or action.dest == "commands":
                return argv                    # argparse reports it, or -c says it all
            index += 1 if action.nargs == 0 or "=" in token else 2
            continue
        from hsmshell.subcommands import SUBCOMMANDS       # only here: -c starts quicker
        if token in {module.NAME for module in SUBCOMMANDS}:
            return argv
        import shlex
        return [*argv[:index], "-c", shlex.join(argv[index:])]
    return argv


def _hpswd_values(argv: list[str]) -> list[str]:
    """`--opt -hpswd` as `--opt=-hpswd`: argparse takes a value starting with '-' for an
    option, so the README's `--ca-key-passphrase -hpswd` failed as typed."""
    out: list[str] = []
    for token in argv:
        if token == "-hpswd" and out and out[-1].startswith("--") and "=" not in out[-1]:
            out[-1] += "=-hpswd"
        else:
            out.append(token)
    return out


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    env = None
    try:
        from hsmshell.modes.options import make_environment
        env = make_environment(options)
        return int(dispatch(options, env))
    except HsmshellError as error:
        report_error(error, options, env)
        return int(error.status)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:        # a bug outside any command (the pipeline audits its own)
        error = _state_failure(exc, env)
        if error is None:
            from hsmshell.crash_report import internal_error
            error = internal_error(exc, getattr(env, "home", None), {"mode": options.mode or "shell"})
        report_error(error, options, env)
        return int(error.status)


def dispatch(options, env) -> ExitStatus:
    if options.mode:
        from hsmshell.subcommands import SUBCOMMANDS
        return next(m for m in SUBCOMMANDS if m.NAME == options.mode).run(options, env)
    if options.commands is not None:
        from hsmshell.modes.batch import run_command_string
        return run_command_string(env, options.commands)
    from hsmshell.modes.repl import run_repl
    return run_repl(env)


def _state_failure(error: Exception, env) -> HsmshellError | None:
    """A damaged cluster state file met outside a command (opening, closing, verifying):
    one line and exit 5, like inside one (pipeline.py)."""
    import sqlite3
    if not isinstance(error, sqlite3.DatabaseError) or isinstance(
            error, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
        return None
    from hsmshell.state.db import state_damaged
    return state_damaged(f"of cluster '{env.cluster}'" if env else "", error)


def report_error(error: HsmshellError, options, env) -> None:
    if (env.output if env is not None else getattr(options, "output", None)) == "json":
        from hsmshell.render.report import envelope
        print(envelope(None, None, error.to_dict(), error.status))
        if error.reference != "internal-error":
            return                  # the crash report's path goes to stderr as well
    sys.stderr.write(f"hsmshell: error[{error.reference}]: {error.message}\n")
    if error.hint:
        sys.stderr.write(f"  hint: {error.hint}\n")
