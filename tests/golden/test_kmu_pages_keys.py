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
