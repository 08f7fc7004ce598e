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
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from hsmshell import builtins
from hsmshell.audit.keys import SecretHasher
from hsmshell.backends.result import Result, note_partial
from hsmshell.errors import (AuditTampered, AuditWriteFailed, ConfirmationRequired, HsmshellError,
                             NotLoggedIn, PermissionDenied, QuorumRequired, UsageError)
from hsmshell.parse.binder import Invocation, parse_line, redact_unparsed
from hsmshell.policy.engine import Decision, decide
from hsmshell.secret_sources import resolve_secrets
from hsmshell.status import ExitStatus
from hsmshell.transactions import CommitGroup, OwnTransaction

REFUSALS = {"not-logged-in": NotLoggedIn, "permission-denied": PermissionDenied,
            "quorum-required": QuorumRequired}


class Cancelled(UsageError):
    reference = "cancelled"


@dataclass
class Outcome:
    status: ExitStatus
    command: str | None
    result: Result | None = None
    error: HsmshellError | None = None
    history_text: str | None = None          # the line as the REPL history may keep it


class Shell:
    """One shell instance: its command table, policy, backend, audit log and renderer."""

    def __init__(self, env, table, policy, db, audit, backend, renderer):
        self.env, self.table, self.policy = env, table, policy
        self.db, self.audit, self.backend, self.renderer = db, audit, backend, renderer
        self.quitting = False
        self.actor = None                       # the principal running the current command
        self.session_id = getattr(getattr(backend, "cluster", None), "session_id", None) or uuid.uuid4().hex
        self.secret_hasher = SecretHasher(db.directory)
        self._group: CommitGroup | None = None       # batch mode's shared transaction
        self._unshown: list[tuple] = []               # results waiting for the group's commit

    def allows(self, spec) -> bool:
        return decide(self.policy, self.backend.principal, spec, {}).allowed

    # -- the pipeline ----------------------------------------------------------------------------
    def run(self, text: str, source: str) -> Outcome:
        try:
            return self._run(text, source)
        except (AuditWriteFailed, AuditTampered) as error:
            # Fail closed but keep the shell: this command is refused (or, if it ran, its
            # record waits in the cluster state), and so is every next one until the log
            # can be written again; then the pending record is written first.
            return self._show(None, None, source, None, error)

    def _run(self, text: str, source: str) -> Outcome:
        self.actor = self.backend.principal
        try:
            invocation = parse_line(text, self.table, source)
        except HsmshellError as error:
            command, redacted = redact_unparsed(text, self.table)
            return self._conclude(None, command, redacted, source, None, None, error)

        decision = decide(self.policy, self.backend.principal, invocation.spec, invocation.args,
                          self.backend)
        if not decision.allowed:
            error = REFUSALS[decision.reference](decision.message, decision.hint,
                                                 detail={"rule": decision.rule, "quorum": decision.quorum})
            return self._conclude(invocation, invocation.name, invocation.text, source, decision,
                                  None, error)
        if invocation.spec.local:
            result, error = None, None
            try:
                result = builtins.run_builtin(self, invocation)
            except HsmshellError as exc:
                error = exc
            return self._conclude(invocation, invocation.name, invocation.text, source, decision,
                                  result, error)
        if self._group is not None and self._will_ask(invocation):
            failed = self.commit_group(invocation.name, source)   # what ran is shown first
            if failed is not None:
                return failed
        try:
            secrets = resolve_secrets(invocation, self.env)
            self._confirm(invocation)
        except HsmshellError as error:
            return self._conclude(invocation, invocation.name, invocation.text, source, decision,
                                  None, error)
        return self._dispatch(invocation, source, decision, secrets)

    def _will_ask(self, invocation: Invocation) -> bool:
        return (self._needs_confirmation(invocation)
                or any(ref.source == "prompt" for ref in invocation.secrets.values()))

    def _needs_confirmation(self, invocation: Invocation) -> bool:
        return invocation.spec.caution and not self.env.assume_yes

    def _confirm(self, invocation: Invocation) -> None:
        if not self._needs_confirmation(invocation):
            return
        if not self.env.can_confirm:
            raise ConfirmationRequired(f"{invocation.name} changes the HSMs and needs confirmation")
        self.renderer.caution(invocation.name)
        if not self.env.confirm("Do you want to continue(y/n)?"):
            raise Cancelled(f"{invocation.name} cancelled: the CAUTION question was answered n")

    def _dispatch(self, invocation, source, decision, secrets) -> Outcome:
        result, error = None, None
        with self._transaction() as transaction:
            try:
                result = self.backend.execute(invocation, secrets)
            except HsmshellError as exc:
                error = exc
                transaction.undo()          # its writes go; its record is staged below
            self._stage(invocation, invocation.name, invocation.text, source, decision,
                        result, error, secrets, dispatched=True)
        return self._show(invocation, invocation.name, source, result, error)

    def _conclude(self, invocation, command, text, source, decision, result, error) -> Outcome:
        """Audit and show an attempt that never reached the backend (or a local command)."""
        with self._transaction():
            self._stage(invocation, command, text, source, decision, result, error, {})
        return self._show(invocation, command, source, result, error)

    def _transaction(self):
        return self._group if self._group is not None else OwnTransaction(self.db, self.audit)

    def _stage(self, invocation, command, text, source, decision: Decision | None,
               result: Result | None, error: HsmshellError | None, secrets: dict,
               dispatched: bool = False) -> None:
        from hsmshell.audit.entry import command_record
        mark = self.audit.mark()
        try:
            fields = command_record(self, invocation, command, text, source, decision, result,
                                    error, secrets, dispatched)
            self.audit.stage(fields)
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

    def _show(self, invocation, command, source, result, error) -> Outcome:
        if result is not None:
            if invocation is not None:
                note_partial(result, invocation.spec.changes_hsms, self.env.cluster)
            error = error or result.error
        status = error.status if error is not None else ExitStatus.SUCCESS
        history = invocation.history_text if invocation is not None else None
        outcome = Outcome(ExitStatus(status), command, result, error, history)
        group = self._group
        if group is None or not group.open:
            self._render(command, source, result, error)
            return outcome
        self._unshown.append((command, source, result, error))
        if group.full or group.done_outside:
            return self.commit_group(command, source, keep_lock=not group.full) or outcome
        return outcome

    def _render(self, command, source, result, error) -> None:
        if result is not None:
            self.renderer.result(result, source)
        elif error is not None:
            self.renderer.error(error, command, source)

    # -- batch mode: several commands per transaction (transactions.py) ------------------------
    @contextmanager
    def grouped_commits(self) -> Iterator[None]:
        """Within this block commands share transactions; leaving it commits and shows all."""
        if not getattr(self.backend, "transactional", False):
            yield           # the real tools change HSMs, not this database: nothing to group
            return
        self._group = CommitGroup(self.db, self.audit)
        # The objects that live as long as the shell (modules, the command table) leave the
        # garbage collector's view while the batch runs: its full collections would walk them
        # every few hundred commands (about a tenth of a batch's time otherwise)
        gc.freeze()
        try:
            yield
        finally:
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
            ran = [shown[1] for shown in unshown]
            if ran:
                error.message += f" (ran: {ran[0]}" + (f" to {ran[-1]})" if len(ran) > 1 else ")")
            return self._show(None, command, source, None, error)
        for shown in unshown:
            self._render(*shown)
        return None

    # -- end of session ------------------------------------------------------------------------
    def close(self) -> None:
        """Log out, sign a checkpoint over everything this session wrote, and fsync."""
        try:
            with self.db.exclusive():
                self.audit.recover()
                with self.db.transaction():
                    # the logout at the end of a session changes state too: audit it (replay
                    # needs to know when a login ended), in the same transaction
                    principal = self.backend.principal
                    self.backend.close()
                    if principal is not None:
                        from hsmshell.audit.entry import session_end_record
                        self.audit.stage(session_end_record(self, principal))
                    self._stage_checkpoint()
                self.audit.append()
                self.audit.sync()
        finally:
            self.audit.close()
            self.db.close()
