"""What `audit replay` reports: the first divergence, the decisions another policy would
change, what could not be reproduced (modes/replay.py fills it in)."""

from __future__ import annotations

from collections import Counter

from hsmshell.audit.verify import VerifyReport
from hsmshell.record import field, record


@record
class Divergence:
    seq: int
    source: str | None
    command: str | None
    text: str | None
    what: str                        # principal / arguments / decision / outcome / record
    recorded: object
    replayed: object

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@record
class ReplayReport:
    log: str
    verify: VerifyReport
    records: int = 0
    commands: int = 0                # records the backend ran again
    divergence: Divergence | None = None
    roles_dir: str | None = None
    decision_changes: list[dict] = field(default_factory=list)
    changes_total: int = 0
    skipped: Counter = field(default_factory=Counter)
    operations: int = 0              # cluster records applied
    not_reproducible: list[dict] = field(default_factory=list)
    not_reproducible_total: int = 0

    def to_dict(self) -> dict:
        return {"log": self.log, "records": self.records, "commands": self.commands,
                "cluster_operations": self.operations,
                "divergences": 0 if self.divergence is None else 1,
                "first_divergence": self.divergence.to_dict() if self.divergence else None,
                "roles": self.roles_dir, "decision_changes": self.decision_changes,
                "decision_changes_total": self.changes_total, "skipped": dict(self.skipped),
                "not_reproducible": self.not_reproducible,
                "not_reproducible_total": self.not_reproducible_total}
