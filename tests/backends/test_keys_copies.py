"""Which HSM's copy of a key a command works on (the first reachable one, by server), and when a
key's own quorum (-m_value) applies: KeyStore.key and quorum_rules read one copy, not all."""

from __future__ import annotations

import pytest

from key_fixtures import keys  # noqa: F401 (fixture)
from hsmshell.backends.emulator import quorum_rules
from hsmshell.backends.emulator.keystore import KeyStore
from hsmshell.errors import KeyAccessDenied, NoSuchKey, QuorumRequired
from hsmshell.status import ExitStatus


@pytest.fixture
def labelled(keys):
    """(keys, handle, HSM ids by server): each copy of alice's RSA private key is labelled with
    the id of the HSM holding it, so a test sees which copy it got."""
    handle = keys.ok("genRSAKeyPair -m 2048 -e 65537 -l copies")["private_key_handle"]
    conn = keys.h.shell.db.conn
    conn.execute("UPDATE keys SET label = hsm_id WHERE handle = ?", (handle,))
    return keys, handle, [row[0] for row in conn.execute("SELECT hsm_id FROM hsms ORDER BY server")]


def store_of(k) -> KeyStore:
    return KeyStore(k.h.shell.backend.cluster)


def first_reachable_copy(store: KeyStore, handle: int) -> str:
    """What KeyStore.key must pick: the first copy in store.hsms order on a reachable HSM."""
    copies = store.all_copies(handle)
    return next(h.hsm_id for h in store.hsms if h.reachable and h.hsm_id in copies)


def test_the_key_is_the_first_reachable_copy_by_server(labelled):
    k, handle, hsms = labelled
    conn = k.h.shell.db.conn
    store = store_of(k)
    assert store.key(handle).label == hsms[0] == first_reachable_copy(store, handle)
    assert sorted(store.all_copies(handle)) == sorted(hsms)           # every copy, still

    conn.execute("UPDATE hsms SET state = 'DEGRADED' WHERE server = 0")
    store = store_of(k)
    assert store.key(handle).label == hsms[1] == first_reachable_copy(store, handle)
    assert len(store.all_copies(handle)) == 3

    conn.execute("DELETE FROM keys WHERE handle = ? AND hsm_id = ?", (handle, hsms[1]))   # drift
    store = store_of(k)
    assert store.key(handle).label == hsms[2] == first_reachable_copy(store, handle)

    # server numbers, not HSM ids or row order, decide
    conn.execute("UPDATE hsms SET state = 'ACTIVE'")
    conn.execute("UPDATE hsms SET server = 9 WHERE server = 0")
    conn.execute("UPDATE hsms SET server = 0 WHERE server = 2")
    conn.execute("UPDATE hsms SET server = 2 WHERE server = 9")
    store = store_of(k)
    assert store.key(handle).label == hsms[2] == first_reachable_copy(store, handle)
    assert k.ok(f"sign -f {k.file('data', b'x')} -k {handle} -m 1 -out {k.file('sig')}")


def test_no_reachable_copy_is_no_such_key(labelled):
    k, handle, hsms = labelled
    k.h.shell.db.conn.execute("UPDATE hsms SET state = 'DEGRADED' WHERE server != 1")
    k.h.shell.db.conn.execute("DELETE FROM keys WHERE handle = ? AND hsm_id = ?", (handle, hsms[1]))
    with pytest.raises(NoSuchKey, match=f"there is no key with handle {handle}$"):
        store_of(k).key(handle)
    assert set(store_of(k).all_copies(handle)) == {hsms[0], hsms[2]}


def test_access_and_session_keys_are_judged_on_that_copy(labelled, monkeypatch):
    k, handle, hsms = labelled
    k.login("bob")
    with pytest.raises(KeyAccessDenied, match=f"Key {handle} belongs to user {k.user_ids['alice']}"):
        store_of(k).key(handle)
    k.h.shell.db.conn.execute("INSERT INTO key_shares(handle, hsm_id, user_id) VALUES (?, ?, ?)",
                              (handle, hsms[0], k.user_ids["bob"]))
    assert store_of(k).key(handle).label == hsms[0]                  # shared on that copy
    with pytest.raises(KeyAccessDenied, match="may delete it"):
        store_of(k).key(handle, "delete")

    session_key = k.ok("genSymKey -t 31 -s 32 -l mine -sess")["key_handle"]
    assert store_of(k).key(session_key).is_session
    monkeypatch.setattr(k.h.shell.backend.cluster, "session_id", "another-login")
    with pytest.raises(NoSuchKey):
        store_of(k).key(session_key)


def set_m_value(k, handle: int, m: int, hsm_id: str | None = None) -> None:
    where, params = ("AND hsm_id = ?", (hsm_id,)) if hsm_id else ("", ())
    k.h.shell.db.conn.execute(f"UPDATE keys SET m_value = ? WHERE handle = ? {where}", (m, handle, *params))


def test_a_quorum_on_the_first_reachable_copy_applies(labelled):
    k, handle, hsms = labelled
    cluster = k.h.shell.backend.cluster
    sign = f"sign -f {k.file('data', b'x')} -k {handle} -m 1 -out {k.file('sig')}"
    assert quorum_rules.key_approvals_required(cluster, handle) == 0
    assert quorum_rules.enforce(cluster, "key.use", {"key_handle": handle}, "sign") == []

    set_m_value(k, handle, 2, hsms[0])               # one copy only: the one commands use
    assert quorum_rules.key_approvals_required(cluster, handle) == 2
    with pytest.raises(QuorumRequired, match="RET_MXN_AUTH_FAILED"):
        quorum_rules.enforce(cluster, "key.use", {"key_handle": handle}, "sign")
    assert k.h.run(sign)[0].status == ExitStatus.QUORUM

    set_m_value(k, handle, 0)
    set_m_value(k, handle, 2, hsms[1])               # a later copy: not the one that decides...
    assert quorum_rules.key_approvals_required(cluster, handle) == 0
    assert k.ok(sign)
    k.h.shell.db.conn.execute("UPDATE hsms SET state = 'DEGRADED' WHERE server = 0")
    assert quorum_rules.key_approvals_required(cluster, handle) == 2     # ...until it is first
    assert k.h.run(sign)[0].status == ExitStatus.QUORUM


def test_an_unknown_key_needs_no_quorum_and_the_command_reports_it(keys):
    cluster = keys.h.shell.backend.cluster
    assert quorum_rules.key_approvals_required(cluster, 424242) == 0
    assert quorum_rules.enforce(cluster, "key.use", {"key_handle": 424242}, "sign") == []
    keys.fails(f"sign -f {keys.file('data', b'x')} -k 424242 -m 1 -out {keys.file('sig')}",
               "no-such-key", 1)
