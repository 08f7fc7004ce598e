"""Reads kept for a lock hold (ClusterDB.read): a batch of key commands asks the same key row,
user ids and quorum probe per command. An answer served from memory must be the database's:
any write of this connection, an undone savepoint, a rollback and the end of the lock hold
(another process may write next) make the next read ask SQLite again."""

from __future__ import annotations

import pytest

from hsmshell import transactions
from hsmshell.state.db import ClusterDB
from key_fixtures import keys  # noqa: F401  (fixture)
from key_fixtures import PASSWORDS

QUERY = "SELECT v FROM t WHERE k = ?"


@pytest.fixture
def db(tmp_path):
    (tmp_path / "c").mkdir()
    ClusterDB(tmp_path / "c", create=True).close()
    first, other = ClusterDB(tmp_path / "c"), ClusterDB(tmp_path / "c")
    first.conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    first.conn.execute("CREATE TABLE log (n INTEGER)")
    first.conn.execute("CREATE TRIGGER logged AFTER INSERT ON log BEGIN "
                       "UPDATE t SET v = 'by trigger' WHERE k = 'a'; END")
    first.conn.execute("INSERT INTO t VALUES ('a', '1')")
    asked = []
    first.conn.set_trace_callback(lambda sql: asked.append(sql) if sql.startswith("SELECT v") else None)
    yield first, other, asked
    first.close()
    other.close()


def test_a_read_is_asked_once_per_lock_hold_while_nothing_is_written(db):
    first, other, asked = db
    with first.exclusive(), first.transaction():
        assert first.read(QUERY, ("a",)) == (("1",),)
        assert first.read(QUERY, ("a",)) == (("1",),)
        assert first.read(QUERY, ("b",)) == ()
        assert len(asked) == 2
    with other.exclusive(), other.transaction():         # another process, between lock holds
        other.conn.execute("UPDATE t SET v = '2' WHERE k = 'a'")
    with first.exclusive():
        assert first.read(QUERY, ("a",)) == (("2",),)
    assert first.read(QUERY, ("a",)) == (("2",),)         # outside the lock: always asked
    assert first.read(QUERY, ("a",)) == (("2",),)
    assert len(asked) == 5


@pytest.mark.parametrize("write", ["UPDATE t SET v = 'w' WHERE k = 'a'", "INSERT INTO log VALUES (1)",
                                   "INSERT INTO t VALUES ('a', 'w') ON CONFLICT(k) DO UPDATE SET v = 'w'",
                                   "DELETE FROM t"])
def test_any_write_of_this_connection_makes_the_next_read_ask_again(db, write):
    first, other, asked = db
    with first.exclusive(), first.transaction():
        before = first.read(QUERY, ("a",))
        first.conn.execute(write)
        after = first.read(QUERY, ("a",))
        assert after == tuple(first.conn.execute(QUERY, ("a",))) != before


def test_undone_writes_are_not_served_from_memory(db):
    first, other, asked = db
    with first.exclusive():
        with first.transaction():
            with first.savepoint("command") as step:
                first.conn.execute("UPDATE t SET v = 'undone' WHERE k = 'a'")
                assert first.read(QUERY, ("a",)) == (("undone",),)
                step.undo()                  # the count of changes does not go back; held does
            assert first.read(QUERY, ("a",)) == (("1",),)
            first.conn.execute("UPDATE t SET v = 'rolled back' WHERE k = 'a'")
            assert first.read(QUERY, ("a",)) == (("rolled back",),)
            first.restart()                   # a batch's first command failed
            assert first.read(QUERY, ("a",)) == (("1",),)
        try:
            with first.transaction():
                first.conn.execute("UPDATE t SET v = 'failed' WHERE k = 'a'")
                assert first.read(QUERY, ("a",)) == (("failed",),)
                raise RuntimeError("the command failed")
        except RuntimeError:
            pass
        assert first.read(QUERY, ("a",)) == (("1",),)


def test_signing_in_one_group_sees_every_change_to_the_key_and_its_sharing(keys, monkeypatch):
    """Key row, shares, usage flags and the key's existence change between signatures of one
    batch group (one lock hold): every sign after a change answers as the database says."""
    monkeypatch.setattr(transactions, "GROUP_SECONDS", 600.0)      # groups end by count only
    private = keys.ok(f"genRSAKeyPair -m 2048 -e 65537 -l signer -u {keys.user_ids['bob']}")[
        "private_key_handle"]
    data = keys.file("data", b"x" * 1024)
    shell = keys.h.shell
    sign = f"sign -f {data} -k {private} -m 1 -out {keys.file('sig')}"

    def run(line: str, reference: str | None = None) -> None:
        outcome = shell.run(line, "batch")
        assert (outcome.error.reference if outcome.error else None) == reference, (line, outcome.error)

    with shell.grouped_commits():
        run(sign)
        run("logoutHSM")
        run(f"loginHSM CU bob {PASSWORDS['bob']}")
        run(sign)                                                  # shared with bob
        run("logoutHSM")
        run(f"loginHSM CU alice {PASSWORDS['alice']}")
        run(f"shareKey {private} {keys.user_ids['bob']} 0")
        run("logoutHSM")
        run(f"loginHSM CU bob {PASSWORDS['bob']}")
        run(sign, "key-access-denied")                             # not any more
        run("logoutHSM")
        run(f"loginHSM CU alice {PASSWORDS['alice']}")
        run(sign)
        run(f"setAttribute {private} 264 0")                      # OBJ_ATTR_SIGN off
        run(sign, "key-function-not-permitted")
        run(f"setAttribute {private} 264 1")
        run(sign)
        run(f"deleteKey -k {private}")
        run(sign, "no-such-key")


def test_stored_keys_share_the_parse_of_their_attributes_but_not_the_dict():
    from hsmshell.backends.emulator.keystore import StoredKey
    row = (5, "hsm-1", 7, 3, 0, "k", "", '{"264":1,"261":0}', b"sealed", None, 0, 0, "9,8")
    first, second = StoredKey.from_row(row), StoredKey.from_row(row)
    assert first.other_attributes == second.other_attributes == {264: 1, 261: 0}
    first.other_attributes[264] = 0            # one key's dict changed: nobody else's
    assert StoredKey.from_row(row).other_attributes == second.other_attributes == {264: 1, 261: 0}
    assert second.shares == (8, 9)
