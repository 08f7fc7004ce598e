"""THE TABLE: every command hsmshell knows, one CommandSpec each, grouped by subject.

`command_table()` builds a fresh table per shell instance from the modules below; add a
command by adding its spec to the list of its subject module.
"""

from hsmshell.commands import info, kms, servers, keys, keys_transfer, quorum, session, shell, users
from hsmshell.commands.spec import Arg, CommandSpec, CommandTable, build_table

SUBJECTS = (shell, session, users, info, quorum, keys, keys_transfer, servers)


def command_table() -> CommandTable:
    from hsmshell.commands import sdk5          # CloudHSM CLI's noun-verb phrases
    table = build_table(spec for subject in (*SUBJECTS, sdk5) for spec in subject.SPECS)
    table.other_actions = kms.ACTIONS
    return table


__all__ = ["Arg", "CommandSpec", "CommandTable", "command_table"]
