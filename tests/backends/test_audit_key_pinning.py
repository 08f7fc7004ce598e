"""`audit verify` and `audit replay` pin the audit key (docs/hardening.md): the key the genesis
record names must be the trusted one (the cluster's own audit.pub, or one the user passes with
--key / --key-fingerprint), never the audit.pub lying beside a copied log, and every
checkpoint must be signed by it."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from batch_audit_support import activate, cli, cluster_dir, officer_ran, verify_json


@pytest.fixture
def sent(home, capsys, tmp_path):
    """A cluster that ran some commands, and a copy of its log as an auditor receives it."""
    activate(capsys, home)
    for n in range(3):
        officer_ran(capsys, home, f"createUser CU u{n} userpass{n}")
    received = tmp_path / "received"
    received.mkdir()
    shutil.copy2(cluster_dir(home) / "audit.log", received / "audit.log")
    return received


def real_fingerprint(home: Path) -> str:
    return "sha256:" + hashlib.sha256((cluster_dir(home) / "audit.pub").read_bytes()).hexdigest()


def forge(received: Path, keep_genesis_key: bool = True) -> Path:
    """The attack: delete createUser records, recompute the chain, re-sign every checkpoint with
    a new key, and put that key's audit.pub beside the copy."""
    from hsmshell.audit import records as codec

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kept = [json.loads(line) for line in (received / "audit.log").read_bytes().splitlines()]
    kept = [r for r in kept if r.get("command") != "createUser"]
    prev, lines = codec.GENESIS_PREV, []
    for seq, record in enumerate(kept, start=1):
        fields = {k: v for k, v in record.items() if k not in ("seq", "hash")}
        if fields["kind"] == "genesis" and not keep_genesis_key:
            fields.update(audit_key=public.hex())
        if fields["kind"] == "checkpoint":
            fields.update(covers_seq=seq - 1, covers_hash=prev.hex(), signature=base64.b64encode(
                key.sign(codec.checkpoint_message(seq - 1, prev))).decode())
        line, prev = codec.encode(seq, fields, prev)
        lines.append(line)
    forged = received.parent / ("forged" if keep_genesis_key else "forged-genesis")
    forged.mkdir()
    (forged / "audit.log").write_bytes(b"".join(lines))
    (forged / "audit.pub").write_bytes(public)
    return forged


verify = verify_json


def test_a_re_signed_copy_fails_whatever_key_lies_beside_it(home, capsys, sent):
    for forged in (forge(sent), forge(sent, keep_genesis_key=False)):
        log = str(forged / "audit.log")
        status, reply = verify(capsys, home, log)            # trusted: the cluster's own audit.pub
        assert status == 6 and reply["error"]["reference"] == "audit-tampered", reply
        status, reply = verify(capsys, home, "--key-fingerprint", real_fingerprint(home), log)
        assert status == 6, reply
        status, reply = verify(capsys, home, "--key", str(forged / "audit.pub"), log)
        if forged.name == "forged":                          # the genesis still names the real key
            assert status == 6 and reply["error"]["first_bad_record"] == 1, reply
            assert "genesis record names audit key" in reply["error"]["problem"]
        status, out, _ = cli(capsys, home, "--json", "audit", "replay", log)
        assert status == 6, out


def test_without_a_cluster_a_copy_needs_a_key_given_explicitly(home, capsys, sent, tmp_path):
    elsewhere = tmp_path / "auditor-home"
    log = str(sent / "audit.log")
    shutil.copy2(cluster_dir(home) / "audit.pub", sent / "audit.pub")     # beside it: not trusted
    status, reply = verify(capsys, elsewhere, log)
    assert status == 6 and "no trusted audit key" in reply["error"]["problem"], reply
    fingerprint = real_fingerprint(home)
    status, reply = verify(capsys, elsewhere, "--key-fingerprint", fingerprint, log)
    assert status == 0 and reply["data"]["trusted_key"] == fingerprint, reply
    assert reply["data"]["trusted_from"] == "--key-fingerprint"
    status, out, _ = cli(capsys, elsewhere, "audit", "verify", "--key-fingerprint", fingerprint, log)
    assert status == 0 and f"audit key trusted: {fingerprint}" in out
    pem = tmp_path / "audit.pem"
    raw = (cluster_dir(home) / "audit.pub").read_bytes()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    pem.write_bytes(Ed25519PublicKey.from_public_bytes(raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    status, reply = verify(capsys, elsewhere, "--key", str(pem), log)
    assert status == 0 and reply["data"]["trusted_key"] == fingerprint, reply
    status, out, _ = cli(capsys, elsewhere, "--json", "audit", "replay", "--key-fingerprint", fingerprint, log)
    assert status == 0, out
    status, reply = verify(capsys, elsewhere, "--key-fingerprint", "sha256:" + "0" * 64, log)
    assert status == 6 and reply["error"]["first_bad_record"] == 1


def test_the_own_log_names_the_key_it_trusted_and_bad_key_options_are_one_line(home, capsys, sent):
    status, reply = verify(capsys, home)
    assert status == 0 and reply["data"]["trusted_key"] == real_fingerprint(home)
    assert "audit.pub" in reply["data"]["trusted_from"]
    status, out, err = cli(capsys, home, "audit", "verify", "--key-fingerprint", "abc")
    assert status == 2 and "not a SHA-256 fingerprint" in err and "Traceback" not in err
    (sent / "junk.pub").write_bytes(b"x" * 40)
    status, out, err = cli(capsys, home, "audit", "verify", "--key", str(sent / "junk.pub"))
    assert status == 2 and "not an Ed25519 public key" in err


def test_a_key_file_on_a_curve_cryptography_does_not_know_is_one_line(home, capsys, sent):
    """A PEM public key `cryptography` refuses with UnsupportedAlgorithm is bad input (exit 2),
    not an internal error: --key reads PEM through model/key_formats.py like every other reader."""
    from key_fixtures import SECP112R1_PUBLIC
    (sent / "odd.pub").write_bytes(SECP112R1_PUBLIC)
    status, out, err = cli(capsys, home, "audit", "verify", "--key", str(sent / "odd.pub"))
    assert status == 2 and "not an Ed25519 public key" in err and "Traceback" not in err
