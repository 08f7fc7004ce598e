"""findAllKeys, syncUser and syncKey through CMU, read back into the Results of
backends/emulator/keys.py and server_mode.py.

findAllKeys prints, per server, the handles with (o)wned / (s)hared marks and the key hash
(cloudhsm_mgmt_util-findAllKeys). A key marked (o) is the named user's and shared with nobody,
so its owner is that user; a (s) key's owner is not said (the owner and the users it is shared
with are all marked (s)). A key's class, type, label and id stay None: findAllKeys is for
crypto officers and the appliance user, and the commands that read a key (getAttribute,
getKeyInfo, KMU) are for crypto users, so no login of the real tools can ask both.
syncUser and syncKey print `... success`; the users on both ends are asked with listUsers
(outside server mode, where CMU lists every server). syncKey's owner and sharing on the
destination are asked there after the copy: a crypto user (who syncs only keys it owns) asks
CMU's getKeyInfo in server mode on the destination; a crypto officer asks findAllKeys for each
crypto user of the destination, which names the owner of a key shared with nobody (a shared
key's owner and sharing stay None, as above).
"""

from __future__ import annotations

import re
from pathlib import Path

from hsmshell.backends.cloudhsm import cmu_text, kmu_text
from hsmshell.backends.result import Result
from hsmshell.errors import InvalidArgument
from hsmshell.model.users import UserType

KEYS_ON = re.compile(rf"^Keys on {cmu_text.SERVER}:")
ENTRY = re.compile(r"^(\d+)(\((o|s)\))?$")
HASH = re.compile(r"^[0-9a-f]{64}$")
UNKNOWN = {"key_class": None, "key_type": None, "label": None, "id": None, "session": None, "owner": None}


def find_all_keys(backend, invocation, secrets: dict) -> Result:
    text, _ = backend.run_cmu(invocation, secrets)
    user_id = invocation.args.get("user_id")
    blocks = _blocks(text, user_id)
    if not blocks:
        raise cmu_text.refusal("findAllKeys", text)
    servers = [backend.servers[n].status(**data) if n in backend.servers
               else cmu_text.Server(n, "", "").status(**data) for n, data in sorted(blocks.items())]
    return Result("findAllKeys", "all_keys", data={"user_id": user_id}, servers=servers)


def _blocks(text: str, user_id: int | None) -> dict[int, dict]:
    """findAllKeys' text: {server: {"keys": [...], "key_hash": ...}}."""
    blocks: dict[int, dict] = {}
    current = None
    for line in cmu_text.lines(text):
        line = line.strip()
        if m := KEYS_ON.match(line):
            current = blocks.setdefault(int(m.group(1)), {"keys": [], "key_hash": None})
        elif current is not None and HASH.match(line):
            current["key_hash"] = line
        elif current is not None and line and all(ENTRY.match(w) for w in line.split(",")):
            for word in line.split(","):
                m = ENTRY.match(word)
                entry = {"key_handle": int(m.group(1)), **UNKNOWN}
                if user_id is not None:
                    entry.update(owned=m.group(3) == "o" or None, shared=m.group(3) == "s")
                    if m.group(3) == "o":          # the user's, shared with nobody
                        entry["owner"] = user_id
                current["keys"].append(entry)
    return blocks


def _ends(backend, destination: int, command: str):
    if backend.server_mode is None:
        raise InvalidArgument(f"{command} runs in server mode, on the HSM to copy from",
                              hint=f"server <source-server>, then {command} ... <destination-server>, then exit")
    source, dest = backend.servers.get(backend.server_mode), backend.servers.get(destination)
    if source is None or dest is None:
        raise InvalidArgument(f"no server {destination}")
    return source, dest


def _synced(backend, invocation, secrets: dict, source, dest, **data) -> Result:
    text, _ = backend.run_cmu(invocation, secrets)
    lines = [line.strip() for line in cmu_text.lines(text) if line.strip()]
    if f"{invocation.name} success" not in lines:
        raise cmu_text.refusal(invocation.name, text)
    return Result(invocation.name, "sync", data={
        **data, "source_server": source.server, "source_hsm": source.hsm,
        "destination_server": dest.server, "destination_hsm": dest.hsm, "lines": lines})


def _all_users(backend) -> dict[int, list[dict]]:
    """listUsers of every server: in server mode CMU lists its server's only, so leave it
    for the question and come back."""
    mode = backend.server_mode
    backend.cmu_query("exit")
    try:
        return backend.list_users()
    finally:
        backend.cmu_query(f"server {int(mode)}")


def sync_user(backend, invocation, secrets: dict) -> Result:
    args = invocation.args
    source, dest = _ends(backend, args["server_id"], "syncUser")
    before = _all_users(backend)
    user = next((u for u in before.get(source.server, []) if u["user_id"] == args["user_id"]), None)
    name = user["user_name"] if user else None
    there = any(u["user_name"] == name for u in before.get(dest.server, []))
    result = _synced(backend, invocation, secrets, source, dest, user_id=args["user_id"])
    after = _all_users(backend)
    dest_id = next((u["user_id"] for u in after.get(dest.server, []) if u["user_name"] == name), None)
    result.data.update(destination_user_id=dest_id, user=name, user_type=user["user_type"] if user else None,
                       created=not there)
    return result


def sync_key(backend, invocation, secrets: dict) -> Result:
    args = invocation.args
    source, dest = _ends(backend, args["server_id"], "syncKey")
    result = _synced(backend, invocation, secrets, source, dest, key_handle=args["key_handle"])
    result.data.update(_owner_on(backend, args["key_handle"], source.server, dest.server))
    return result


def _server_block(lines: list[str], title: str, server: int) -> list[str]:
    """The lines of one server's block (`<title> server N(ip):` up to the next title)."""
    block, inside = [], False
    for line in lines:
        if line.strip().startswith(title):
            inside = line.strip().startswith(f"{title} server {server}(")
        elif inside:
            block.append(line)
    return block


def _owner_on(backend, handle: int, source: int, dest: int) -> dict:
    """The key's owner and sharing on the destination, asked as the login may (module doc)."""
    principal = backend.principal
    backend.cmu_query("exit")
    try:
        if principal is not None and principal.user_type == UserType.CU:
            backend.cmu_query(f"server {int(dest)}")
            try:
                text = backend.cmu_query(f"getKeyInfo {int(handle)}")
            finally:
                backend.cmu_query("exit")
            info = kmu_text.key_info(_server_block(cmu_text.lines(text), "Key Info on", dest))
            return {"owner": info["owner"], "shared_with": info["shared_with"]}
        holders = {}
        for user in backend.list_users().get(dest, []):
            if user["user_type"] == UserType.CU:
                keys = _blocks(backend.cmu_query(f"findAllKeys {int(user['user_id'])} 0"), user["user_id"])
                marks = {k["key_handle"]: k for k in keys.get(dest, {}).get("keys", [])}
                if handle in marks:
                    holders[user["user_id"]] = marks[handle]
        owner = next((uid for uid, key in holders.items() if key["owner"] == uid), None)
        return {"owner": owner, "shared_with": [] if owner is not None and len(holders) == 1 else None}
    finally:
        backend.cmu_query(f"server {int(source)}")


def get_cert(backend, invocation, secrets: dict) -> Result:
    """CMU in server mode (that HSM's certificate), else KMU when a crypto user is logged in
    there, else CMU (its first server)."""
    from hsmshell.model.certificates import CERTIFICATE_TYPES
    args = invocation.args
    if backend.server_mode is None and backend.kmu_logged_in:
        reply = backend.run_kmu(invocation, secrets)
        if not reply.ok:
            raise reply.error("getCert")
        server = min(backend.servers)
    else:
        text, _ = backend.run_cmu(invocation, secrets)
        if "getCert Success" not in text:
            raise cmu_text.refusal("getCert", text)
        server = backend.server_mode if backend.server_mode is not None else min(backend.servers)
    path = str(Path(args["file"]).expanduser())
    return Result("getCert", "cert_file", data={
        "server": server, "hsm": backend.servers[server].hsm, "cert_type": args["cert_type"],
        "certificate": CERTIFICATE_TYPES.get(args["cert_type"]), "file": path,
        "length": len(Path(path).read_text(encoding="ascii"))})


HANDLERS = {"findAllKeys": find_all_keys, "syncUser": sync_user, "syncKey": sync_key, "getCert": get_cert}
