"""PEM files the pkcs11 backend reads and writes, through `cryptography` (the token holds the
keys; only what enters or leaves it passes here). Messages never quote the input."""

from __future__ import annotations

from hsmshell.errors import InvalidArgument


def _checked(key, what: str):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    if not isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey, ec.EllipticCurvePublicKey,
                            ec.EllipticCurvePrivateKey)):
        raise InvalidArgument(f"the {what} is neither RSA nor EC", hint="a token here holds RSA and EC keys")
    return key


def public_key(pem: bytes):
    from cryptography.hazmat.primitives import serialization
    try:
        return _checked(serialization.load_pem_public_key(pem), "public key")
    except (ValueError, TypeError):
        raise InvalidArgument("the file does not hold a PEM public key",
                              hint="expected '-----BEGIN PUBLIC KEY-----'") from None


def private_key(pem: bytes, passphrase: str | None):
    """PKCS#8 (plain or encrypted) or traditional PEM; a passphrase given for a plain key is moot."""
    from cryptography.hazmat.primitives import serialization
    for password in ((passphrase.encode(), None) if passphrase else (None,)):
        try:
            return _checked(serialization.load_pem_private_key(pem, password), "private key")
        except TypeError:          # encrypted without a passphrase, or a passphrase for a plain key
            if not passphrase:
                raise InvalidArgument("the private key is encrypted", hint="give its passphrase: -pass") from None
        except ValueError:
            break
    raise InvalidArgument("cannot read the private key: not a PEM private key, or a wrong passphrase")


def private_pem(der: bytes, passphrase: str | None) -> bytes:
    """PKCS#8 PEM of an unwrapped private key, encrypted when a passphrase is given."""
    from cryptography.hazmat.primitives import serialization
    try:
        key = serialization.load_der_private_key(der, None)
    except (ValueError, TypeError):
        raise InvalidArgument("the token's wrapped key did not unwrap to a private key") from None
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
