"""The emulator's key cryptography, checked against known answers and the openssl CLI."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hsmshell.backends.emulator import crypto
from hsmshell.backends.emulator.crypto import aes_kw
from hsmshell.errors import HsmError, HsmshellError, InvalidArgument
from hsmshell.model.keys import (
    AES_WRAP_DEFAULT_IV, ATTRIBUTE_IDS, ATTRIBUTE_NAMES, CMU_SETTABLE_ATTRIBUTES, EC_CURVES,
    SIGN_MECHANISMS, Attr, KeyType, WrapMechanism,
)

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
needs_openssl = pytest.mark.skipif(not Path(OPENSSL).exists(),
                                   reason="the openssl command line tool is not installed")
PASSPHRASE = b"correct horse battery staple"
DATA = b"the quick brown fox jumps over the lazy dog\n" * 10
RSA_MECHANISMS = [m for m in SIGN_MECHANISMS.values() if m.key_type is KeyType.RSA]
EC_MECHANISMS = [m for m in SIGN_MECHANISMS.values() if m.key_type is KeyType.EC]


def openssl(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *map(str, args)], capture_output=True, check=False)


def openssl_verifies(pub_pem: Path, data: Path, signature: Path, mechanism) -> bool:
    pss = ["-sigopt", "rsa_padding_mode:pss"] if mechanism.padding == "pss" else []
    result = openssl("dgst", f"-{mechanism.hash_name}", *pss, "-verify", pub_pem,
                     "-signature", signature, data)
    return result.returncode == 0 and b"Verified OK" in result.stdout


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.fixture(scope="module")
def rsa_pair() -> crypto.KeyPair:
    return crypto.generate_rsa(2048)


@pytest.fixture(scope="module")
def ec_pair() -> crypto.KeyPair:
    return crypto.generate_ec(2)


@pytest.fixture(scope="module")
def aes_key() -> bytes:
    return crypto.generate_symmetric(KeyType.AES, 32)


# -- model ---------------------------------------------------------------------------------------
def test_attribute_table_is_two_way_and_complete():
    assert ATTRIBUTE_NAMES[512] == "OBJ_ATTR_ALL" and ATTRIBUTE_IDS["OBJ_ATTR_KCV"] == 371
    assert Attr.WRAP_TEMPLATE.constant == "OBJ_ATTR_WRAP_TEMPLATE"
    assert {a.value for a in CMU_SETTABLE_ATTRIBUTES} == {
        3, 134, 260, 261, 262, 263, 264, 266, 268, 370, 528, 1073742353, 1073742354}
    assert sorted(SIGN_MECHANISMS) == [*range(10), *range(15, 20)]


# -- generation ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("key_type", "size"), [(31, 16), (31, 24), (31, 32), (21, 24),
                                                (16, 1), (16, 512), (16, 3583)])
def test_generate_symmetric_sizes(key_type, size):
    assert len(crypto.generate_symmetric(key_type, size)) == size


@pytest.mark.parametrize(("key_type", "size"), [(31, 20), (21, 16), (16, 3584), (16, 0),
                                                (18, 16), (0, 256), (99, 16)])
def test_generate_symmetric_rejects_bad_type_or_size(key_type, size):
    with pytest.raises(InvalidArgument):
        crypto.generate_symmetric(key_type, size)


def test_des3_keys_have_odd_parity():
    for _ in range(20):
        key = crypto.generate_symmetric(KeyType.DES3, 24)
        assert all(bin(b).count("1") % 2 == 1 for b in key)


@pytest.mark.parametrize(("bits", "exponent"), [(1024, 65537), (2047, 65537), (2048, 3),
                                                (2048, 65536), (2048, 65535)])
def test_generate_rsa_rejects_bad_parameters(bits, exponent):
    with pytest.raises(InvalidArgument):
        crypto.generate_rsa(bits, exponent)


def test_generate_rsa_with_a_larger_odd_exponent():
    pair = crypto.generate_rsa(2048, 65539)
    info = crypto.import_public_pem(crypto.export_public_pem(pair.public_der))
    assert (info.modulus_bits, info.public_exponent) == (2048, 65539)
    assert crypto.verify(pair.public_der, 1, DATA, crypto.sign(pair.private_der, 1, DATA))


@pytest.mark.parametrize("curve_id", sorted(EC_CURVES))
def test_generate_ec_every_listed_curve(curve_id):
    pair = crypto.generate_ec(curve_id)
    info = crypto.import_public_pem(crypto.export_public_pem(pair.public_der))
    assert info.kind == "ec" and info.curve_id == curve_id
    point = serialization.load_der_public_key(pair.public_der).public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert info.ec_point[0] == 0x04 and info.ec_point.endswith(point)  # DER OCTET STRING


@pytest.mark.parametrize("curve_id", [0, 3, 12, 17])
def test_generate_ec_rejects_unknown_curves(curve_id):
    with pytest.raises(InvalidArgument):
        crypto.generate_ec(curve_id)


def test_public_key_attributes(rsa_pair, ec_pair):
    rsa_info = crypto.import_public_pem(crypto.export_public_pem(rsa_pair.public_der))
    assert rsa_info.key_type is KeyType.RSA and len(rsa_info.modulus) == 256
    assert rsa_info.spki_der == rsa_pair.public_der
    ec_info = crypto.import_public_pem(crypto.export_public_pem(ec_pair.public_der))
    assert ec_info.ec_point[:3] == b"\x04\x41\x04"  # OCTET STRING(65) of an uncompressed point
    assert crypto.public_der_of_private(ec_pair.private_der) == ec_pair.public_der


# -- KCV -----------------------------------------------------------------------------------------
def test_kcv_known_answer_and_kinds(rsa_pair):
    # AES-128 of a zero block under the zero key is 66e94bd4... (FIPS-197 test data).
    assert crypto.symmetric_kcv(KeyType.AES, bytes(16)) == bytes.fromhex("66e94b")
    assert crypto.symmetric_kcv(KeyType.GENERIC_SECRET, b"x" * 32) is None
    assert len(crypto.public_kcv(rsa_pair.public_der)) == 3


@needs_openssl
@pytest.mark.parametrize(("key_type", "size", "cipher", "block"),
                         [(31, 32, "aes-256-ecb", 16), (31, 16, "aes-128-ecb", 16),
                          (21, 24, "des-ede3", 8)])
def test_kcv_matches_openssl(tmp_path, key_type, size, cipher, block):
    key = crypto.generate_symmetric(key_type, size)
    result = openssl("enc", f"-{cipher}", "-nopad", "-K", key.hex(), "-in",
                     write(tmp_path / "zero", bytes(block)))
    assert result.returncode == 0, result.stderr
    assert crypto.symmetric_kcv(key_type, key) == result.stdout[:3]


# -- sign / verify with openssl ------------------------------------------------------------------
@needs_openssl
@pytest.mark.parametrize("mechanism", RSA_MECHANISMS + EC_MECHANISMS, ids=lambda m: m.name)
def test_signatures_verify_with_openssl(tmp_path, rsa_pair, ec_pair, mechanism):
    pair = rsa_pair if mechanism.key_type is KeyType.RSA else ec_pair
    signature = crypto.sign(pair.private_der, mechanism.mechanism_id, DATA)
    pub = write(tmp_path / "pub.pem", crypto.export_public_pem(pair.public_der))
    data = write(tmp_path / "data", DATA)
    assert openssl_verifies(pub, data, write(tmp_path / "sig", signature), mechanism)
    assert not openssl_verifies(pub, write(tmp_path / "other", DATA + b"!"),
                                tmp_path / "sig", mechanism)


@needs_openssl
@pytest.mark.parametrize("curve_id", [14, 16])
def test_ecdsa_on_other_curves_verifies_with_openssl(tmp_path, curve_id):
    pair = crypto.generate_ec(curve_id)
    signature = crypto.sign(pair.private_der, 17, DATA)
    pub = write(tmp_path / "pub.pem", crypto.export_public_pem(pair.public_der))
    assert openssl_verifies(pub, write(tmp_path / "data", DATA), write(tmp_path / "sig", signature),
                            SIGN_MECHANISMS[17])


@needs_openssl
@pytest.mark.parametrize("mechanism_id", [1, 6, 17])
def test_openssl_signatures_verify_here(tmp_path, rsa_pair, ec_pair, mechanism_id):
    mechanism = SIGN_MECHANISMS[mechanism_id]
    pair = rsa_pair if mechanism.key_type is KeyType.RSA else ec_pair
    key = write(tmp_path / "key.pem", crypto.export_private_pem(pair.private_der))
    pss = ["-sigopt", "rsa_padding_mode:pss"] if mechanism.padding == "pss" else []
    result = openssl("dgst", f"-{mechanism.hash_name}", *pss, "-sign", key,
                     write(tmp_path / "data", DATA))
    assert result.returncode == 0, result.stderr
    assert crypto.verify(pair.public_der, mechanism_id, DATA, result.stdout)
    assert not crypto.verify(pair.public_der, mechanism_id, DATA + b"!", result.stdout)


@needs_openssl
@pytest.mark.parametrize(("genpkey_args", "mechanism_id", "traditional"), [
    (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], 1, False),
    (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], 7, True),
    (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], 17, False),
    (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], 19, True),
], ids=["rsa-pkcs8", "rsa-traditional", "ec-pkcs8", "ec-traditional"])
def test_openssl_encrypted_key_imports_and_signs(tmp_path, genpkey_args, mechanism_id,
                                                 traditional):
    password = f"pass:{PASSPHRASE.decode()}"
    key, pub = tmp_path / "key.pem", tmp_path / "pub.pem"
    made = openssl("genpkey", *genpkey_args, "-aes256", "-pass", password, "-out", key)
    assert made.returncode == 0, made.stderr
    if traditional:  # "-----BEGIN RSA/EC PRIVATE KEY-----" with Proc-Type: ENCRYPTED
        pkcs8, key = key, tmp_path / "traditional.pem"
        converted = openssl("pkey", "-in", pkcs8, "-passin", password, "-traditional", "-aes256",
                            "-passout", password, "-out", key)
        assert converted.returncode == 0, converted.stderr
        assert b"Proc-Type: 4,ENCRYPTED" in key.read_bytes()
    assert openssl("pkey", "-in", key, "-passin", password, "-pubout", "-out", pub).returncode == 0

    imported = crypto.import_private_pem(key.read_bytes(), PASSPHRASE)
    assert imported.kind == ("rsa" if "RSA" in genpkey_args else "ec")
    assert imported.public.spki_der == crypto.import_public_pem(pub.read_bytes()).spki_der
    signature = crypto.sign(imported.private_der, mechanism_id, DATA)
    assert openssl_verifies(pub, write(tmp_path / "data", DATA), write(tmp_path / "sig", signature),
                            SIGN_MECHANISMS[mechanism_id])


@needs_openssl
def test_exported_encrypted_private_pem_opens_with_openssl(tmp_path, rsa_pair):
    pem = write(tmp_path / "key.pem", crypto.export_private_pem(rsa_pair.private_der, PASSPHRASE))
    assert b"ENCRYPTED PRIVATE KEY" in pem.read_bytes()
    result = openssl("pkey", "-in", pem, "-passin", f"pass:{PASSPHRASE.decode()}", "-pubout")
    assert result.returncode == 0, result.stderr
    assert result.stdout == crypto.export_public_pem(rsa_pair.public_der)
    wrong = openssl("pkey", "-in", pem, "-passin", "pass:wrong", "-pubout")
    assert wrong.returncode != 0


@pytest.fixture(scope="module")
def dsa_pair() -> crypto.KeyPair:
    return crypto.generate_dsa(2048)


@needs_openssl
@pytest.mark.parametrize("mechanism", EC_MECHANISMS, ids=lambda m: m.name.replace("ECDSA", "DSA"))
def test_dsa_signatures_take_the_dss_ids_and_verify_with_openssl(tmp_path, dsa_pair, mechanism):
    """genDSAKeyPair's keys sign (AWS's sign page lists no DSA id: the DSS ids 15-19 serve)."""
    signature = crypto.sign(dsa_pair.private_der, mechanism.mechanism_id, DATA)
    assert crypto.verify(dsa_pair.public_der, mechanism.mechanism_id, DATA, signature)
    assert not crypto.verify(dsa_pair.public_der, mechanism.mechanism_id, DATA + b"!", signature)
    pub = write(tmp_path / "pub.pem", crypto.export_public_pem(dsa_pair.public_der))
    assert openssl_verifies(pub, write(tmp_path / "data", DATA), write(tmp_path / "sig", signature), mechanism)
    key = write(tmp_path / "key.pem", crypto.export_private_pem(dsa_pair.private_der))
    made = openssl("dgst", f"-{mechanism.hash_name}", "-sign", key, tmp_path / "data")
    assert made.returncode == 0, made.stderr
    assert crypto.verify(dsa_pair.public_der, mechanism.mechanism_id, DATA, made.stdout)


def test_dsa_keys_refuse_the_rsa_ids(dsa_pair):
    with pytest.raises(InvalidArgument, match="cannot be used with a DSA key"):
        crypto.sign(dsa_pair.private_der, 1, DATA)
    with pytest.raises(InvalidArgument, match="cannot be used with a DSA key"):
        crypto.verify(dsa_pair.public_der, 6, DATA, b"\x00" * 64)


# -- sign / verify errors ------------------------------------------------------------------------
@pytest.mark.parametrize(("pair_name", "mechanism_id"), [("rsa_pair", 17), ("ec_pair", 1),
                                                         ("ec_pair", 6)])
def test_mechanism_must_match_key_kind(request, pair_name, mechanism_id):
    pair = request.getfixturevalue(pair_name)
    with pytest.raises(InvalidArgument, match="cannot be used"):
        crypto.sign(pair.private_der, mechanism_id, DATA)
    with pytest.raises(InvalidArgument, match="cannot be used"):
        crypto.verify(pair.public_der, mechanism_id, DATA, b"\x00" * 64)


@pytest.mark.parametrize("mechanism_id", [10, 14, 20, -1])
def test_unknown_signature_mechanism(rsa_pair, mechanism_id):
    with pytest.raises(InvalidArgument, match="unknown signature mechanism"):
        crypto.sign(rsa_pair.private_der, mechanism_id, DATA)


def test_verify_returns_false_for_garbage_signatures(rsa_pair, ec_pair):
    assert not crypto.verify(rsa_pair.public_der, 1, DATA, b"\x01" * 256)
    assert not crypto.verify(rsa_pair.public_der, 6, DATA, b"")
    assert not crypto.verify(ec_pair.public_der, 17, DATA, b"\x30\x03junk")


# -- wrapping ------------------------------------------------------------------------------------
GCM_PARAMS = crypto.WrapParams(iv=bytes(range(12)), aad=b"header", tag_size=16)
AES_CASES = [(WrapMechanism.AES_KEY_WRAP_PAD_PKCS5, crypto.WrapParams()),
             (WrapMechanism.NIST_AES_WRAP_NO_PAD, crypto.WrapParams()),
             (WrapMechanism.NIST_AES_WRAP_PAD, crypto.WrapParams()),
             (WrapMechanism.AES_GCM, GCM_PARAMS),
             (WrapMechanism.CLOUDHSM_AES_GCM, crypto.WrapParams(aad=b"a", tag_size=12))]


@pytest.mark.parametrize(("mechanism", "params"), AES_CASES, ids=lambda c: getattr(c, "name", ""))
@pytest.mark.parametrize("payload_name", ["aes24", "des3", "ec_private"])
def test_aes_wrap_round_trip_and_tamper(aes_key, ec_pair, mechanism, params, payload_name):
    payload = {"aes24": crypto.generate_symmetric(31, 24),
               "des3": crypto.generate_symmetric(21, 24),
               "ec_private": ec_pair.private_der}[payload_name]
    if mechanism is WrapMechanism.NIST_AES_WRAP_NO_PAD and len(payload) % 8:
        with pytest.raises(InvalidArgument):
            crypto.wrap_key(mechanism, aes_key, payload, params)
        return
    wrapped = crypto.wrap_key(mechanism, aes_key, payload, params)
    assert crypto.unwrap_key(mechanism, aes_key, wrapped, params) == payload
    tampered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    with pytest.raises(HsmError, match="unwrap"):
        crypto.unwrap_key(mechanism, aes_key, tampered, params)
    with pytest.raises(HsmError, match="unwrap"):
        crypto.unwrap_key(mechanism, crypto.generate_symmetric(31, 32), wrapped, params)


@pytest.mark.parametrize("mechanism", [WrapMechanism.RSA_OAEP, WrapMechanism.RSA_PKCS,
                                       WrapMechanism.RSA_AES])
def test_rsa_wrap_round_trip_and_tamper(rsa_pair, aes_key, mechanism):
    params = crypto.WrapParams(hash_id=3)
    wrapped = crypto.wrap_key(mechanism, rsa_pair.public_der, aes_key, params)
    assert crypto.unwrap_key(mechanism, rsa_pair.private_der, wrapped, params) == aes_key
    tampered = bytes([wrapped[0] ^ 1]) + wrapped[1:]
    if mechanism is WrapMechanism.RSA_PKCS:
        # PKCS#1 v1.5 decryption uses implicit rejection (the Marvin-attack defence): a bad
        # ciphertext yields unrelated bytes rather than an error, so only the result differs.
        try:
            assert crypto.unwrap_key(mechanism, rsa_pair.private_der, tampered, params) != aes_key
        except HsmError:
            pass
        return
    with pytest.raises(HsmError, match="unwrap"):
        crypto.unwrap_key(mechanism, rsa_pair.private_der, tampered, params)


def test_rsa_aes_wraps_a_private_key_too_big_for_oaep(rsa_pair):
    big = rsa_pair.private_der
    with pytest.raises(InvalidArgument, match="at most"):
        crypto.wrap_key(WrapMechanism.RSA_OAEP, rsa_pair.public_der, big)
    wrapped = crypto.wrap_key(WrapMechanism.RSA_AES, rsa_pair.public_der, big)
    assert crypto.unwrap_key(WrapMechanism.RSA_AES, rsa_pair.private_der, wrapped) == big


def test_wrap_rejects_wrong_key_kind_and_unknown_ids(aes_key, rsa_pair, ec_pair):
    with pytest.raises(InvalidArgument, match="AES wrapping key"):
        crypto.wrap_key(WrapMechanism.NIST_AES_WRAP_PAD, rsa_pair.public_der, aes_key)
    with pytest.raises(InvalidArgument, match="RSA public key"):
        crypto.wrap_key(WrapMechanism.RSA_OAEP, aes_key, aes_key)
    with pytest.raises(InvalidArgument, match="RSA public key"):
        crypto.wrap_key(WrapMechanism.RSA_OAEP, ec_pair.public_der, aes_key)
    with pytest.raises(InvalidArgument, match="unknown wrapping mechanism"):
        crypto.wrap_key(9, aes_key, aes_key)
    with pytest.raises(InvalidArgument, match="needs an IV"):
        crypto.wrap_key(WrapMechanism.AES_GCM, aes_key, aes_key)
    with pytest.raises(InvalidArgument, match="wrapping hash"):
        crypto.wrap_key(WrapMechanism.RSA_OAEP, rsa_pair.public_der, aes_key,
                        crypto.WrapParams(hash_id=1))


def test_rfc3394_and_rfc5649_known_answers(monkeypatch):
    kek = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
    key = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    expected = bytes.fromhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")  # RFC 3394 4.1
    assert crypto.wrap_key(WrapMechanism.NIST_AES_WRAP_NO_PAD, kek, key) == expected
    # Our own RFC 3394 loop (used for non-default IVs) must give the same answer.
    monkeypatch.setattr(aes_kw, "AES_WRAP_DEFAULT_IV", b"\x00" * 8)
    assert aes_kw.rfc3394_wrap(kek, key, AES_WRAP_DEFAULT_IV) == expected
    assert aes_kw.rfc3394_unwrap(kek, expected, AES_WRAP_DEFAULT_IV) == key
    kek5649 = bytes.fromhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")  # RFC 5649 6
    assert crypto.wrap_key(WrapMechanism.NIST_AES_WRAP_PAD, kek5649,
                           bytes.fromhex("466f7250617369")) == \
        bytes.fromhex("afbeb0f07dfbf5419200f2ccb50bb24f")


@needs_openssl
@pytest.mark.parametrize("iv", [None, bytes.fromhex("0011223344556677")])
def test_aes_wrap_unwrap_matches_openssl(tmp_path, aes_key, iv):
    data = crypto.generate_symmetric(31, 24)
    wrapped = crypto.aes_wrap_unwrap(1, aes_key, data, iv)
    result = openssl("enc", "-id-aes256-wrap", "-K", aes_key.hex(),
                     "-iv", (iv or AES_WRAP_DEFAULT_IV).hex(), "-in", write(tmp_path / "d", data))
    assert result.returncode == 0, result.stderr
    assert wrapped == result.stdout
    assert crypto.aes_wrap_unwrap(0, aes_key, wrapped, iv) == data
    with pytest.raises(HsmError, match="unwrap"):
        crypto.aes_wrap_unwrap(0, aes_key, wrapped, b"\x01" * 8)


def test_aes_wrap_unwrap_limits(aes_key):
    with pytest.raises(InvalidArgument, match="smaller than"):
        crypto.aes_wrap_unwrap(1, aes_key, bytes(4096))
    with pytest.raises(InvalidArgument, match="multiple of 8"):
        crypto.aes_wrap_unwrap(1, aes_key, bytes(20))
    with pytest.raises(InvalidArgument, match="mode"):
        crypto.aes_wrap_unwrap(2, aes_key, bytes(16))


# -- sealing at rest -----------------------------------------------------------------------------
def test_seal_round_trip_and_binding():
    kek = crypto.new_kek()
    aad = crypto.key_record_aad("cluster-1", 7)
    blob = crypto.seal(kek, b"secret key bytes", aad)
    assert crypto.open_sealed(kek, blob, aad) == b"secret key bytes"
    assert crypto.seal(kek, b"secret key bytes", aad) != blob  # fresh nonce each time
    for wrong_aad in (crypto.key_record_aad("cluster-1", 8), crypto.key_record_aad("cluster-2", 7)):
        with pytest.raises(HsmError, match="failed authentication"):
            crypto.open_sealed(kek, blob, wrong_aad)
    with pytest.raises(HsmError):
        crypto.open_sealed(crypto.new_kek(), blob, aad)
    with pytest.raises(HsmError):
        crypto.open_sealed(kek, blob[:-1] + bytes([blob[-1] ^ 1]), aad)
    with pytest.raises(HsmError, match="damaged"):
        crypto.open_sealed(kek, blob[:20], aad)


def test_key_record_aad_has_no_ambiguous_inputs():
    assert crypto.key_record_aad("a", 0x0101) != crypto.key_record_aad("a\x00\x00", 0x0101)
    assert len(crypto.new_kek()) == 32


# -- PEM errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [
    b"", b"hello", b"\x30\x82\x01\x0a" + bytes(300),
    b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n",
])
def test_not_pem_is_invalid_argument(data):
    with pytest.raises(InvalidArgument):
        crypto.import_public_pem(data)
    with pytest.raises(InvalidArgument):
        crypto.import_private_pem(data)


def test_wrong_or_missing_passphrase(ec_pair):
    pem = crypto.export_private_pem(ec_pair.private_der, PASSPHRASE)
    with pytest.raises(InvalidArgument, match="wrong passphrase") as wrong:
        crypto.import_private_pem(pem, b"not it")
    with pytest.raises(InvalidArgument, match="encrypted"):
        crypto.import_private_pem(pem)
    assert b"not it".decode() not in str(wrong.value)
    with pytest.raises(InvalidArgument, match="empty"):
        crypto.export_private_pem(ec_pair.private_der, b"")
    # A passphrase for a key that is not encrypted does no harm.
    plain = crypto.export_private_pem(ec_pair.private_der)
    assert crypto.import_private_pem(plain, PASSPHRASE).private_der == ec_pair.private_der


def test_swapped_public_and_private_pem(ec_pair):
    with pytest.raises(InvalidArgument):
        crypto.import_public_pem(crypto.export_private_pem(ec_pair.private_der))
    with pytest.raises(InvalidArgument):
        crypto.import_private_pem(crypto.export_public_pem(ec_pair.public_der))


@pytest.mark.parametrize("make_key", [ed25519.Ed25519PrivateKey.generate,
                                      lambda: ec.generate_private_key(ec.BrainpoolP256R1())],
                         ids=["ed25519", "brainpool"])
def test_unsupported_key_kinds(make_key):
    key = make_key()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidArgument, match="unsupported"):
        crypto.import_private_pem(private)
    with pytest.raises(InvalidArgument, match="unsupported"):
        crypto.import_public_pem(public)


# -- property: hostile input raises only hsmshell's errors ---------------------------------------
def _armoured(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).decode()
    return f"-----BEGIN {label}-----\n{body}-----END {label}-----\n".encode()


_LABELS = ["PUBLIC KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY",
           "EC PRIVATE KEY", "RSA PUBLIC KEY", "CERTIFICATE"]


def _hostile(real_ders: list[bytes]) -> st.SearchStrategy[bytes]:
    corrupted = st.tuples(st.sampled_from(real_ders), st.integers(0, 10_000),
                          st.integers(1, 255), st.sampled_from(_LABELS)).map(
        lambda t: _armoured(t[3], _flip(t[0], t[1], t[2])))
    random_armoured = st.tuples(st.sampled_from(_LABELS), st.binary(max_size=600)).map(
        lambda t: _armoured(*t))
    return st.one_of(st.binary(max_size=600), random_armoured, corrupted,
                     st.binary(max_size=200).map(lambda b: b"-----BEGIN " + b))


def _flip(der: bytes, position: int, mask: int) -> bytes:
    i = position % len(der)
    return der[:i] + bytes([der[i] ^ mask]) + der[i + 1:]


@pytest.fixture(scope="module")
def real_ders(rsa_pair, ec_pair) -> list[bytes]:
    return [rsa_pair.public_der, ec_pair.public_der, ec_pair.private_der,
            base64.decodebytes(b"".join(crypto.export_private_pem(ec_pair.private_der, b"pw")
                                        .splitlines()[1:-1]))]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pem_import_raises_only_hsmshell_errors(real_ders, data):
    blob = data.draw(_hostile(real_ders))
    passphrase = data.draw(st.one_of(st.none(), st.binary(min_size=1, max_size=8)))
    for attempt in (lambda: crypto.import_public_pem(blob),
                    lambda: crypto.import_private_pem(blob, passphrase)):
        try:
            attempt()
        except HsmshellError:
            pass
