"""wrapKey / unWrapKey by mechanism id (model.keys.WrapMechanism).

The payload is raw key bytes for a secret key and PKCS#8 DER for a private key. The wrapping
key is raw AES bytes for the AES mechanisms, and for the RSA ones the public key
(SubjectPublicKeyInfo DER) to wrap and the private key (PKCS#8 DER) to unwrap.

GCM output layout (AWS's documentation does not give one): AES_GCM (-m 10) takes the caller's IV
(-i / -iv_file) and returns ciphertext || tag; CLOUDHSM_AES_GCM (-m 11) picks a random
12-byte IV itself and returns IV || ciphertext || tag.

Bad choices by the user (unknown mechanism, wrong kind of wrapping key, payload too long for
the mechanism) are InvalidArgument; data that does not unwrap is HsmError.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap

from hsmshell.backends.emulator.crypto import aes_kw
from hsmshell.backends.emulator.crypto.rsa_wrap import rsa_unwrap, rsa_wrap
from hsmshell.errors import HsmError, InvalidArgument
from hsmshell.model.keys import (
    AES_WRAP_DEFAULT_IV, AES_WRAP_UNWRAP_FILE_LIMIT, DEFAULT_WRAP_HASH, RSA_WRAP_MECHANISMS,
    AesWrapMode, WrapHash, WrapMechanism,
)
from hsmshell.record import record

AES_KEY_SIZES = (16, 24, 32)
GCM_TAG_SIZES = (4, 8, 12, 13, 14, 15, 16)  # bytes; NIST SP 800-38D section 5.2.1.2
GCM_IV_SIZES = range(8, 129)                # bytes; what OpenSSL's GCM accepts
CLOUDHSM_GCM_IV_BYTES = 12


@record(frozen=True)
class WrapParams:
    """The optional wrapKey / unWrapKey flags; each mechanism reads the ones it needs."""
    hash_id: int = DEFAULT_WRAP_HASH  # -t: RSA_AES, RSA_OAEP
    iv: bytes | None = None           # -i / -iv_file: AES_GCM
    aad: bytes = b""                  # -aad: the GCM mechanisms
    tag_size: int = 16                # -tag_size, in bytes: the GCM mechanisms


def wrap_mechanism(mechanism_id: int) -> WrapMechanism:
    try:
        return WrapMechanism(mechanism_id)
    except ValueError:
        raise InvalidArgument(f"unknown wrapping mechanism {mechanism_id}",
                              hint="-m is one of 4, 5, 6, 7, 8, 10, 11, 12") from None


def wrap_key(mechanism_id: int, wrapping_key: bytes, payload: bytes,
             params: WrapParams = WrapParams()) -> bytes:
    mechanism = wrap_mechanism(mechanism_id)
    if mechanism in RSA_WRAP_MECHANISMS:
        return rsa_wrap(mechanism, wrapping_key, payload, _wrap_hash(params.hash_id))
    wrap, _ = _AES_MECHANISMS[mechanism]
    return wrap(_aes_key(mechanism, wrapping_key), payload, params)


def unwrap_key(mechanism_id: int, unwrapping_key: bytes, wrapped: bytes,
               params: WrapParams = WrapParams()) -> bytes:
    mechanism = wrap_mechanism(mechanism_id)
    try:
        if mechanism in RSA_WRAP_MECHANISMS:
            return rsa_unwrap(mechanism, unwrapping_key, wrapped, _wrap_hash(params.hash_id))
        _, unwrap = _AES_MECHANISMS[mechanism]
        return unwrap(_aes_key(mechanism, unwrapping_key), wrapped, params)
    except (InvalidUnwrap, InvalidTag, ValueError):
        raise unwrap_failed(mechanism.name) from None


def aes_wrap_unwrap(mode: int, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    """aesWrapUnwrap -m 1 (wrap) / 0 (unwrap): RFC 3394 over a file smaller than 4 KB.

    The IV defaults to A6A6A6A6A6A6A6A6; the caller prints KMU's warning when it is missing.
    """
    if len(data) >= AES_WRAP_UNWRAP_FILE_LIMIT:
        raise InvalidArgument(f"aesWrapUnwrap takes files smaller than "
                              f"{AES_WRAP_UNWRAP_FILE_LIMIT} bytes (got {len(data)})")
    key = _aes_key(WrapMechanism.NIST_AES_WRAP_NO_PAD, key)
    iv = AES_WRAP_DEFAULT_IV if iv is None else iv
    if mode == AesWrapMode.WRAP:
        return aes_kw.rfc3394_wrap(key, data, iv)
    if mode == AesWrapMode.UNWRAP:
        try:
            return aes_kw.rfc3394_unwrap(key, data, iv)
        except InvalidUnwrap:
            raise unwrap_failed("AES key wrap (RFC 3394)") from None
    raise InvalidArgument(f"invalid aesWrapUnwrap mode {mode}",
                          hint="-m is 1 (wrap) or 0 (unwrap)")


def unwrap_failed(mechanism_name: str) -> HsmError:
    return HsmError(f"unwrap with {mechanism_name} failed: the data was not wrapped with this "
                    "key, mechanism and parameters, or it was altered")


# -- GCM ----------------------------------------------------------------------------------------
def _gcm_seal(key: bytes, iv: bytes, payload: bytes, params: WrapParams) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(params.aad)
    ciphertext = encryptor.update(payload) + encryptor.finalize()
    return ciphertext + encryptor.tag[:params.tag_size]


def _gcm_open(key: bytes, iv: bytes, wrapped: bytes, params: WrapParams) -> bytes:
    if len(wrapped) < params.tag_size:
        raise InvalidTag()
    ciphertext, tag = wrapped[:-params.tag_size], wrapped[-params.tag_size:]
    decryptor = Cipher(algorithms.AES(key),
                       modes.GCM(iv, tag, min_tag_length=params.tag_size)).decryptor()
    decryptor.authenticate_additional_data(params.aad)
    return decryptor.update(ciphertext) + decryptor.finalize()


def _aes_gcm_wrap(key: bytes, payload: bytes, params: WrapParams) -> bytes:
    return _gcm_seal(key, _caller_iv(params), payload, _checked_gcm(params))


def _aes_gcm_unwrap(key: bytes, wrapped: bytes, params: WrapParams) -> bytes:
    return _gcm_open(key, _caller_iv(params), wrapped, _checked_gcm(params))


def _cloudhsm_gcm_wrap(key: bytes, payload: bytes, params: WrapParams) -> bytes:
    iv = os.urandom(CLOUDHSM_GCM_IV_BYTES)
    return iv + _gcm_seal(key, iv, payload, _checked_gcm(params))


def _cloudhsm_gcm_unwrap(key: bytes, wrapped: bytes, params: WrapParams) -> bytes:
    iv, rest = wrapped[:CLOUDHSM_GCM_IV_BYTES], wrapped[CLOUDHSM_GCM_IV_BYTES:]
    return _gcm_open(key, iv, rest, _checked_gcm(params))


def _caller_iv(params: WrapParams) -> bytes:
    if params.iv is None:
        raise InvalidArgument("AES_GCM needs an IV", hint="give it with -i or -iv_file")
    if len(params.iv) not in GCM_IV_SIZES:
        raise InvalidArgument(f"the AES-GCM IV must be 8 to 128 bytes (got {len(params.iv)})")
    return params.iv


def _checked_gcm(params: WrapParams) -> WrapParams:
    if params.tag_size not in GCM_TAG_SIZES:
        raise InvalidArgument(f"invalid GCM tag size {params.tag_size}",
                              hint="-tag_size is one of " + ", ".join(map(str, GCM_TAG_SIZES)))
    return params


# -- dispatch -----------------------------------------------------------------------------------
_Wrap = Callable[[bytes, bytes, WrapParams], bytes]


def _ignoring_params(fn: Callable[[bytes, bytes], bytes]) -> _Wrap:
    return lambda key, data, _params: fn(key, data)


_AES_MECHANISMS: dict[WrapMechanism, tuple[_Wrap, _Wrap]] = {
    WrapMechanism.AES_KEY_WRAP_PAD_PKCS5: (_ignoring_params(aes_kw.wrap_pkcs5),
                                           _ignoring_params(aes_kw.unwrap_pkcs5)),
    WrapMechanism.NIST_AES_WRAP_NO_PAD: (_ignoring_params(aes_kw.wrap_no_pad),
                                         _ignoring_params(aes_kw.unwrap_no_pad)),
    WrapMechanism.NIST_AES_WRAP_PAD: (_ignoring_params(aes_kw.wrap_pad),
                                      _ignoring_params(aes_kw.unwrap_pad)),
    WrapMechanism.AES_GCM: (_aes_gcm_wrap, _aes_gcm_unwrap),
    WrapMechanism.CLOUDHSM_AES_GCM: (_cloudhsm_gcm_wrap, _cloudhsm_gcm_unwrap),
}


def _aes_key(mechanism: WrapMechanism, key: bytes) -> bytes:
    if len(key) not in AES_KEY_SIZES:
        raise InvalidArgument(f"{mechanism.name} needs an AES wrapping key")
    return key


def _wrap_hash(hash_id: int) -> WrapHash:
    try:
        return WrapHash(hash_id)
    except ValueError:
        raise InvalidArgument(f"unknown wrapping hash {hash_id}",
                              hint="-t is 2 (SHA1), 3 (SHA256), 4 (SHA384), 5 (SHA512) "
                                   "or 6 (SHA224)") from None
