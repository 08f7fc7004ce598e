"""The fresh emulated cluster `audit replay` runs a log on: made as any new cluster is (so
every file and table a cluster has exists), then given the genesis record's HSMs and users.

Replay has no secrets. The log keeps each secret as a salted HMAC (deterministic under the
cluster's HMAC key) and its length; replay stands in for the secret a string of that length
made from the HMAC. Equal secrets give equal stand-ins and different ones (almost surely)
different stand-ins, and length rules hold as they did, so failed logins, lockouts and
rejected passwords happen in replay exactly as they happened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets as random_secrets
from pathlib import Path

from hsmshell.state.db import ClusterDB
from hsmshell.state.home import StateHome


def stand_in(hmac_text: str, length: int | None) -> str:
    """The replay value of a secret recorded as `hmac_text` with `length` characters."""
    if length is None:
        return hmac_text                    # a log written before lengths were recorded
    digits = hmac_text.rpartition(":")[2]
    while len(digits) < length:
        digits += hashlib.sha256(digits.encode()).hexdigest()
    return digits[:length]


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
    from hsmshell.backends.emulator.passwords import hash_password
    from hsmshell.clusters import create_emulated_cluster

    name = genesis["cluster"]
    directory = StateHome(home).ensure().cluster_dir(name)
    hsms = genesis["hsms"]
    create_emulated_cluster(directory, name, len(hsms), clock)
    db = ClusterDB(directory)
    log2_n = REPLAY_LOG2_N
    with db.exclusive(), db.transaction() as conn:
        conn.execute("DELETE FROM hsms")              # and, by cascade, their users
        for hsm in hsms:
            conn.execute("INSERT INTO hsms(hsm_id, server, az, subnet, ip, serial) "
                         "VALUES(:hsm_id, :server, :az, :subnet, :ip, :serial)", hsm)
        for user in genesis["users"]:
            password = stand_in(user["password"], user.get("password_length")) if user.get("password") \
                else random_secrets.token_urlsafe(24)
            pw_hash = hash_password(password, log2_n)
            conn.executemany("INSERT INTO users(hsm_id, user_id, user_type, name, pw_hash) VALUES(?,?,?,?,?)",
                             [(hsm["hsm_id"], user["id"], user["type"], user["name"], pw_hash) for hsm in hsms])
        db.set_meta_many({"cluster_id": genesis["cluster_id"], "cluster_name": name,
                          "kdf_log2_n": str(log2_n),
                          **({"cluster_state": genesis["state"]} if genesis.get("state") else {})})
    return db
