"""getCert (CMU in server mode, KMU): one HSM's certificates, written to a file as PEM.

The types are AWS's (cloudhsm_mgmt_util-getCert, key_mgmt_util-getCert):
  1 manufacturer root, 2 manufacturer hardware (this HSM), 4 customer root (the trust anchor
  the cluster was initialized with), 8 cluster certificate (signed by the customer root),
  16 this HSM's certificate chained to the manufacturer root (signed by its hardware one).
The emulated manufacturer is made at the first getCert that needs it: its root (EC P-256)
and each HSM's hardware and partition certificates are kept with the cluster, the root's key
too, so an HSM added later is certified by the same root. Types 4 and 8 exist once the
cluster was initialized with a CA (`hsmshell cluster initialize`).
"""

from __future__ import annotations

import datetime as dt

from hsmshell.backends.emulator.cluster import EmulatedCluster
from hsmshell.backends.key_files import write_output
from hsmshell.backends.result import Result
from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.model.certificates import CERTIFICATE_TYPES

TYPES = CERTIFICATE_TYPES
VALID_DAYS = 3652


def get_cert(cluster: EmulatedCluster, args: dict, secrets: dict) -> Result:
    kind = args["cert_type"]
    if kind not in TYPES:
        raise InvalidArgument(f"certificate type {kind} is not one of {', '.join(map(str, TYPES))}",
                              hint="1 manufacturer root, 2 hardware, 4 customer root, 8 cluster, 16 HSM")
    hsm = _hsm(cluster)
    pem = _customer(cluster, kind) if kind in (4, 8) else _manufacturer(cluster, hsm, kind)
    path = write_output(args["file"], pem.encode("ascii"))
    return Result("getCert", "cert_file", data={
        "server": hsm.server, "hsm": hsm.hsm_id, "cert_type": kind, "certificate": TYPES[kind],
        "file": path, "length": len(pem)})


def _hsm(cluster: EmulatedCluster):
    """The HSM of server mode, else the first one that answers (KMU's session HSM)."""
    if cluster.selected_server is not None:
        return cluster.hsm_by_server(cluster.selected_server)
    hsm = next(iter(cluster.reachable_hsms()), None)
    if hsm is None:
        raise HsmError("no HSM answers", reference="hsm-unavailable")
    return hsm


def _customer(cluster: EmulatedCluster, kind: int) -> str:
    pem = cluster.db.meta("trust_anchor" if kind == 4 else "cluster_certificate")
    if not pem:
        raise HsmError(f"HSM Error: this cluster holds no {TYPES[kind]} certificate",
                       reference="no-such-certificate",
                       hint="initialize the cluster with a CA: hsmshell cluster initialize NAME --self-signed")
    return pem


def _manufacturer(cluster: EmulatedCluster, hsm, kind: int) -> str:
    db = cluster.db
    root_pem, root_key = db.meta("manufacturer_root"), db.meta("manufacturer_root_key")
    if not root_pem:
        root_pem, root_key = _new_root(cluster.clock())
        db.set_meta("manufacturer_root", root_pem)
        db.set_meta("manufacturer_root_key", root_key)
    if kind == 1:
        return root_pem
    hardware, partition = db.meta(f"hardware_cert:{hsm.hsm_id}"), db.meta(f"partition_cert:{hsm.hsm_id}")
    if not hardware:
        hardware, partition = _new_hsm_pair(root_pem, root_key, hsm.hsm_id, cluster.clock())
        db.set_meta(f"hardware_cert:{hsm.hsm_id}", hardware)
        db.set_meta(f"partition_cert:{hsm.hsm_id}", partition)
    return hardware if kind == 2 else partition


# -- making them ------------------------------------------------------------------------------
def _name(common: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hsmshell emulated manufacturer"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(subject: str, public_key, issuer_name, issuer_key, now: float, ca: bool) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    start = dt.datetime.fromtimestamp(now, dt.timezone.utc) - dt.timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=VALID_DAYS))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _new_root(now: float) -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    name = "emulated HSM manufacturer root"
    pem = _issue(name, key.public_key(), _name(name), key, now, ca=True)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    return pem, key_pem


def _new_hsm_pair(root_pem: str, root_key_pem: str, hsm_id: str, now: float) -> tuple[str, str]:
    """This HSM's hardware certificate (a CA under the root) and its partition certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    root = x509.load_pem_x509_certificate(root_pem.encode("ascii"))
    root_key = serialization.load_pem_private_key(root_key_pem.encode("ascii"), password=None)
    hardware_key, partition_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    hardware = _issue(f"{hsm_id} hardware", hardware_key.public_key(), root.subject, root_key, now, ca=True)
    partition = _issue(f"{hsm_id} partition", partition_key.public_key(), _name(f"{hsm_id} hardware"),
                       hardware_key, now, ca=False)
    return hardware, partition


HANDLERS = {"getCert": get_cert}
