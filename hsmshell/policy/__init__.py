"""policy: (principal, invocation, quorum ledger) -> Decision. Pure; the role files are data."""

from hsmshell.policy.engine import Decision, decide
from hsmshell.policy.roles import Policy, load_policy

__all__ = ["Decision", "Policy", "decide", "load_policy"]
