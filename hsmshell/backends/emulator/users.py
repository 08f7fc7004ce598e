"""User management on the emulated HSMs: login/logout, createUser, deleteUser, changePswd,
listUsers. Each HSM keeps its own user table; every command reports per server."""

from __future__ import annotations

import sqlite3

from hsmshell.backends.emulator.cluster import EmulatedCluster, Hsm
from hsmshell.backends.emulator.schema import user_name_count
from hsmshell.backends.emulator.passwords import DEFAULT_LOG2_N, hash_password, verify_password
from hsmshell.backends.result import Result
from hsmshell.errors import (HsmError, InvalidArgument, LimitExceeded, LoginFailed, NoSuchUser,
                             PermissionDenied, UserLocked)
from hsmshell.model.users import CREATABLE, OFFICERS, Principal, UserType, check_new_password

MAX_LOGIN_FAILURES = 5          # more than this many failures locks the user on that HSM
MAX_USERS = 1024                # per cluster (AWS quota)
USER_COLUMNS = "user_id, user_type, name, mofn_pubkey IS NOT NULL, login_failures, twofa"


def _type_matches(given: str, stored: str) -> bool:
    return given == stored or (given in OFFICERS and stored in OFFICERS)


def _user(cluster: EmulatedCluster, hsm: Hsm, name: str):
    return cluster.conn.execute(
        "SELECT user_id, user_type, name, pw_hash, login_failures FROM users "
        "WHERE hsm_id = ? AND name = ?", (hsm.hsm_id, name)).fetchone()


def _users_named(cluster: EmulatedCluster, name: str) -> dict[str, tuple]:
    """The user called `name` on each HSM, by HSM id (rows as _user gives them): one query
    for all of a command's servers instead of one per server."""
    return {row[0]: row[1:] for row in cluster.conn.execute(
        "SELECT hsm_id, user_id, user_type, name, pw_hash, login_failures FROM users WHERE name = ?",
        (name,))}


def _require_user(cluster, hsm, name, user_type=None, found: dict | None = None):
    """The user's row on `hsm` (from `found`, _users_named's answer, when given)."""
    row = _user(cluster, hsm, name) if found is None else found.get(hsm.hsm_id)
    if row is None:
        raise NoSuchUser(f"HSM Error: user {name} doesn't exist on server {hsm.server}({hsm.ip})")
    if user_type and not _type_matches(user_type, row[1]):
        raise NoSuchUser(f"HSM Error: user {row[2]} is a {row[1]}, not a {user_type}",
                         hint=f"use the user's type: {row[1] if row[1] != 'PCO' else 'CO'}")
    return row


def check_password(password: str) -> None:
    check_new_password(password)       # the firmware's rule too, whoever calls it


def _verify(password: str, stored: str, cache: dict) -> bool:
    # Every HSM holds a clone of the same hash; verify each distinct hash once per command.
    if stored not in cache:
        cache[stored] = verify_password(password, stored)
    return cache[stored]


# -- handlers ----------------------------------------------------------------------------------
def login(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    if cluster.principal is not None:
        raise HsmError(f"loginHSM failed: already logged in as {cluster.principal.label}",
                       hint="logoutHSM first", reference="already-logged-in")
    name, user_type, password = args["user_name"], args["user_type"], secrets["password"]
    checked: dict = {}
    found: dict = {}

    def on_hsm(hsm: Hsm) -> dict:
        user_id, stored_type, stored_name, pw_hash, failures = _require_user(cluster, hsm, name)
        if not _type_matches(user_type, stored_type):
            raise LoginFailed(f"HSM Error: RET_USER_LOGIN_FAILURE ({stored_name} is a {stored_type})")
        if failures > MAX_LOGIN_FAILURES:
            raise UserLocked(f"HSM Error: user {stored_name} is locked after {failures} failed logins")
        if not _verify(password, pw_hash, checked):
            failures += 1
            cluster.conn.execute("UPDATE users SET login_failures = ? WHERE hsm_id = ? AND user_id = ?",
                                 (failures, hsm.hsm_id, user_id))
            left = MAX_LOGIN_FAILURES + 1 - failures
            raise LoginFailed("HSM Error: RET_USER_LOGIN_FAILURE",
                              hint=(f"{left} more failed login(s) lock {stored_name}" if left > 0
                                    else f"{stored_name} is now locked; a CO must set a new password"))
        if failures:
            cluster.conn.execute("UPDATE users SET login_failures = 0 WHERE hsm_id = ? AND user_id = ?",
                                 (hsm.hsm_id, user_id))
        found.setdefault("principal", Principal(stored_name, stored_type, user_id))
        return {}

    servers = cluster.on_each(on_hsm)
    result = Result("loginHSM", "per_server", servers=servers)
    if "principal" not in found:
        result.error = next(s.error for s in servers if s.error)
        return result
    principal = found["principal"]
    cluster.start_session(principal)
    result.data = {"user": principal.name, "user_type": principal.user_type, "user_id": principal.user_id}
    result.replay = {"user_id": principal.user_id}
    return result


def logout(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    servers = cluster.on_each(lambda hsm: {})
    cluster.end_session()
    return Result("logoutHSM", "per_server", servers=servers)


def create_user(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    user_type, name, password = args["user_type"], args["user_name"], secrets["password"]
    if user_type not in CREATABLE:
        raise InvalidArgument(f"createUser makes CO or CU users, not {user_type}")
    user_type = UserType.CO if user_type == UserType.PCO else user_type
    check_password(password)
    count = user_name_count(cluster.conn)
    if count >= MAX_USERS:
        raise LimitExceeded(f"the cluster already has {count} users (at most {MAX_USERS})")
    pw_hash = hash_password(password, int(cluster.db.meta("kdf_log2_n", DEFAULT_LOG2_N)))
    existing = _users_named(cluster, name)

    def on_hsm(hsm: Hsm) -> dict:
        if hsm.hsm_id in existing:
            raise HsmError(f"HSM Error: user {name} already exists on server {hsm.server}({hsm.ip})",
                           reference="user-exists")
        next_id = cluster.conn.execute("SELECT COALESCE(MAX(user_id), 0) + 1 FROM users WHERE hsm_id = ?",
                                       (hsm.hsm_id,)).fetchone()[0]
        cluster.conn.execute("INSERT INTO users(hsm_id, user_id, user_type, name, pw_hash) VALUES(?,?,?,?,?)",
                             (hsm.hsm_id, next_id, user_type, name, pw_hash))
        return {"user_id": next_id}

    return _per_server_result(cluster, "createUser", on_hsm,
                              {"user": name, "user_type": user_type})


def delete_user(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    user_type, name = args["user_type"], args["user_name"]
    if cluster.is_logged_in(name):
        raise PermissionDenied(f"deleteUser failed: {name} is logged in",
                               hint="a logged-in user cannot be deleted; it must log out first")

    found = _users_named(cluster, name)

    def on_hsm(hsm: Hsm) -> dict:
        user_id, stored_type, stored_name, *_ = _require_user(cluster, hsm, name, user_type, found)
        if stored_type == UserType.AU:
            raise PermissionDenied("deleteUser failed: the appliance user cannot be deleted")
        owned = keys_owned(cluster, hsm, user_id)
        if owned:
            raise PermissionDenied(f"deleteUser failed: {stored_name} owns {owned} key(s) on this HSM",
                                   hint="delete the user's keys first (deleteKey)")
        cluster.conn.execute("DELETE FROM users WHERE hsm_id = ? AND user_id = ?", (hsm.hsm_id, user_id))
        return {"user_id": user_id}

    return _per_server_result(cluster, "deleteUser", on_hsm, {"user": name, "user_type": user_type})


def change_password(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    user_type, name, password = args["user_type"], args["user_name"], secrets["password"]
    check_password(password)
    me = cluster.principal
    own = me is not None and me.name.lower() == name.lower()
    if not own and cluster.logged_in_elsewhere(name):
        raise PermissionDenied(f"changePswd failed: {name} is logged in",
                               hint="the password of a logged-in user cannot be changed")
    pw_hash = hash_password(password, int(cluster.db.meta("kdf_log2_n", DEFAULT_LOG2_N)))
    activating = own and me.user_type == UserType.PRECO
    found = _users_named(cluster, name)

    def on_hsm(hsm: Hsm) -> dict:
        user_id, stored_type, *_ = _require_user(cluster, hsm, name, user_type, found)
        new_type = UserType.PCO if activating and stored_type == UserType.PRECO else stored_type
        cluster.conn.execute("UPDATE users SET pw_hash = ?, login_failures = 0, user_type = ? "
                             "WHERE hsm_id = ? AND user_id = ?", (pw_hash, new_type, hsm.hsm_id, user_id))
        return {"user_id": user_id}

    result = _per_server_result(cluster, "changePswd", on_hsm, {"user": name, "user_type": user_type})
    if activating and result.ok:
        cluster.db.set_meta("cluster_state", "ACTIVE")
        cluster.start_session(Principal(me.name, UserType.PCO, me.user_id))
        result.data["activated"] = True
    return result


def list_users(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    def on_hsm(hsm: Hsm) -> dict:
        rows = cluster.conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE hsm_id = ? ORDER BY user_id",
                                    (hsm.hsm_id,))
        return {"users": [{"user_id": r[0], "user_type": r[1], "user_name": r[2],
                           "mofn_pub_key": bool(r[3]), "login_failure_count": r[4], "two_fa": bool(r[5])}
                          for r in rows]}

    return Result("listUsers", "users", servers=cluster.on_each(on_hsm))


def keys_owned(cluster: EmulatedCluster, hsm: Hsm, user_id: int) -> int:
    """How many keys the user owns on this HSM (0 until the keys tables exist)."""
    try:
        return cluster.conn.execute("SELECT COUNT(*) FROM keys WHERE hsm_id = ? AND owner = ?",
                                    (hsm.hsm_id, user_id)).fetchone()[0]
    except sqlite3.OperationalError:         # no keys table yet
        return 0


def _per_server_result(cluster, command: str, on_hsm, data: dict) -> Result:
    servers = cluster.on_each(on_hsm)
    result = Result(command, "per_server", data=data, servers=servers)
    failed = [s for s in servers if s.error]
    if failed:
        result.error = failed[0].error
    result.replay = {"user_ids": {str(s.server): s.data.get("user_id") for s in servers if not s.error}}
    return result


HANDLERS = {
    "loginHSM": login,
    "logoutHSM": logout,
    "createUser": create_user,
    "deleteUser": delete_user,
    "changePswd": change_password,
    "listUsers": list_users,
}
