"""Fixtures of the golden page tests: an emulated cluster of N HSMs in the test's own home."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from hsmshell.clusters import create_emulated_cluster


@pytest.fixture
def cluster_of(home):
    def make(hsms: int):
        create_emulated_cluster(home / "clusters" / "default", "default", hsms, time.time)
        return home
    return make


sys.path.insert(0, str(Path(__file__).parent.parent / "backends"))   # quorum_support


@pytest.fixture
def quorum_keys(tmp_path):
    """Registration lines (registerQuorumPubKey ...) for the named COs, keys made by openssl."""
    from quorum_support import make_approvers, register_command

    def make(*names: str) -> dict[str, str]:
        approvers = make_approvers(tmp_path, *names)
        return {name: register_command(approver) for name, approver in approvers.items()}
    return make
