"""`hsmshell run FILE|-`: run a batch file."""

from __future__ import annotations

NAME = "run"
HELP = "run a batch file (one command a line, # comments)"
EXAMPLES = """examples:
  hsmshell run provision.hsm --dry-run           # the plan; changes nothing
  hsmshell --yes run provision.hsm               # stops at the first failure (file:line)
  hsmshell --yes run provision.hsm --continue-on-error
  printf 'listUsers\\n' | hsmshell run -         # commands from stdin"""


def add_arguments(parser, common) -> None:
    parser.add_argument("file", help="batch file, or - for standard input")
    parser.add_argument("--continue-on-error", action="store_true",
                        help="run every line; exit with the first failure's status")
    parser.add_argument("--dry-run", action="store_true",
                        help="run the file against a scratch copy of the cluster and print the plan "
                             "(would run / denied / needs quorum / would fail); changes nothing")


def run(options, env):
    from hsmshell.modes.batch import run_batch_file
    return run_batch_file(env, options.file, options.continue_on_error, options.dry_run)
