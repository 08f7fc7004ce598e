"""`hsmshell <subcommand>`: each module here adds its argparse parser and runs it.

A module provides `NAME`, `HELP`, `add_arguments(parser, common)` (common: the global
options parent parser, so options work after the subcommand too) and `run(options, env)`
returning an ExitStatus. Add a subcommand by adding its module to SUBCOMMANDS.
"""

from hsmshell.subcommands import audit, cluster, completion, configure, credentials, emulate, kms, logs, run

SUBCOMMANDS = (run, audit, credentials, cluster, configure, logs, emulate, kms, completion)
