"""Property, at the shell level: no sequence of approvals with fewer than M distinct registered
approvers lets a quorum-protected command run — whatever else the approval files hold
(strangers, officers without keys, signatures by the wrong key, repeats)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hsmshell.status import ExitStatus
from quorum_support import cmu_approval, login, make_approvers, password_of, setup_officers

M = 3
REGISTERED = ("admin", "officer2", "officer3")
NAMES = (*REGISTERED, "officer4", "ghost")         # officer4: a CO without a key; ghost: no user
SIGNERS = (*REGISTERED, "ghost")                   # ghost's key is registered to nobody


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return make_approvers(tmp_path_factory.mktemp("quorum-property"), *REGISTERED, "ghost")


@pytest.fixture
def world(harness, keys, tmp_path):
    """One cluster for every example: M = 3 for user management, admin logged in."""
    setup_officers(harness, {n: keys[n] for n in REGISTERED})
    harness.ok(f"createUser CO officer4 {password_of('officer4')}")
    harness.ok(f"setMValue 3 {M}")
    return harness, keys, tmp_path


@st.composite
def approval_rounds(draw):
    """Approval files whose genuine approvals (a registered name signed with its own key)
    come from fewer than M distinct approvers; anything else may appear freely."""
    genuine = draw(st.sets(st.sampled_from(REGISTERED), max_size=M - 1))

    def entry(name):
        allowed = [s for s in SIGNERS if s != name or name in genuine]
        return st.tuples(st.just(name), st.sampled_from(allowed))

    # registered names most of the time: that is where a counting mistake would show
    names = st.one_of(st.sampled_from(REGISTERED), st.sampled_from(NAMES))
    entries = names.flatmap(entry)
    return draw(st.lists(st.lists(entries, min_size=1, max_size=3), min_size=1, max_size=4))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rounds=approval_rounds())
def test_fewer_than_m_distinct_approvers_never_suffice(world, rounds):
    harness, keys, directory = world
    login(harness, "admin")                           # a fresh session: no tokens from before
    token = directory / "token"
    harness.ok(f"getToken 3 admin {token}")
    signatures = {}
    for number, entries in enumerate(rounds):
        files = []
        for name, signer in entries:
            if signer not in signatures:
                signatures[signer] = keys[signer].sign(token, directory / f"by-{signer}.sig")
            files.append((name, signatures[signer]))
        outcome, _ = harness.run(f"approveToken {cmu_approval(directory / f'round{number}', token, files)}")
        assert outcome.status in (ExitStatus.SUCCESS, ExitStatus.USAGE, ExitStatus.HSM_ERROR)
    outcome, printed = harness.run("createUser CU mallory mallory-pw1")
    assert outcome.status == ExitStatus.QUORUM, (rounds, printed)
    present, approved = harness.shell.backend.approvals(3)
    assert present < M and not approved
