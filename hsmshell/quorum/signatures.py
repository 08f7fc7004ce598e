"""Quorum signatures: RSA-2048, PKCS#1 v1.5, SHA-256 over the whole file.

That is what `openssl dgst -sha256 -sign officer1.key -out sig file` makes, and what
CloudHSM calls SHA256_PKCS. PKCS#1 v1.5 is deterministic, so sign_token gives byte for byte
what openssl gives. Keys arrive as PEM bytes (the caller reads the files); passphrases and
key bytes never appear in an error message.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Mapping

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hsmshell.errors import InvalidApproval, InvalidArgument
from hsmshell.model.quorum import QUORUM_KEY_BITS, REGISTRATION_TOKEN_MAX_BYTES, SIGNATURE_BYTES

if TYPE_CHECKING:
    from hsmshell.quorum.approval import Approval

MAX_PEM_BYTES = 16 * 1024
FINGERPRINT_HEX_CHARS = 16
_PUBOUT_HINT = "make it with: openssl rsa -in KEY -pubout -out KEY.pub"


def sign_token(token_bytes: bytes, private_key_pem: bytes,
               passphrase: bytes | str | None = None) -> bytes:
    """The signature `openssl dgst -sha256 -sign` makes over `token_bytes`."""
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    _check_pem_size(private_key_pem, "private key")
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=passphrase or None)
    except TypeError:       # cryptography's way to say "encrypted" or "not encrypted"
        raise InvalidArgument(
            "the private key is encrypted: give its passphrase" if not passphrase
            else "the private key is not encrypted: give no passphrase") from None
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidArgument("cannot load the private key: wrong passphrase, "
                              "or not a PEM private key") from None
    _require_rsa_2048(key, "private key")
    return key.sign(token_bytes, padding.PKCS1v15(), hashes.SHA256())


def verify_token_signature(token_bytes: bytes, signature: bytes,
                           public_key_pem: bytes) -> bool:
    """True when `signature` is a valid signature of `token_bytes` by the key."""
    key = load_quorum_public_key(public_key_pem)
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        key.verify(signature, token_bytes, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def verify_approvals(token_bytes: bytes, approvals: Iterable[Approval],
                     public_keys: Mapping[str, bytes]) -> tuple[str, ...]:
    """approveToken's check: every approval verifies with its approver's registered key.

    `public_keys` maps user names (any case) to registered PEM keys. Returns the approver
    names; InvalidApproval names the first approver that fails.
    """
    keys = {name.lower(): pem for name, pem in public_keys.items()}
    names = []
    for approval in approvals:
        pem = keys.get(approval.approver_name.lower())
        if pem is None:
            raise InvalidApproval(f"approver {approval.approver_name} has no registered "
                                  "quorum key", hint="register one: registerQuorumPubKey")
        if not verify_token_signature(token_bytes, approval.signature, pem):
            raise InvalidApproval(f"approver {approval.approver_name}: the signature does not "
                                  "verify with their registered key over this token")
        names.append(approval.approver_name)
    return tuple(names)


def check_registration(public_key_pem: bytes, registration_token: bytes,
                       signed_registration_token: bytes) -> bytes:
    """registerQuorumPubKey's checks; returns the key as normalized (SubjectPublicKeyInfo) PEM.

    The signature proves the user holds the private key of the key they register.
    """
    if not registration_token:
        raise InvalidArgument("the registration token is empty",
                              hint="put some random data in it, at most 245 bytes")
    if len(registration_token) > REGISTRATION_TOKEN_MAX_BYTES:
        raise InvalidArgument(
            f"the registration token is {len(registration_token)} bytes; "
            f"at most {REGISTRATION_TOKEN_MAX_BYTES} are allowed")
    key = load_quorum_public_key(public_key_pem)
    if len(signed_registration_token) != SIGNATURE_BYTES:
        raise InvalidApproval(
            f"the signed registration token is {len(signed_registration_token)} bytes; "
            f"an RSA-2048 signature is {SIGNATURE_BYTES}")
    try:
        key.verify(signed_registration_token, registration_token,
                   padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise InvalidApproval(
            "the signed registration token does not verify with this public key",
            hint="sign it with the matching private key: "
                 "openssl dgst -sha256 -sign KEY -out TOKEN.sig TOKEN") from None
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def key_fingerprint(public_key_pem: bytes) -> str:
    """A short id for display: the first 16 hex digits of SHA-256 over the DER public key.

    The same as `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum | cut -c1-16`.
    """
    der = load_quorum_public_key(public_key_pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:FINGERPRINT_HEX_CHARS]


def load_quorum_public_key(public_key_pem: bytes) -> rsa.RSAPublicKey:
    """An RSA-2048 public key from PEM, or InvalidArgument saying what is wrong with it."""
    _check_pem_size(public_key_pem, "public key")
    return _load_public_key(bytes(public_key_pem))


@lru_cache(maxsize=256)     # approvals verify against the same few registered keys
def _load_public_key(public_key_pem: bytes) -> rsa.RSAPublicKey:
    if b"PRIVATE KEY-----" in public_key_pem:
        raise InvalidArgument("that is a private key, not a public key", hint=_PUBOUT_HINT)
    try:
        key = serialization.load_pem_public_key(public_key_pem)
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidArgument("not a PEM public key", hint=_PUBOUT_HINT) from None
    _require_rsa_2048(key, "public key")
    return key


def _require_rsa_2048(key: object, what: str) -> None:
    if not isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        kind = type(key).__name__.removeprefix("_").replace("PublicKey", "").replace(
            "PrivateKey", "")
        raise InvalidArgument(f"the {what} is {kind or 'not RSA'}; quorum keys are RSA-2048")
    if key.key_size != QUORUM_KEY_BITS:
        raise InvalidArgument(
            f"the {what} is RSA-{key.key_size}; quorum keys are RSA-{QUORUM_KEY_BITS}",
            hint="make one with: openssl genrsa -aes256 -out KEY 2048")


def _check_pem_size(pem: bytes, what: str) -> None:
    if not isinstance(pem, (bytes, bytearray)):
        raise InvalidArgument(f"the {what} must be PEM bytes")
    if len(pem) > MAX_PEM_BYTES:
        raise InvalidArgument(f"the {what} file is larger than {MAX_PEM_BYTES // 1024} KiB; "
                              "not a PEM key")
