"""Drift: users and keys that differ between the cluster's reachable HSMs, and the server-mode
commands that would make them agree (CloudHSM syncs keys, never users).

A user differs when its type, password, quorum key or 2FA differ, or it is missing (its id
may differ between HSMs: each HSM numbers its own users, and keys name owners by that id); a
token key when its owner, sharing, attributes or material differ, or it is missing. The copy
to spread is the one the HSM logs show changing last (else the one most HSMs hold); a user or
key some HSMs have and others lack is spread, not deleted. Each server also gets a key hash
over handles, owners and sharing, as findAllKeys shows. One pass over users and keys: linear.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter, defaultdict

KMS_LABEL = "arn:aws:kms:"
CHANGES = ("CN_CREATE_USER", "CN_CREATE_CO", "CN_CHANGE_PSWD", "CN_INSERT_MASKED_OBJECT_USER")
KEY_ROWS = ("SELECT hsm_id, handle, owner, key_class, key_type, label, key_id, attributes, m_value, "
            "manage_m_value, material "
            "FROM keys WHERE session_id IS NULL")


class _Copies:
    """Per item (user name or key handle), each reachable server's copy; per server, counts."""

    def __init__(self, servers):
        self.held: dict = defaultdict(dict)        # item -> {server: fingerprint}
        self.ids: dict = defaultdict(dict)         # item -> {server: user id / owner id}
        self.counts = Counter()
        self.summaries: dict[int, list[str]] = {server: [] for server in servers}   # for the key hash

    def add(self, item, server: int, fingerprint: tuple, local_id: int) -> None:
        self.held[item][server] = fingerprint
        self.ids[item][server] = local_id
        self.counts[server] += 1

    def digest(self, server: int) -> str | None:
        lines = self.summaries[server]
        return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest() if lines else None


def cluster_drift(cluster) -> dict:
    hsms = cluster.hsms()
    reachable = {h.hsm_id: h.server for h in hsms if h.reachable}
    servers = sorted(reachable.values())
    users, names, name_of = _users(cluster.conn, reachable)
    keys = _keys(cluster.conn, reachable, name_of)
    user_drift = [d for d in (_drifted(names[key], held, servers, _last_changed(cluster.conn, key, reachable, held))
                              for key, held in sorted(users.held.items())) if d]
    key_drift = [d for d in (_drifted(handle, held, servers, None) for handle, held in sorted(keys.held.items())) if d]
    for entry in user_drift:
        ids = users.ids[entry["name"].lower()]
        entry["user_id"] = ids[entry["source_server"]]
        for server in entry["servers"]:
            server["user_id"] = ids.get(server["server"])
    for entry in key_drift:
        entry["owner"] = keys.ids[entry["name"]][entry["source_server"]]
        label = keys.held[entry["name"]][entry["source_server"]][3]
        if label.startswith(KMS_LABEL):     # KMS labels its keys' material with the key's ARN
            entry["kms_key_arn"] = label
    return {
        "servers": [{"server": h.server, "hsm": h.hsm_id, "ip": h.ip, "reachable": h.reachable,
                     **({"users": users.counts[h.server], "keys": keys.counts[h.server],
                         "key_hash": keys.digest(h.server)} if h.reachable else {})} for h in hsms],
        "users": [_public(d, "user", "user_id") for d in user_drift],
        "keys": [_public(d, "key_handle", "owner") for d in key_drift],
        "in_sync": not user_drift and not key_drift,
        # KMS keys whose material some reachable HSM lacks or holds differently (KMS cannot use
        # them there; a replacement cloned from such an HSM would lose them)
        "kms_keys": [{"kms_key_arn": d["kms_key_arn"], "key_handle": d["name"], "missing_on": d["missing_on"],
                      "differs_on": d["differs_on"]} for d in key_drift if "kms_key_arn" in d],
        "fix": _fix_commands(user_drift, key_drift),
        "unreachable": [h.server for h in hsms if not h.reachable],
    }


def _users(conn, reachable: dict[str, int]):
    """Users by lower-case name (names are not case-sensitive); (hsm, id) -> that name."""
    users, names, name_of = _Copies(reachable.values()), {}, {}
    for hsm_id, user_id, user_type, name, pw_hash, mofn, twofa in conn.execute(
            "SELECT hsm_id, user_id, user_type, name, pw_hash, mofn_pubkey, twofa FROM users"):
        server = reachable.get(hsm_id)
        if server is not None:
            key = names.setdefault(name.lower(), name).lower()
            users.add(key, server, (user_type, pw_hash, mofn, twofa), user_id)
            name_of[hsm_id, user_id] = key
    return users, names, name_of


def _keys(conn, reachable: dict[str, int], name_of: dict) -> _Copies:
    keys = _Copies(reachable.values())
    try:
        shares = defaultdict(list)
        for hsm_id, handle, user_id in conn.execute("SELECT hsm_id, handle, user_id FROM key_shares"):
            shares[hsm_id, handle].append(name_of.get((hsm_id, user_id), f"#{user_id}"))
        rows = conn.execute(KEY_ROWS)
    except sqlite3.OperationalError:          # a cluster without the key tables
        return keys
    for hsm_id, handle, owner_id, *attributes, material in rows:
        server = reachable.get(hsm_id)
        if server is None:
            continue
        owner = name_of.get((hsm_id, owner_id), f"#{owner_id}")
        sharing = tuple(sorted(shares[hsm_id, handle])) if (hsm_id, handle) in shares else ()
        keys.add(handle, server, (owner, *attributes, material, sharing), owner_id)
        keys.summaries[server].append(f"{handle:012d}:{owner}:{','.join(sharing)};")
    return keys


def _drifted(name, held: dict[int, tuple], servers: list[int], latest: int | None) -> dict | None:
    variants = Counter(held.values())
    missing = [s for s in servers if s not in held]
    if len(variants) == 1 and not missing:
        return None
    if latest is None:           # the copy most HSMs hold (the lowest server on a tie)
        latest = min(held, key=lambda s: (-variants[held[s]], s))
    chosen = held[latest]
    labels = {v: chr(ord("A") + i) for i, v in enumerate(dict.fromkeys(held[s] for s in sorted(held)))}
    return {"name": name, "source_server": latest,
            "servers": [{"server": s, "variant": labels[held[s]] if s in held else None} for s in servers],
            "missing_on": missing, "differs_on": sorted(s for s, v in held.items() if v != chosen)}


def _last_changed(conn, name: str, reachable: dict[str, int], held: dict[int, tuple]) -> int | None:
    """The server holding `name` whose log shows the latest successful change to it."""
    if len(set(held.values())) == 1:
        return min(held)
    marks = ",".join("?" * len(CHANGES))
    rows = conn.execute(f"SELECT hsm_id, MAX(rowid) FROM hsm_log WHERE user_name = ? COLLATE NOCASE "
                        f"AND opcode IN ({marks}) AND response LIKE '0:%' GROUP BY hsm_id",
                        (name, *CHANGES)).fetchall()
    ranked = sorted((last, reachable[h]) for h, last in rows if reachable.get(h) in held)
    return ranked[-1][1] if ranked else None


def _public(entry: dict, name_field: str, id_field: str) -> dict:
    out = {name_field: entry["name"], id_field: entry.get(id_field)}
    out.update({k: entry[k] for k in ("servers", "missing_on", "differs_on", "source_server", "kms_key_arn")
                if k in entry})
    return out


def _fix_commands(user_drift: list[dict], key_drift: list[dict]) -> list[str]:
    """Server-mode blocks, users first (a key is copied only where its owner exists)."""
    steps = []                                   # (source server, command), users before keys
    for entries, verb, field in ((user_drift, "syncUser", "user_id"), (key_drift, "syncKey", "name")):
        steps += sorted((entry["source_server"], f"{verb} {entry[field]} {dest}")
                        for entry in entries for dest in entry["missing_on"] + entry["differs_on"])
    commands, current = [], None
    for source, command in steps:
        if source != current:
            commands += (["exit"] if current is not None else []) + [f"server {source}"]
            current = source
        commands.append(command)
    return commands + (["exit"] if steps else [])
