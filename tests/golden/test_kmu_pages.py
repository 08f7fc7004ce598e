"""key_mgmt_util's example sessions on AWS's command reference pages, reproduced by
`hsmshell emulate kmu` line for line (aws_pages.py says what is masked, and why). The
page's URL is https://docs.aws.amazon.com/cloudhsm/latest/userguide/<page>.html."""

from __future__ import annotations

import subprocess

import pytest

from aws_pages import Values, assert_session, fixed, kmu_handles, run_tool, typed_lines, unechoed
from page_text import PAGE

ACTIVATE = ["loginHSM PRECO admin password", "changePswd PRECO admin co12345", "y"]


def cmu_users(monkeypatch, home, *specs: str) -> None:
    """Activate and create the users ("TYPE name", ids 3, 4, ... in order) with CMU."""
    lines = list(ACTIVATE)
    for spec in specs:
        kind, name = spec.split()
        lines += [f"createUser {kind} {name} {name}-pass1", "y"]
    run_tool(monkeypatch, home, "cmu", lines)


def login(name: str) -> str:
    return f"loginHSM -u CU -s {name} -p {name}-pass1"


def page(name: str, n: int) -> str:
    return PAGE[(name, n)]


def kmu(monkeypatch, home, text, setup=(), values=None, secrets=()):
    typed = typed_lines(text)
    for index, secret in secrets:
        typed.insert(index, unechoed(secret))
    return run_tool(monkeypatch, home, "kmu", typed, list(setup), values=values)


def check(monkeypatch, home, text, setup=(), values=None, secrets=()):
    values = values or Values()
    assert_session(kmu(monkeypatch, home, text, setup, values, secrets), text, values.screen, values.page)


# The deleteKey page lists nodes 1 and 2 of a three-HSM cluster (node 0 left out)
NODE_0 = ("        Node id 1 and err state 0x00000000 : HSM Return: SUCCESS",
          "        Node id 0 and err state 0x00000000 : HSM Return: SUCCESS\n"
          "        Node id 1 and err state 0x00000000 : HSM Return: SUCCESS")
A8 = "HSM Error: Invalid object handle is passed to this operation"
NODE_0_A8 = (f"        Node id 1 and err state 0x000000a8 : {A8}",
             f"        Node id 0 and err state 0x000000a8 : {A8}\n        Node id 1 and err state 0x000000a8 : {A8}")


# -- loginHSM / logoutHSM, listUsers ------------------------------------------------------------
def test_login_logout(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-loginHSM.html:
    with -p, with -hpswd, logoutHSM."""
    home = cluster_of(3)
    cmu_users(monkeypatch, home, "CU example_user")
    run_tool(monkeypatch, home, "cmu", ["loginHSM CO admin co12345", "changePswd CU example_user aws1234", "y"])
    text = fixed(page("key_mgmt_util-loginHSM", 2), (" -p aws\n", " -p aws1234\n"))   # passwords are 7+
    check(monkeypatch, home, text)
    text = page("key_mgmt_util-loginHSM", 3) + "\n" + page("key_mgmt_util-loginHSM", 4)
    check(monkeypatch, home, text, secrets=[(1, "aws1234")])
    check(monkeypatch, home, page("key_mgmt_util-loginHSM", 5), ["loginHSM -u CU -s example_user -p aws1234"])


def test_list_users(monkeypatch, cluster_of, tmp_path):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-listUsers.html:
    the page's table (five rows, `Number Of Users found 4` as shown)."""
    from quorum_support import make_approvers, register_command
    home = cluster_of(1)
    cmu_users(monkeypatch, home, "CU alice", "CU bob", "CU trent")
    keys = make_approvers(tmp_path, "alice", "trent")
    for name in ("alice", "trent"):
        run_tool(monkeypatch, home, "cmu", [f"loginHSM CU {name} {name}-pass1",
                                            register_command(keys[name], "CU"), "y"])
    text = fixed(page("key_mgmt_util-listUsers", 2), ("found 4", "found 5"))     # five users are listed
    check(monkeypatch, home, text)


# -- genSymKey, getKeyInfo, findKey, deleteKey ------------------------------------------------------
def test_gen_sym_key(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genSymKey.html:
    an AES key (1 HSM), a shared 3DES key and its key info."""
    home = crypto_users(1)
    name = "key_mgmt_util-genSymKey"
    check(monkeypatch, home, page(name, 2), [login("user3")])
    # one shared user a line, as the getKeyInfo pages of both tools show them
    text = page(name, 6) + "\n\n" + fixed(page(name, 7), ("                 4, 5", "                 4\n                 5"))
    check(monkeypatch, home, text, [login("user3")], Values().created(7))


def test_gen_sym_key_quorum_and_attested(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genSymKey.html:
    a 2048-byte generic secret, m_value 2, attested (2 HSMs)."""
    home = crypto_users(2, 4)
    check(monkeypatch, home, page("key_mgmt_util-genSymKey", 5), [login("user3")], Values(_9=524289))


def test_find_key_and_delete_key(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-findKey.html
    and
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-deleteKey.html
    ."""
    home = crypto_users(3)
    made = kmu_handles(monkeypatch, home, [login("user3")] + [f"genSymKey -t 31 -s 32 -l k{i}" for i in range(10)])
    values = Values(**{f"_{page_handle}": made[i] for i, page_handle in
                       enumerate((6, 7, 8, 9, 10, 11, 262156, 262157, 262158, 262159))})
    text = fixed(page("key_mgmt_util-findKey", 6), ("Command:  findKey\n", "Command:  findKey\n\n"),
                 ("Node id 1 and err state 0x00000000 : HSM Return: SUCCESS\n",
                  "Node id 0 and err state 0x00000000 : HSM Return: SUCCESS\n"
                  "        Node id 1 and err state 0x00000000 : HSM Return: SUCCESS\n"))
    check(monkeypatch, home, text, [login("user3")], values)
    deleted = fixed(page("key_mgmt_util-deleteKey", 2), NODE_0)
    check(monkeypatch, home, deleted, [login("user3")], Values(_6=made[0]))
    missing = fixed(page("key_mgmt_util-deleteKey", 3), NODE_0_A8)
    check(monkeypatch, home, missing, [login("user3")])
    # indented and without a full stop, as Error2String's page and most result lines have it
    denied = fixed(page("key_mgmt_util-deleteKey", 4), ("\nCfm3DeleteKey returned: 0xc6 : HSM Error: Key Access is denied.",
                                                       "\n\tCfm3DeleteKey returned: 0xc6 : HSM Error: Key Access is denied"))
    check(monkeypatch, home, denied, [login("user4")], Values(_262152=made[1]))


def test_find_single_key(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-findSingleKey.html."""
    home = crypto_users(3, 1)
    key = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l k"])[0]
    check(monkeypatch, home, page("key_mgmt_util-findSingleKey", 2), [login("user3")], Values(_252136=key))


def test_get_key_info(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-getKeyInfo.html:
    shared symmetric key, key pair, quorum-controlled key."""
    home = crypto_users(2)
    made = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l k9 -u 4",
                                           "genRSAKeyPair -m 2048 -e 65537 -l pair -u 4,5"])
    values = Values(_9=made[0], _21=made[1], _20=made[2])
    name = "key_mgmt_util-getKeyInfo"
    for block in (2, 3, 4):
        check(monkeypatch, home, page(name, block), [login("user3")], values)
    pair = Values(_27=made[2] + 1, _28=made[2] + 2)
    text = fixed(page(name, 6), ("-e 195193", "-e 65537"))     # 195193 is not an exponent the HSM takes
    check(monkeypatch, home, text, [login("user3")], pair)
    check(monkeypatch, home, page(name, 7), [login("user3")], pair)


# -- export and import ------------------------------------------------------------------------
SESSION_NODE = ("Node id 1 and err state", "Node id 0 and err state")   # which HSM holds a session key


def test_ex_sym_key(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-exSymKey.html:
    with a token wrapping key, a session one, and -wk."""
    home = crypto_users(2, 1)
    made = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l wrap6",
                                           "genSymKey -t 21 -s 24 -l 3des7", "genSymKey -t 31 -s 32 -l aes8",
                                           "genSymKey -t 31 -s 24 -l aes21"])
    name = "key_mgmt_util-exSymKey"
    values = Values(_6=made[0], _7=made[1], _8=made[2], _21=made[3])
    check(monkeypatch, home, page(name, 2), [login("user3")], values)
    text = fixed(page(name, 3), SESSION_NODE) + "\n\n" + page(name, 6)
    check(monkeypatch, home, text, [login("user3")], values.created(262168))
    (workdir / "keys" / "aes256-forImport.key").write_bytes(bytes(range(32)))
    text = page(name, 8)
    check(monkeypatch, home, text, [login("user3")], values.created(262167))
    (workdir / "aes256-forImport.key").write_bytes(bytes(range(32)))
    text = page(name, 9)
    check(monkeypatch, home, text, [login("user3")], values)


def test_im_sym_key(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-imSymKey.html:
    import, its OBJ_ATTR_LOCAL, KCVs that match, -sess -attest."""
    home = crypto_users(3, 1)
    made = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l wrap20",
                                           "genSymKey -t 31 -s 32 -l aes14"])
    (workdir / "aes256.key").write_bytes(bytes(range(32)))
    name = "key_mgmt_util-imSymKey"
    values = Values(_20=made[0], _14=made[1]).created(262180)
    # the file name the command gave; no Cfm3GetAttribute line after a one-attribute file (as the
    # getAttribute page and this page's other two getAttribute sessions show it)
    text = page(name, 4) + "\n\n" + fixed(page(name, 5), ("attr_262180_imported", "attr_262180"),
                                          ("file\n\n        Cfm3GetAttribute returned: 0x00 : HSM Return: SUCCESS",
                                           "file"))
    check(monkeypatch, home, text, [login("user3")], values)
    (workdir / "3des192.key").write_bytes(bytes(range(24)))
    text = page(name, 11) + "\n\n" + fixed(page(name, 12), ("-sess 1\nTotal", "-sess 1\n\nTotal"))
    check(monkeypatch, home, text, [login("user3")], Values(_6=made[0]).created(37))


def test_wrap_and_unwrap(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-wrapKey.html,
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-unwrapKey.html
    (with and without the header),
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-aesWrapUnwrap.html
    (wrap a file, unwrap it)."""
    home = crypto_users(2, 1)
    made = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l wrapping",
                                           "genSymKey -t 21 -s 24 -l 3des"])
    wrapping, des = made
    text = page("key_mgmt_util-wrapKey", 2)
    check(monkeypatch, home, text, [login("user3")], Values(_14=wrapping, _7=des))
    (workdir / "3DES.key").write_bytes((workdir / "3DES-encrypted.key").read_bytes())
    text = page("key_mgmt_util-unwrapKey", 2)
    check(monkeypatch, home, text, [login("user3")], Values(_6=wrapping))
    run_tool(monkeypatch, home, "kmu", [login("user3"), f"wrapKey -k {des} -w {wrapping} -out 3DES.key -m 4 -noheader"])
    text = page("key_mgmt_util-unwrapKey", 3)
    check(monkeypatch, home, text, [login("user3")], Values(_6=wrapping))
    (workdir / "3DES.key").write_bytes(bytes(range(24)))
    for block in (2, 3):
        text = page("key_mgmt_util-aesWrapUnwrap", block)
        check(monkeypatch, home, text, [login("user3")], Values(_6=wrapping))
    assert (workdir / "3DES.key.unwrapped").read_bytes() == bytes(range(24))


def test_private_and_public_key_files(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-exportPrivateKey.html,
    -importPrivateKey, -exportPubKey, -importPubKey."""
    home = crypto_users(3, 1)
    made = kmu_handles(monkeypatch, home, [login("user3"), "genRSAKeyPair -m 2048 -e 65537 -l rsa",
                                           "genSymKey -t 31 -s 32 -l wrapping"])
    public, private, wrapping = made
    check(monkeypatch, home, page("key_mgmt_util-exportPrivateKey", 2), [login("user3")],
          Values(_15=private, _16=wrapping))
    (workdir / "rsa2048.key").write_bytes((workdir / "exportKey.pem").read_bytes())
    check(monkeypatch, home, page("key_mgmt_util-importPrivateKey", 2), [login("user3")],
          Values(_524299=wrapping))
    check(monkeypatch, home, page("key_mgmt_util-exportPubKey", 2), [login("user3")], Values(_10=public))
    check(monkeypatch, home, page("key_mgmt_util-importPubKey", 2), [login("user3")])


def test_sign_and_verify(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-sign.html,
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-verify.html
    (a good signature, then a wrong file)."""
    home = crypto_users(3, 1)
    public, private = kmu_handles(monkeypatch, home, [login("user3"), "genRSAKeyPair -m 2048 -e 65537 -l rsa"])
    (workdir / "messageFile").write_bytes(b"a message\n")
    check(monkeypatch, home, page("key_mgmt_util-sign", 2), [login("user3")], Values(_266309=private))
    (workdir / "hardwareCert.crt").write_bytes(b"a message\n")
    (workdir / "hardwareCertSigned").write_bytes((workdir / "signedFile").read_bytes())
    check(monkeypatch, home, page("key_mgmt_util-verify", 2), [login("user3")], Values(_262276=public))
    (workdir / "hardwarecert.crt").write_bytes(b"another message\n")
    (workdir / "usercertsigned").write_bytes((workdir / "signedFile").read_bytes())
    check(monkeypatch, home, page("key_mgmt_util-verify", 3), [login("user3")], Values(_262276=public))


# A DSA key signs with a DSS id (AWS's sign page lists none for DSA; docs/real-tools.md)
DSA_ID = (" -m 1", " -m 17")


def test_sign_and_verify_with_a_dsa_key(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-sign.html,
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-verify.html with a
    genDSAKeyPair pair (https://docs.aws.amazon.com/cloudhsm/latest/userguide/
    key_mgmt_util-genDSAKeyPair.html) in place of the RSA pair, the mechanism ECDSA_SHA256's
    DSS id (17); the signature is one openssl checks."""
    home = crypto_users(3, 1)
    public, private = kmu_handles(monkeypatch, home, [login("user3"), "genDSAKeyPair -m 2048 -l DSA"])
    (workdir / "messageFile").write_bytes(b"a message\n")
    check(monkeypatch, home, fixed(page("key_mgmt_util-sign", 2), DSA_ID), [login("user3")], Values(_266309=private))
    (workdir / "hardwareCert.crt").write_bytes(b"a message\n")
    (workdir / "hardwareCertSigned").write_bytes((workdir / "signedFile").read_bytes())
    check(monkeypatch, home, fixed(page("key_mgmt_util-verify", 2), DSA_ID), [login("user3")], Values(_262276=public))
    (workdir / "hardwarecert.crt").write_bytes(b"another message\n")
    (workdir / "usercertsigned").write_bytes((workdir / "signedFile").read_bytes())
    check(monkeypatch, home, fixed(page("key_mgmt_util-verify", 3), DSA_ID), [login("user3")], Values(_262276=public))
    run_tool(monkeypatch, home, "kmu", [login("user3"), f"exportPubKey -k {public} -out dsa.pem"])
    verified = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "dsa.pem", "-signature", "signedFile",
                               "messageFile"], capture_output=True, text=True, check=False)
    assert verified.stdout.strip() == "Verified OK", verified.stderr


def test_set_attribute_makes_a_session_key_persistent(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-setAttribute.html:
    genSymKey -sess, findKey -sess 1, setAttribute -a 1 (asks
    the value), findKey -sess 1 / -sess 0 (two HSMs; the page's session key on node 1)."""
    home = crypto_users(2, 1)
    made = kmu_handles(monkeypatch, home, [login("user3")] + [f"genSymKey -t 31 -s 32 -l k{i}" for i in range(4)])
    name = "key_mgmt_util-setAttribute"
    text = "\n\n".join([fixed(page(name, 2), SESSION_NODE), page(name, 3), page(name, 4),
                        fixed(page(name, 5), ("SUCCESS\n\n\n\nCommand", "SUCCESS\n\nCommand"))])
    text = fixed(text, ("-sess\n      \n", "-sess\n\n"))
    values = Values(_6=made[0], _7=made[1], _524296=made[2], _9=made[3]).created(262154)
    check(monkeypatch, home, text, [login("user3")], values)


def test_gen_dsa_key_pair(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genDSAKeyPair.html:
    a pair, a session pair and findKey -sess 1, a shared pair."""
    home = crypto_users(1)
    name = "key_mgmt_util-genDSAKeyPair"
    check(monkeypatch, home, page(name, 2), [login("user3")])
    text = page(name, 3) + "\n\n" + fixed(page(name, 4), ("  Total number", "Total number"))
    check(monkeypatch, home, text, [login("user3")], Values().created(12, 14))
    check(monkeypatch, home, page(name, 5), [login("user4")])


def test_gen_dsa_key_pair_with_quorum(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genDSAKeyPair.html:
    m_value 2, shared, attested (2 HSMs), and its key info."""
    home = crypto_users(2)
    name = "key_mgmt_util-genDSAKeyPair"
    text = page(name, 6) + "\n\n" + page(name, 7)
    check(monkeypatch, home, text, [login("user3")], Values().created(12, 17))


def test_error2string(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-Error2String.html:
    two codes, and the deleteKey refusal between them."""
    home = crypto_users(1, 2)
    key = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l k -u 4"])[0]
    name = "key_mgmt_util-Error2String"
    check(monkeypatch, home, page(name, 2))
    # the page's deleteKey then getKeyInfo (its node block is empty: user 4's own view)
    text = fixed(page(name, 3), ("Cluster Error Status\n\n", ""))
    check(monkeypatch, home, text, [login("user4")], Values(_262162=key))
    check(monkeypatch, home, fixed(page(name, 4), ("-r 0xa8", "-r 0xc6")))   # its text is 0xc6's


def test_help(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-help.html:
    the grouped table."""
    check(monkeypatch, cluster_of(1), page("key_mgmt_util-help", 2))

