"""Exit statuses: the one enum every mode and the JSON `error_code` use (docs/architecture.md)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    SUCCESS = 0
    HSM_ERROR = 1          # the HSM refused or failed the command
    USAGE = 2              # usage or parse error
    DENIED = 3             # permission denied (policy or HSM), not logged in
    QUORUM = 4             # quorum approval required
    UNAVAILABLE = 5        # backend unavailable
    AUDIT = 6              # audit log could not be written or verified
    PARTIAL = 7            # a write was done on some HSMs only (they now differ: cluster diff)
    DIFFERENCES = 8        # a comparison found differences (cluster diff, audit replay --roles)
