"""More of key_mgmt_util's page sessions: key generation pages and attribute lookups (the
page's URL is https://docs.aws.amazon.com/cloudhsm/latest/userguide/<page>.html)."""

from __future__ import annotations

from aws_pages import Values, fixed, kmu_handles, masked, run_tool
from test_kmu_pages import SESSION_NODE, check, login, page

# genRSAKeyPair's first example is the one page with `Cluster Status:` / `Node id N status:`
STATUS_FORM = ("Cluster Status:\n        Node id 0 status: 0x00000000 : HSM Return: SUCCESS\n"
               "        Node id 1 status: 0x00000000 : HSM Return: SUCCESS",
               "Cluster Error Status\n        Node id 0 and err state 0x00000000 : HSM Return: SUCCESS\n"
               "        Node id 1 and err state 0x00000000 : HSM Return: SUCCESS")


def test_find_key_lists_every_key(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-findKey.html:
    13 keys of the user on two HSMs."""
    home = crypto_users(2, 1)
    made = kmu_handles(monkeypatch, home, [login("user3")] + [f"genSymKey -t 31 -s 16 -l k{i}" for i in range(13)])
    shown = (6, 7, 524296, 9, 262154, 262155, 262156, 262157, 262158, 262159, 262160, 262161, 262162)
    check(monkeypatch, home, page("key_mgmt_util-findKey", 2), [login("user3")],
          Values(**{f"_{h}": made[i] for i, h in enumerate(shown)}))


def test_gen_ecc_key_pair(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genECCKeyPair.html:
    a P-384 pair (curve 14) on three HSMs."""
    home = crypto_users(3, 1)
    check(monkeypatch, home, page("key_mgmt_util-genECCKeyPair", 2), [login("user3")])


def test_gen_rsa_key_pair(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genRSAKeyPair.html:
    a pair; one shared with user 4 under quorum (two HSMs)."""
    home = crypto_users(2)
    text = fixed(page("key_mgmt_util-genRSAKeyPair", 2), ("\nCfm3GenerateKeyPair returned", "\n\tCfm3GenerateKeyPair returned"),
                 STATUS_FORM)
    check(monkeypatch, home, text, [login("user3")])
    check(monkeypatch, home, page("key_mgmt_util-genRSAKeyPair", 4), [login("user3")])


def test_gen_sym_key_on_cmu_set_attribute_page(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-setAttribute.html:
    KMU's genSymKey, shown after a `$` prompt (one HSM)."""
    home = crypto_users(1)
    text = fixed(page("cloudhsm_mgmt_util-setAttribute", 2), ("$  genSymKey", "Command: genSymKey"),
                 ("\nCfm3GenerateSymmetricKey", "\n\tCfm3GenerateSymmetricKey"))   # indented, as most
    check(monkeypatch, home, text, [login("user3")])


def test_gen_sym_key_on_the_cmu_pages(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-getKeyInfo.html:
    KMU's genSymKey with -m_value 2 (two HSMs)."""
    home = crypto_users(2)
    check(monkeypatch, home, page("cloudhsm_mgmt_util-getKeyInfo", 6), [login("user3")])


def test_kmu_list_attributes(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-getAttribute.html:
    listAttributes."""
    check(monkeypatch, cluster_of(1), page("key_mgmt_util-getAttribute", 2))


def test_one_attribute_to_a_file(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-getAttribute.html
    (key type to a file) and
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-imSymKey.html
    (KCVs that
    match after an export and an import)."""
    home = crypto_users(3, 1)
    made = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 21 -s 24 -l des",
                                           "genSymKey -t 31 -s 32 -l wrapping", "genSymKey -t 31 -s 32 -l aes14"])
    des, wrapping, aes = made
    other = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l cluster2-wrapping"])[0]
    check(monkeypatch, home, page("key_mgmt_util-getAttribute", 3), [login("user3")], Values(_524296=des))
    assert (workdir / "attribute.txt").read_text() == page("key_mgmt_util-getAttribute", 4).split("\n", 1)[1] + "\n"
    text = page("key_mgmt_util-imSymKey", 7) + "\n\n" + page("key_mgmt_util-imSymKey", 8)
    check(monkeypatch, home, text, [login("user3")], Values(_14=aes, _6=wrapping, _262152=other).created(21))


def test_matching_kcvs(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-imSymKey.html:
    the KCV of a key and of its exported-and-imported copy."""
    home = crypto_users(1, 1)
    wrapping, aes = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l wrapping",
                                                    "genSymKey -t 31 -s 32 -l aes14"])
    run_tool(monkeypatch, home, "kmu", [login("user3"), f"exSymKey -k {aes} -w {wrapping} -out aes.key",
                                        f"imSymKey -f aes.key -w {wrapping} -t 31 -l copy"])
    copy = kmu_handles(monkeypatch, home, [login("user3"), "findKey -l copy"])
    del copy
    found = run_tool(monkeypatch, home, "kmu", [login("user3"), "findKey -l copy"])
    imported = int(found.split("0::0\n")[1].split()[0])
    kcvs = []
    for block, handle in ((9, aes), (10, imported)):
        text = page("key_mgmt_util-imSymKey", block)
        session, shown = text.split("\n\n$  cat ")
        name = shown.split("\n")[0]
        check(monkeypatch, home, session, [login("user3")], Values(**{f"_{14 if block == 9 else 21}": handle}))
        kcvs.append((workdir / name).read_text())
        assert kcvs[-1].split("\n")[0] == "OBJ_ATTR_KCV"
    assert kcvs[0] == kcvs[1]


def test_all_attributes_to_a_file(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genSymKey.html
    (a shared 3DES key's -a 512 file) and
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-getAttribute.html
    (an AES key's): the summary line, then the file, as the pages `cat` it."""
    home = crypto_users(1)
    des = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 21 -s 24 -l 3DES_shared -id IT-02 -u 4,5"])[0]
    session, cat = page("key_mgmt_util-genSymKey", 8).split("\n\n\n$  cat attr_7\n")
    # the page's `-attr_7` is its `-out attr_7`
    session = fixed(session, ("-a 512 -attr_7", "-a 512 -out attr_7"))
    # the page's key has wrap and unwrap off (this emulator's 3DES keys start with them on)
    run_tool(monkeypatch, home, "cmu", ["loginHSM CU user3 user3-pass1", f"setAttribute {des} 262 0", "y",
                                        f"setAttribute {des} 263 0", "y"])
    check(monkeypatch, home, session, [login("user3")], Values(_7=des))
    assert masked((workdir / "attr_7").read_text()) == masked(cat)
    aes = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l aes256 -id test_01"])[0]
    text = fixed(page("key_mgmt_util-getAttribute", 5),
                 ("Attributes dumped into attribute.txt file", "Attributes dumped into attr_6 file"),  # -out's
                 ("SUCCESS>", "SUCCESS"))                                                             # stray >
    check(monkeypatch, home, text, [login("user3")], Values(_6=aes))
    # the page's AES key (32 bytes, label aes256) shows 3DES's key type, 0x15: AES is 0x1f
    cat = fixed(page("key_mgmt_util-getAttribute", 6).split("\n", 1)[1],
                ("OBJ_ATTR_KEY_TYPE\n0x15", "OBJ_ATTR_KEY_TYPE\n0x1f"))
    assert masked((workdir / "attr_6").read_text()) == masked(cat)


# genECCKeyPair's getAttribute prints no blank line after the command and no ` file` after the
# file's name (the three other -a 512 sessions do: genSymKey, getAttribute, genRSAKeyPair)
ECC_NO_BLANK = ("-out attr_262177\ngot all", "-out attr_262177\n\ngot all")
ECC_NO_FILE = ("dumped into attr_262177\n", "dumped into attr_262177 file\n")


def test_private_key_attributes_to_a_file(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genECCKeyPair.html:
    getAttribute -a 512 of an EC private key (19 attributes: OBJ_ATTR_VALUE_LEN is its PKCS#8
    length, 0x8a for P-256; OBJ_ATTR_MODULUS_BITS the curve's NID, 0x19f), then the file. The
    page's file is of a P-256 key labelled `ecc2` (its point is 65 bytes), not of the P-384
    `ecc14` made on the page before it: this test makes the key the file shows."""
    home = crypto_users(3, 1)
    public, private = kmu_handles(monkeypatch, home, [login("user3"), "genECCKeyPair -i 2 -l ecc2"])
    check(monkeypatch, home, fixed(page("key_mgmt_util-genECCKeyPair", 3), ECC_NO_BLANK, ECC_NO_FILE), [login("user3")],
          Values(_262177=private))
    cat = page("key_mgmt_util-genECCKeyPair", 4).split("\n", 1)[1]
    assert masked((workdir / "attr_262177").read_text()) == masked(cat)
    written = (workdir / "attr_262177").read_text()                     # the figures, unmasked
    assert "OBJ_ATTR_VALUE_LEN\n0x0000008a\n" in written and "OBJ_ATTR_MODULUS_BITS\n0x0000019f\n" in written


# genRSAKeyPair's -a 512 session is the one page in another form: `Attribute size: N, count: M`
# and `Written to: F file`, a file of 26 attributes (six after PUBLIC_EXPONENT that no other
# page's file has), no leading blank line, and the modulus as 0x-prefixed rows of 80 digits.
# The three other pages' form is followed (docs/real-tools.md); these corrections name each
# difference.
RSA_SUMMARY = ("Attribute size: 801, count: 26\nWritten to: attr_2100177 file",
               "got all attributes of size 801 attr cnt 20\nAttributes dumped into attr_2100177 file")
RSA_EXTRA = "".join(f"\nOBJ_ATTR_{name}\n0x0{value}" for name, value in (
    ("TRUSTED", 0), ("WRAP_WITH_TRUSTED", 0), ("DESTROYABLE", 1), ("DERIVE", 0), ("ALWAYS_SENSITIVE", 0),
    ("NEVER_EXTRACTABLE", 0)))


def test_rsa_public_key_attributes_to_a_file(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genRSAKeyPair.html:
    getAttribute -a 512 of the page's RSA public key (OBJ_ATTR_VALUE_LEN 0x200 for 2048 bits,
    PUBLIC_EXPONENT 0x010001), in the majority's form (RSA_SUMMARY, RSA_EXTRA above)."""
    home = crypto_users(2, 1)
    public, private = kmu_handles(monkeypatch, home, [login("user3"), "genRSAKeyPair -m 2048 -e 65537 -l rsa_test"])
    session, cat = page("key_mgmt_util-genRSAKeyPair", 3).split("\n\n$  cat attr_2100177\n")
    check(monkeypatch, home, fixed(session, RSA_SUMMARY), [login("user3")], Values(_2100177=public))
    modulus = cat.split("OBJ_ATTR_MODULUS\n")[1].split("\nOBJ_ATTR_MODULUS_BITS")[0]
    cat = fixed("\n" + cat, (RSA_EXTRA, ""), (modulus, modulus.replace("\n", "")[2:]))
    written = (workdir / "attr_2100177").read_text()
    assert masked(written) == masked(cat)
    assert "OBJ_ATTR_VALUE_LEN\n0x00000200\n" in written and "OBJ_ATTR_PUBLIC_EXPONENT\n0x010001\n" in written
