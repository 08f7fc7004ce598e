"""The cluster's certificate: its CSR, signed by the customer's issuing CA at initialization,
and the check a client makes before it connects (the cluster must chain to customerCA.crt).

Files (in the cluster's folder of the state dir, as the client keeps them):
  customerCA.crt                               the issuing certificate (the client's trust anchor)
  <cluster-id>_CustomerHsmCertificate.crt      the cluster's certificate, signed by that CA
`openssl verify -CAfile customerCA.crt <cluster-id>_CustomerHsmCertificate.crt` passes.

`cryptography` is imported only when a certificate is made or a changed customerCA.crt is
checked, so opening a shell stays fast (the common check is one SHA-256 of a small file).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from hsmshell.errors import ClusterStateError, ClusterUninitialized, InvalidArgument, UntrustedCluster

CLIENT_CA = "customerCA.crt"
VALID_DAYS = 3652                          # as the CloudHSM guide signs: -days 3652
CSR_KEY_BITS = 2048


def cert_file_name(cluster_id: str) -> str:
    return f"{cluster_id}_CustomerHsmCertificate.crt"


def csr_file_name(cluster_id: str) -> str:
    return f"{cluster_id}_ClusterCsr.csr"


# -- the cluster's side ------------------------------------------------------------------------
def cluster_csr(db) -> bytes:
    """The cluster's CSR (PEM), made once by its first HSM. Its private key stays "in the HSM":
    the emulator never needs it, so it is not kept."""
    stored = db.meta("cluster_csr")
    if stored:
        return stored.encode("ascii")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=CSR_KEY_BITS)
    serial = db.conn.execute("SELECT serial FROM hsms ORDER BY server LIMIT 1").fetchone()
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hsmshell emulated CloudHSM"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, db.meta("cluster_id", "cluster")),
        x509.NameAttribute(NameOID.COMMON_NAME,
                           f"HSM:{serial[0] if serial else '0'}:PARTN:0, for FIPS mode"),
    ])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    pem = csr.public_bytes(serialization.Encoding.PEM)
    db.set_meta("cluster_csr", pem.decode("ascii"))
    return pem


def sign_csr(csr_pem: bytes, ca_cert, ca_key, now: float) -> bytes:
    """The cluster certificate: the CSR's subject and key, issued by the CA (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    csr = x509.load_pem_x509_csr(csr_pem)
    start = dt.datetime.fromtimestamp(now, dt.timezone.utc) - dt.timedelta(minutes=5)
    builder = (x509.CertificateBuilder()
               .subject_name(csr.subject).issuer_name(ca_cert.subject)
               .public_key(csr.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + dt.timedelta(days=VALID_DAYS))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
                              critical=False))
    cert = builder.sign(ca_key, _digest_for(ca_key))
    return cert.public_bytes(serialization.Encoding.PEM)


def self_signed_ca(now: float):
    """A new issuing CA (EC P-256), for trying things out: (certificate, private key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hsmshell"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "hsmshell self-signed customer CA")])
    start = dt.datetime.fromtimestamp(now, dt.timezone.utc) - dt.timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=VALID_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def load_ca(cert_path: Path, key_path: Path, passphrase: str | None, now: float):
    """The customer's issuing CA from PEM files: (certificate, private key), checked to match."""
    from cryptography import x509
    from hsmshell.model.key_formats import load_private_pem

    cert = _load(cert_path, "CA certificate", x509.load_pem_x509_certificate)
    key = load_private_pem(_read(key_path, "CA private key"), passphrase.encode() if passphrase else None,
                           what=f"CA private key {key_path}",
                           passphrase_hint="give its passphrase: --ca-key-passphrase @env:VAR, @file:PATH or -hpswd")
    if key.public_key().public_bytes(*_SPKI()) != cert.public_key().public_bytes(*_SPKI()):
        raise InvalidArgument(f"the private key {key_path} does not belong to the CA certificate {cert_path}")
    _check_is_ca(cert, cert_path, now)
    return cert, key


def check_signed_certificate(csr_pem: bytes, cert_pem: bytes, anchor_pem: bytes, now: float) -> None:
    """For a CSR signed outside hsmshell (openssl x509 -req ...): the certificate must carry the
    CSR's key and chain to the trust anchor."""
    from cryptography import x509

    csr = x509.load_pem_x509_csr(csr_pem)
    cert = _parse(cert_pem, "signed certificate", x509.load_pem_x509_certificate)
    anchor = _parse(anchor_pem, "trust anchor", x509.load_pem_x509_certificate)
    if cert.public_key().public_bytes(*_SPKI()) != csr.public_key().public_bytes(*_SPKI()):
        raise InvalidArgument("the signed certificate is not for this cluster's CSR",
                              hint="sign the CSR that `hsmshell cluster csr` wrote")
    _check_is_ca(anchor, "the trust anchor", now)
    if not _issued_by(cert, anchor):
        raise InvalidArgument("the signed certificate was not issued by the trust anchor")


def install(db, directory: Path, cert_pem: bytes, anchor_pem: bytes) -> dict:
    """Store the certificate with the cluster and install the issuing CA for the client."""
    cluster_id = db.meta("cluster_id")
    _write(directory / CLIENT_CA, anchor_pem)
    _write(directory / cert_file_name(cluster_id), cert_pem)
    db.set_meta("cluster_certificate", cert_pem.decode("ascii"))
    db.set_meta("trust_anchor", anchor_pem.decode("ascii"))
    db.set_meta("trust_anchor_sha256", hashlib.sha256(anchor_pem).hexdigest())
    return {"certificate": str(directory / cert_file_name(cluster_id)),
            "customer_ca": str(directory / CLIENT_CA),
            "certificate_sha256": hashlib.sha256(cert_pem).hexdigest(),
            "trust_anchor_sha256": hashlib.sha256(anchor_pem).hexdigest()}


def describe(db) -> dict | None:
    pem = db.meta("cluster_certificate")
    if not pem:
        return None
    from cryptography import x509
    cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "x"),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "sha256": hashlib.sha256(pem.encode("ascii")).hexdigest()}


# -- the client's side: may it connect? --------------------------------------------------------
def check_connection(db, directory: Path, name: str) -> None:
    """Refuse an uninitialized cluster, or one whose certificate does not chain to the
    client's customerCA.crt. A cluster without a certificate (the first-use `default`, made
    already initialized) has nothing to check."""
    meta = db.meta_many("cluster_state", "cluster_certificate", "trust_anchor_sha256")
    if meta.get("cluster_state") == "UNINITIALIZED":
        raise ClusterUninitialized(
            f"cluster '{name}' is not initialized: its HSMs have no users and no certificate yet",
            hint=f"hsmshell cluster initialize {name} --ca-cert customerCA.crt --ca-key customerCA.key "
                 f"(or --self-signed)")
    pem = meta.get("cluster_certificate")
    if not pem:
        return
    path = directory / CLIENT_CA
    try:
        client_ca = path.read_bytes()
    except OSError:
        raise UntrustedCluster(f"no {CLIENT_CA} for cluster '{name}' at {path}",
                               hint="copy the issuing certificate you initialized the cluster with there") from None
    if hashlib.sha256(client_ca).hexdigest() == meta.get("trust_anchor_sha256"):
        return                                  # the very anchor checked at initialization
    if not _chains_to_any(pem.encode("ascii"), client_ca):
        raise UntrustedCluster(
            f"the certificate of cluster '{name}' does not chain to the client's {path}",
            hint="put the issuing certificate the cluster was initialized with in customerCA.crt "
                 "(hsmshell cluster describe shows its issuer)")


def _chains_to_any(cert_pem: bytes, bundle: bytes) -> bool:
    from cryptography import x509
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        anchors = x509.load_pem_x509_certificates(bundle)
    except ValueError:
        return False
    return any(_issued_by(cert, anchor) for anchor in anchors)


def _issued_by(cert, anchor) -> bool:
    try:
        cert.verify_directly_issued_by(anchor)
    except Exception:          # InvalidSignature, ValueError (names differ), TypeError (key types)
        return False
    return True


def _check_is_ca(cert, where, now: float) -> None:
    from cryptography import x509
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not constraints.ca:
            raise InvalidArgument(f"{where} is not a CA certificate (basicConstraints CA:FALSE)")
    except x509.ExtensionNotFound:
        pass                                        # a v1 CA certificate: accepted, as openssl does
    moment = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        raise InvalidArgument(f"{where} is not valid now (valid {cert.not_valid_before_utc:%Y-%m-%d} "
                              f"to {cert.not_valid_after_utc:%Y-%m-%d})")


def _digest_for(key):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
    return None if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else hashes.SHA256()


def _SPKI():
    from cryptography.hazmat.primitives import serialization
    return serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise InvalidArgument(f"cannot read the {what} {path}: {exc.strerror}") from None


def _load(path: Path, what: str, loader):
    return _parse(_read(path, what), f"{what} {path}", loader)


def _parse(data: bytes, what: str, loader):
    try:
        return loader(data)
    except ValueError:
        raise InvalidArgument(f"the {what} is not a PEM certificate") from None


def _write(path: Path, data: bytes) -> None:
    from hsmshell.fileio import write_file
    write_file(path, data, atomic=True, what="certificate")


def require_uninitialized(db) -> None:
    state = db.meta("cluster_state")
    if state != "UNINITIALIZED":
        raise ClusterStateError(f"the cluster is already {state}",
                                hint="a cluster is initialized once, right after it is created")
