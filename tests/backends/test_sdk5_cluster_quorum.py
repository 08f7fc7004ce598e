"""CloudHSM CLI's `cluster` quorum service (AWS's CloudHSM CLI pages, hsm2m.medium only):
values 1 or 2-8 set with `quorum token-sign set-quorum-value --service cluster` (a `quorum`
token approves the change), guarding cluster mtls register-trust-anchor,
deregister-trust-anchor and set-enforcement with openssl-signed `cluster` tokens; an
hsm1.medium cluster has neither mTLS nor the service."""

from __future__ import annotations

import json
import time

import pytest

from hsmshell.status import ExitStatus
from sdk5_quorum_support import (PW, approved, assert_replay_is_clean, keys,  # noqa: F401 (fixture)
                                 needs_openssl, two_admins)
from test_sdk5_mtls import ca

pytestmark = needs_openssl


@pytest.fixture
def guarded(harness, keys):
    """Two registered admins; the cluster service needs 2 approvals (set with a quorum token)."""
    h, both = harness, two_admins(harness, keys)
    assert h.ok("quorum token-sign list-quorum-values")["data"] == {"user": 1, "quorum": 2, "cluster": 1}
    outcome, printed = h.run("quorum token-sign set-quorum-value --service cluster --value 2")
    assert outcome.status == ExitStatus.QUORUM, printed                   # the quorum service guards it
    done = h.ok(f"quorum token-sign set-quorum-value --service cluster --value 2 "
                f"--approval {approved(h, keys, 'quorum', both)}")
    assert done["data"] == "Set Quorum Value successful"
    assert h.ok("quorum token-sign list-quorum-values")["data"] == {"user": 1, "quorum": 2, "cluster": 2}
    return h, keys, both


def test_mtls_changes_need_an_approved_cluster_token_each(guarded, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec
    h, folder, both = guarded
    anchor = ca(tmp_path / "a.pem", ec.generate_private_key(ec.SECP256R1()))
    register = f"cluster mtls register-trust-anchor --path {anchor}"
    outcome, printed = h.run(register)
    assert outcome.status == ExitStatus.QUORUM, printed
    assert "CLUSTER_MGMT" in printed[0]["error"]["message"]
    token = approved(h, folder, "cluster", both)
    assert json.loads(open(token).read())["service"] == "cluster"
    listed = h.ok("quorum token-sign list")["data"]["tokens"]
    assert [(t["service"], t["approvals-required"]) for t in listed] == [("cluster", 2)]
    assert h.ok(f"{register} --approval {token}")["data"]["trust_anchor"]["certificate-reference"] == "0x01"
    outcome, printed = h.run(f"cluster mtls set-enforcement --level cluster --approval {token}")
    assert outcome.status != 0 and printed[0]["error"]["reference"] == "no-such-token"     # spent
    one = approved(h, folder, "cluster", both[:1])
    assert h.run(f"cluster mtls set-enforcement --level cluster --approval {one}")[0].status == ExitStatus.QUORUM
    user_token = approved(h, folder, "quorum", both)
    outcome, printed = h.run(f"cluster mtls deregister-trust-anchor --certificate-reference 0x01 "
                             f"--approval {user_token}")
    assert printed[0]["error"]["reference"] == "invalid-approval"          # the quorum service's
    h.ok(f"cluster mtls deregister-trust-anchor --certificate-reference 0x01 "
         f"--approval {approved(h, folder, 'cluster', both)}")
    # reading needs no approval
    assert h.ok("cluster mtls get-enforcement")["data"] == {"mtls-enforcement-level": "none"}
    # CMU sees the same service: hsmshell's id 7
    shown = h.ok("getMValue 7")["data"]
    assert (shown["service_name"], shown["m_value"]) == ("CLUSTER_MGMT", 2)


def test_the_cluster_value_is_1_or_2_to_8_and_needs_that_many_admins(guarded):
    h, folder, both = guarded
    for value in (0, 9):
        outcome, printed = h.run(f"quorum token-sign set-quorum-value --service cluster --value {value} "
                                 f"--approval {approved(h, folder, 'quorum', both)}")
        assert outcome.status == ExitStatus.USAGE, printed
    outcome, printed = h.run(f"quorum token-sign set-quorum-value --service cluster --value 3 "
                             f"--approval {approved(h, folder, 'quorum', both)}")
    assert printed[0]["error"]["reference"] == "limit-exceeded"         # only two admins registered


@pytest.fixture
def hsm1(home):
    from hsmshell.clusters import create_emulated_cluster
    create_emulated_cluster(home / "clusters" / "default", "default", 2, time.time, hsm_type="hsm1.medium")
    return home


def test_an_hsm1_medium_cluster_has_no_cluster_service_and_no_mtls(hsm1, harness, tmp_path):
    h = harness
    h.ok(f"cluster activate --password {PW['admin']}")
    h.ok(f"login --username admin --role admin --password {PW['admin']}")
    assert h.ok("quorum token-sign list-quorum-values")["data"] == {"user": 1, "quorum": 1}   # AWS's hsm1 output
    for line in ("quorum token-sign set-quorum-value --service cluster --value 2",
                 f"quorum token-sign generate --service cluster --token {tmp_path / 't'}",
                 "cluster mtls get-enforcement", "cluster mtls list-trust-anchors", "setMValue 7 2"):
        outcome, printed = h.run(line)
        assert outcome.status == ExitStatus.HSM_ERROR, (line, printed)
        assert printed[-1]["error"]["reference"] == "not-supported-by-hsm-type", line
        assert "hsm2m.medium" in printed[-1]["error"]["message"]
    info = h.ok("cluster hsm-info")["data"]["hsms"][0]
    assert info["fips-state"] == "2 [FIPS mode with single factor authentication]"


def test_cluster_create_takes_the_hsm_type_and_mode(home):
    assert run(home, "cluster", "create", "nf", "--hsms", "1", "--mode", "non-fips")[0] == 0
    status, _ = run(home, "cluster", "create", "bad", "--hsm-type", "hsm1.medium", "--mode", "NON_FIPS")
    assert status == ExitStatus.USAGE
    described = json.loads(run(home, "cluster", "describe", "nf")[1].splitlines()[-1])["data"]
    assert (described["hsm_type"], described["mode"]) == ("hsm2m.medium", "NON_FIPS")


def run(home, *argv: str) -> tuple[int, str]:
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "hsmshell", "--home", str(home), "--json", *argv],
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout


def test_audit_replay_reproduces_this_rounds_quorum_flows(guarded, tmp_path):
    """Cluster and key-management tokens approved with openssl-signed files, admin-set trusted:
    `audit replay` re-runs the log on a fresh cluster (of the same HSM type) with 0 divergences."""
    from cryptography.hazmat.primitives.asymmetric import ec
    h, folder, both = guarded
    anchor = ca(tmp_path / "a.pem", ec.generate_private_key(ec.SECP256R1()))
    h.ok(f"cluster mtls register-trust-anchor --path {anchor} --approval {approved(h, folder, 'cluster', both)}")
    h.ok("key list")
    h.close()
    assert_replay_is_clean(h.home)
