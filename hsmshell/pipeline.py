"""Every line, from every mode, takes this one path:

    text --parse--> Invocation --policy--> Decision --backend--> Result --render--> screen/JSON
                                      \\___________ audit (every attempt, allowed or not) ___/

The audit record is committed with the state change and appended before the result is
shown; if it cannot be written the command is refused (audit/log.py explains how). Batch
mode lets several commands share a transaction and shows their results after it commits
(transactions.py).
"""

from __future__ import annotations

import gc
import os
import sqlite3
from contextlib import contextmanager
from typing import Iterator

from hsmshell import builtins
from hsmshell.audit.keys import SecretHasher
from hsmshell.backends.base import not_supported
from hsmshell.backends.context import CommandContext
from hsmshell.backends.result import Result, note_partial
from hsmshell.errors import (AuditTampered, AuditWriteFailed, ClusterStateDamaged, ConfirmationRequired,
                             HsmshellError, NotLoggedIn, PermissionDenied, QuorumRequired, UsageError)
from hsmshell.parse.binder import Invocation, parse_line, redact_unparsed
from hsmshell.policy.engine import Decision, decide, permission
from hsmshell.record import field, record
from hsmshell.secret_sources import resolve_secrets
from hsmshell.state.db import state_damaged
from hsmshell.status import ExitStatus
from hsmshell.transactions import AuditedTransaction, CommitGroup

WAITING_SOURCES = frozenset({"prompt", "file", "keyring"})     # not a literal, not @env
REFUSALS = {"not-logged-in": NotLoggedIn, "permission-denied": PermissionDenied,
            "quorum-required": QuorumRequired}


class Cancelled(UsageError):
    reference = "cancelled"


@record
class Outcome:
    status: ExitStatus
    command: str | None
    result: Result | None = None
    error: HsmshellError | None = None
    history_text: str | None = None          # the line as the REPL history may keep it
    attempt: "Attempt | None" = None


@record
class Replaying:
    """What audit replay gives a recorded command instead of asking for it (modes/replay.py):
    the stand-ins of its secrets, what its handler read from files then (`inputs`, the
    record's `replay` data), the Retry/Ignore/Abort answers given then, and, when replay
    follows the recorded decisions (`--roles`), that decision."""
    secrets: dict
    inputs: dict
    failure_answers: object = None
    decision: Decision | None = None


@record
class Attempt:
    """One line on its way through the pipeline: what the audit record, the renderer and the
    crash handler need travels here, not in parameters or on the shell."""
    text: str                                # as typed: may hold secrets, never stored
    source: str
    principal: object = None                 # who ran it (loginHSM changes the backend's login)
    invocation: Invocation | None = None
    command: str | None = None
    redacted: str | None = None              # the text the log and the screen may show
    decision: Decision | None = None
    secrets: dict = field(default_factory=dict)
    result: Result | None = None
    error: HsmshellError | None = None
    dispatched: bool = False                 # the backend ran it (replay re-runs exactly these)
    replaying: Replaying | None = None
    record: dict | None = None               # the audit record staged for it
    context: CommandContext | None = None    # what it carried into the backend (dispatched only)

    def parsed(self, invocation: Invocation) -> None:
        self.invocation, self.command, self.redacted = invocation, invocation.name, invocation.text

    def secret_values(self) -> list[str]:
        """Every value that may be a secret: resolved ones, literals, and the words of the
        typed text that redaction took out (a crash may come before the parse finished)."""
        values = list(self.secrets.values())
        if self.invocation is not None:
            values += [ref.literal for ref in self.invocation.secrets.values() if ref.literal]
        kept = set((self.redacted or "").split())
        return values + [word for word in self.text.split() if word not in kept]


VERBS = {"createUser": "create {user_name} ({user_type})", "deleteUser": "delete {user_name} ({user_type})",
         "changePswd": "change the password of {user_name} ({user_type})"}


def caution_text(invocation, backend) -> str:
    """What the CAUTION question is about, in words: `delete dave (CU) on 3 HSMs`."""
    template = VERBS.get(invocation.name)
    try:
        what = template.format(**invocation.args) if template else f"run `{invocation.text}`"
    except (KeyError, IndexError):
        what = f"run `{invocation.text}`"
    try:
        count = int(backend.summary().get("hsms_reachable") or 0)
    except Exception:          # a backend that cannot say: name the command only
        return what
    return f"{what} on {count} HSM{'s' if count != 1 else ''}" if count else what


def _stated_min_servers(invocation) -> int | None:
    """-min_srv when the user gave it (its default, 1, is no statement about the others)."""
    return invocation.args.get("min_srv") if "-min_srv" in invocation.text.split() else None


class Shell:
    """One shell instance: its command table, policy, backend, audit log and renderer."""

    def __init__(self, env, table, policy, db, audit, backend, renderer):
        self.env, self.table, self.policy = env, table, policy
        self.db, self.audit, self.backend, self.renderer = db, audit, backend, renderer
        self.quitting = False
        self.session_id = backend.session_id or os.urandom(16).hex()
        self.secret_hasher = SecretHasher(db.directory)
        self._group: CommitGroup | None = None       # batch mode's shared transaction
        self._unshown: list[Attempt] = []             # results waiting for the group's commit

    def allows(self, spec) -> bool:
        """In at least one of its forms (changePswd of yourself), as help and Tab say."""
        return self.serves(spec) and permission(self.policy, self.backend.principal, spec).allowed

    def serves(self, spec) -> bool:
        """Whether this shell's backend runs the command (help and completion list only those)."""
        return self.backend.serves(spec)

    # -- the pipeline ----------------------------------------------------------------------------
    def run(self, text: str, source: str, replaying: Replaying | None = None) -> Outcome:
        attempt = Attempt(text, source, self.backend.principal, replaying=replaying)
        try:
            return self._run(attempt)
        except (AuditWriteFailed, AuditTampered, ClusterStateDamaged) as error:
            # Fail closed but keep the shell: this command is refused (or, if it ran, its
            # record waits in the cluster state), and so is every next one until the log
            # can be written again; then the pending record is written first.
            return self._show(Attempt(text, source, error=error))
        except sqlite3.DatabaseError as error:     # the state file was damaged under us
            if isinstance(error, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
                return self._crashed(attempt, error)       # a bug, not damage
            return self._show(Attempt(text, source, error=state_damaged(self.db.path, error)))
        except Exception as exc:       # the last resort: a bug ends this command, not the shell
            return self._crashed(attempt, exc)

    def _run(self, attempt: Attempt) -> Outcome:
        try:
            attempt.parsed(parse_line(attempt.text, self.table, attempt.source))
        except HsmshellError as error:
            attempt.command, attempt.redacted = redact_unparsed(attempt.text, self.table)
            attempt.error = error
            return self._conclude(attempt)
        invocation = attempt.invocation
        given = attempt.replaying.decision if attempt.replaying is not None else None
        attempt.decision = decision = given or decide(self.policy, self.backend.principal,
                                                      invocation.spec, invocation.args, self.backend)
        if not decision.allowed:
            attempt.error = REFUSALS[decision.reference](
                decision.message, decision.hint, detail={"rule": decision.rule, "quorum": decision.quorum})
            return self._conclude(attempt)
        if invocation.spec.local:
            try:
                attempt.result = builtins.run_builtin(self, invocation)
            except HsmshellError as exc:
                attempt.error = exc
            return self._conclude(attempt)
        if not self.backend.serves(invocation.spec):
            attempt.error = not_supported(self.backend, invocation.name)
            return self._conclude(attempt)
        if self._group is not None and self._will_wait(invocation):
            # what ran is shown first, and the lock is let go: nobody waits on a person or
            # a slow secret source for it (docs/hardening.md)
            failed = self.commit_group(invocation.name, attempt.source)
            if failed is not None:
                return failed
        try:
            attempt.secrets = (attempt.replaying.secrets if attempt.replaying is not None
                               else resolve_secrets(invocation, self.env))
            self._confirm(invocation)
        except HsmshellError as error:
            attempt.error = error
            return self._conclude(attempt)
        return self._dispatch(attempt)

    def _will_wait(self, invocation: Invocation) -> bool:
        """Whether the command asks a question or reads a secret from outside the process
        (a prompt, a file, the keyring): every secret is resolved before the lock is taken."""
        return (self._needs_confirmation(invocation) or bool(invocation.secrets) and
                any(ref.source in WAITING_SOURCES for ref in invocation.secrets.values()))

    def _needs_confirmation(self, invocation: Invocation) -> bool:
        return invocation.spec.caution and not self.env.assume_yes

    def _confirm(self, invocation: Invocation) -> None:
        if not self._needs_confirmation(invocation):
            return
        if not self.env.can_confirm:
            raise ConfirmationRequired(f"{invocation.name} changes the HSMs and needs confirmation")
        self.renderer.caution(invocation.name, caution_text(invocation, self.backend))
        if not self.env.confirm("Do you want to continue(y/n)?"):
            raise Cancelled("not run: the CAUTION question was answered n")

    def _dispatch(self, attempt: Attempt) -> Outcome:
        attempt.dispatched = True
        replaying = attempt.replaying
        attempt.context = context = CommandContext() if replaying is None else \
            CommandContext(replay_input=replaying.inputs, failure_prompt=replaying.failure_answers)
        with self._transaction() as transaction:
            try:
                attempt.result = self.backend.execute(attempt.invocation, attempt.secrets, context)
            except HsmshellError as exc:
                attempt.error = exc
                transaction.undo()          # its writes go; its record is staged below
            except Exception as exc:        # a bug in the backend: the same, as internal-error
                transaction.undo()
                attempt.error = self._internal_error(attempt, exc)
            if self._group is not None:
                # key material left the HSM in a file: no rollback takes it back, so the
                # batch commits this command's record at once (transactions.py)
                self._group.done_outside = context.key_material_files > 0
            self._stage(attempt)
        return self._show(attempt)

    def _conclude(self, attempt: Attempt) -> Outcome:
        """Audit and show an attempt that never reached the backend (or a local command)."""
        with self._transaction():
            self._stage(attempt)
        return self._show(attempt)

    def _crashed(self, attempt: Attempt, exc: Exception) -> Outcome:
        """A bug outside the backend call (parse, policy, audit, render...). Whatever
        transaction it was in has been rolled back on the way out; the attempt is audited
        as internal-error in a transaction of its own."""
        if attempt.redacted is None:
            try:
                attempt.command, attempt.redacted = redact_unparsed(attempt.text, self.table)
            except Exception:
                attempt.redacted = "<unparsable line>"
        attempt.error, attempt.result = self._internal_error(attempt, exc), None
        try:
            return self._conclude(attempt)
        except (AuditWriteFailed, AuditTampered) as error:
            return self._show(Attempt(attempt.text, attempt.source, command=attempt.command, error=error))
        except Exception as again:          # not even the audit record: fail closed, exit 6
            failed = AuditWriteFailed(f"{attempt.error.message}; it could not be audited "
                                      f"({type(again).__name__})")
            return self._show(Attempt(attempt.text, attempt.source, command=attempt.command, error=failed))

    def _internal_error(self, attempt: Attempt, exc: Exception) -> HsmshellError:
        from hsmshell.crash_report import internal_error     # traceback: only when a bug shows
        # its writes were rolled back: for replay it changed nothing, like a refused command
        attempt.dispatched = False
        context = {"cluster": self.env.cluster, "mode": self.env.mode, "source": attempt.source,
                   "backend": self.backend.name, "command": attempt.command,
                   "text": attempt.redacted}
        return internal_error(exc, self.env.home, context, attempt.secret_values())

    def _transaction(self):
        return self._group if self._group is not None else AuditedTransaction(self.db, self.audit)

    def _stage(self, attempt: Attempt) -> None:
        from hsmshell.audit.entry import command_record
        mark = self.audit.mark()
        try:
            attempt.record = command_record(attempt, self.env, self.session_id, self.secret_hasher)
            self.audit.stage(attempt.record)
            if self.audit.needs_checkpoint():
                self._stage_checkpoint()
        except BaseException:
            self.audit.rewind(mark)      # as the command's writes are undone: none of it stays
            raise

    def _stage_checkpoint(self) -> None:
        fields = self.audit.checkpoint_fields()
        if fields is not None:
            self.audit.stage(fields)
            self.audit.mark_checkpointed()

    def _show(self, attempt: Attempt) -> Outcome:
        result, error = attempt.result, attempt.error
        if result is not None:
            if attempt.invocation is not None and attempt.invocation.spec.changes_hsms:
                # (only a command that changes the HSMs can leave them out of step)
                note_partial(result, True, self.env.cluster, _stated_min_servers(attempt.invocation))
            error = error or result.error
        status = error.status if error is not None else ExitStatus.SUCCESS
        history = attempt.invocation.history_text if attempt.invocation is not None else None
        outcome = Outcome(ExitStatus(status), attempt.command, result, error, history, attempt)
        group = self._group
        if group is None or not group.open:
            self._render(attempt)
            return outcome
        self._unshown.append(attempt)
        if group.full or group.done_outside:
            return self.commit_group(attempt.command, attempt.source, keep_lock=not group.full) or outcome
        return outcome

    def _render(self, attempt: Attempt) -> None:
        if attempt.result is not None:
            self.renderer.result(attempt.result, attempt.source)
        elif attempt.error is not None:
            self.renderer.error(attempt.error, attempt.command, attempt.source)

    # -- batch mode: several commands per transaction (transactions.py) ------------------------
    @contextmanager
    def grouped_commits(self) -> Iterator[None]:
        """Within this block commands share transactions; leaving it commits and shows all."""
        if not self.backend.transactional:
            yield           # the real tools change HSMs, not this database: nothing to group
            return
        self._group = CommitGroup(self.db, self.audit)
        # The objects that live as long as the shell (modules, the command table) leave the
        # garbage collector's view while the batch runs: its full collections would walk them
        # every few hundred commands (about a tenth of a batch's time otherwise); and the
        # young generation is collected every 20,000 allocations, not 700 (most of a
        # command's objects are freed by their reference counts before that)
        gc.freeze()
        threshold = gc.get_threshold()
        gc.set_threshold(20_000, *threshold[1:])
        try:
            yield
        finally:
            gc.set_threshold(*threshold)
            gc.unfreeze()
            try:
                self.commit_group()
            finally:
                self._group = None

    def commit_group(self, command: str | None = None, source: str | None = None,
                     keep_lock: bool = False) -> Outcome | None:
        """Commit the open group, append its records, then show its results. If the records
        could not be written, the refusal instead, shown for `command` at `source` (the one
        that ran last, or waits to run) and naming the commands that ran; else None."""
        group, unshown, self._unshown = self._group, self._unshown, []
        if group is None:
            return None
        try:
            group.commit(keep_lock)
        except (AuditWriteFailed, AuditTampered) as error:
            ran = [shown.source for shown in unshown]
            if ran:
                error.message += f" (ran: {ran[0]}" + (f" to {ran[-1]})" if len(ran) > 1 else ")")
            return self._show(Attempt("", source, command=command, error=error))
        self.renderer.hold()            # the group's results in one write (render/base.py)
        try:
            for shown in unshown:
                self._render(shown)
        finally:
            self.renderer.release()
        return None

    # -- end of session ------------------------------------------------------------------------
    def close(self) -> None:
        """Log out, sign a checkpoint over everything this session wrote, and fsync."""
        try:
            with AuditedTransaction(self.db, self.audit, sync=True):
                # the logout at the end of a session changes state too: audit it (replay
                # needs to know when a login ended), in the same transaction
                principal = self.backend.principal
                self.backend.close()
                if principal is not None:
                    from hsmshell.audit.entry import session_end_record
                    self.audit.stage(session_end_record(self.env, self.session_id, principal))
                self._stage_checkpoint()
        finally:
            self.audit.close()
            self.db.close()
