"""What a backend can do, in the words commands and backends share (backends/base.py).

A command needs one capability (by default read from its policy action's first word; a spec
may name another); a backend declares the capabilities it has, and a command whose
capability it lacks, or that it has no handler for, is answered `not-supported-by-backend`.
"""

from __future__ import annotations

from enum import Enum


class Capability(str, Enum):
    SESSIONS = "sessions"          # loginHSM / logoutHSM
    USERS = "users"                # HSM users: create, delete, passwords, list
    KEYS = "keys"                  # key generation, use, attributes, import/export
    QUORUM = "quorum"              # M-of-N: keys of approvers, tokens, M values
    TOPOLOGY = "topology"          # the HSMs of the cluster: info, server mode, sync between HSMs
    LOGS = "logs"                  # per-HSM audit streams (`hsmshell logs`)
    SHELL = "shell"                # answered by the shell itself (help, quit): every backend


# the first word of a policy action id -> the capability its commands need
ACTION_CAPABILITIES = {"session": Capability.SESSIONS, "user": Capability.USERS,
                       "key": Capability.KEYS, "quorum": Capability.QUORUM,
                       "hsm": Capability.TOPOLOGY, "shell": Capability.SHELL}


def capability_of(action: str) -> Capability:
    return ACTION_CAPABILITIES[action.split(".", 1)[0]]
