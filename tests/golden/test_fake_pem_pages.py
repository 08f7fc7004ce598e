"""key_mgmt_util's fake PEM key handle files (OpenSSL's CloudHSM engine, SSL/TLS offload):
getCaviumPrivKey writes one, IsValidKeyHandlefile tells it from a real private key. The
page's URL is https://docs.aws.amazon.com/cloudhsm/latest/userguide/<page>.html."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from aws_pages import Values, kmu_handles, run_tool
from hsmshell.backends.emulator.crypto.reference_pem import reference_of
from test_kmu_pages import check, login, page


def test_get_cavium_priv_key(monkeypatch, crypto_users, workdir):
    """key_mgmt_util-getCaviumPrivKey: the fake PEM of private key 15 (two HSMs)."""
    home = crypto_users(2, 1)
    public, private = kmu_handles(monkeypatch, home, [login("user3"), "genRSAKeyPair -m 2048 -e 65537 -l web"])
    check(monkeypatch, home, page("key_mgmt_util-getCaviumPrivKey", 2), [login("user3")], Values(_15=private))
    fake = (workdir / "cavKey.pem").read_bytes()
    assert reference_of(fake) == private                           # the handle, not the key
    run_tool(monkeypatch, home, "kmu", [login("user3"), f"exportPubKey -k {public} -out web.pub"])
    real_public = serialization.load_pem_public_key((workdir / "web.pub").read_bytes())
    fake_key = serialization.load_pem_private_key(fake, None, unsafe_skip_rsa_key_validation=True)
    assert fake_key.public_key().public_numbers() == real_public.public_numbers()   # openssl reads it


def test_is_valid_key_handle_file(monkeypatch, crypto_users, workdir):
    """key_mgmt_util-IsValidKeyHandlefile: a real private key, then the fake PEM of key 15."""
    home = crypto_users(2, 1)
    private = kmu_handles(monkeypatch, home, [login("user3"), "genRSAKeyPair -m 2048 -e 65537 -l web"])[1]
    real = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (workdir / "privateKey.pem").write_bytes(real.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    check(monkeypatch, home, page("key_mgmt_util-IsValidKeyHandlefile", 2), [login("user3")])
    run_tool(monkeypatch, home, "kmu", [login("user3"), f"getCaviumPrivKey -k {private} -out caviumKey.pem"])
    check(monkeypatch, home, page("key_mgmt_util-IsValidKeyHandlefile", 3), [login("user3")], Values(_15=private))
