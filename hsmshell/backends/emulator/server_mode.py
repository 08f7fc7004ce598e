"""CMU server mode and the repairs it is for: `server N` sends every command to one HSM only,
until `exit`; there, `syncUser <user-id> <server>` and `syncKey <key-handle> <server>` copy a
user or a key from this HSM (the source) to another.

Each HSM logs the masked-object transfer: CN_EXTRACT_MASKED_OBJECT_USER on the source and
CN_INSERT_MASKED_OBJECT_USER on the destination (an inference: AWS does not document it).
"""

from __future__ import annotations

from hsmshell.backends.emulator import hsm_logs
from hsmshell.backends.emulator.cluster import EmulatedCluster, Hsm
from hsmshell.backends.emulator.lifecycle import copy_rows
from hsmshell.backends.result import Result
from hsmshell.errors import BackendUnavailable, InvalidArgument, KeyAccessDenied, NoSuchKey, NoSuchUser
from hsmshell.model.users import UserType

SYNC_LINES = ("ExtractMaskedObject: 0x0 !", "InsertMaskedObject: 0x0 !")


def enter_server_mode(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    hsm = _server(cluster, args["server_id"])
    if not hsm.reachable:
        raise BackendUnavailable(f"server {hsm.server}({hsm.ip}) is unavailable")
    cluster.selected_server = hsm.server
    return Result("server", "server_mode", data={
        "server": hsm.server, "hsm": hsm.hsm_id, "ip": hsm.ip,
        "message": "Server is in 'E2' mode..."})


def leave_server_mode(cluster: EmulatedCluster) -> int | None:
    """Back to global mode; returns the server that was selected (None: not in server mode)."""
    server, cluster.selected_server = cluster.selected_server, None
    return server


def sync_user(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    source, dest = _sync_ends(cluster, args["server_id"], "syncUser")
    conn, user_id = cluster.conn, args["user_id"]
    row = conn.execute("SELECT name, user_type FROM users WHERE hsm_id = ? AND user_id = ?",
                       (source.hsm_id, user_id)).fetchone()
    if row is None:
        raise NoSuchUser(f"HSM Error: no user with id {user_id} on server {source.server}({source.ip})")
    name, user_type = row
    there = _user_row(conn, dest, "name = ?", name)
    columns = [c for c in _columns(conn, "users") if c not in ("hsm_id", "user_id")]
    if there:                          # the same user: its id there stays (keys name it by that id)
        dest_id = there[0]
        names = ", ".join(f'"{c}"' for c in columns)
        conn.execute(f"UPDATE users SET ({names}) = (SELECT {names} FROM users WHERE hsm_id = ? AND user_id = ?) "
                     "WHERE hsm_id = ? AND user_id = ?", (source.hsm_id, user_id, dest.hsm_id, dest_id))
    else:                              # the source's id if it is free there, else the next one
        taken = _user_row(conn, dest, "user_id = ?", user_id) is not None
        dest_id = conn.execute("SELECT COALESCE(MAX(user_id), 0) + 1 FROM users WHERE hsm_id = ?",
                               (dest.hsm_id,)).fetchone()[0] if taken else user_id
        copy_rows(conn, "users", _columns(conn, "users"), source.hsm_id,
                  {"hsm_id": dest.hsm_id, "user_id": dest_id}, "AND user_id = ?", (user_id,))
    user = {"user_name": name, "user_type": user_type}
    hsm_logs.record(cluster, source, "CN_EXTRACT_MASKED_OBJECT_USER", **user)
    hsm_logs.record(cluster, dest, "CN_INSERT_MASKED_OBJECT_USER", **user)
    return _synced("syncUser", source, dest, user_id=user_id, destination_user_id=dest_id, user=name,
                   user_type=user_type, created=there is None)


def sync_key(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    source, dest = _sync_ends(cluster, args["server_id"], "syncKey")
    conn, handle = cluster.conn, args["key_handle"]
    row = conn.execute("SELECT owner, session_id FROM keys WHERE handle = ? AND hsm_id = ?",
                       (handle, source.hsm_id)).fetchone()
    if row is None or row[1] is not None:
        raise NoSuchKey(f"HSM Error: Invalid object handle is passed to this operation: no token key "
                        f"{handle} on server {source.server}({source.ip})")
    owner = row[0]
    me = cluster.principal
    if me is not None and me.user_type == UserType.CU and _id_on(conn, source, me.name) != owner:
        raise KeyAccessDenied("HSM Error: Key Access is denied: a crypto user syncs only keys it owns")
    owner_name = _name_of(conn, source, owner)
    dest_owner = _id_on(conn, dest, owner_name)
    if dest_owner is None:
        raise NoSuchUser(f"HSM Error: the key's owner {owner_name} does not exist on server {dest.server}",
                         hint=f"syncUser {owner} {dest.server} first")
    cluster.forget_key_objects()
    conn.execute("DELETE FROM keys WHERE handle = ? AND hsm_id = ?", (handle, dest.hsm_id))
    copy_rows(conn, "keys", _columns(conn, "keys"), source.hsm_id,
              {"hsm_id": dest.hsm_id, "owner": dest_owner}, "AND handle = ?", (handle,))
    shared = []
    for (user_id,) in conn.execute("SELECT user_id FROM key_shares WHERE handle = ? AND hsm_id = ?",
                                   (handle, source.hsm_id)).fetchall():
        local = _id_on(conn, dest, _name_of(conn, source, user_id))
        if local is not None:                 # a user missing there cannot be shared with there
            conn.execute("INSERT INTO key_shares(handle, hsm_id, user_id) VALUES(?,?,?)",
                         (handle, dest.hsm_id, local))
            shared.append(local)
    hsm_logs.record(cluster, source, "CN_EXTRACT_MASKED_OBJECT_USER", key_handle=handle)
    hsm_logs.record(cluster, dest, "CN_INSERT_MASKED_OBJECT_USER", key_handle=handle)
    return _synced("syncKey", source, dest, key_handle=handle, owner=dest_owner, shared_with=shared)


# -- helpers ----------------------------------------------------------------------------------
def _server(cluster: EmulatedCluster, server: int) -> Hsm:
    hsm = cluster.hsm_by_server(server)
    if hsm is None:
        count = len(cluster.hsms())
        raise InvalidArgument(f"no server {server}: servers are 0..{count - 1}")
    return hsm


def _sync_ends(cluster: EmulatedCluster, dest_server: int, command: str) -> tuple[Hsm, Hsm]:
    if cluster.selected_server is None:
        raise InvalidArgument(f"{command} runs in server mode, on the HSM to copy from",
                              hint=f"server <source-server>, then {command} ... <destination-server>, then exit")
    source, dest = _server(cluster, cluster.selected_server), _server(cluster, dest_server)
    if source.server == dest.server:
        raise InvalidArgument(f"{command}: the destination is the server you are on ({source.server})",
                              hint="name another server as the destination")
    for hsm in (source, dest):
        if not hsm.reachable:
            raise BackendUnavailable(f"server {hsm.server}({hsm.ip}) is unavailable")
    return source, dest


def _synced(command: str, source: Hsm, dest: Hsm, **data) -> Result:
    return Result(command, "sync", data={
        **data, "source_server": source.server, "source_hsm": source.hsm_id,
        "destination_server": dest.server, "destination_hsm": dest.hsm_id,
        # syncUser's page shows the masked-object lines, syncKey's only its success line
        "lines": [*(SYNC_LINES if command == "syncUser" else ()), f"{command} success"]})


def _columns(conn, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def _user_row(conn, hsm: Hsm, where: str, value):
    return conn.execute(f"SELECT user_id, name, user_type FROM users WHERE hsm_id = ? AND {where}",
                        (hsm.hsm_id, value)).fetchone()


def _id_on(conn, hsm: Hsm, name: str | None) -> int | None:
    row = _user_row(conn, hsm, "name = ?", name) if name is not None else None
    return row[0] if row else None


def _name_of(conn, hsm: Hsm, user_id: int) -> str | None:
    row = _user_row(conn, hsm, "user_id = ?", user_id)
    return row[1] if row else None


HANDLERS = {"server": enter_server_mode, "syncUser": sync_user, "syncKey": sync_key}
