"""The emulated HSM's key cryptography: pure functions, bytes in and bytes out.

  material   generate keys; load and describe them          rsa_exponent  RSA with e != 65537
  kcv        key check values                               at_rest       sealing under the KEK
  pem        PEM import/export                              mechanisms    sign / verify
  wrapping   wrapKey / unWrapKey / aesWrapUnwrap            aes_kw, rsa_wrap  their primitives

Formats: secret keys are raw bytes, private keys PKCS#8 DER, public keys SubjectPublicKeyInfo
DER. User mistakes raise InvalidArgument; HSM-side failures raise HsmError.
"""

from hsmshell.backends.emulator.crypto.at_rest import (
    key_record_aad, new_kek, open_sealed, seal,
)
from hsmshell.backends.emulator.crypto.kcv import public_kcv, symmetric_kcv
from hsmshell.backends.emulator.crypto.material import (
    KeyPair, PublicKeyInfo, generate_dsa, generate_ec, generate_ed25519, generate_rsa, generate_symmetric,
    load_private_key,
    public_der_of_private,
)
from hsmshell.backends.emulator.crypto.mechanisms import sign, sign_with, verify
from hsmshell.model.keys import sign_mechanism
from hsmshell.backends.emulator.crypto.pem import (
    ImportedPrivateKey, export_private_pem, export_public_pem, import_private_pem,
    import_public_pem,
)
from hsmshell.backends.emulator.crypto.wrapping import (
    WrapParams, aes_wrap_unwrap, unwrap_key, wrap_key, wrap_mechanism,
)

__all__ = [
    "ImportedPrivateKey", "KeyPair", "PublicKeyInfo", "WrapParams", "aes_wrap_unwrap",
    "export_private_pem", "export_public_pem", "generate_dsa", "generate_ec", "generate_ed25519",
    "generate_rsa",
    "generate_symmetric", "import_private_pem", "import_public_pem", "key_record_aad",
    "load_private_key", "new_kek", "open_sealed", "public_der_of_private", "public_kcv", "seal", "sign", "sign_with",
    "sign_mechanism", "symmetric_kcv", "unwrap_key", "verify", "wrap_key", "wrap_mechanism",
]
