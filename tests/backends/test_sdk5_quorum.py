"""Quorum the CloudHSM CLI way: approver keys registered with a registration token signed by
`openssl pkeyutl`, operation tokens (JSON version 2.0) signed by approvers with openssl and
submitted with --approval; one operation per token; tokens of one vocabulary refused by the
other."""

from __future__ import annotations

import json

import pytest

from hsmshell.status import ExitStatus
from sdk5_quorum_support import (PW, approved, crypto_users, keys, login, needs_openssl,  # noqa: F401 (fixtures)
                                 register, two_admins)

pytestmark = needs_openssl


@pytest.fixture
def quorum(harness, keys):
    """Two admins with registered keys; quorum and user services need 2 approvals."""
    h, both = harness, two_admins(harness, keys)
    assert {u["username"]: u["quorum"] for u in h.ok("user list")["data"]["users"]}["admin"] == \
        [{"strategy": "token-sign", "status": "enabled"}]
    outcome, printed = h.run("quorum token-sign set-quorum-value --service user --value 2")
    assert outcome.status == ExitStatus.QUORUM, printed
    h.ok(f"quorum token-sign set-quorum-value --service user --value 2 "
         f"--approval {approved(h, keys, 'quorum', both)}")
    assert h.ok("quorum token-sign list-quorum-values")["data"] == {"user": 2, "quorum": 2, "cluster": 1}
    return h, keys, both


def test_user_create_needs_an_approval_signed_with_openssl_and_it_serves_once(quorum):
    h, folder, both = quorum
    outcome, printed = h.run(f"user create --username carol --role crypto-user --password {PW['bob']}")
    assert outcome.status == ExitStatus.QUORUM and printed[0]["error"]["reference"] == "quorum-required"
    token = approved(h, folder, "user", both)
    listed = h.ok("quorum token-sign list")["data"]["tokens"]
    assert listed[0]["username"] == "admin" and listed[0]["service"] == "user"
    assert (listed[0]["approvals-required"], listed[0]["number-of-approvals"]) == (2, 0)
    assert h.ok(f"user create --username carol --role crypto-user --password {PW['bob']} "
                f"--approval {token}")["data"] == {"username": "carol", "role": "crypto-user"}
    outcome, printed = h.run(f"user delete --username carol --role crypto-user --approval {token}")
    assert outcome.status != 0 and printed[0]["error"]["reference"] == "no-such-token"
    assert h.ok("quorum token-sign list")["data"]["tokens"] == []


def test_one_approver_is_not_enough_and_a_forged_signature_is_refused(quorum):
    h, folder, both = quorum
    token = approved(h, folder, "user", both[:1])
    outcome, printed = h.run(f"user delete --username admin2 --role admin --approval {token}")
    assert outcome.status == ExitStatus.QUORUM, printed
    forged = approved(h, folder, "user", [("admin", "admin"), ("admin2", "admin")])
    document = json.loads(open(forged).read())
    document["signatures"][1]["signature"] = document["signatures"][0]["signature"]
    open(forged, "w").write(json.dumps(document))
    outcome, printed = h.run(f"user delete --username admin2 --role admin --approval {forged}")
    assert printed[0]["error"]["reference"] == "invalid-approval"


def test_a_token_of_one_vocabulary_is_refused_by_the_other(quorum):
    h, folder, both = quorum
    sdk5_token = approved(h, folder, "user", both)
    outcome, printed = h.run(f"approveToken {sdk5_token}")
    assert outcome.status != 0 and printed[0]["error"]["reference"] in ("invalid-argument", "invalid-approval")
    h.ok(f"getToken 3 admin {folder / 'cmu.token'}")
    outcome, printed = h.run(f"user create --username dave --role crypto-user --password {PW['bob']} "
                             f"--approval {folder / 'cmu.token'}")
    assert printed[0]["error"]["reference"] == "invalid-approval"
    assert "approveToken" in printed[0]["error"]["hint"]
    # a quorum-service token does not approve a user-service operation
    quorum_token = approved(h, folder, "quorum", both)
    outcome, printed = h.run(f"user create --username dave --role crypto-user --password {PW['bob']} "
                             f"--approval {quorum_token}")
    assert printed[0]["error"]["reference"] == "invalid-approval"


def test_a_key_with_a_use_quorum_value_signs_only_with_its_users_approval(crypto_users):
    h, keys = crypto_users
    made = h.ok("key generate-asymmetric-pair rsa --public-label p --private-label k --modulus-size-bits 2048 "
                "--public-exponent 65537 --private-attributes sign=true --share-crypto-users bob "
                "--manage-private-key-quorum-value 2 --use-private-key-quorum-value 2")["data"]
    assert made["private_key"]["key-info"]["key-quorum-values"] == {
        "manage-key-quorum-value": 2, "use-key-quorum-value": 2}
    sign = "crypto sign rsa-pkcs --key-filter attr.label=k --hash-function sha256 --data YWJj"
    outcome, printed = h.run(sign)
    assert outcome.status == ExitStatus.QUORUM, printed
    token = approved(h, keys, "key-usage", [("alice", "crypto-user"), ("bob", "crypto-user")],
                     " --filter attr.label=k")
    document = json.loads(open(token).read())
    assert document["key_reference"] == made["private_key"]["key-reference"]
    assert h.ok(f"{sign} --approval {token}")["data"]["signature"]
    management = approved(h, keys, "key-management", [("alice", "crypto-user"), ("bob", "crypto-user")],
                          " --filter attr.label=k")
    outcome, printed = h.run(f"{sign} --approval {management}")
    assert printed[0]["error"]["reference"] == "invalid-approval"        # key-usage signs


def test_quorum_values_and_token_deletion(quorum):
    h, folder, both = quorum
    approved(h, folder, "user", both)
    assert h.ok("quorum token-sign delete --scope user")["data"] == "Deletion of quorum token(s) successful"
    assert h.ok("quorum token-sign list")["data"]["tokens"] == []
    outcome, printed = h.run("quorum token-sign set-quorum-value --service user --value 3")
    assert outcome.status == ExitStatus.QUORUM           # the quorum service guards every change
