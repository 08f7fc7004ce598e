"""Choosing PKCS#11 mechanisms for KMU's sign/verify mechanism ids, from what the token offers.

The token's list is read at login (TokenLink.probe). Where it has the combined mechanism
(CKM_SHA256_RSA_PKCS, CKM_ECDSA_SHA256, ...) the token hashes; where it lacks it (SoftHSM has
no CKM_ECDSA_SHA*), the host hashes and the token signs with the raw mechanism (CKM_RSA_PKCS
over a DigestInfo, CKM_RSA_PKCS_PSS, CKM_ECDSA). Either way the signature file is what
openssl makes and checks: RSA as the modulus-sized integer, ECDSA as DER SEQUENCE {r, s}.
PSS uses MGF1 with the same hash and a salt as long as the hash (the PKCS#11 convention).
"""

from __future__ import annotations

import hashlib

from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.model.keys import DIGEST_INFO, SIGN_MECHANISMS, SignMechanism
from hsmshell.record import record

HASH_MECHANISM = {"sha1": "SHA_1", "sha224": "SHA224", "sha256": "SHA256", "sha384": "SHA384",
                  "sha512": "SHA512"}
MGF_NAME = {"sha1": "SHA1", "sha224": "SHA224", "sha256": "SHA256", "sha384": "SHA384",
            "sha512": "SHA512"}


@record(frozen=True)
class Plan:
    kmu: SignMechanism
    mechanism: object             # pkcs11.Mechanism the token runs
    param: object                 # its parameter (PSS), or None
    host_hash: bool               # the host hashes the data first

    @property
    def described(self) -> str:
        name = self.mechanism.name
        return f"{name} over a host {self.kmu.hash_name.upper()} digest" if self.host_hash else name

    def token_input(self, data: bytes) -> bytes:
        if not self.host_hash:
            return data
        digest = hashlib.new(self.kmu.hash_name, data).digest()
        if self.kmu.padding == "pkcs1v15":
            return DIGEST_INFO[self.kmu.hash_name] + digest
        return digest


def plan(mechanism_id: int, offered: set) -> Plan:
    from pkcs11 import MGF, Mechanism

    kmu = SIGN_MECHANISMS.get(mechanism_id)
    if kmu is None:
        raise InvalidArgument(f"unknown signature mechanism {mechanism_id}",
                              hint="-m is 0-9 (RSA) or 15-19 (ECDSA); see 'sign -h'")
    combined = getattr(Mechanism, kmu.name, None)
    raw = {"pkcs1v15": Mechanism.RSA_PKCS, "pss": Mechanism.RSA_PKCS_PSS, "ecdsa": Mechanism.ECDSA}[kmu.padding]
    param = None
    if kmu.padding == "pss":
        digest = hashlib.new(kmu.hash_name).digest_size
        param = (getattr(Mechanism, HASH_MECHANISM[kmu.hash_name]), getattr(MGF, MGF_NAME[kmu.hash_name]), digest)
    if combined is not None and combined in offered:
        return Plan(kmu, combined, param, host_hash=False)
    if raw in offered:
        return Plan(kmu, raw, param, host_hash=True)
    raise HsmError(f"the token offers neither {kmu.name} nor {raw.name}",
                   reference="mechanism-not-supported",
                   hint="pkcs11-tool --module <module> --list-mechanisms shows what it offers")


def to_openssl(plan_: Plan, signature: bytes) -> bytes:
    """PKCS#11 ECDSA signatures are r || s; openssl's are DER."""
    if plan_.kmu.padding != "ecdsa":
        return signature
    from hsmshell.model.key_formats import ecdsa_der
    return ecdsa_der(signature)


def from_openssl(plan_: Plan, signature: bytes, field_bytes: int) -> bytes:
    if plan_.kmu.padding != "ecdsa":
        return signature
    from hsmshell.model.key_formats import ecdsa_raw
    return ecdsa_raw(signature, field_bytes) or b""       # not DER, or too long: cannot match
