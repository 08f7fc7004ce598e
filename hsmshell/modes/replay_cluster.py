"""The fresh emulated cluster `audit replay` runs a log on: made as any new cluster is (so
every file and table a cluster has exists), then given the genesis record's HSMs, network,
settings and users.

Replay has no secrets. The log keeps each secret as a salted HMAC (deterministic under the
cluster's HMAC key) and whether its length fits the password rules (7 to 32 characters, or
too short, or too long); replay stands in for the secret a string made from the HMAC, of a
length (derived from the HMAC too) in the same class. Equal secrets give equal stand-ins
and different ones (almost surely) different stand-ins, and length rules hold as they did,
so failed logins, lockouts and rejected passwords happen in replay exactly as they happened.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets as random_secrets
from pathlib import Path

from hsmshell.audit.keys import TOO_LONG, TOO_SHORT
from hsmshell.state.db import ClusterDB
from hsmshell.state.home import StateHome

_LONG_EXTRA = 32                    # a too-long stand-in is 1 to 32 characters over the limit


def stand_in(hmac_text: str, length_class: str | None) -> str:
    """The replay value of a secret recorded as `hmac_text` whose length was `length_class`."""
    from hsmshell.model.users import MAX_LENGTH, MIN_LENGTH

    block = hashlib.sha256(b"hsmshell replay stand-in\0" + hmac_text.encode()).digest()
    pick = int.from_bytes(block[:4], "big")
    if length_class == TOO_SHORT:
        length = 1 + pick % (MIN_LENGTH - 1)
    elif length_class == TOO_LONG:
        length = MAX_LENGTH + 1 + pick % _LONG_EXTRA
    else:
        length = MIN_LENGTH + pick % (MAX_LENGTH - MIN_LENGTH + 1)
    text = ""
    while len(text) < length:
        block = hashlib.sha256(block).digest()
        text += base64.urlsafe_b64encode(block).decode("ascii").rstrip("=")
    return text[:length]


# The throwaway replay cluster hashes its stand-in passwords with the cheapest scrypt cost:
# replay needs equal-or-not, not resistance to guessing (the stand-ins are no secrets).
REPLAY_LOG2_N = 1


class ReplayClock:
    """The replayed record's time, so expiries (quorum tokens) fall as they did."""

    def __init__(self):
        self.now = 0.0
        self._stamp = ""

    def set(self, stamp: str) -> None:
        if stamp != self._stamp:            # "2025-01-31T09:15:00.000000Z", always UTC
            self._stamp = stamp
            self.now = dt.datetime.fromisoformat(stamp).timestamp()

    def __call__(self) -> float:
        return self.now


def build_cluster(home: Path, genesis: dict, clock) -> ClusterDB:
    from hsmshell.backends.emulator.schema import insert_hsm
    from hsmshell.clusters import create_emulated_cluster

    name = genesis["cluster"]
    directory = StateHome(home).ensure().cluster_dir(name)
    hsms = genesis["hsms"]
    create_emulated_cluster(directory, name, len(hsms) or 1, clock)   # a token's log has none
    db = ClusterDB(directory)
    settings = {"cluster_id": genesis["cluster_id"], "cluster_name": name, "kdf_log2_n": str(REPLAY_LOG2_N)}
    if genesis.get("state"):
        settings["cluster_state"] = genesis["state"]
    if genesis.get("network"):          # its zones and subnets: new HSMs go there
        settings["network"] = json.dumps(genesis["network"], sort_keys=True)
    if genesis.get("replace_after"):    # when failed HSMs are replaced
        settings["replace_after"] = genesis["replace_after"]
    with db.exclusive(), db.transaction() as conn:
        conn.execute("DELETE FROM hsms")              # and, by cascade, their users
        for hsm in hsms:
            insert_hsm(conn, {"eni_id": None, **hsm})
        insert_users(conn, [hsm["hsm_id"] for hsm in hsms], genesis["users"])
        db.set_meta_many(settings)
    return db


def insert_users(conn, hsm_ids: list[str], users: list[dict]) -> None:
    """Recorded users (genesis, cluster initialize) on the HSMs, with stand-in passwords."""
    from hsmshell.backends.emulator.passwords import hash_password

    for user in users:
        password = stand_in(user["password"], user.get("password_length_class")) if user.get("password") \
            else random_secrets.token_urlsafe(24)
        pw_hash = hash_password(password, REPLAY_LOG2_N)
        conn.executemany("INSERT INTO users(hsm_id, user_id, user_type, name, pw_hash) VALUES(?,?,?,?,?)",
                         [(hsm_id, user["id"], user["type"], user["name"], pw_hash) for hsm_id in hsm_ids])
