"""`hsmshell logs`: the HSMs' audit streams read like the cluster's CloudWatch log group
`/aws/cloudhsm/<cluster-id>` (one stream per HSM id), with CloudWatch-style filter patterns,
the recommended alarm filters, and --follow.

Filter patterns (a subset of CloudWatch's): words must all appear (`CN_LOGIN admin`), "quoted
phrases" appear as written, `?a ?b` needs any one of them, `-word` must not appear. Matching
is case-sensitive, as in CloudWatch.
"""

from __future__ import annotations

import shlex
import sqlite3
from typing import Callable, Iterator

from hsmshell.backends.result import Result
from hsmshell.errors import InvalidArgument

# AWS Prescriptive Guidance's metric filters for CloudHSM, and alarm thresholds
ALARM_FILTERS = (
    {"filter": "RET_USER_LOGIN_FAILURE", "what": "failed logins", "threshold": 2},
    {"filter": "CN_CREATE_USER", "what": "crypto users created", "threshold": 1},
    {"filter": "CN_CREATE_CO", "what": "crypto officers created", "threshold": 1},
    {"filter": "CN_DELETE_USER", "what": "users deleted", "threshold": 1},
    {"filter": "\"doesn't exist\"", "what": "logins as unknown users", "threshold": 1},
)


def matcher(pattern: str | None) -> Callable[[str], bool]:
    if not pattern:
        return lambda text: True
    try:
        terms = shlex.split(pattern)
    except ValueError as exc:
        raise InvalidArgument(f"invalid filter pattern: {exc}") from None
    required = [t for t in terms if not t.startswith(("?", "-")) or len(t) == 1]
    optional = [t[1:] for t in terms if t.startswith("?") and len(t) > 1]
    excluded = [t[1:] for t in terms if t.startswith("-") and len(t) > 1]
    return lambda text: (all(t in text for t in required)
                         and (not optional or any(t in text for t in optional))
                         and not any(t in text for t in excluded))


class LogGroup:
    """One cluster's log group, opened for reading (no lock: readers never block commands)."""

    def __init__(self, env, name: str):
        from hsmshell.admin.session import cluster_directory
        from hsmshell.state.db import ClusterDB

        self.env, self.name = env, name
        self.db = ClusterDB(cluster_directory(env, name))
        self.cluster_id = self.db.meta("cluster_id")

    @property
    def log_group(self) -> str:
        from hsmshell.backends.emulator.topology import log_group
        return log_group(self.cluster_id)

    def stream_for(self, ref: str | None) -> str | None:
        """A stream by HSM id (also of an HSM since replaced or removed), IP or server number."""
        if ref is None:
            return None
        if ref in self.streams():
            return ref
        for hsm_id, server, ip in self.db.conn.execute("SELECT hsm_id, server, ip FROM hsms"):
            if ref in (hsm_id, ip) or (ref.isdigit() and int(ref) == server):
                return hsm_id
        raise InvalidArgument(f"the log group {self.log_group} has no stream for '{ref[:40]}'",
                              reference="no-such-hsm", hint="streams are named by HSM id; "
                              "hsmshell cluster describe lists the HSMs")

    def streams(self) -> list[str]:
        from hsmshell.backends.emulator import hsm_logs
        try:
            return hsm_logs.streams(self.db.conn)
        except sqlite3.OperationalError:          # a cluster made before HSM logs existed
            return []

    def events(self, stream: str | None, after: int = 0) -> list[dict]:
        from hsmshell.backends.emulator import hsm_logs
        try:
            return hsm_logs.read(self.db.conn, stream, after)
        except sqlite3.OperationalError:
            return []

    def close(self) -> None:
        self.db.close()


def read_logs(env, name: str, hsm: str | None = None, pattern: str | None = None,
              alarms: bool = False, limit: int | None = None) -> Result:
    group = LogGroup(env, name)
    try:
        stream = group.stream_for(hsm)
        wanted = _selector(pattern, alarms)
        events = [e for e in group.events(stream) if wanted(e["message"])]
        data = {"cluster": name, "log_group": group.log_group, "streams": group.streams(),
                "events": events[-limit:] if limit else events}
        if alarms:
            data["alarms"] = alarm_states(events)
        return Result("logs", "hsm_log", data=data)
    finally:
        group.close()


def follow_logs(env, name: str, hsm: str | None = None, pattern: str | None = None,
                alarms: bool = False, max_events: int | None = None, timeout: float | None = None,
                poll: float = 1.0) -> Iterator[Result]:
    """Every matching event, then new ones as they are written, one Result each; stops after
    `max_events` events or `timeout` seconds (env.clock), or never (Ctrl-C)."""
    group = LogGroup(env, name)
    try:
        stream = group.stream_for(hsm)
        wanted = _selector(pattern, alarms)
        start, last, shown = env.clock(), 0, 0
        while True:
            batch = group.events(stream, last)
            for event in batch:
                if wanted(event["message"]):
                    yield Result("logs", "hsm_log", data={"log_group": group.log_group, "events": [event]})
                    shown += 1
                    if max_events is not None and shown >= max_events:
                        return
            if batch:
                last = batch[-1]["id"]
            if timeout is not None and env.clock() - start >= timeout:
                return
            env.sleep(poll)
    finally:
        group.close()


def alarm_states(events: list[dict]) -> list[dict]:
    states = []
    for alarm in ALARM_FILTERS:
        matches = matcher(alarm["filter"])
        count = sum(1 for e in events if matches(e["message"]))
        states.append({**alarm, "count": count, "state": "ALARM" if count >= alarm["threshold"] else "OK"})
    return states


def _selector(pattern: str | None, alarms: bool) -> Callable[[str], bool]:
    base = matcher(pattern)
    if not alarms:
        return base
    any_alarm = [matcher(a["filter"]) for a in ALARM_FILTERS]
    return lambda text: base(text) and any(m(text) for m in any_alarm)
