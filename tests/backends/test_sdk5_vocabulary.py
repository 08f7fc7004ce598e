"""CloudHSM CLI's vocabulary (SDK 5) beside CMU/KMU's (SDK 3): one state, one policy, one
audit log. Users and keys made in one vocabulary are used in the other, and every command is
audited once."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest

from hsmshell.status import ExitStatus

ADMIN_PW = "Passw0rd!x"
ALICE_PW = "alicepass1"


@pytest.fixture
def cli(harness):
    """An activated cluster (the SDK 5 way) with crypto user alice logged in."""
    harness.ok(f"cluster activate --password {ADMIN_PW}")
    harness.ok(f"login --username admin --role admin --password {ADMIN_PW}")
    harness.ok(f"user create --username alice --role crypto-user --password {ALICE_PW}")
    harness.ok("logout")
    harness.ok(f"login --username alice --role crypto-user --password {ALICE_PW}")
    return harness


def audit_commands(harness) -> list[str]:
    from hsmshell.audit.reader import read_records
    return [r["command"] for r in read_records(audit_log(harness)) if r.get("kind") == "command"]


def audit_log(harness):
    return harness.shell.audit.path


def test_activation_login_and_user_create_answer_with_the_cli_data(harness):
    assert harness.ok("user list")["data"]["users"][0] == {
        "username": "admin", "role": "unactivated-admin", "locked": "false", "mfa": [],
        "quorum": [], "cluster-coverage": "full"}
    assert harness.ok(f"cluster activate --password {ADMIN_PW}")["data"] == "Cluster activation successful"
    assert harness.shell.backend.principal is None              # its own login ended with it
    again, printed = harness.run(f"cluster activate --password {ADMIN_PW}")
    assert again.status == ExitStatus.HSM_ERROR and "already been activated" in printed[0]["error"]["message"]
    assert harness.ok(f"login --username admin --role admin --password {ADMIN_PW}")["data"] == \
        {"username": "admin", "role": "admin"}
    created = harness.ok(f"user create --username Bob_1 --role crypto-user --password {ALICE_PW}")
    assert created == {"command": "user create", "source": "test", "error_code": 0,
                       "data": {"username": "bob_1", "role": "crypto-user"}, "error": None}
    assert harness.ok("logout")["data"] == "Logout successful"


def test_a_user_made_with_user_create_is_a_cmu_user_and_the_other_way_round(cli):
    cli.ok("logout")
    cli.ok(f"loginHSM CO admin {ADMIN_PW}")
    listed = cli.ok("listUsers")["data"]["servers"][0]["users"]
    assert ("CU", "alice") in {(u["user_type"], u["user_name"]) for u in listed}
    cli.ok("createUser CU carol carolpass1")
    users = {u["username"]: u for u in cli.ok("user list")["data"]["users"]}
    assert users["carol"]["role"] == "crypto-user" and users["admin"]["role"] == "admin"
    assert users["app_user"]["role"] == "internal(APPLIANCE_USER)"
    cli.ok("user delete --username carol --role crypto-user")
    assert "carol" not in {u["user_name"] for u in cli.ok("listUsers")["data"]["servers"][0]["users"]}


def test_a_key_made_with_gensymkey_is_in_key_list_as_its_handle_and_the_other_way_round(cli):
    handle = cli.ok("genSymKey -t 31 -s 32 -l k3")["data"]["key_handle"]
    listed = cli.ok("key list --filter attr.label=k3 --verbose")["data"]
    assert listed["total_key_count"] == 1
    key = listed["matched_keys"][0]
    assert key["key-reference"] == f"0x{handle:016x}"
    assert key["attributes"]["key-length-bytes"] == 32 and key["attributes"]["key-type"] == "aes"
    made = cli.ok("key generate-symmetric aes --label k5 --key-length-bytes 16")["data"]["key"]
    handle5 = int(made["key-reference"], 16)
    assert cli.ok(f"getKeyInfo -k {handle5}")["data"]["key_handle"] == handle5
    assert cli.ok("findKey -l k5")["data"]["key_handles"] == [handle5]
    commands = audit_commands(cli)
    assert commands.count("key generate-symmetric aes") == 1 and commands.count("genSymKey") == 1


def test_the_same_policy_holds_for_both_vocabularies(cli):
    """user.create is one action: a crypto user is refused `user create` as `createUser`."""
    for line in ("user create --username eve --role crypto-user --password evepass12",
                 "createUser CU eve evepass12"):
        outcome, printed = cli.run(line)
        assert outcome.status == ExitStatus.DENIED, line
        assert printed[0]["error"]["reference"] == "permission-denied"


def test_generated_keys_have_the_attribute_names_and_order_of_aws(cli):
    key = cli.ok("key generate-symmetric aes --label example-aes --key-length-bytes 24")["data"]["key"]
    assert list(key) == ["key-reference", "key-info", "attributes"]
    assert list(key["attributes"]) == [
        "key-type", "label", "id", "check-value", "class", "encrypt", "decrypt", "token",
        "always-sensitive", "derive", "destroyable", "extractable", "local", "modifiable",
        "never-extractable", "private", "sensitive", "sign", "trusted", "unwrap", "verify", "wrap",
        "wrap-with-trusted", "key-length-bytes"]
    secret = cli.ok("key generate-symmetric generic-secret --label hmac --key-length-bytes 64")
    assert "check-value" not in secret["data"]["key"]["attributes"]
    pair = cli.ok("key generate-asymmetric-pair ec --public-label ep --private-label ek "
                  "--curve secp224r1")["data"]
    public = pair["public_key"]["attributes"]
    assert list(public)[-2:] == ["ec-point", "curve"] and public["curve"] == "secp224r1"
    assert public["ec-point"].startswith("0x04") and public["key-length-bytes"] == 57
    assert public["check-value"] == pair["private_key"]["attributes"]["check-value"]


def test_key_list_pages_with_a_decimal_offset_token(cli):
    for n in range(5):
        cli.ok(f"key generate-symmetric aes --label page{n} --key-length-bytes 16")
    first = cli.ok("key list --max-items 2")["data"]
    assert (first["total_key_count"], first["returned_key_count"], first["next_token"]) == (5, 2, "2")
    second = cli.ok("key list --max-items 2 --starting-token 2")["data"]
    assert second["next_token"] == "4"
    last = cli.ok("key list --max-items 2 --starting-token 4")["data"]
    assert last["returned_key_count"] == 1 and "next_token" not in last
    labels = [k["attributes"]["label"] for page in (first, second, last) for k in page["matched_keys"]]
    assert labels == [f"page{n}" for n in range(5)]


def test_filters_select_by_attributes_and_key_reference(cli):
    ref = cli.ok("key generate-symmetric aes --label same --key-length-bytes 16")["data"]["key"]["key-reference"]
    cli.ok("key generate-symmetric aes --label same --key-length-bytes 32")
    assert cli.ok("key list --filter attr.label=same")["data"]["total_key_count"] == 2
    assert cli.ok("key list --filter attr.label=same attr.key-length-bytes=16")["data"]["total_key_count"] == 1
    short = "0x" + ref[2:].lstrip("0")
    assert cli.ok(f"key list --filter key-reference={short}")["data"]["matched_keys"][0]["key-reference"] == ref
    outcome, printed = cli.run("key delete --filter attr.label=same")
    assert outcome.status == ExitStatus.HSM_ERROR
    assert printed[0]["error"]["message"] == ("Key selection criteria matched 2 keys. Refine "
                                              "selection criteria to select a single key.")
    assert cli.ok(f"key delete --filter key-reference={ref}")["data"] == {"message": "Key deleted successfully"}
    assert cli.ok("key list --filter attr.label=same")["data"]["total_key_count"] == 1


def test_share_unshare_and_set_attribute(cli):
    cli.ok("logout")
    cli.ok(f"login --username admin --role admin --password {ADMIN_PW}")
    cli.ok("user create --username bob --role crypto-user --password bobpass123")
    cli.ok("logout")
    cli.ok(f"login --username alice --role crypto-user --password {ALICE_PW}")
    cli.ok("key generate-symmetric aes --label shared --key-length-bytes 16")
    assert cli.ok("key share --filter attr.label=shared --username bob --role crypto-user")["data"] == \
        {"message": "Key shared successfully"}
    key = cli.ok("key list --filter attr.label=shared --verbose")["data"]["matched_keys"][0]
    assert key["key-info"]["shared-users"] == [{"username": "bob", "key-coverage": "full"}]
    assert cli.ok("key set-attribute --filter attr.label=shared --name encrypt --value true")["data"] == \
        {"message": "Attribute set successfully"}
    cli.ok("key set-attribute --filter attr.label=shared --name label --value renamed")
    attributes = cli.ok("key list --filter attr.label=renamed --verbose")["data"]["matched_keys"][0]["attributes"]
    assert attributes["encrypt"] is True
    cli.ok("key unshare --filter attr.label=renamed --username bob --role crypto-user")
    cli.ok("logout")
    cli.ok("login --username bob --role crypto-user --password bobpass123")
    assert cli.ok("key list")["data"]["total_key_count"] == 0


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@pytest.mark.parametrize("mechanism, extra, curve", [
    ("rsa-pkcs", "", None),
    ("rsa-pkcs-pss", " --mgf mgf1-sha256 --salt-length 32", None),
    ("ecdsa", "", "secp256r1"),
])
def test_crypto_sign_verifies_with_openssl_and_crypto_verify(cli, tmp_path, mechanism, extra, curve):
    if curve:
        cli.ok(f"key generate-asymmetric-pair ec --public-label pub --private-label priv --curve {curve} "
               "--private-attributes sign=true --public-attributes verify=true")
    else:
        cli.ok("key generate-asymmetric-pair rsa --public-label pub --private-label priv "
               "--modulus-size-bits 2048 --public-exponent 65537 --private-attributes sign=true "
               "--public-attributes verify=true")
    data = b"abc123"
    encoded = base64.b64encode(data).decode()
    signed = cli.ok(f"crypto sign {mechanism} --key-filter attr.label=priv --hash-function sha256"
                    f"{extra} --data {encoded}")["data"]
    signature = base64.b64decode(signed["signature"])
    cli.ok(f"key generate-file --encoding pem --path {tmp_path / 'pub.pem'} --filter attr.label=pub")
    (tmp_path / "data").write_bytes(data)
    if mechanism == "ecdsa":        # raw r||s -> DER for openssl
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
        half = len(signature) // 2
        signature = encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                         int.from_bytes(signature[half:], "big"))
    (tmp_path / "sig").write_bytes(signature)
    options = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"] if "pss" in mechanism else []
    checked = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"),
                              *options, "-signature", str(tmp_path / "sig"), str(tmp_path / "data")],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "Verified OK" in checked.stdout, checked.stderr
    assert cli.ok(f"crypto verify {mechanism} --key-filter attr.label=pub --hash-function sha256{extra} "
                  f"--data {encoded} --signature {signed['signature']}")["data"] == \
        {"message": "Signature verified successfully"}
    outcome, printed = cli.run(f"crypto verify {mechanism} --key-filter attr.label=pub --hash-function "
                               f"sha256{extra} --data {base64.b64encode(b'other').decode()} "
                               f"--signature {signed['signature']}")
    assert outcome.status == ExitStatus.HSM_ERROR
    assert printed[0]["error"]["message"] == "Signature verification failed"


@pytest.mark.parametrize("mechanism, extra, kmu_mechanism", [
    ("rsa-pkcs", "", 1),                                            # SHA256_RSA_PKCS
    ("rsa-pkcs-pss", " --mgf mgf1-sha256 --salt-length 32", 6),    # SHA256_RSA_PKCS_PSS
    ("ecdsa", "", 17),                                              # ECDSA_SHA256
])
def test_a_digest_signed_by_crypto_sign_verifies_with_kmu_verify(cli, tmp_path, mechanism, extra, kmu_mechanism):
    """One signing code for both vocabularies (crypto/mechanisms.py): CloudHSM CLI's
    `--data-type digest` signature of sha256(data) is KMU's signature of the data."""
    import hashlib
    from hsmshell.model.key_formats import ecdsa_der
    from hsmshell.model.keys import DIGEST_INFO
    kind = "ec --curve secp256r1" if mechanism == "ecdsa" else \
        "rsa --modulus-size-bits 2048 --public-exponent 65537"
    pair = cli.ok(f"key generate-asymmetric-pair {kind} --public-label pub --private-label priv "
                  "--private-attributes sign=true --public-attributes verify=true")["data"]
    data = b"pay bob 100\n"
    digest = hashlib.sha256(data).digest()
    if mechanism == "rsa-pkcs":
        digest = DIGEST_INFO["sha256"] + digest
    signed = cli.ok(f"crypto sign {mechanism} --key-filter attr.label=priv --hash-function sha256{extra} "
                    f"--data-type digest --data {base64.b64encode(digest).decode()}")["data"]
    signature = base64.b64decode(signed["signature"])
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "sig").write_bytes(ecdsa_der(signature) if mechanism == "ecdsa" else signature)
    handle = int(pair["public_key"]["key-reference"], 16)
    cli.ok(f"verify -f {tmp_path / 'data'} -s {tmp_path / 'sig'} -k {handle} -m {kmu_mechanism}")


def test_new_rsa_keys_cannot_sign_until_allowed(cli):
    cli.ok("key generate-asymmetric-pair rsa --public-label p --private-label k "
           "--modulus-size-bits 2048 --public-exponent 65537")
    outcome, printed = cli.run("crypto sign rsa-pkcs --key-filter attr.label=k --hash-function sha256 --data YWJj")
    assert outcome.status == ExitStatus.HSM_ERROR
    assert printed[0]["error"]["reference"] == "key-function-not-permitted"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_reference_pem_is_a_private_key_file_openssl_reads_without_key_material(cli, tmp_path):
    pair = cli.ok("key generate-asymmetric-pair rsa --public-label p --private-label k "
                  "--modulus-size-bits 2048 --public-exponent 65537")["data"]
    path = tmp_path / "k.pem"
    cli.ok(f"key generate-file --encoding reference-pem --path {path} --filter attr.label=k")
    shown = subprocess.run(["openssl", "rsa", "-in", str(path), "-noout", "-modulus"],
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().lower() == "modulus=" + pair["public_key"]["attributes"]["modulus"][2:]
    text = subprocess.run(["openssl", "rsa", "-in", str(path), "-noout", "-text"],
                          capture_output=True, text=True).stdout
    handle = int(pair["private_key"]["key-reference"], 16)
    assert f"privateExponent: {handle}" in text


def test_every_sdk5_command_is_audited_once_with_the_password_hashed(cli):
    commands = audit_commands(cli)
    assert commands == ["cluster activate", "login", "user create", "logout", "login"]
    log = audit_log(cli).read_text()
    assert ADMIN_PW not in log and ALICE_PW not in log
    from hsmshell.audit.reader import read_records
    created = [r for r in read_records(audit_log(cli)) if r.get("command") == "user create"]
    assert created[0]["opcode"] == "CN_CREATE_USER" and "password" in created[0]["secrets"]
    assert created[0]["text"] == "user create --username alice --role crypto-user --password ********"


def test_admin_lists_every_key_without_detail(cli):
    cli.ok("key generate-symmetric aes --label mine --key-length-bytes 16")
    cli.ok("logout")
    cli.ok(f"login --username admin --role admin --password {ADMIN_PW}")
    listed = cli.ok("key list --verbose")["data"]
    assert listed["matched_keys"][0]["attributes"] == {"label": "mine"}
    assert "key-info" not in listed["matched_keys"][0]
    outcome, _ = cli.run("key generate-symmetric aes --label no --key-length-bytes 16")
    assert outcome.status == ExitStatus.DENIED


def test_audit_replay_reproduces_an_sdk5_session(cli):
    import subprocess
    import sys
    cli.ok("key generate-asymmetric-pair ec --public-label p --private-label q --curve secp256r1 "
           "--private-attributes sign=true")
    cli.ok("crypto sign ecdsa --key-filter attr.label=q --hash-function sha256 --data YWJj")
    cli.ok("key set-attribute --filter attr.label=p --name label --value p2")
    cli.ok("key delete --filter attr.label=p2")
    cli.close()
    done = subprocess.run([sys.executable, "-m", "hsmshell", "--home", str(cli.home), "audit", "replay"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "0 divergences" in done.stdout, done.stdout + done.stderr
