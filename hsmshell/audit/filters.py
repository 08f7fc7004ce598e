"""Selecting audit records (`audit show` / `audit export`): --user, --command, --denied,
--since, --until, --source. Pure functions of a record; times compare as the UTC stamps the
log stores ("2025-01-31T09:15:00.000000Z"), so no record is converted."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re

from hsmshell.audit.log import utc_stamp
from hsmshell.errors import InvalidArgument
from hsmshell.record import record
from hsmshell.status import ExitStatus

RELATIVE_RE = re.compile(r"^(\d+)([smhdw])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
REFUSED = (int(ExitStatus.DENIED), int(ExitStatus.QUORUM))


@record(frozen=True)
class RecordFilter:
    user: str | None = None
    command: str | None = None
    denied: bool = False
    since: str | None = None          # UTC stamp, inclusive
    until: str | None = None          # UTC stamp, exclusive
    source: str | None = None
    checkpoints: bool = True          # keep checkpoint records

    @property
    def selects_commands(self) -> bool:
        return bool(self.user or self.command or self.denied or self.source)

    def __call__(self, record: dict) -> bool:
        kind = record.get("kind")
        if kind == "checkpoint" and not self.checkpoints:
            return False
        stamp = record.get("time", "")
        if (self.since and stamp < self.since) or (self.until and stamp >= self.until):
            return False
        if not self.selects_commands:
            return True
        if kind not in ("command", "kms"):
            return False                     # genesis, checkpoints, session ends: no command
        return (self._user_matches(record) and self._command_matches(record)
                and (not self.denied or record.get("outcome", {}).get("error_code") in REFUSED)
                and self._source_matches(record))

    def _user_matches(self, record: dict) -> bool:
        """Who ran it, or (for a login) who it tried to log in as."""
        if not self.user:
            return True
        wanted = self.user.lower()
        principal = record.get("principal") or {}
        if str(principal.get("user", "")).lower() == wanted:
            return True
        return record.get("command") == "loginHSM" and \
            str((record.get("args") or {}).get("user_name", "")).lower() == wanted

    def _command_matches(self, record: dict) -> bool:
        if not self.command:
            return True
        name = str(record.get("command") or "").lower()
        return any(fnmatch.fnmatchcase(name, pattern.strip().lower())
                   for pattern in self.command.split(","))

    def _source_matches(self, record: dict) -> bool:
        if not self.source:
            return True
        source = str(record.get("source") or "")
        if any(c in self.source for c in "*?["):
            return fnmatch.fnmatchcase(source, self.source)
        return source == self.source or source.startswith(self.source + ":")


def time_bound(text: str | None, now: float, option: str) -> str | None:
    """An ISO date/time (UTC unless it says otherwise) or an age like 30m, 2h, 7d."""
    if not text:
        return None
    relative = RELATIVE_RE.match(text.strip())
    if relative:
        return utc_stamp(now - int(relative.group(1)) * UNIT_SECONDS[relative.group(2)])
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgument(f"{option}: '{text[:40]}' is not a date, a time or an age",
                              hint="e.g. 2025-01-31, 2025-01-31T09:15, 2025-01-31T09:15:00Z, 30m, 2h, 7d") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return utc_stamp(moment.timestamp())


def filter_from_options(options, env) -> RecordFilter:
    now = env.clock()
    return RecordFilter(
        user=getattr(options, "user", None), command=getattr(options, "command", None),
        denied=bool(getattr(options, "denied", False)),
        since=time_bound(getattr(options, "since", None), now, "--since"),
        until=time_bound(getattr(options, "until", None), now, "--until"),
        source=getattr(options, "source", None),
        checkpoints=bool(getattr(options, "checkpoints", True)))
