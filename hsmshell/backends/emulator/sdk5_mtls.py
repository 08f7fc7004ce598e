"""cluster mtls on the emulated cluster (AWS's CloudHSM CLI pages): at most 2 trust
anchors (PEM, at most 6980 bytes; EC P-256/384/521 or RSA 2048/3072/4096 keys) and the
enforcement level, kept as settings of the cluster (meta `mtls_trust_anchors`, `mtls_level`).
The emulator has no client connections to drop; enforcement is a recorded setting. As in
AWS, hsm2m.medium clusters only; register, deregister and set-enforcement are guarded by the
cluster quorum service (firmware.QUORUM_SERVICES: `--approval FILE` once its value is 2+)."""

from __future__ import annotations

import json

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hsmshell.backends.emulator.info import require_hsm2m
from hsmshell.backends.key_files import read_input
from hsmshell.backends.result import Result
from hsmshell.errors import InvalidArgument, LimitExceeded, NoSuchKey, PermissionDenied

MAX_ANCHORS, MAX_CHAIN_BYTES = 2, 6980
EC_CURVES, RSA_BITS = ("secp256r1", "secp384r1", "secp521r1"), (2048, 3072, 4096)


def _anchors(cluster) -> list[dict]:
    return json.loads(cluster.db.meta("mtls_trust_anchors", "[]"))


def _entry(anchor: dict) -> dict:
    return {"certificate-reference": f"0x{anchor['ref']:02x}", "certificate": anchor["pem"],
            "cluster-coverage": "full"}


def register(cluster, args: dict, secrets: dict) -> Result:
    data = read_input(args["path"], "certificate", limit=MAX_CHAIN_BYTES + 1)
    if len(data) > MAX_CHAIN_BYTES:
        raise InvalidArgument(f"a trust anchor chain is at most {MAX_CHAIN_BYTES} bytes")
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise InvalidArgument(f"{args['path']} is not a PEM certificate (DER is refused)") from None
    key = certificates[0].public_key()
    if not ((isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in EC_CURVES)
            or (isinstance(key, rsa.RSAPublicKey) and key.key_size in RSA_BITS)):
        raise InvalidArgument("a trust anchor's key is EC P-256/384/521 or RSA 2048/3072/4096")
    anchors = _anchors(cluster)
    if len(anchors) >= MAX_ANCHORS:
        raise LimitExceeded(f"the cluster has {MAX_ANCHORS} trust anchors already (at most {MAX_ANCHORS})")
    anchor = {"ref": max((a["ref"] for a in anchors), default=0) + 1, "pem": data.decode("ascii").strip()}
    cluster.db.set_meta("mtls_trust_anchors", json.dumps(anchors + [anchor]))
    return Result("cluster mtls register-trust-anchor", "sdk5", data={"ref": anchor["ref"]},
                  wire={"trust_anchor": _entry(anchor)})


def deregister(cluster, args: dict, secrets: dict) -> Result:
    text = args["certificate_reference"]
    try:
        ref = int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise InvalidArgument(f"invalid certificate reference '{text[:20]}'", hint="e.g. 0x01") from None
    anchors = _anchors(cluster)
    if not any(a["ref"] == ref for a in anchors):
        raise NoSuchKey(f"no trust anchor with reference {text}", hint="cluster mtls list-trust-anchors")
    cluster.db.set_meta("mtls_trust_anchors", json.dumps([a for a in anchors if a["ref"] != ref]))
    return Result("cluster mtls deregister-trust-anchor", "sdk5", data={"ref": ref},
                  wire={"message": f"Trust anchor with reference 0x{ref:02x} deregistered successfully"})


def list_anchors(cluster, args: dict, secrets: dict) -> Result:
    return Result("cluster mtls list-trust-anchors", "sdk5", data={},
                  wire={"trust_anchors": [_entry(a) for a in _anchors(cluster)]})


def get_enforcement(cluster, args: dict, secrets: dict) -> Result:
    level = cluster.db.meta("mtls_level", "none")
    return Result("cluster mtls get-enforcement", "sdk5", data={"level": level},
                  wire={"mtls-enforcement-level": level})


def set_enforcement(cluster, args: dict, secrets: dict) -> Result:
    if cluster.principal.name.lower() != "admin":
        raise PermissionDenied("only the default admin (named admin) may set the mTLS enforcement level")
    level = args["level"]
    if level == "cluster" and not _anchors(cluster):
        raise InvalidArgument("register a trust anchor first: enforcing mTLS without one would "
                              "lock every client out")
    cluster.db.set_meta("mtls_level", level)
    return Result("cluster mtls set-enforcement", "sdk5", data={"level": level},
                  wire={"message": f"Mtls enforcement level set to {level.capitalize()} successfully"})


def _hsm2m_only(handler):
    """AWS offers mTLS on hsm2m.medium clusters only."""
    def run(cluster, args: dict, secrets: dict) -> Result:
        require_hsm2m(cluster.db, "mTLS")
        return handler(cluster, args, secrets)
    return run


HANDLERS = {f"cluster mtls {verb}": _hsm2m_only(handler) for verb, handler in (
    ("register-trust-anchor", register), ("deregister-trust-anchor", deregister),
    ("list-trust-anchors", list_anchors), ("get-enforcement", get_enforcement),
    ("set-enforcement", set_enforcement))}
