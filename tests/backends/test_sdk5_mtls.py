"""cluster mtls on the emulated cluster: trust anchors (PEM, at most two, EC/RSA keys of the
allowed sizes), the enforcement level, and who may change them."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from hsmshell.status import ExitStatus

PW = "Adm1nPassw0rd"


def ca(path, key) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rootCA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


@pytest.fixture
def admin(harness):
    harness.ok(f"cluster activate --password {PW}")
    harness.ok(f"login --username admin --role admin --password {PW}")
    return harness


def test_trust_anchors_and_enforcement(admin, tmp_path):
    assert admin.ok("cluster mtls get-enforcement")["data"] == {"mtls-enforcement-level": "none"}
    outcome, _ = admin.run("cluster mtls set-enforcement --level cluster")
    assert outcome.status == ExitStatus.USAGE                  # no trust anchor yet: refused
    first = admin.ok(f"cluster mtls register-trust-anchor --path {ca(tmp_path / 'a.pem', ec.generate_private_key(ec.SECP384R1()))}")
    anchor = first["data"]["trust_anchor"]
    assert anchor["certificate-reference"] == "0x01" and anchor["cluster-coverage"] == "full"
    assert anchor["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    admin.ok(f"cluster mtls register-trust-anchor --path {ca(tmp_path / 'b.pem', rsa.generate_private_key(65537, 2048))}")
    outcome, printed = admin.run(f"cluster mtls register-trust-anchor --path {tmp_path / 'a.pem'}")
    assert printed[0]["error"]["reference"] == "limit-exceeded"
    listed = admin.ok("cluster mtls list-trust-anchors")["data"]["trust_anchors"]
    assert [a["certificate-reference"] for a in listed] == ["0x01", "0x02"]
    assert admin.ok("cluster mtls set-enforcement --level cluster")["data"] == {
        "message": "Mtls enforcement level set to Cluster successfully"}
    assert admin.ok("cluster mtls deregister-trust-anchor --certificate-reference 0x01")["data"] == {
        "message": "Trust anchor with reference 0x01 deregistered successfully"}
    admin.ok("logout")
    assert len(admin.ok("cluster mtls list-trust-anchors")["data"]["trust_anchors"]) == 1   # no login


def test_a_weak_or_der_anchor_is_refused_and_only_admins_manage(admin, tmp_path):
    weak = ca(tmp_path / "w.pem", rsa.generate_private_key(65537, 1024))
    outcome, printed = admin.run(f"cluster mtls register-trust-anchor --path {weak}")
    assert outcome.status == ExitStatus.USAGE and "RSA 2048" in printed[0]["error"]["message"]
    der = tmp_path / "d.der"
    der.write_bytes(x509.load_pem_x509_certificate(open(ca(tmp_path / "x.pem", ec.generate_private_key(ec.SECP256R1())), "rb").read())
                    .public_bytes(serialization.Encoding.DER))
    outcome, printed = admin.run(f"cluster mtls register-trust-anchor --path {der}")
    assert "DER is refused" in printed[0]["error"]["message"]
    admin.ok("user create --username alice --role crypto-user --password alicepass1")
    admin.ok("logout")
    admin.ok("login --username alice --role crypto-user --password alicepass1")
    assert admin.ok("cluster mtls get-enforcement")["data"]["mtls-enforcement-level"] == "none"
    outcome, _ = admin.run("cluster mtls set-enforcement --level none")
    assert outcome.status == ExitStatus.DENIED
