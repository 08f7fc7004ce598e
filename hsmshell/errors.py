"""Error classes with a stable kebab-case `reference`, a one-line message and a hint.

A reference is an API: scripts match on it, so references are never renamed. Each class
carries the exit status of its class (status.py); cli.py is the one place that turns an
error into an exit code.
"""

from __future__ import annotations

from hsmshell.status import ExitStatus


class HsmshellError(Exception):
    reference = "error"
    status = ExitStatus.HSM_ERROR
    default_hint: str | None = None
    keeps_data = False           # JSON: `data` is null on an error, except for these

    def __init__(self, message: str, hint: str | None = None, *, reference: str | None = None,
                 detail: dict | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        if reference:
            self.reference = reference
        # Structured facts for JSON/audit (never secrets), e.g. the rule that denied.
        self.detail = detail or {}
        # What audit replay needs to repeat this failure (what a handler read from files
        # before it failed: backends/emulator/replay_inputs.py); None when nothing.
        self.replay: dict | None = None

    def to_dict(self) -> dict:
        return {"reference": self.reference, "message": self.message, "hint": self.hint}


# -- usage (exit 2) -------------------------------------------------------------------------
class UsageError(HsmshellError):
    reference = "invalid-argument"
    status = ExitStatus.USAGE


class ParseError(UsageError):
    reference = "parse-error"


class UnknownCommand(UsageError):
    reference = "unknown-command"
    default_hint = "type 'help' for the list of commands"


class InvalidArgument(UsageError):
    reference = "invalid-argument"


class ConfirmationRequired(UsageError):
    reference = "confirmation-required"
    default_hint = "answer the CAUTION question on a terminal, or pass --yes"


class ConfigError(UsageError):
    reference = "invalid-config"


# -- refusals (exit 3 / 4) --------------------------------------------------------------------
class NotLoggedIn(HsmshellError):
    reference = "not-logged-in"
    status = ExitStatus.DENIED
    default_hint = "log in first: loginHSM <CO|CU|PRECO> <name> -hpswd"


class PermissionDenied(HsmshellError):
    reference = "permission-denied"
    status = ExitStatus.DENIED


class QuorumRequired(HsmshellError):
    reference = "quorum-required"
    status = ExitStatus.QUORUM


# -- the HSM refused (exit 1) -----------------------------------------------------------------
class HsmError(HsmshellError):
    """The HSM (emulated or real) refused or failed the command."""
    reference = "hsm-error"
    status = ExitStatus.HSM_ERROR


class LoginFailed(HsmError):
    reference = "login-failed"


class UserLocked(HsmError):
    reference = "user-locked"
    default_hint = "a crypto officer unlocks the user by setting a new password: changePswd"


class NoSuchUser(HsmError):
    reference = "no-such-user"
    default_hint = "listUsers shows the users on every HSM"


class NoSuchKey(HsmError):
    reference = "no-such-key"
    default_hint = "findKey lists the keys you can use"


class KeyAccessDenied(HsmError):
    reference = "key-access-denied"


class LimitExceeded(HsmError):
    reference = "limit-exceeded"


class InvalidApproval(HsmError):
    reference = "invalid-approval"


class TokenExpired(HsmError):
    reference = "token-expired"


class NoSuchToken(HsmError):
    reference = "no-such-token"
    default_hint = "listTokens shows the quorum tokens on every HSM"


# -- infrastructure (exit 5 / 6) --------------------------------------------------------------
class BackendUnavailable(HsmshellError):
    reference = "hsm-unavailable"
    status = ExitStatus.UNAVAILABLE


class AuditWriteFailed(HsmshellError):
    reference = "audit-write-failed"
    status = ExitStatus.AUDIT


class AuditTampered(HsmshellError):
    reference = "audit-tampered"
    status = ExitStatus.AUDIT


# -- the cluster's life (create, initialize, connect, fail over) ----------------------------------
class NoSuchCluster(ConfigError):
    reference = "no-such-cluster"
    default_hint = "hsmshell cluster list shows the clusters; hsmshell cluster create NAME makes one"


class NoSuchHsm(InvalidArgument):
    reference = "no-such-hsm"
    default_hint = "hsmshell cluster describe NAME lists its HSMs (id, server number, IP)"


class ClusterStateError(HsmError):
    """The cluster is not in the state the operation needs (e.g. initializing it twice)."""
    reference = "invalid-cluster-state"


class ClusterUninitialized(BackendUnavailable):
    reference = "cluster-uninitialized"


class UntrustedCluster(BackendUnavailable):
    reference = "untrusted-cluster"


class PartialSuccess(HsmshellError):
    """A write some HSMs took and others missed (it went on past a failed server)."""
    reference = "partial-success"
    status = ExitStatus.PARTIAL
    keeps_data = True            # JSON keeps `data` (what was made) beside `error`


class DifferencesFound(HsmshellError):
    """A comparison's answer, not a failure of it: as diff(1), a status of its own."""
    reference = "differences-found"
    status = ExitStatus.DIFFERENCES
    keeps_data = True            # the differences are the data


class NotAttempted(HsmError):
    """A server a command never reached because the user aborted after another server failed."""
    reference = "not-attempted"


# -- last resort (exit 1) -----------------------------------------------------------------------
class InternalError(HsmshellError):
    """An exception that is none of the above: a bug. The pipeline audits the attempt, rolls its
    transaction back and writes the traceback to a crash report (crash_report.py)."""
    reference = "internal-error"
    status = ExitStatus.HSM_ERROR


class NotSupportedByBackend(HsmshellError):
    """The backend in use does not serve this command (backends/base.py: capabilities)."""
    reference = "not-supported-by-backend"
    status = ExitStatus.UNAVAILABLE


# -- a cluster's files damaged or missing (never rebuilt in place: docs/hardening.md) ----------
class ClusterStateDamaged(BackendUnavailable):
    """The emulated cluster's state (state.db, key-encryption.key, its folder) is missing or
    unreadable; the shell refuses rather than re-create any of it."""
    reference = "cluster-state-damaged"
    default_hint = ("restore the cluster folder from a backup; hsmshell never re-creates a cluster "
                    "in place (`hsmshell audit verify` still checks its log)")


class AuditKeyDamaged(AuditWriteFailed):
    """audit.key, audit.pub or audit.hmac is missing or unreadable: no record can be signed
    or its secrets hashed, so nothing runs."""
    reference = "audit-key-damaged"
    default_hint = ("restore the cluster folder from a backup; the audit keys are made once, "
                    "with the cluster, and never again")
