"""A key's two quorum values, manage and use (AWS's CloudHSM CLI pages: `key-management`
guards key wrap, unwrap, share, unshare and set-attribute; `key-usage` guards crypto sign),
set apart at generation, shown in key-quorum-values, enforced with openssl-signed token files,
and seen consistently by SDK 3's commands (getKeyInfo, getToken 5 / 6)."""

from __future__ import annotations

import sqlite3

import pytest

from hsmshell.status import ExitStatus
from sdk5_quorum_support import (PW, approved, assert_replay_is_clean, crypto_users, keys,  # noqa: F401
                                 needs_openssl)

pytestmark = needs_openssl
BOTH = [("alice", "crypto-user"), ("bob", "crypto-user")]
SIGN = "crypto sign rsa-pkcs --key-filter attr.label=k --hash-function sha256 --data YWJj"
RENAME = "key set-attribute --filter attr.label=k --name label --value k2"


def rsa_pair(h, manage: int, use: int) -> dict:
    return h.ok("key generate-asymmetric-pair rsa --public-label p --private-label k "
                "--modulus-size-bits 2048 --public-exponent 65537 --private-attributes sign=true "
                f"--share-crypto-users bob --manage-private-key-quorum-value {manage} "
                f"--use-private-key-quorum-value {use}")["data"]


def test_manage_and_use_values_are_kept_apart_and_shown(crypto_users):
    h, _ = crypto_users
    made = rsa_pair(h, manage=2, use=1)
    assert made["private_key"]["key-info"]["key-quorum-values"] == {
        "manage-key-quorum-value": 2, "use-key-quorum-value": 1}
    assert made["public_key"]["key-info"]["key-quorum-values"] == {
        "manage-key-quorum-value": 0, "use-key-quorum-value": 0}       # public keys have none
    listed = h.ok("key list --filter attr.label=k --verbose")["data"]["matched_keys"]
    assert listed[0]["key-info"]["key-quorum-values"] == {
        "manage-key-quorum-value": 2, "use-key-quorum-value": 1}
    # SDK 3's view: getKeyInfo's one -m_value line shows the stricter value; JSON has both
    handle = int(made["private_key"]["key-reference"], 16)
    info = h.ok(f"getKeyInfo -k {handle}")["data"]
    assert (info["m_value"], info["manage_m_value"], info["use_m_value"]) == (2, 2, 1)


def test_a_manage_quorum_guards_management_and_not_use(crypto_users):
    h, folder = crypto_users
    rsa_pair(h, manage=2, use=0)
    assert h.ok(SIGN)["data"]["signature"]                       # use: no quorum
    outcome, printed = h.run(RENAME)
    assert outcome.status == ExitStatus.QUORUM, printed
    assert printed[0]["error"]["reference"] == "quorum-required"
    outcome, printed = h.run("key unshare --filter attr.label=k --username bob --role crypto-user")
    assert outcome.status == ExitStatus.QUORUM, printed
    outcome, printed = h.run(f"quorum token-sign generate --service key-usage "
                             f"--token {folder / 'u.token'} --filter attr.label=k")
    assert "quorum is off" in printed[0]["error"]["message"]          # use value 0
    token = approved(h, folder, "key-management", BOTH, " --filter attr.label=k")
    h.ok(f"{RENAME} --approval {token}")
    assert h.ok("key list --filter attr.label=k2")["data"]["total_key_count"] == 1
    outcome, _ = h.run(f"key set-attribute --filter attr.label=k2 --name label --value k --approval {token}")
    assert outcome.status != 0                                    # one operation per token


def test_a_use_quorum_guards_signing_and_not_management(crypto_users):
    h, folder = crypto_users
    rsa_pair(h, manage=0, use=2)
    h.ok("key set-attribute --filter attr.label=k --name decrypt --value false")   # manage: off
    outcome, printed = h.run(SIGN)
    assert outcome.status == ExitStatus.QUORUM, printed
    one = approved(h, folder, "key-usage", BOTH[:1], " --filter attr.label=k")
    assert h.run(f"{SIGN} --approval {one}")[0].status == ExitStatus.QUORUM     # 1 of 2
    outcome, printed = h.run(f"quorum token-sign generate --service key-management "
                             f"--token {folder / 'm.token'} --filter attr.label=k")
    assert "quorum is off" in printed[0]["error"]["message"]
    token = approved(h, folder, "key-usage", BOTH, " --filter attr.label=k")
    assert h.ok(f"{SIGN} --approval {token}")["data"]["signature"]


def test_verifying_with_a_use_quorum_key_needs_no_token(crypto_users):
    """AWS's key-usage service lists crypto sign only, and crypto verify has no --approval."""
    h, folder = crypto_users
    rsa_pair(h, manage=0, use=2)
    token = approved(h, folder, "key-usage", BOTH, " --filter attr.label=k")
    signature = h.ok(f"{SIGN} --approval {token}")["data"]["signature"]
    verify = "crypto verify rsa-pkcs --key-filter attr.label=k --hash-function sha256 --data YWJj"
    h.ok(f"{verify} --signature {signature}")                       # no token needed
    assert h.run(f"{verify} --signature {signature} --approval {token}")[0].status != 0   # no such option


def test_wrapping_with_a_manage_quorum_key_needs_its_wrapping_approval(crypto_users):
    h, folder = crypto_users
    h.ok("key generate-symmetric aes --label w --key-length-bytes 32 --attributes wrap=true "
         "--share-crypto-users bob --manage-key-quorum-value 2")
    h.ok("key generate-symmetric aes --label payload --key-length-bytes 16")
    wrap = "key wrap aes-no-pad --payload-filter attr.label=payload --wrapping-filter attr.label=w"
    outcome, printed = h.run(wrap)
    assert outcome.status == ExitStatus.QUORUM, printed
    token = approved(h, folder, "key-management", BOTH, " --filter attr.label=w")
    outcome, printed = h.run(f"{wrap} --payload-approval {token}")        # the wrong key's slot
    assert outcome.status != 0, printed
    token = approved(h, folder, "key-management", BOTH, " --filter attr.label=w")
    assert h.ok(f"{wrap} --wrapping-approval {token}")["data"]["wrapped_key_data"]


@pytest.mark.parametrize("manage, use", [(3, 0), (0, 3), (9, 0), (-1, 0)])
def test_a_quorum_value_above_the_keys_users_is_refused_as_aws_words_it(crypto_users, manage, use):
    h, _ = crypto_users
    outcome, printed = h.run(
        "key generate-symmetric aes --label q --key-length-bytes 16 --share-crypto-users bob "
        f"--manage-key-quorum-value {manage} --use-key-quorum-value {use}")
    assert outcome.status != 0
    if manage >= 0:
        assert printed[0]["error"]["message"] == "Invalid quorum value provided."
    assert h.ok("key list --filter attr.label=q")["data"]["total_key_count"] == 0


def test_sdk3_tokens_follow_the_same_split(crypto_users):
    """getToken 5 (key-usage) serves KMU's sign, getToken 6 (key-management) setAttribute, on
    a key made by CloudHSM CLI with different values; approveToken files signed with openssl."""
    h, folder = crypto_users
    made = rsa_pair(h, manage=1, use=0)
    handle = int(made["private_key"]["key-reference"], 16)
    outcome, printed = h.run(f"setAttribute {handle} 3 renamed")
    assert outcome.status == ExitStatus.QUORUM
    assert f"getToken 6 <your-name> <token-file> -k {handle}" in printed[-1]["error"]["hint"]
    outcome, printed = h.run(f"getToken 5 alice {folder / 't5'} -k {handle}")
    assert "quorum is off" in printed[-1]["error"]["message"]            # use value 0
    h.ok(f"getToken 6 alice {folder / 't6'} -k {handle}")
    listed = h.ok("quorum token-sign list")["data"]["tokens"]
    assert listed == [{"username": "alice", "service": "key-management",
                       "key-reference": made["private_key"]["key-reference"], "minimum-token-count": 1}]


def test_generate_file_and_delete_need_no_token(crypto_users, tmp_path):
    """The documented choice (docs/sdk5.md): neither AWS tool lists key generate-file or key
    delete as quorum-controlled, so a key with both values set takes them without approval."""
    h, _ = crypto_users
    rsa_pair(h, manage=2, use=2)
    h.ok(f"key generate-file --encoding reference-pem --path {tmp_path / 'k.pem'} --filter attr.label=k")
    assert (tmp_path / "k.pem").read_text().startswith("-----BEGIN")
    h.ok("key delete --filter attr.label=k")
    assert h.ok("key list --filter attr.label=k")["data"]["total_key_count"] == 0


def test_kmu_m_value_sets_both_values(crypto_users):
    h, _ = crypto_users
    bob_id = next(u["user_id"] for u in h.ok("listUsers")["data"]["servers"][0]["users"]
                  if u["user_name"] == "bob")
    made = h.ok(f"genSymKey -t 31 -s 16 -l kmu -u {bob_id} -m_value 2")["data"]
    listed = h.ok("key list --filter attr.label=kmu --verbose")["data"]["matched_keys"][0]
    assert listed["key-reference"] == f"0x{made['key_handle']:016x}"
    assert listed["key-info"]["key-quorum-values"] == {
        "manage-key-quorum-value": 2, "use-key-quorum-value": 2}


def test_a_database_from_before_the_split_keeps_its_keys_guarded(harness, home):
    """A cluster database whose keys table has only m_value: opening it adds the manage
    value, equal to the old -m_value (which guarded use and management alike)."""
    harness.activate()
    harness.ok("createUser CU alice alice-pass1")
    harness.ok("createUser CU bob bob-pass1")
    bob = next(u["user_id"] for u in harness.ok("listUsers")["data"]["servers"][0]["users"]
               if u["user_name"] == "bob")
    harness.ok("logoutHSM")
    harness.ok("loginHSM CU alice alice-pass1")
    handle = harness.ok(f"genSymKey -t 31 -s 16 -l old -u {bob} -m_value 2")["data"]["key_handle"]
    harness.close()
    db = next((home / "clusters" / "default").glob("*.db"))
    with sqlite3.connect(db) as conn:
        conn.execute("DROP INDEX keys_with_manage_quorum")
        conn.execute("ALTER TABLE keys DROP COLUMN manage_m_value")
    harness.ok("loginHSM CU alice alice-pass1")
    info = harness.ok(f"getKeyInfo -k {handle}")["data"]
    assert (info["manage_m_value"], info["use_m_value"]) == (2, 2)
    assert harness.run(f"setAttribute {handle} 3 renamed")[0].status == ExitStatus.QUORUM


def test_a_masked_object_keeps_both_values(crypto_users, tmp_path):
    h, _ = crypto_users
    made = rsa_pair(h, manage=2, use=1)
    handle = int(made["private_key"]["key-reference"], 16)
    h.ok(f"extractMaskedObject -o {handle} -out {tmp_path / 'k.masked'}")
    inserted = h.ok(f"insertMaskedObject -f {tmp_path / 'k.masked'}")["data"]["key_handle"]
    listed = h.ok(f"key list --filter key-reference=0x{inserted:x} --verbose")["data"]["matched_keys"][0]
    assert listed["key-info"]["key-quorum-values"] == {"manage-key-quorum-value": 2, "use-key-quorum-value": 1}


def test_audit_replay_reproduces_key_quorum_and_trusted(crypto_users):
    h, folder = crypto_users
    rsa_pair(h, manage=2, use=0)
    h.ok(f"{RENAME} --approval {approved(h, folder, 'key-management', BOTH, ' --filter attr.label=k')}")
    h.ok("logout")
    h.ok(f"login --username admin --role admin --password {PW['admin']}")
    h.ok("key set-attribute --filter attr.label=k2 --name trusted --value true")
    h.close()
    assert_replay_is_clean(h.home)
