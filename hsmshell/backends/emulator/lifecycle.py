"""An HSM's life in the cluster: it fails (becomes unreachable), is replaced (a new HSM in the
same AZ, cloned from a healthy one), added or removed.

Cloning copies every per-HSM table (any table with an `hsm_id` column: users, keys, shares...),
so what later features store per HSM follows without changes here. Every change is one step
of the caller's transaction and leaves a cluster event; the caller audits it.

`audit replay` re-runs these changes with what the log recorded (`recorded`, `at`): the new
HSM gets the id and IP it got then instead of random ones, a failure the time it happened.
"""

from __future__ import annotations

import functools
import json

from hsmshell.backends.emulator import cluster_events, hsm_logs, topology
from hsmshell.backends.emulator.schema import insert_hsm
from hsmshell.errors import BackendUnavailable, ClusterStateError, InvalidArgument, NoSuchHsm

CLUSTER_SETTING = "cluster"                                    # fail_hsm: the cluster's replace delay
NEVER = "never"                                                # fail_hsm: no automatic replacement
NOT_CLONED = frozenset({"hsms", "hsm_log", "cluster_events"})   # per-HSM, but not HSM contents
FAILED_STATE = "DEGRADED"                                      # as AWS shows an unreachable HSM


def network(cluster) -> dict:
    raw = cluster.db.meta("network")
    if raw:
        return json.loads(raw)
    # a cluster made before topology existed: its subnets, rebuilt from its HSMs
    zones = sorted({(h.az, h.subnet) for h in cluster.hsms()})
    return {"subnets": [{"az": az, "subnet_id": None, "cidr": cidr} for az, cidr in zones]}


def parse_delay(text: str) -> float | None:
    """A replacement delay as given on the command line: seconds, or `never` (None)."""
    if text.strip().lower() == "never":
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidArgument(f"a delay is a number of seconds or 'never', not '{text[:20]}'") from None
    if not 0 <= value < 10**9:
        raise InvalidArgument("a delay is between 0 and 10^9 seconds")
    return value


def replace_after(cluster) -> float | None:
    value = cluster.db.meta("replace_after", repr(topology.DEFAULT_REPLACE_AFTER))
    return None if value == "never" else float(value)


def find_hsm(cluster, ref: str, hsms=None):
    """An HSM by id, ENI IP or server number."""
    hsms = cluster.hsms() if hsms is None else hsms
    for hsm in hsms:
        if ref in (hsm.hsm_id, hsm.ip) or (ref.isdigit() and int(ref) == hsm.server):
            return hsm
    raise NoSuchHsm(f"the cluster has no HSM '{ref[:40]}' (by id, IP or server number)")


def _changes_hsms(change):
    """The HSM list is read once per lock hold (cluster.hsms): a change makes it read again.
    Cloning and deleting defer foreign-key checks; they end with the change, not with the
    transaction (in batch mode later commands share it and must be checked as they run)."""
    @functools.wraps(change)
    def changing(cluster, *args, **kwargs):
        cluster.forget_hsms()
        try:
            return change(cluster, *args, **kwargs)
        finally:
            cluster.forget_hsms()
            cluster.conn.execute("PRAGMA defer_foreign_keys = OFF")
    return changing


# -- failing and replacing ---------------------------------------------------------------------
@_changes_hsms
def fail_hsm(cluster, ref: str, delay: float | None | str = CLUSTER_SETTING,
             at: float | None = None) -> dict:
    """Make an HSM unreachable (at `at`, default now); it is replaced automatically `delay`
    seconds later (None or NEVER: never; CLUSTER_SETTING: the cluster's replace_after)."""
    hsm = find_hsm(cluster, ref)
    if not hsm.reachable:
        raise ClusterStateError(f"{hsm.hsm_id} (server {hsm.server}) is already unreachable",
                                hint=f"hsmshell cluster replace <cluster> {hsm.hsm_id} replaces it now")
    now = cluster.clock() if at is None else float(at)
    delay = replace_after(cluster) if delay == CLUSTER_SETTING else None if delay == NEVER else delay
    due = None if delay is None else now + delay
    cluster.conn.execute("UPDATE hsms SET state = ?, failed_at = ?, replace_at = ? WHERE hsm_id = ?",
                         (FAILED_STATE, now, due, hsm.hsm_id))
    cluster_events.record(cluster.conn, now, "hsm-failed", hsm.hsm_id, server=hsm.server, replace_at=due)
    return {"hsm": hsm.hsm_id, "server": hsm.server, "ip": hsm.ip, "state": FAILED_STATE,
            "failed_at": now, "replace_at": due}


@_changes_hsms
def replace_hsm(cluster, ref: str, source_ref: str | None = None, reason: str = "manual",
                recorded: dict | None = None) -> dict:
    """A new HSM (new id, ENI and IP in the same AZ, same server number) cloned from a healthy
    one, in place of `ref`, which is deleted. Its log stream stays readable. `recorded`: this
    function's result as the audit log kept it (replay: the new HSM's id and IP)."""
    hsms = cluster.hsms()
    old = find_hsm(cluster, ref, hsms)
    source = _clone_source(cluster, hsms, source_ref, exclude=old.hsm_id)
    taken = {h.ip for h in hsms}          # the new ENI never gets the replaced HSM's address
    new = topology.new_hsm(network(cluster), old.az, old.server, taken, _identity(recorded, hsms))
    _delete_hsm(cluster, old.hsm_id)
    insert_hsm(cluster.conn, new)
    _clone(cluster, source, new)
    now = cluster.clock()
    cluster_events.record(cluster.conn, now, "hsm-replaced", new["hsm_id"], replaced=old.hsm_id,
                          server=old.server, cloned_from=source.hsm_id if source else None, reason=reason)
    return {"replaced": old.hsm_id, "hsm": new["hsm_id"], "server": new["server"], "az": new["az"],
            "ip": new["ip"], "cloned_from": source.hsm_id if source else None, "reason": reason}


@_changes_hsms
def add_hsm(cluster, az: str | None = None, source_ref: str | None = None,
            recorded: dict | None = None) -> dict:
    """One more HSM, the last server, cloned from a healthy one (`recorded`: as replace_hsm)."""
    hsms = cluster.hsms()
    if len(hsms) >= topology.MAX_HSMS:
        raise InvalidArgument(f"the cluster already has {len(hsms)} HSMs (at most {topology.MAX_HSMS})",
                              reference="limit-exceeded")
    net = network(cluster)
    az = az or topology.least_used_az(net, [h.az for h in hsms])
    source = _clone_source(cluster, hsms, source_ref)
    new = topology.new_hsm(net, az, len(hsms), {h.ip for h in hsms}, _identity(recorded, hsms))
    insert_hsm(cluster.conn, new)
    _clone(cluster, source, new)
    cluster_events.record(cluster.conn, cluster.clock(), "hsm-added", new["hsm_id"], server=new["server"],
                          az=az, cloned_from=source.hsm_id if source else None)
    return {"hsm": new["hsm_id"], "server": new["server"], "az": az, "ip": new["ip"],
            "cloned_from": source.hsm_id if source else None}


@_changes_hsms
def remove_hsm(cluster, ref: str) -> dict:
    """Delete an HSM; the servers after it move down one number (as a fresh configure lists them)."""
    hsms = cluster.hsms()
    old = find_hsm(cluster, ref, hsms)
    if len(hsms) == 1:
        raise ClusterStateError("a cluster keeps at least one HSM here",
                                hint="add another HSM first: hsmshell cluster add-hsm <cluster>")
    _delete_hsm(cluster, old.hsm_id)
    later = [h for h in hsms if h.server > old.server]
    # two steps keep the UNIQUE server numbers valid while they shift
    cluster.conn.executemany("UPDATE hsms SET server = ? WHERE hsm_id = ?",
                             [(-h.server, h.hsm_id) for h in later])
    cluster.conn.executemany("UPDATE hsms SET server = ? WHERE hsm_id = ?",
                             [(h.server - 1, h.hsm_id) for h in later])
    cluster_events.record(cluster.conn, cluster.clock(), "hsm-removed", old.hsm_id, server=old.server)
    return {"removed": old.hsm_id, "server": old.server, "ip": old.ip,
            "renumbered": [{"hsm": h.hsm_id, "server": h.server - 1} for h in later]}


def replace_due_hsms(cluster, recorded: list[dict] | None = None) -> list[dict]:
    """Replace every failed HSM whose replacement time has come (CloudHSM does this on its own;
    the emulator checks when a command runs). One that cannot be cloned yet keeps waiting.
    `recorded`: the replacements the audit log kept at this point (replay: their ids and IPs;
    the clock still decides which HSMs are due, so a forged list shows as a difference)."""
    now = cluster.clock()
    first = cluster.next_replacement()
    if first is None or first > now:
        return []                         # nearly always: nothing to read per command
    due = cluster.conn.execute("SELECT hsm_id FROM hsms WHERE replace_at IS NOT NULL AND replace_at <= ? "
                               "ORDER BY server", (now,)).fetchall()
    before = {r["replaced"]: r for r in recorded or () if isinstance(r, dict) and isinstance(r.get("replaced"), str)}
    replaced = []
    for (hsm_id,) in due:
        try:
            replaced.append(replace_hsm(cluster, hsm_id, reason="automatic", recorded=before.get(hsm_id)))
        except BackendUnavailable:
            continue                      # no healthy HSM to clone from: try again later
    return replaced


CHANGES = ("fail-hsm", "replace", "add-hsm", "remove-hsm")


def change(cluster, operation: str, args: dict, recorded: dict | None = None) -> dict:
    """One `hsmshell cluster` change by name (fail-hsm, replace, add-hsm, remove-hsm), with
    its command-line arguments; `recorded`: its result as the audit log kept it (replay)."""
    if operation == "fail-hsm":
        return fail_hsm(cluster, args["hsm"], args.get("replace_after", CLUSTER_SETTING),
                        at=(recorded or {}).get("failed_at"))
    if operation == "replace":
        return replace_hsm(cluster, args["hsm"], args.get("source"), recorded=recorded)
    if operation == "add-hsm":
        return add_hsm(cluster, args.get("az"), args.get("source"), recorded=recorded)
    if operation == "remove-hsm":
        return remove_hsm(cluster, args["hsm"])
    raise InvalidArgument(f"unknown HSM change '{operation[:40]}'")


# -- helpers ----------------------------------------------------------------------------------
def _identity(recorded: dict | None, hsms) -> dict | None:
    """The id and IP a new HSM got in the recorded run (None: make new ones)."""
    if recorded is None:
        return None
    hsm_id = recorded.get("hsm")
    if any(h.hsm_id == hsm_id for h in hsms):
        raise InvalidArgument(f"the recorded new HSM {str(hsm_id)[:40]} is in the cluster already")
    return {"hsm_id": hsm_id, "ip": recorded.get("ip")}


def _clone_source(cluster, hsms, source_ref: str | None, exclude: str | None = None):
    """The healthy HSM a new one is cloned from (None while the cluster has no users yet)."""
    if source_ref is not None:
        source = find_hsm(cluster, source_ref, hsms)
        if not source.reachable:
            raise BackendUnavailable(f"{source.hsm_id} is unreachable and cannot be cloned")
        return source
    healthy = [h for h in hsms if h.reachable and h.hsm_id != exclude]
    if healthy:
        return healthy[0]
    if cluster.state == "UNINITIALIZED":
        return None
    raise BackendUnavailable("no healthy HSM to clone the new one from",
                             hint="CloudHSM would restore the latest backup; the emulator needs one healthy HSM")


def per_hsm_tables(conn) -> list[tuple[str, list[str]]]:
    """(table, columns) of every table holding per-HSM contents (it has an hsm_id column)."""
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    found = []
    for table in tables:
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
        if "hsm_id" in columns and table not in NOT_CLONED:
            found.append((table, columns))
    return found


def _clone(cluster, source, new: dict) -> None:
    if source is None:
        return
    conn = cluster.conn
    conn.execute("PRAGMA defer_foreign_keys = ON")       # copy tables in any order; checked at COMMIT
    for table, columns in per_hsm_tables(conn):
        copy_rows(conn, table, columns, source.hsm_id, {"hsm_id": new["hsm_id"]})
    now = cluster.clock()
    for opcode in ("CN_CLONE_SOURCE_INIT", "CN_CLONE_SOURCE_STAGE1"):
        hsm_logs.record(cluster, source, opcode)
    # the logins open on the cluster reach the new HSM: its stream starts with them
    for session_id, name, user_type in conn.execute(
            "SELECT session_id, user_name, user_type FROM sessions ORDER BY started").fetchall():
        hsm_logs.write(conn, new["hsm_id"], "CN_LOGIN", now, held=cluster.db.held,
                       session=hsm_logs.session_handle(session_id, new["server"]),
                       user_name=name, user_type=user_type)


def copy_rows(conn, table: str, columns: list[str], source_hsm: str, overrides: dict,
              where: str = "", params: tuple = ()) -> None:
    """Copy `table`'s rows of `source_hsm` (and `where`), with `overrides` (column -> value)
    in place of the source's values; the rows as another HSM holds them."""
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join("?" if c in overrides else f'"{c}"' for c in columns)
    bound = tuple(overrides[c] for c in columns if c in overrides)
    conn.execute(f'INSERT INTO "{table}" ({names}) SELECT {values} FROM "{table}" '
                 f'WHERE hsm_id = ? {where}', bound + (source_hsm,) + tuple(params))


def _delete_hsm(cluster, hsm_id: str) -> None:
    conn = cluster.conn
    conn.execute("PRAGMA defer_foreign_keys = ON")
    tables = dict(per_hsm_tables(conn))
    handles = [r[0] for r in conn.execute("SELECT handle FROM keys WHERE hsm_id = ?", (hsm_id,))] \
        if "keys" in tables else []
    for table in tables:
        conn.execute(f'DELETE FROM "{table}" WHERE hsm_id = ?', (hsm_id,))
    conn.execute("DELETE FROM hsms WHERE hsm_id = ?", (hsm_id,))
    if handles:                     # keys that were only on this HSM no longer count in the quotas
        from hsmshell.backends.emulator.keystore import forget_handles
        forget_handles(conn, handles)
