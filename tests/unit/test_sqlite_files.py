"""state/sqlite_files.py: the state dir's SQLite files other than a cluster's state.db (the pkcs11
handle map, kms.db) are private and set up under a lock. Without the lock, 8 processes setting
up one new file at the same instant got `database is locked` at once (busy timeout or not) in
2 rounds of 300 on this machine (0 of 97 with it): the shell then refused with
cluster-state-damaged."""

from __future__ import annotations

import fcntl
import os
import stat

import pytest

from hsmshell.state.sqlite_files import open_private_db


def test_setup_runs_under_the_lock_and_the_file_is_private(tmp_path):
    path = tmp_path / "deep" / "x.db"
    seen = []

    def setup(conn):
        probe = os.open(path.with_name("x.db.lock"), os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):             # held by open_private_db
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(probe)
        conn.execute("CREATE TABLE t (a)")
        seen.append(conn.execute("PRAGMA journal_mode").fetchone()[0])

    old = os.umask(0)
    try:
        conn = open_private_db(path, setup=setup, pragmas=("foreign_keys=ON",))
    finally:
        os.umask(old)
    try:
        assert seen == ["wal"]
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        lock = os.open(path.with_name("x.db.lock"), os.O_RDWR)       # let go once set up
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(lock)
    finally:
        conn.close()


def test_a_failing_setup_leaves_no_connection_open_and_lets_go_of_the_lock(tmp_path):
    path = tmp_path / "y.db"

    def setup(conn):
        raise RuntimeError("schema trouble")

    with pytest.raises(RuntimeError):
        open_private_db(path, setup=setup, lock=tmp_path / "lock")
    lock = os.open(tmp_path / "lock", os.O_RDWR)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(lock)
