"""Fixtures of the golden page tests (cluster_of, an emulated cluster of N HSMs, is in tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest



sys.path.insert(0, str(Path(__file__).parent.parent / "backends"))   # quorum_support


@pytest.fixture
def quorum_keys(tmp_path):
    """Registration lines (registerQuorumPubKey ...) for the named COs, keys made by openssl."""
    from quorum_support import make_approvers, register_command

    def make(*names: str) -> dict[str, str]:
        approvers = make_approvers(tmp_path, *names)
        return {name: register_command(approver) for name, approver in approvers.items()}
    return make


@pytest.fixture
def crypto_users(monkeypatch, cluster_of):
    """A cluster of N HSMs with crypto users user3, user4, ... (ids 3, 4, ...)."""
    def make(hsms: int, count: int = 4):
        home = cluster_of(hsms)
        _cmu_users(monkeypatch, home, *(f"CU user{i}" for i in range(3, 3 + count)))
        return home
    return make


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """The tools read and write files relative to where they run, as the pages' sessions do."""
    directory = tmp_path / "work"
    (directory / "keys").mkdir(parents=True)
    (directory / "attributes").mkdir()
    monkeypatch.chdir(directory)
    return directory


def _cmu_users(monkeypatch, home, *specs):
    from test_kmu_pages import cmu_users
    cmu_users(monkeypatch, home, *specs)
