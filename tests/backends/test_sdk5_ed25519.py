"""Ed25519 (AWS's CloudHSM CLI pages): `key generate-asymmetric-pair ec --curve ed25519` and
`crypto sign|verify ed25519` (PureEdDSA), on hsm2m.medium clusters in non-FIPS mode only;
signatures openssl verifies with the exported public key."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time

import pytest

from hsmshell.status import ExitStatus

PW = {"admin": "Adm1nPassw0rd", "alice": "Al1cePassw0rd"}
PAIR = ("key generate-asymmetric-pair ec --curve ed25519 --public-label ed-pub --private-label ed "
        "--private-attributes sign=true --public-attributes verify=true")


def cluster(home, **kind) -> None:
    from hsmshell.clusters import create_emulated_cluster
    create_emulated_cluster(home / "clusters" / "default", "default", 2, time.time, **kind)


def crypto_user(h) -> None:
    h.ok(f"cluster activate --password {PW['admin']}")
    h.ok(f"login --username admin --role admin --password {PW['admin']}")
    h.ok(f"user create --username alice --role crypto-user --password {PW['alice']}")
    h.ok("logout")
    h.ok(f"login --username alice --role crypto-user --password {PW['alice']}")


@pytest.fixture
def non_fips(home, harness):
    cluster(home, hsm_type="hsm2m.medium", mode="NON_FIPS")
    crypto_user(harness)
    return harness


def test_an_ed25519_pair_signs_and_openssl_verifies(non_fips, tmp_path):
    h = non_fips
    made = h.ok(PAIR)["data"]
    public = made["public_key"]["attributes"]
    assert (public["key-type"], public["curve"], public["key-length-bytes"]) == ("ec", "ed25519", 32)
    assert len(public["ec-point"]) == 2 + 64                          # 0x and 32 bytes
    assert made["private_key"]["attributes"]["check-value"] == public["check-value"]
    message = b"pay 100 to bob"
    signed = h.ok(f"crypto sign ed25519 --key-filter attr.label=ed --data {base64.b64encode(message).decode()}")
    signature = base64.b64decode(signed["data"]["signature"])
    assert len(signature) == 64
    h.ok(f"crypto verify ed25519 --key-filter attr.label=ed-pub --data {base64.b64encode(message).decode()} "
         f"--signature {signed['data']['signature']}")
    outcome, printed = h.run(f"crypto verify ed25519 --key-filter attr.label=ed-pub --data "
                             f"{base64.b64encode(b'pay 900 to bob').decode()} --signature {signed['data']['signature']}")
    assert printed[0]["error"]["message"] == "Signature verification failed"
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    h.ok(f"key generate-file --encoding pem --path {tmp_path / 'ed.pub'} --filter attr.label=ed-pub")
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig").write_bytes(signature)
    done = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "ed.pub"),
                           "-rawin", "-in", str(tmp_path / "msg"), "-sigfile", str(tmp_path / "sig")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "Signature Verified Successfully" in done.stdout, done.stderr


def test_mechanisms_and_curves_do_not_mix(non_fips, tmp_path):
    h = non_fips
    h.ok(PAIR)
    h.ok("key generate-asymmetric-pair ec --curve secp256r1 --public-label p-pub --private-label p "
         "--private-attributes sign=true")
    outcome, printed = h.run("crypto sign ecdsa --key-filter attr.label=ed --hash-function sha256 --data YWJj")
    assert outcome.status == ExitStatus.USAGE, printed
    outcome, printed = h.run("crypto sign ed25519 --key-filter attr.label=p --data YWJj")
    assert outcome.status == ExitStatus.USAGE, printed
    (tmp_path / "long").write_bytes(b"x" * 16001)
    outcome, printed = h.run(f"crypto sign ed25519 --key-filter attr.label=ed --data-path {tmp_path / 'long'}")
    assert "16000" in printed[0]["error"]["message"]
    outcome, printed = h.run(f"key generate-file --encoding reference-pem --path {tmp_path / 'x.pem'} "
                             "--filter attr.label=ed")
    assert outcome.status == ExitStatus.USAGE and "reference PEM" in printed[0]["error"]["message"]


def test_kmu_sees_the_key_and_refuses_to_sign_with_it_cleanly(non_fips, tmp_path):
    """KMU has no EdDSA mechanism: a clear refusal, not a crash."""
    h = non_fips
    handle = h.ok(PAIR)["data"]["private_key"]["key-reference"]
    (tmp_path / "data").write_bytes(b"abc")
    outcome, printed = h.run(f"sign -f {tmp_path / 'data'} -k {int(handle, 16)} -m 17 -out {tmp_path / 'sig'}")
    assert outcome.status == ExitStatus.USAGE, printed
    assert "Ed25519" in printed[-1]["error"]["message"]
    assert h.ok(f"getKeyInfo -k {int(handle, 16)}")["data"]["key_class"] == 3


@pytest.mark.parametrize("kind, reference", [({"hsm_type": "hsm2m.medium"}, "fips-policy-violation"),
                                             ({"hsm_type": "hsm1.medium"}, "not-supported-by-hsm-type")])
def test_ed25519_needs_a_non_fips_hsm2m_cluster(home, harness, kind, reference):
    cluster(home, **kind)
    crypto_user(harness)
    outcome, printed = harness.run(PAIR)
    assert outcome.status == ExitStatus.HSM_ERROR, printed
    assert printed[0]["error"]["reference"] == reference
    assert harness.ok("key list")["data"]["total_key_count"] == 0
    info = harness.ok("cluster hsm-info")["data"]["hsms"][0]
    assert info["fips-state"].startswith("2 [FIPS mode")


def test_hsm_info_reports_non_fips_mode(non_fips):
    info = non_fips.ok("cluster hsm-info")["data"]["hsms"][0]
    assert info["fips-state"] == "0 [non-FIPS mode with single factor authentication]"


def test_an_imported_ed25519_public_key_verifies_an_openssl_signature(non_fips, tmp_path):
    """AWS's verify page: import an Ed25519 public key with key import pem, verify with it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    def openssl(*args):
        done = subprocess.run(["openssl", *args], cwd=tmp_path, capture_output=True)
        assert done.returncode == 0, done.stderr
    openssl("genpkey", "-algorithm", "ed25519", "-out", "ed.key")
    openssl("pkey", "-in", "ed.key", "-pubout", "-out", "ed.pub")
    (tmp_path / "msg").write_bytes(b"signed outside the HSM")
    openssl("pkeyutl", "-sign", "-inkey", "ed.key", "-rawin", "-in", "msg", "-out", "sig")
    h = non_fips
    made = h.ok(f"key import pem --path {tmp_path / 'ed.pub'} --label imported --key-type-class ec-public "
                "--attributes verify=true")["data"]["key"]
    assert (made["attributes"]["curve"], made["attributes"]["local"]) == ("ed25519", False)
    h.ok(f"crypto verify ed25519 --key-filter attr.label=imported --data-path {tmp_path / 'msg'} "
         f"--signature-path {tmp_path / 'sig'}")


def test_a_fips_cluster_refuses_an_ed25519_import_and_kmu_refuses_it_always(home, harness, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    pem = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "ed.pub").write_bytes(pem)
    cluster(home, hsm_type="hsm2m.medium")
    crypto_user(harness)
    outcome, printed = harness.run(f"key import pem --path {tmp_path / 'ed.pub'} --label i --key-type-class ec-public")
    assert printed[0]["error"]["reference"] == "fips-policy-violation", printed
    outcome, printed = harness.run(f"importPubKey -l i -f {tmp_path / 'ed.pub'}")
    assert outcome.status == ExitStatus.USAGE and "Ed25519" in printed[-1]["error"]["message"], printed
