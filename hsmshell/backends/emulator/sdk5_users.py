"""CloudHSM CLI's login, logout, user and cluster commands on the emulated HSMs.

Each runs the SDK 3 handler that does the same thing (users.py, info.py), so both vocabularies
change one state by one set of rules, and answers with CloudHSM CLI's `data` (Result.wire).
"""

from __future__ import annotations

from hsmshell.backends.emulator import info, replay_inputs, users
from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, PermissionDenied
from hsmshell.model.sdk5 import LOGIN_ROLES, role_name
from hsmshell.policy.engine import Principal
from hsmshell.model.users import UserType

ENABLED = [{"strategy": "token-sign", "status": "enabled"}]
INITIAL_ADMIN = ("admin", "password")     # a new cluster's unactivated admin


def sdk5(result: Result, command: str, wire, kind: str = "sdk5") -> Result:
    """The SDK 3 handler's result, named and shown as CloudHSM CLI's `command`."""
    result.command, result.kind = command, kind
    if result.error is None:
        result.wire = wire
    return result


def stored_type(cluster: EmulatedCluster, name: str) -> str | None:
    row = cluster.conn.execute("SELECT user_type FROM users WHERE name = ? LIMIT 1", (name,)).fetchone()
    return row[0] if row else None


def user_type_for(cluster: EmulatedCluster, name: str, role: str) -> str:
    """The SDK 3 user type `--role` means for this user: admin covers CO, PCO and PRECO."""
    known = stored_type(cluster, name)
    return known if known in LOGIN_ROLES[role] else LOGIN_ROLES[role][0]


def _sdk3_args(cluster: EmulatedCluster, args: dict) -> dict:
    """The arguments in SDK 3's names, for its handler (a copy: the invocation's arguments
    are what the audit record keeps and replay compares)."""
    return dict(args, user_name=args["username"], user_type=user_type_for(cluster, args["username"], args["role"]))


def login(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    result = users.login(cluster, _sdk3_args(cluster, args), secrets)
    return sdk5(result, "login", {"username": args["username"], "role": args["role"]})


def logout(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    return sdk5(users.logout(cluster, args, secrets), "logout", "Logout successful")


def user_create(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    sdk3 = dict(args, user_name=args["username"], user_type=LOGIN_ROLES[args["role"]][0])
    result = users.create_user(cluster, sdk3, secrets)
    return sdk5(result, "user create", {"username": args["username"], "role": args["role"]})


def user_delete(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    result = users.delete_user(cluster, _sdk3_args(cluster, args), secrets)
    return sdk5(result, "user delete", {"username": args["username"], "role": args["role"]})


def user_change_password(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    result = users.change_password(cluster, _sdk3_args(cluster, args), secrets)
    return sdk5(result, "user change-password", {"username": args["username"], "role": args["role"]})


def user_list(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    result = users.list_users(cluster, args, secrets)
    reached = [s for s in result.servers if s.error is None]
    merged: dict[str, list[dict]] = {}
    for status in reached:
        for user in status.data["users"]:
            merged.setdefault(user["user_name"].lower(), []).append(user)
    listing = [_user_entry(name, copies, len(reached)) for name, copies in merged.items()]
    return sdk5(result, "user list", {"users": listing}, kind="sdk5_users")


def _user_entry(name: str, copies: list[dict], hsm_count: int) -> dict:
    """One user as `user list` shows it; a field the HSMs disagree on reads "inconsistent"."""
    def agreed(values: set) -> object:
        return values.pop() if len(values) == 1 else "inconsistent"

    locked = agreed({"true" if u["login_failure_count"] > users.MAX_LOGIN_FAILURES else "false"
                     for u in copies})
    return {"username": name,
            "role": agreed({role_name(u["user_type"]) for u in copies}),
            "locked": locked,
            "mfa": ENABLED if any(u["two_fa"] for u in copies) else [],
            "quorum": ENABLED if any(u["mofn_pub_key"] for u in copies) else [],
            "cluster-coverage": "full" if len(copies) >= hsm_count else "partial"}


def cluster_activate(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    """Set the unactivated admin's password: CMU's `changePswd PRECO admin`, logged in as
    that admin with the initial password when nobody is logged in (as the CLI does)."""
    if cluster.db.meta("cluster_state") == "ACTIVE" or stored_type(cluster, INITIAL_ADMIN[0]) != UserType.PRECO:
        raise HsmError("Cluster has already been activated", reference="already-activated")
    me = cluster.principal
    if me is not None and me.user_type != UserType.PRECO:
        raise PermissionDenied("cluster activate is for the unactivated admin",
                               hint="log out first: cluster activate logs in by itself")
    signed_in_here = me is None
    if signed_in_here and replay_inputs.replaying(cluster):
        # audit replay: the initial password was checked when this ran, and the replayed
        # cluster's users have stand-in passwords that do not know it
        user_id = cluster.conn.execute("SELECT user_id FROM users WHERE name = ? LIMIT 1",
                                       (INITIAL_ADMIN[0],)).fetchone()[0]
        cluster.start_session(Principal(INITIAL_ADMIN[0], UserType.PRECO, user_id))
    elif signed_in_here:
        login_args = {"user_name": INITIAL_ADMIN[0], "user_type": UserType.PRECO}
        done = users.login(cluster, login_args, {"password": INITIAL_ADMIN[1]})
        if done.error is not None:
            raise done.error
    result = users.change_password(cluster, dict(args, user_name=cluster.principal.name, user_type=UserType.PRECO),
                                   secrets)
    if signed_in_here and result.ok:
        cluster.end_session()                   # the CLI's own login ends with the command
    return sdk5(result, "cluster activate", "Cluster activation successful")


def hsm_info(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    result = info.hsm_info(cluster, args, secrets)
    hsms = []
    for status in result.servers:
        if status.error is not None:
            continue
        got = status.data["info"]
        hsms.append({
            "vendor": "Marvell Semiconductors, Inc.", "model": got["Model"],
            "serial-number": got["Serial Number"],
            "hardware-version-major": str(got["Hardware Major"]),
            "hardware-version-minor": str(got["Hardware Minor"]),
            "firmware-version-major": str(got["Firmware Major"]),
            "firmware-version-minor": str(got["Firmware Minor"]),
            "firmware-build-number": str(got["Build Number"]),
            "firmware-id": got["Firmware ID"], "fips-state": got["FIPS state"]})
    return sdk5(result, "cluster hsm-info", {"hsms": hsms}, kind="sdk5_hsms")


HANDLERS = {
    "login": login, "logout": logout, "user create": user_create, "user delete": user_delete,
    "user change-password": user_change_password, "user list": user_list,
    "cluster activate": cluster_activate, "cluster hsm-info": hsm_info,
}
