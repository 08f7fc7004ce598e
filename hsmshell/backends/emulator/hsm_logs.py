"""Each HSM's own audit stream, in the CloudHSM format (AWS's cloudhsm_mgmt_util pages).

One stream per HSM, named by its HSM id, in the cluster's log group `/aws/cloudhsm/<cluster-id>`.
Entries live in the cluster database (table `hsm_log`), written inside the command's
transaction, so a stream always agrees with the state, even after a crash. Sequence numbers
count from 0x0 per stream without gaps; a removed or replaced HSM's stream stays readable.

Every command with an opcode in its CommandSpec is logged by `record_command`, which the
emulator backend calls after the handler. A handler that needs more control (syncUser logs
an extract on one HSM and an insert on another) calls `record(cluster, hsm, opcode, error=None,
**fields)`, or `record_servers(cluster, statuses, opcode, **fields)` after an `on_each`.
"""

from __future__ import annotations

import functools
import zlib

from hsmshell.model.opcodes import OPCODE_HEX, OTHER_ERROR, RESPONSES, USER_TYPES
from hsmshell.model.users import OFFICERS, UserType

SCHEMA = """
CREATE TABLE IF NOT EXISTS hsm_log (
    hsm_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    usecs INTEGER NOT NULL,
    reboot_counter INTEGER NOT NULL,
    command_type INTEGER NOT NULL,
    opcode TEXT NOT NULL,
    session_handle INTEGER NOT NULL,
    response TEXT NOT NULL,
    log_type INTEGER NOT NULL,
    user_name TEXT,
    user_type TEXT,
    key_handle INTEGER,
    public_key_handle INTEGER,
    UNIQUE (hsm_id, seq)
);
CREATE INDEX IF NOT EXISTS hsm_log_by_user ON hsm_log(user_name COLLATE NOCASE) WHERE user_name IS NOT NULL;
"""

# The CloudHSM audit vocabulary (opcode hex values, user types, responses) is shared with
# `audit export --format cloudhsm`, so both show an event the same way.
OPCODES = OPCODE_HEX
KNOWN_WITHOUT_HEX = frozenset({
    "CN_APP_FINALIZE", "CN_CLOSE_SESSION", "CN_SET_M_VALUE", "CN_APPROVE_TOKEN", "CN_DELETE_TOKEN",
    "CN_GET_TOKEN", "CN_CREATE_OBJECT", "CN_MODIFY_OBJECT", "CN_TOMBSTONE_OBJECT", "CN_DERIVE_KEY",
    "CN_CLONE_SOURCE_INIT", "CN_CLONE_SOURCE_STAGE1", "CN_CLONE_TARGET_INIT", "CN_CLONE_TARGET_STAGE1",
    "CN_BACKUP_BEGIN", "CN_BACKUP_END", "CN_RESTORE_BEGIN", "CN_RESTORE_END", "CN_GEN_KEY_ENC_KEY",
    "CN_CLOSE_PARTITION_SESSIONS", "CN_STORE_KBK_SHARE", "CN_SET_NODEID", "CN_ZEROIZE", "CN_FIPS_RAND",
})
COMMAND_TYPES = {0x0: "CN_MGMT_CMD", 0x9: "CN_CERT_AUTH_CMD"}
MINIMAL, KEY_DETAILS, USER_DETAILS = 0, 1, 2
LOG_TYPES = {MINIMAL: "MINIMAL_LOG_ENTRY", KEY_DETAILS: "MGMT_KEY_DETAILS_LOG",
             USER_DETAILS: "MGMT_USER_DETAILS_LOG", 5: "UNKNOWN_LOG_TYPE"}
SUCCESS = "{}:{}".format(*RESPONSES[None])                    # 0:HSM Return: SUCCESS
UNREACHED = frozenset({"hsm-unavailable", "not-attempted"})   # the HSM never saw the command
INIT_SESSION = "hsm-initialization"


def opcode_label(opcode: str) -> str:
    return f"{opcode} ({OPCODES[opcode]:#x})" if opcode in OPCODES else opcode


def response_text(error) -> str:
    if error is None:
        return SUCCESS
    code, text = RESPONSES.get(error.reference, OTHER_ERROR)
    return f"{code}:{text}"


@functools.lru_cache(maxsize=256)           # the same few (session, server) pairs every command
def session_handle(session_id: str, server: int) -> int:
    """A stable handle per shell session and HSM, shaped like CloudHSM's (0x1004001)."""
    return 0x1000000 | ((server + 1) & 0xff) << 12 | (zlib.crc32(session_id.encode()) & 0xfff)


INSERT = ("INSERT INTO hsm_log(hsm_id, seq, usecs, reboot_counter, command_type, opcode, session_handle,"
          " response, log_type, user_name, user_type, key_handle, public_key_handle)"
          " VALUES(?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)")
NEXT = ("SELECT COALESCE(MAX(seq), -1) + 1, COALESCE((SELECT reboot_counter FROM hsms WHERE hsm_id = ?), 1)"
        " FROM hsm_log WHERE hsm_id = ?")
HELD_KEY = "hsm_log_next"       # in ClusterDB.held: {hsm_id: (next seq, reboot counter)}


def entry(hsm_id: str, opcode: str, now: float, session: int, error=None, user_name: str | None = None,
          user_type: str | None = None, key_handle: int | None = None,
          public_key_handle: int | None = None) -> tuple:
    """One entry of `hsm_id`'s stream, ready for `append` (which numbers it)."""
    if opcode not in OPCODES and opcode not in KNOWN_WITHOUT_HEX:
        raise ValueError(f"unknown CloudHSM audit opcode {opcode}")
    log_type = KEY_DETAILS if key_handle is not None else USER_DETAILS if user_name else MINIMAL
    return (hsm_id, int(round(now * 1_000_000)), opcode, session, response_text(error),
            log_type, user_name, user_type, key_handle, public_key_handle)


def append(conn, entries: list[tuple], held: dict | None) -> None:
    """Append entries to their streams: each gets its stream's next sequence number and its
    HSM's reboot counter. They are read once per stream and lock hold and then counted in
    `held` (the cluster's ClusterDB.held: a rollback or savepoint undo forgets it, so an
    undone command's numbers are given again), not by a MAX(seq) per entry. Every append
    under the lock must pass it (a stream appended to behind its back would repeat a
    number); None only where nothing in the lock hold has counted yet (a new cluster)."""
    counted = held.get(HELD_KEY) if held is not None else None
    if counted is None:
        counted = {}
        if held is not None:
            held[HELD_KEY] = counted
    after = {}                                  # counted only once the rows are in
    rows = []
    for item in entries:
        hsm_id = item[0]
        next_seq = after.get(hsm_id) or counted.get(hsm_id)
        if next_seq is None:
            next_seq = conn.execute(NEXT, (hsm_id, hsm_id)).fetchone()
        seq, reboot = next_seq
        rows.append((hsm_id, seq, item[1], reboot) + item[2:])
        after[hsm_id] = (seq + 1, reboot)
    conn.executemany(INSERT, rows)
    counted.update(after)


def write(conn, hsm_id: str, opcode: str, now: float, *, session: int, held: dict | None, **fields) -> None:
    append(conn, [entry(hsm_id, opcode, now, session, **fields)], held)


def record(cluster, hsm, opcode: str, error=None, **fields) -> None:
    """Log `opcode` on one HSM (an `Hsm`) as this shell session, with `error`'s response."""
    write(cluster.conn, hsm.hsm_id, opcode, cluster.clock(), held=cluster.db.held,
          session=session_handle(cluster.session_id, hsm.server), error=error, **fields)


def record_servers(cluster, statuses, opcode: str, **fields) -> None:
    """Log a cluster-wide command on every HSM it reached, with each HSM's own response."""
    append(cluster.conn, [_status_entry(cluster, s, opcode, **fields) for s in statuses
                          if s.error is None or s.error.reference not in UNREACHED], cluster.db.held)


KEY_CREATING = frozenset({"CN_GENERATE_KEY", "CN_GENERATE_KEY_PAIR", "CN_UNWRAP_KEY", "CN_CREATE_OBJECT"})
ON_ONE_HSM = frozenset({"CN_LOGOUT", "CN_WRAP_KEY", "CN_NIST_AES_WRAP"})
USER_EVENTS = frozenset({"CN_LOGIN", "CN_LOGOUT", "CN_CREATE_USER", "CN_DELETE_USER", "CN_CHANGE_PSWD"})
SELF_LOGGED = frozenset({"CN_INSERT_MASKED_OBJECT_USER", "CN_EXTRACT_MASKED_OBJECT_USER"})  # syncUser/syncKey


def record_command(cluster, spec, args: dict, result, actor) -> None:
    """Log a command the emulator ran, by its spec's opcode, on the HSMs it reached (the
    reference's rules: a login on every HSM, a logout on the one that ran it, a new key on the
    HSM that made it and CN_INSERT_MASKED_OBJECT_USER on those it was copied to)."""
    opcode = spec.opcode
    if opcode is None or opcode in SELF_LOGGED or (opcode not in OPCODES and opcode not in KNOWN_WITHOUT_HEX):
        return
    reached = [s for s in result.servers if s.error is None or s.error.reference not in UNREACHED]
    if not reached:
        return
    user_name = user_type = None
    if opcode in USER_EVENTS:
        user_name = (args.get("user_name") or args.get("username")) or (actor.name if actor else None)
        user_type = args.get("user_type") or (actor.user_type if actor else None)
        if opcode == "CN_LOGIN" and result.ok:
            user_type = result.data.get("user_type", user_type)
        if opcode == "CN_CREATE_USER" and user_type in OFFICERS:
            opcode = "CN_CREATE_CO"
    key_handle, public_key_handle = _key_handles(args, result.data)
    if opcode in KEY_CREATING:             # made on the HSM the command ran on, copied to the rest
        made = sorted((s for s in reached if s.error is None), key=lambda s: s.hsm != cluster.last_pick)
        logged = [(s, opcode if i == 0 else "CN_INSERT_MASKED_OBJECT_USER") for i, s in enumerate(made)]
    else:
        logged = [(s, opcode) for s in (reached[:1] if opcode in ON_ONE_HSM else reached)]
    # as entry() builds them (the opcodes are known ones): every command of a batch logs here
    log_type = KEY_DETAILS if key_handle is not None else USER_DETAILS if user_name else MINIMAL
    clock, session_id = cluster.clock, cluster.session_id
    append(cluster.conn, [(s.hsm, int(round(clock() * 1_000_000)), logged_as, session_handle(session_id, s.server),
                           response_text(s.error), log_type, user_name, user_type, key_handle, public_key_handle)
                          for s, logged_as in logged], cluster.db.held)


def _key_handles(args: dict, data: dict) -> tuple[int | None, int | None]:
    secret = data.get("key_handle", data.get("private_key_handle", args.get("key_handle")))
    public = data.get("public_key_handle")
    return (secret if isinstance(secret, int) else None), (public if isinstance(public, int) else None)


def _status_entry(cluster, status, opcode: str, **fields) -> tuple:
    return entry(status.hsm, opcode, cluster.clock(), session_handle(cluster.session_id, status.server),
                 error=status.error, **fields)


def record_initialization(conn, hsm: dict, now: float, app_user: str, held: dict | None) -> None:
    """The first events of a new cluster's first HSM."""
    session = session_handle(INIT_SESSION, hsm["server"])
    append(conn, [entry(hsm["hsm_id"], opcode, now, session, user_name=user, user_type=UserType.AU if user else None)
                  for opcode, user in (("CN_INIT_TOKEN", None), ("CN_GEN_PSWD_ENC_KEY", None),
                                       ("CN_CREATE_APPLIANCE_USER", app_user), ("CN_INIT_DONE", None))],
           held)


# -- reading ---------------------------------------------------------------------------------
COLUMNS = ("rowid", "hsm_id", "seq", "usecs", "reboot_counter", "command_type", "opcode",
           "session_handle", "response", "log_type", "user_name", "user_type", "key_handle",
           "public_key_handle")


def read(conn, hsm_id: str | None = None, after: int = 0) -> list[dict]:
    """Entries written after row `after` (0: all), oldest first, of one stream or all of them."""
    where, params = "rowid > ?", [after]
    if hsm_id is not None:
        where += " AND hsm_id = ?"
        params.append(hsm_id)
    rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM hsm_log WHERE {where} ORDER BY rowid", params)
    return [event(dict(zip(COLUMNS, row))) for row in rows]


def streams(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT hsm_id FROM hsm_log GROUP BY hsm_id ORDER BY MIN(rowid)")]


def event(row: dict) -> dict:
    """An entry as `logs` shows it: its fields and its CloudHSM text (`message`)."""
    out = {"id": row["rowid"], "stream": row["hsm_id"], "sequence": row["seq"],
           "time": _timestamp(row["usecs"]), "usecs": row["usecs"],
           "reboot_counter": row["reboot_counter"],
           "command_type": COMMAND_TYPES.get(row["command_type"], str(row["command_type"])),
           "opcode": row["opcode"], "opcode_hex": OPCODES.get(row["opcode"]),
           "session_handle": row["session_handle"], "response": row["response"],
           "log_type": LOG_TYPES[row["log_type"]]}
    for key in ("user_name", "user_type", "key_handle", "public_key_handle"):
        if row[key] is not None:
            out[key] = row[key]
    out["message"] = format_entry(row)
    return out


def format_entry(row: dict) -> str:
    """The verbatim CloudHSM entry layout."""
    lines = [f"Time: {_timestamp(row['usecs'])}, usecs:{row['usecs']}",
             f"Sequence No : {row['seq']:#x}",
             f"Reboot counter : {row['reboot_counter']:#x}",
             f"Command Type(hex) : {COMMAND_TYPES.get(row['command_type'], '?')} ({row['command_type']:#x})",
             f"Opcode : {opcode_label(row['opcode'])}",
             f"Session Handle : {row['session_handle']:#x}",
             f"Response : {row['response']}",
             f"Log type : {LOG_TYPES[row['log_type']]} ({row['log_type']})"]
    if row["user_name"] is not None:
        lines += [f"User Name : {row['user_name']}",
                  f"User Type : {USER_TYPES.get(row['user_type'], row['user_type'])}"]
    if row["key_handle"] is not None:
        lines.append(f"Priv/Secret Key Handle : {row['key_handle']}")
    if row["public_key_handle"] is not None:
        lines.append(f"Public Key Handle : {row['public_key_handle']}")
    return "\n".join(lines)


def _timestamp(usecs: int) -> str:
    import datetime as dt
    moment = dt.datetime.fromtimestamp(usecs // 1_000_000, dt.timezone.utc)
    return moment.strftime("%m/%d/%y %H:%M:%S.") + f"{usecs % 1_000_000:06d}"
