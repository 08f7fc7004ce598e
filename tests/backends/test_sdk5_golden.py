"""Golden tests: every verbatim CloudHSM CLI output of AWS's CloudHSM CLI pages that hsmshell
can reproduce, compared with what `--output classic` (the text cloudhsm-cli prints, as
`emulate cloudhsm-cli` shows it) gives for the same command. Values that legitimately differ
(key references, check values, signatures, serial numbers, firmware versions) are masked; the
structure, the key order and every other value must be equal. The samples are copied from
the reference with its comma typos fixed (it says to copy the structure, not the typos)."""

from __future__ import annotations

import io
import json

import pytest

from hsmshell.environment import Environment

MASK = "<masked>"
ADMIN_PW, CU_PW = "Passw0rd!x", "cu1passw0rd"

LOGIN = '{"error_code": 0, "data": {"username": "admin1", "role": "admin"}}'
LOGOUT = '{"error_code": 0, "data": "Logout successful"}'
ACTIVATE = '{"error_code": 0, "data": "Cluster activation successful"}'
USER_CREATE = '{"error_code": 0, "data": {"username": "alice", "role": "crypto-user"}}'
# §2.3, with the `quorum` field pages after SDK 5.8 add between mfa and cluster-coverage; the
# sample's test_user has MFA, which the emulator does not offer: its entries for admin and
# app_user are compared.
USER_LIST_ENTRIES = '''[
  {"username": "admin", "role": "admin", "locked": "false", "mfa": [], "quorum": [], "cluster-coverage": "full"},
  {"username": "app_user", "role": "internal(APPLIANCE_USER)", "locked": "false", "mfa": [], "quorum": [], "cluster-coverage": "full"}
]'''
HSM_INFO_ENTRY = '''{
  "vendor": "Marvell Semiconductors, Inc.", "model": "NITROX-III CNN35XX-NFBE",
  "serial-number": "<masked>", "hardware-version-major": "<masked>", "hardware-version-minor": "<masked>",
  "firmware-version-major": "<masked>", "firmware-version-minor": "<masked>",
  "firmware-build-number": "<masked>", "firmware-id": "<masked>",
  "fips-state": "2 [FIPS mode with single factor authentication]"}'''
# §3.3, verbatim (key generate-symmetric aes --label example-aes --key-length-bytes 24, as cu1)
AES_KEY = '''{
 "error_code": 0,
 "data": {
 "key": {
 "key-reference": "<masked>",
 "key-info": {
 "key-owners": [{"username": "cu1", "key-coverage": "full"}],
 "shared-users": [],
 "key-quorum-values": {"manage-key-quorum-value": 0, "use-key-quorum-value": 0},
 "cluster-coverage": "full"
 },
 "attributes": {
 "key-type": "aes", "label": "example-aes", "id": "", "check-value": "<masked>",
 "class": "secret-key", "encrypt": false, "decrypt": false, "token": true,
 "always-sensitive": true, "derive": false, "destroyable": true, "extractable": true,
 "local": true, "modifiable": true, "never-extractable": false, "private": true,
 "sensitive": true, "sign": true, "trusted": false, "unwrap": false, "verify": true,
 "wrap": false, "wrap-with-trusted": false, "key-length-bytes": 24
 }
 }
 }
}'''
# §2.5 key list: the first two of ten keys, and the counts (56 keys there; 12 here)
KEY_LIST_HEAD = '''[{"key-reference": "<masked>", "attributes": {"label": "test_label_1"}},
                    {"key-reference": "<masked>", "attributes": {"label": "test_label_2"}}]'''
SIGNED = '{"error_code": 0, "data": {"key-reference": "<masked>", "signature": "<masked>"}}'
VERIFY_FAILED = '{"error_code": 1, "data": "Signature verification failed"}'
MESSAGES = {"key delete": "Key deleted successfully", "key share": "Key shared successfully",
            "key unshare": "Key unshared successfully", "key set-attribute": "Attribute set successfully",
            "key generate-file": "Successfully generated key file",
            "crypto verify": "Signature verified successfully"}


class Cli:
    """hsmshell with --output classic on a private state dir: each run returns the JSON text."""

    def __init__(self, home):
        from hsmshell.clusters import open_shell
        self.out = io.StringIO()
        env = Environment(home=home, stdin=io.StringIO(), stdout=self.out, stderr=self.out,
                          output="classic", assume_yes=True, interactive=False, color=False, environ={})
        self.shell = open_shell(env)

    def __call__(self, line: str) -> dict:
        start = self.out.tell()
        self.shell.run(line, "golden")
        self.out.seek(start)
        text = self.out.read()
        return json.loads(text)

    def close(self):
        self.shell.close()


@pytest.fixture
def cli(home):
    shell = Cli(home)
    yield shell
    shell.close()


def masked(value, like):
    """`value` with every place `like` holds MASK replaced by MASK."""
    if like == MASK:
        return MASK
    if isinstance(like, dict) and isinstance(value, dict):
        return {k: masked(v, like.get(k)) for k, v in value.items()}
    if isinstance(like, list) and isinstance(value, list):
        return [masked(v, like[i] if i < len(like) else None) for i, v in enumerate(value)]
    return value


def assert_golden(actual, sample: str):
    expected = json.loads(sample)
    got = masked(actual, expected)
    assert got == expected
    assert json.dumps(got) == json.dumps(expected), "same values, another key order"


def provision(cli) -> None:
    assert_golden(cli(f"cluster activate --password {ADMIN_PW}"), ACTIVATE)
    cli(f"login --username admin --role admin --password {ADMIN_PW}")
    cli(f"user create --username admin1 --role admin --password {ADMIN_PW}")
    cli(f"user create --username cu1 --role crypto-user --password {CU_PW}")
    assert_golden(cli(f"user create --username alice --role crypto-user --password {CU_PW}"), USER_CREATE)
    assert_golden(cli("logout"), LOGOUT)


def test_session_user_and_cluster_outputs(cli):
    provision(cli)
    assert_golden(cli(f"login --username admin1 --role admin --password {ADMIN_PW}"), LOGIN)
    users = cli("user list")
    assert users["error_code"] == 0
    assert_golden([u for u in users["data"]["users"] if u["username"] in ("admin", "app_user")],
                  USER_LIST_ENTRIES)
    info = cli("cluster hsm-info")
    for hsm in info["data"]["hsms"]:
        assert_golden(hsm, HSM_INFO_ENTRY)
    changed = cli(f"user change-password --username alice --role crypto-user --password {CU_PW}x")
    assert changed == {"error_code": 0, "data": {"username": "alice", "role": "crypto-user"}}


def test_key_and_crypto_outputs(cli, tmp_path):
    provision(cli)
    cli(f"login --username cu1 --role crypto-user --password {CU_PW}")
    assert_golden(cli("key generate-symmetric aes --label example-aes --key-length-bytes 24"), AES_KEY)
    for n in range(1, 12):
        cli(f"key generate-symmetric aes --label test_label_{n} --key-length-bytes 16")
    listed = cli("key list --filter attr.key-length-bytes=16")["data"]
    assert_golden(listed["matched_keys"][:2], KEY_LIST_HEAD)
    assert (listed["total_key_count"], listed["returned_key_count"], listed["next_token"]) == (11, 10, "10")
    assert list(listed) == ["matched_keys", "total_key_count", "returned_key_count", "next_token"]
    cli("key generate-asymmetric-pair rsa --public-label rsa-public --private-label rsa-private "
        "--modulus-size-bits 2048 --public-exponent 65537 --private-attributes sign=true "
        "--public-attributes verify=true")
    signed = cli("crypto sign rsa-pkcs --key-filter attr.label=rsa-private --hash-function sha256 --data YWJjMTIz")
    assert_golden(signed, SIGNED)
    assert_golden(cli("crypto verify rsa-pkcs --key-filter attr.label=rsa-public --hash-function sha256 "
                      f"--data YWJjMTIzNA== --signature {signed['data']['signature']}"), VERIFY_FAILED)
    runs = {
        "crypto verify": "crypto verify rsa-pkcs --key-filter attr.label=rsa-public --hash-function "
                         f"sha256 --data YWJjMTIz --signature {signed['data']['signature']}",
        "key share": "key share --filter attr.label=example-aes --username alice --role crypto-user",
        "key unshare": "key unshare --filter attr.label=example-aes --username alice --role crypto-user",
        "key set-attribute": "key set-attribute --filter attr.label=example-aes --name encrypt --value false",
        "key generate-file": f"key generate-file --encoding pem --path {tmp_path / 'p.pem'} "
                             "--filter attr.label=rsa-public",
        "key delete": "key delete --filter attr.label=example-aes",
    }
    for command, line in runs.items():
        assert cli(line) == {"error_code": 0, "data": {"message": MESSAGES[command]}}, command


def test_a_refused_command_prints_error_code_1_and_a_string(cli):
    provision(cli)
    again = cli(f"cluster activate --password {ADMIN_PW}")
    assert again == {"error_code": 1, "data": "Cluster has already been activated"}
    cli(f"login --username cu1 --role crypto-user --password {CU_PW}")
    for n in range(2):
        cli(f"key generate-symmetric aes --label twin --key-length-bytes 16")
    assert cli("key delete --filter attr.label=twin") == {
        "error_code": 1, "data": "Key selection criteria matched 2 keys. Refine selection criteria "
                                 "to select a single key."}


WRAP_AES_GCM = '''{
 "error_code": 0,
 "data": {
 "payload_key_reference": "<masked>",
 "wrapping_key_reference": "<masked>",
 "iv": "<masked>",
 "wrapped_key_data": "<masked>"
 }
}'''
REGISTRATION = '{"error_code": 0, "data": {"path": "<masked>"}}'
ADMIN_TOKEN_FILE = '''{"version": "2.0", "service": "quorum", "approval_data": "<masked>",
                      "token": "<masked>", "signatures": []}'''
REGISTRATION_FILE_ENTRY = '{"approval_data": "<masked>", "unsigned": "<masked>", "signed": ""}'
# AWS's hsm2m.medium output (a new cluster's type); the hsm1.medium one is in test_sdk5_cluster_quorum
QUORUM_VALUES = '{"error_code": 0, "data": {"user": 1, "quorum": 1, "cluster": 1}}'
SET_QUORUM = '{"error_code": 0, "data": "Set Quorum Value successful"}'
TOKENS_DELETED = '{"error_code": 0, "data": "Deletion of quorum token(s) successful"}'
TRUST_ANCHOR = '''{"error_code": 0, "data": {"trust_anchor": {"certificate-reference": "0x01",
                  "certificate": "<masked>", "cluster-coverage": "full"}}}'''
DEREGISTERED = '{"error_code": 0, "data": {"message": "Trust anchor with reference 0x01 deregistered successfully"}}'
ENFORCED = '{"error_code": 0, "data": {"message": "Mtls enforcement level set to Cluster successfully"}}'
ENFORCEMENT = '{"error_code": 0, "data": {"mtls-enforcement-level": "cluster"}}'


def test_quorum_wrap_and_mtls_outputs(cli, tmp_path):
    provision(cli)
    cli(f"login --username admin --role admin --password {ADMIN_PW}")
    assert_golden(cli("quorum token-sign list-quorum-values"), QUORUM_VALUES)
    assert_golden(cli(f"quorum token-sign generate --service registration --token {tmp_path / 'r.json'}"),
                  REGISTRATION)
    entries = json.loads((tmp_path / "r.json").read_text())["tokens"]
    assert json.loads((tmp_path / "r.json").read_text())["version"] == "2.0"
    for entry in entries:
        assert_golden(entry, REGISTRATION_FILE_ENTRY)
    cli(f"user create --username admin2 --role admin --password {ADMIN_PW}")
    assert_golden(cli("quorum token-sign set-quorum-value --service quorum --value 1"), SET_QUORUM)
    assert_golden(cli("quorum token-sign delete --scope user"), TOKENS_DELETED)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import datetime
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rootCA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "rootCA").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert_golden(cli(f"cluster mtls register-trust-anchor --path {tmp_path / 'rootCA'}"), TRUST_ANCHOR)
    assert_golden(cli("cluster mtls set-enforcement --level cluster"), ENFORCED)
    assert_golden(cli("cluster mtls get-enforcement"), ENFORCEMENT)
    cli("cluster mtls set-enforcement --level none")
    assert_golden(cli("cluster mtls deregister-trust-anchor --certificate-reference 0x01"), DEREGISTERED)
    cli("logout")
    cli(f"login --username cu1 --role crypto-user --password {CU_PW}")
    cli("key generate-symmetric aes --label payload-key --key-length-bytes 32")
    cli("key generate-symmetric aes --label aes-example --key-length-bytes 32 --attributes wrap=true")
    assert_golden(cli("key wrap aes-gcm --payload-filter attr.label=payload-key --wrapping-filter "
                      "attr.label=aes-example --tag-length-bits 64 --aad 0x10"), WRAP_AES_GCM)


def test_an_admin_token_file_has_the_documented_fields(cli, tmp_path):
    """§4.4: an admin token file's fields in order, `token` = SHA-256(approval_data). AWS's
    sample is a user-service token ("service": "user-management"); this one is the quorum
    service's (the user service needs approvals only once the quorum service has them)."""
    import base64
    import hashlib
    import shutil
    import subprocess
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    provision(cli)
    cli(f"login --username admin --role admin --password {ADMIN_PW}")
    cli(f"user create --username admin2 --role admin --password {ADMIN_PW}")
    for name in ("admin2", "admin"):        # two registered approvers, so M=2 can be set
        cli("logout")
        cli(f"login --username {name} --role admin --password {ADMIN_PW}")
        subprocess.run(["openssl", "genrsa", "-out", str(tmp_path / f"{name}.key"), "2048"], check=True,
                       capture_output=True)
        subprocess.run(["openssl", "rsa", "-in", str(tmp_path / f"{name}.key"), "-pubout", "-out",
                        str(tmp_path / f"{name}.pub")], check=True, capture_output=True)
        cli(f"quorum token-sign generate --service registration --token {tmp_path / 'r.json'}")
        document = json.loads((tmp_path / "r.json").read_text())
        for entry in document["tokens"]:
            (tmp_path / "u.bin").write_bytes(base64.b64decode(entry["unsigned"]))
            subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", str(tmp_path / f"{name}.key"), "-pkeyopt",
                            "digest:sha256", "-in", str(tmp_path / "u.bin"), "-out", str(tmp_path / "s.bin")],
                           check=True, capture_output=True)
            entry["signed"] = base64.b64encode((tmp_path / "s.bin").read_bytes()).decode()
        (tmp_path / "r.json").write_text(json.dumps(document))
        assert cli(f"user change-quorum token-sign register --public-key {tmp_path / (name + '.pub')} "
                   f"--signed-token {tmp_path / 'r.json'}")["data"] == {"username": name, "role": "admin"}
    assert_golden(cli("quorum token-sign set-quorum-value --service quorum --value 2"), SET_QUORUM)
    assert_golden(cli(f"quorum token-sign generate --service quorum --token {tmp_path / 'q.json'}"), REGISTRATION)
    token = json.loads((tmp_path / "q.json").read_text())
    assert_golden(token, ADMIN_TOKEN_FILE)
    digest = hashlib.sha256(base64.b64decode(token["approval_data"])).digest()
    assert base64.b64decode(token["token"]) == digest
