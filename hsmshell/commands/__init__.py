"""THE TABLE: every command hsmshell knows, one CommandSpec each, grouped by subject.

`command_table()` builds a fresh table per shell instance from the modules below; add a
command by adding its spec to the list of its subject module.
"""

from __future__ import annotations

import functools
import hashlib
import os

from hsmshell.commands import info, kms, servers, keys, keys_transfer, quorum, session, shell, users
from hsmshell.commands.spec import Arg, CommandSpec, CommandTable, build_table

SUBJECTS = (shell, session, users, info, quorum, keys, keys_transfer, servers)
# The first words of CloudHSM CLI's noun-verb phrases (commands/sdk5/): a line starting with
# another word is SDK 3's, so its table is built only when a line, help or completion needs
# it. tests/unit/test_command_table.py checks this against the phrases.
SDK5_ROOTS = frozenset({"cluster", "crypto", "key", "login", "logout", "quorum", "user"})
_HERE = os.path.dirname(__file__)


def command_table() -> CommandTable:
    table = build_table(spec for subject in SUBJECTS for spec in subject.SPECS)
    table.other_actions = kms.ACTIONS
    table.defer(_sdk5_specs, SDK5_ROOTS, sdk5_source_key)
    return table


def _sdk5_specs():
    from hsmshell.commands import sdk5          # CloudHSM CLI's noun-verb phrases
    return sdk5.SPECS


@functools.lru_cache(maxsize=1)      # the files are read once a process (a warm-start server's
def sdk5_source_key() -> str:       # children inherit it: it serves only while they are unchanged)
    """A digest of the files the noun-verb specs and their action ids are written in (the
    command table's modules, SDK 3's shared ones included: their action ids are literals
    there, the command table test checks it), read instead of building the specs."""
    digest = hashlib.sha256()
    for folder in (_HERE, os.path.join(_HERE, "sdk5")):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as source:
                    digest.update(name.encode() + b"\0" + source.read() + b"\0")
    return digest.hexdigest()


__all__ = ["Arg", "CommandSpec", "CommandTable", "command_table"]
