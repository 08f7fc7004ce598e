"""Moving key material: exSymKey/imSymKey, wrapKey/unWrapKey, exportPrivateKey/importPrivateKey,
exportPubKey/importPubKey and aesWrapUnwrap, with real cryptography and openssl round trips."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import keywrap

from key_fixtures import keys, needs_openssl, openssl, openssl_verifies  # noqa: F401 (fixture)

DATA = b"transfer me\n" * 30


def kcv(k, handle: int) -> str:
    return k.ok(f"getAttribute {handle} 371")["attributes"][0]["value"]


def test_a_symmetric_key_exported_and_imported_is_the_same_key(keys):
    k = keys
    wrapping = k.ok("genSymKey -t 31 -s 32 -l wrapping")["key_handle"]
    des = k.ok("genSymKey -t 21 -s 24 -l des")["key_handle"]
    out = k.file("des.key")
    written = k.ok(f"exSymKey -k {des} -w {wrapping} -out {out} -m 4")
    assert written["length"] == 24 and written["file"] == str(out)
    imported = k.ok(f"imSymKey -f {out} -w {wrapping} -t 21 -l des-copy")
    assert kcv(k, imported["key_handle"]) == kcv(k, des)
    assert k.ok(f"getAttribute {imported['key_handle']} 355")["attributes"][0]["value"] == 0


def test_the_host_side_key_file_must_hold_the_wrapping_key(keys):
    k = keys
    wrapping = k.ok("genSymKey -t 31 -s 32 -l wrapping")["key_handle"]
    aes = k.ok("genSymKey -t 31 -s 16 -l aes")["key_handle"]
    same, other = k.file("same.key"), k.file("other.key", os.urandom(32))
    k.ok(f"exSymKey -k {wrapping} -w {wrapping} -out {same}")
    k.ok(f"exSymKey -k {aes} -w {wrapping} -out {k.file('aes.key')} -wk {same}")
    k.fails(f"exSymKey -k {aes} -w {wrapping} -out {k.file('x')} -wk {other}", "hsm-error", 1)
    k.fails(f"imSymKey -f {k.file('aes.key')} -w {wrapping} -t 31 -l x -wk {other}", "hsm-error", 1)
    k.fails(f"exSymKey -k {aes} -w {wrapping} -out {k.file('x')} -m 5", "invalid-argument", 2)
    assert len(k.handles()) == 2


def test_im_sym_key_checks_type_and_size(keys):
    k = keys
    wrapping = k.ok("genSymKey -t 31 -s 32 -l wrapping")["key_handle"]
    k.fails(f"imSymKey -f {k.file('k', os.urandom(20))} -w {wrapping} -t 31 -l x", "invalid-argument", 2)
    k.fails(f"imSymKey -f {k.file('k', os.urandom(16))} -w {wrapping} -t 16 -l x", "invalid-argument", 2)
    k.fails(f"imSymKey -f {k.file('missing')} -w {wrapping} -t 31 -l x", "invalid-argument", 2)
    assert k.handles() == [wrapping]


@pytest.mark.parametrize("options", ["-m 4", "-m 5", "-m 6", "-m 11",
                                     "-m 10 -i 000102030405060708090a0b -tag_size 12"])
def test_wrap_and_unwrap_a_secret_key_with_aes(keys, options):
    k = keys
    wrapping = k.ok("genSymKey -t 31 -s 32 -l wrapping")["key_handle"]
    aes = k.ok("genSymKey -t 31 -s 32 -l aes")["key_handle"]
    out = k.file("wrapped")
    k.ok(f"wrapKey -k {aes} -w {wrapping} -out {out} {options}")
    unwrapped = k.ok(f"unWrapKey -f {out} -w {wrapping} {options}")
    assert unwrapped["label"] == "aes"                        # from the key header
    assert kcv(k, unwrapped["key_handle"]) == kcv(k, aes)


def test_wrap_with_an_rsa_key_and_without_a_header(keys):
    k = keys
    rsa = k.ok("genRSAKeyPair -m 2048 -l rsa-wrap")
    aes = k.ok("genSymKey -t 31 -s 32 -l aes")["key_handle"]
    out = k.file("wrapped")
    for mechanism in ("-m 8 -t 3", "-m 7"):
        k.ok(f"wrapKey -k {aes} -w {rsa['public_key_handle']} -out {out} {mechanism} -noheader")
        k.fails(f"unWrapKey -f {out} -w {rsa['private_key_handle']} {mechanism}", "invalid-argument", 2)
        unwrapped = k.ok(f"unWrapKey -f {out} -w {rsa['private_key_handle']} {mechanism} -noheader "
                         "-l back -kc 4 -kt 31")
        assert kcv(k, unwrapped["key_handle"]) == kcv(k, aes)
    # the private half does not wrap (OBJ_ATTR_WRAP 0); the public half does not unwrap
    k.fails(f"wrapKey -k {aes} -w {rsa['private_key_handle']} -out {out} -m 8",
            "key-function-not-permitted", 1)
    k.fails(f"unWrapKey -f {out} -w {rsa['public_key_handle']} -m 8 -noheader -l x -kc 4 -kt 31",
            "key-function-not-permitted", 1)


def test_a_private_key_wrapped_and_unwrapped_still_signs(keys):
    k = keys
    wrapping = k.ok("genSymKey -t 31 -s 32 -l wrapping")["key_handle"]
    pair = k.ok("genECCKeyPair -i 14 -l ec")
    out, data, sig = k.file("wrapped"), k.file("data", DATA), k.file("sig")
    k.ok(f"wrapKey -k {pair['private_key_handle']} -w {wrapping} -out {out}")
    unwrapped = k.ok(f"unWrapKey -f {out} -w {wrapping} -l ec-back -nex")["key_handle"]
    k.ok(f"sign -f {data} -k {unwrapped} -m 18 -out {sig}")
    k.ok(f"verify -f {data} -s {sig} -k {pair['public_key_handle']} -m 18")
    assert k.ok(f"getAttribute {unwrapped} 354")["attributes"][0]["value"] == 0
    # a wrong -kt is caught before anything is created
    k.fails(f"unWrapKey -f {out} -w {wrapping} -noheader -l x -kc 3 -kt 0", "invalid-argument", 2)
    k.file("garbage", os.urandom(64))
    k.fails(f"unWrapKey -f {k.file('garbage')} -w {wrapping} -noheader -l x -kc 4 -kt 31",
            "hsm-error", 1)
    assert len(k.handles()) == 4


@needs_openssl
def test_private_keys_out_and_in_as_pem_with_and_without_a_passphrase(keys):
    k = keys
    wrapping = k.ok("genSymKey -t 31 -s 32 -l wrapping")["key_handle"]
    pair = k.ok("genRSAKeyPair -m 2048 -l rsa")
    plain, locked = k.file("plain.pem"), k.file("locked.pem")
    out = k.ok(f"exportPrivateKey -k {pair['private_key_handle']} -w {wrapping} -out {plain}")
    assert out["encrypted"] is False and plain.read_bytes().startswith(b"-----BEGIN PRIVATE KEY")
    assert plain.stat().st_mode & 0o077 == 0
    k.h.shell.env.environ["PEM_PASS"] = "s3cret-pass"
    k.ok(f"exportPrivateKey -k {pair['private_key_handle']} -w {wrapping} -out {locked} "
         "-pass @env:PEM_PASS")
    assert b"ENCRYPTED" in locked.read_bytes()
    assert openssl("pkey", "-in", locked, "-passin", "pass:s3cret-pass", "-noout").returncode == 0
    again = k.ok(f"importPrivateKey -l again -f {locked} -w {wrapping} -pass @env:PEM_PASS")
    assert kcv(k, again["key_handle"]) == kcv(k, pair["private_key_handle"])
    k.fails(f"importPrivateKey -l x -f {locked} -w {wrapping} -pass wrongpass", "invalid-argument", 2)
    k.fails(f"importPrivateKey -l x -f {locked} -w {wrapping}", "invalid-argument", 2)
    k.fails(f"importPrivateKey -l x -f {k.file('junk', b'not pem')} -w {wrapping}",
            "invalid-argument", 2)
    # exporting needs a wrapping key that may wrap and decrypt (reference: exportPrivateKey)
    k.ok(f"setAttribute {wrapping} 261 0")
    k.fails(f"exportPrivateKey -k {pair['private_key_handle']} -w {wrapping} -out {plain}",
            "key-function-not-permitted", 1)
    assert len(k.handles()) == 4


@needs_openssl
def test_public_keys_as_pem_go_both_ways_with_openssl(keys):
    k = keys
    key, pub, data, sig = k.file("k.pem"), k.file("pub.pem"), k.file("data", DATA), k.file("sig")
    assert openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384",
                   "-out", key).returncode == 0
    assert openssl("pkey", "-in", key, "-pubout", "-out", pub).returncode == 0
    assert openssl("dgst", "-sha384", "-sign", key, "-out", sig, data).returncode == 0
    handle = k.ok(f"importPubKey -l from-openssl -f {pub}")["key_handle"]
    k.ok(f"verify -f {data} -s {sig} -k {handle} -m 18")
    again = k.file("again.pem")
    k.ok(f"exportPubKey -k {handle} -out {again}")
    assert again.read_bytes() == pub.read_bytes()
    assert openssl_verifies(again, data, sig, "sha384")
    k.fails(f"exportPubKey -k {handle} -out {k.h.home / 'no' / 'dir' / 'x.pem'}", "invalid-argument", 2)


@needs_openssl
@pytest.mark.parametrize("mechanism, digest, pss", [(1, "sha256", False), (3, "sha512", False),
                                                    (6, "sha256", True)])
def test_rsa_signatures_verify_with_openssl(keys, mechanism, digest, pss):
    k = keys
    pair = k.ok("genRSAKeyPair -m 2048 -e 65537 -l rsa")
    pub, data, sig = k.file("pub.pem"), k.file("data", DATA), k.file("sig")
    k.ok(f"exportPubKey -k {pair['public_key_handle']} -out {pub}")
    signed = k.ok(f"sign -f {data} -k {pair['private_key_handle']} -m {mechanism} -out {sig}")
    assert signed["length"] == 256
    options = ["-sigopt", "rsa_padding_mode:pss"] if pss else []
    done = openssl("dgst", f"-{digest}", *options, "-verify", pub, "-signature", sig, data)
    assert done.returncode == 0, done.stderr
    k.ok(f"verify -f {data} -s {sig} -k {pair['public_key_handle']} -m {mechanism}")
    k.fails(f"sign -f {data} -k {pair['private_key_handle']} -m 17 -out {sig}", "invalid-argument", 2)
    k.fails(f"sign -f {data} -k {pair['private_key_handle']} -m 12 -out {sig}", "invalid-argument", 2)
    k.fails(f"sign -f {data} -k {pair['public_key_handle']} -m 1 -out {sig}", "invalid-argument", 2)


def test_aes_wrap_unwrap_of_a_file(keys):
    k = keys
    aes = k.ok("genSymKey -t 31 -s 32 -l kw")["key_handle"]
    raw = k.file("raw.key")
    k.ok(f"exSymKey -k {aes} -w {aes} -out {raw}")
    payload = k.file("payload", os.urandom(32))
    wrapped, back = k.file("wrapped"), k.file("back")
    result = k.ok(f"aesWrapUnwrap -m 1 -f {payload} -w {aes} -out {wrapped}")
    assert result["default_iv"] is True
    assert wrapped.read_bytes() == keywrap.aes_key_wrap(raw.read_bytes(), payload.read_bytes())
    k.ok(f"aesWrapUnwrap -m 0 -f {wrapped} -w {aes} -out {back}")
    assert back.read_bytes() == payload.read_bytes()
    k.ok(f"aesWrapUnwrap -m 1 -f {payload} -w {aes} -i 0102030405060708 -out {wrapped}")
    k.fails(f"aesWrapUnwrap -m 0 -f {wrapped} -w {aes} -out {back}", "hsm-error", 1)   # wrong IV
    k.fails(f"aesWrapUnwrap -m 1 -f {k.file('big', bytes(4096))} -w {aes}", "invalid-argument", 2)
    k.fails(f"aesWrapUnwrap -m 2 -f {payload} -w {aes}", "invalid-argument", 2)


def test_an_export_passphrase_asked_for_is_asked_twice(keys):
    k = keys
    answers = iter(["first-passphrase", "first-passphrase", "one-thing", "another-thing"])
    k.h.open(ask_secret_fn=lambda prompt: next(answers))
    k.login("alice")
    wrapping = k.ok("genSymKey -t 31 -s 32 -l wrapping")["key_handle"]
    pair = k.ok("genECCKeyPair -i 2 -l ec")
    pem = k.file("ec.pem")
    line = f"exportPrivateKey -k {pair['private_key_handle']} -w {wrapping} -out {pem} -pass -hpswd"
    assert k.ok(line)["encrypted"] is True
    pem.unlink()
    error = k.fails(line, "invalid-argument", 2)
    assert "do not match" in error["message"] and not pem.exists()


def test_a_public_exponent_beyond_64_bits_is_kept_exactly(keys):
    """Key attributes are stored as JSON; an integer orjson cannot hold must come back whole."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    k = keys
    exponent = 2 ** 70 + 1
    modulus = rsa.generate_private_key(65537, 2048).public_key().public_numbers().n
    pem = rsa.RSAPublicNumbers(exponent, modulus).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    handle = k.ok(f"importPubKey -l big-e -f {k.file('bige.pem', pem)}")["key_handle"]
    attributes = {a["id"]: a["value"] for a in k.ok(f"getAttribute {handle} 512")["attributes"]}
    assert attributes[290] == exponent                 # OBJ_ATTR_PUBLIC_EXPONENT
