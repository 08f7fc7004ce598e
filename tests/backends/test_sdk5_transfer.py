"""key import pem, key wrap <mechanism> and key unwrap <mechanism>: every mechanism wraps a key
and unwraps it into a new key with the same check value; RSA/EC public keys import from PEM."""

from __future__ import annotations

import shutil
import subprocess

import pytest

PW = "Al1cePassw0rd"
AES_OPTIONS = {"aes-gcm": " --tag-length-bits 128 --aad 0x10", "cloudhsm-aes-gcm": " --tag-length-bits 96",
               "aes-no-pad": "", "aes-pkcs5-pad": ""}
RSA_OPTIONS = {"rsa-oaep": " --hash-function sha256 --mgf mgf1-sha256",
               "rsa-aes": " --hash-function sha1 --mgf mgf1-sha1", "rsa-pkcs": ""}


@pytest.fixture
def cu(harness):
    harness.ok(f"cluster activate --password {PW}")
    harness.ok(f"login --username admin --role admin --password {PW}")
    harness.ok(f"user create --username alice --role crypto-user --password {PW}")
    harness.ok("logout")
    harness.ok(f"login --username alice --role crypto-user --password {PW}")
    harness.ok("key generate-symmetric aes --label payload --key-length-bytes 32")
    harness.ok("key generate-symmetric aes --label wk --key-length-bytes 32 --attributes wrap=true unwrap=true")
    harness.ok("key generate-asymmetric-pair rsa --public-label rp --private-label rk --modulus-size-bits 2048 "
               "--public-exponent 65537 --public-attributes wrap=true --private-attributes unwrap=true")
    return harness


def check_value(h, label: str) -> str:
    return h.ok(f"key list --filter attr.label={label} --verbose")["data"]["matched_keys"][0]["attributes"]["check-value"]


@pytest.mark.parametrize("mechanism, options, wrapping, unwrapping",
                         [(m, o, "wk", "wk") for m, o in AES_OPTIONS.items()]
                         + [(m, o, "rp", "rk") for m, o in RSA_OPTIONS.items()])
def test_every_mechanism_wraps_and_unwraps_the_same_key(cu, mechanism, options, wrapping, unwrapping):
    wrapped = cu.ok(f"key wrap {mechanism} --payload-filter attr.label=payload "
                    f"--wrapping-filter attr.label={wrapping}{options}")["data"]
    hyphen = mechanism in ("rsa-oaep", "rsa-aes")
    data = wrapped["wrapped-key-data" if hyphen else "wrapped_key_data"]
    assert ("iv" in wrapped) == (mechanism == "aes-gcm")
    iv = f" --iv {wrapped['iv']}" if "iv" in wrapped else ""
    made = cu.ok(f"key unwrap {mechanism} --filter attr.label={unwrapping} --key-type-class aes "
                 f"--label back{iv}{options} --data {data}")["data"]["key"]
    assert made["attributes"]["local"] is False and made["attributes"]["key-length-bytes"] == 32
    assert check_value(cu, "back") == check_value(cu, "payload")


def test_a_private_key_wraps_to_a_file_and_unwraps_from_it(cu, tmp_path):
    cu.ok("key generate-asymmetric-pair ec --public-label ep --private-label ek --curve secp256r1")
    path = tmp_path / "ek.wrapped"
    wrapped = cu.ok(f"key wrap aes-pkcs5-pad --payload-filter attr.label=ek --wrapping-filter attr.label=wk "
                    f"--path {path}")["data"]
    assert "wrapped_key_data" not in wrapped and path.stat().st_size > 100
    made = cu.ok(f"key unwrap aes-pkcs5-pad --filter attr.label=wk --key-type-class ec-private "
                 f"--label ek2 --data-path {path}")["data"]["key"]
    assert made["attributes"]["class"] == "private-key" and made["attributes"]["curve"] == "secp256r1"
    assert check_value(cu, "ek2") == check_value(cu, "ek")


def test_a_tampered_wrap_does_not_unwrap(cu):
    data = cu.ok("key wrap aes-gcm --payload-filter attr.label=payload --wrapping-filter attr.label=wk "
                 "--tag-length-bits 128")["data"]
    outcome, printed = cu.run(f"key unwrap aes-gcm --filter attr.label=wk --key-type-class aes --label x "
                              f"--iv 0x000000000000000000000000 --tag-length-bits 128 --data {data['wrapped_key_data']}")
    assert outcome.status == 1 and "unwrap" in printed[0]["error"]["message"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@pytest.mark.parametrize("genkey, kind", [(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "rsa-public"),
                                          (["ecparam", "-name", "prime256v1", "-genkey", "-noout"], "ec-public")])
def test_import_pem_takes_an_openssl_public_key(cu, tmp_path, genkey, kind):
    subprocess.run(["openssl", *genkey, "-out", str(tmp_path / "k.pem")], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "k.pem"), "-pubout", "-out", str(tmp_path / "p.pem")],
                   check=True, capture_output=True)
    imported = cu.ok(f"key import pem --path {tmp_path / 'p.pem'} --label imported --key-type-class {kind}")["data"]
    assert imported["message"] == "Successfully imported key"
    attributes = imported["key"]["attributes"]
    assert attributes["class"] == "public-key" and attributes["local"] is False
    other = "ec-public" if kind == "rsa-public" else "rsa-public"
    outcome, _ = cu.run(f"key import pem --path {tmp_path / 'p.pem'} --label again --key-type-class {other}")
    assert outcome.status == 2
