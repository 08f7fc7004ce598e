"""key import pem, key wrap <mechanism> and key unwrap <mechanism>: every mechanism wraps a key
and unwraps it into a new key with the same check value; RSA/EC public keys import from PEM."""

from __future__ import annotations

import shutil
import subprocess

import pytest

PW = "Al1cePassw0rd"
AES_OPTIONS = {"aes-gcm": " --tag-length-bits 128 --aad 0x10", "cloudhsm-aes-gcm": " --tag-length-bits 96",
               "aes-no-pad": "", "aes-pkcs5-pad": "", "aes-zero-pad": ""}
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


def test_aes_zero_pad_is_rfc3394_over_the_zero_padded_key(cu, tmp_path):
    """A generic secret keeps its padding; a private key comes back whole (its DER says its
    length); bytes that unwrap to no valid key are refused."""
    import base64

    cu.ok("key generate-symmetric aes --label clear --key-length-bytes 32 --attributes wrap=true unwrap=true")
    cu.ok("key generate-symmetric generic-secret --label gs --key-length-bytes 21")
    wrapped = cu.ok("key wrap aes-zero-pad --payload-filter attr.label=gs --wrapping-filter attr.label=clear")
    data = base64.b64decode(wrapped["data"]["wrapped_key_data"])
    assert len(data) == 24 + 8                                    # 21 bytes padded to 24, plus the IV block
    cu.ok("key unwrap aes-zero-pad --filter attr.label=clear --key-type-class generic-secret --label gs2 "
          f"--data {wrapped['data']['wrapped_key_data']}")
    # the padded key as the HSM keeps it: 24 bytes, the last 3 zero
    assert cu.ok("key list --filter attr.label=gs2 --verbose")["data"]["matched_keys"][0]["attributes"][
        "key-length-bytes"] == 24
    cu.ok("key generate-asymmetric-pair ec --public-label zp --private-label zk --curve secp384r1")
    wrapped = cu.ok("key wrap aes-zero-pad --payload-filter attr.label=zk --wrapping-filter attr.label=wk")
    made = cu.ok("key unwrap aes-zero-pad --filter attr.label=wk --key-type-class ec-private --label zk2 "
                 f"--data {wrapped['data']['wrapped_key_data']}")["data"]["key"]
    assert made["attributes"]["check-value"] == check_value(cu, "zk")
    # a key whose padding is not zeros (wrapped with aes-no-pad after a non-zero byte) is refused
    outcome, printed = cu.run("key unwrap aes-zero-pad --filter attr.label=wk --key-type-class ec-private "
                              f"--label bad --data {base64.b64encode(b'x' * 40).decode()}")
    assert outcome.status != 0 and printed[0]["error"]["reference"] != "internal-error"


def test_zero_pad_layout_is_rfc3394_of_the_padded_key():
    """Against `cryptography`'s RFC 3394 with a known key: what the emulator's wrap produces."""
    import os

    from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

    from hsmshell.backends.emulator import crypto
    from hsmshell.backends.emulator.crypto import zero_pad
    from hsmshell.model.keys import KeyClass, KeyType
    kek, secret = os.urandom(32), os.urandom(13)
    wrapped = crypto.wrap_key(5, kek, zero_pad.pad(secret))
    assert wrapped == aes_key_wrap(kek, secret + bytes(3))
    assert aes_key_unwrap(kek, wrapped) == secret + bytes(3)
    assert zero_pad.pad(b"k" * 24) == b"k" * 24 and zero_pad.pad(b"k") == b"k" + bytes(15)
    assert zero_pad.unpad(bytes(range(1, 25)), KeyClass.SECRET, KeyType.AES) == bytes(range(1, 25))
    der = crypto.generate_ec(2).private_der
    assert zero_pad.unpad(zero_pad.pad(der), KeyClass.PRIVATE, KeyType.EC) == der

