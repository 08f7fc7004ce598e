"""cloudhsm_mgmt_util's example sessions about keys (and quorum keys) on AWS's command
reference pages, reproduced by `hsmshell emulate cmu` line for line (aws_pages.py says what is
masked, and why); keys are made with KMU first."""

from __future__ import annotations

from aws_pages import Values, assert_session, fixed, kmu_handles, run_tool
from test_cmu_pages import CO_LOGIN, cu, page, session, users


def test_find_all_keys(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-findAllKeys.html:
    a CU's keys, then the key hash."""
    home = cluster_of(3)
    setup = users("CU user3", "CU user4", "CU user5", "CU user6")
    run_tool(monkeypatch, home, "cmu", setup)
    own3 = kmu_handles(monkeypatch, home, [cu("user3"), "genSymKey -t 31 -s 32 -l k8 -u 4,6",
                                            "genSymKey -t 31 -s 32 -l k9 -u 4,6"])
    own4 = kmu_handles(monkeypatch, home, [cu("user4"), "genSymKey -t 31 -s 32 -l k19",
                                            "genSymKey -t 31 -s 32 -l k31"])
    values = Values(_8=own3[0], _9=own3[1], _19=own4[0], _31=own4[1])
    text = fixed(page("cloudhsm_mgmt_util-findAllKeys", 2), ("17,262162(s),", ""), ("0::6", "0::4"),
                 ("found 6", "found 4"), ("server 1(10.0.0.3)", "server 2(10.0.0.3)"))
    screen = session(monkeypatch, home, text, setup + CO_LOGIN, values=values)
    assert_session(screen, text, values.screen, values.page)

def test_get_attribute_and_list_attributes(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-getAttribute.html:
    listAttributes, then one attribute per HSM."""
    home = cluster_of(3)
    run_tool(monkeypatch, home, "cmu", users("CU user3"))
    key = kmu_handles(monkeypatch, home, [cu("user3"), "genSymKey -t 31 -s 32 -l extractable"])[0]
    name = "cloudhsm_mgmt_util-getAttribute"
    text = fixed(page(name, 2), ("= 528      \n", "= 528\n"))
    assert_session(session(monkeypatch, home, text), text)
    values = Values(_262170=key)
    text = page(name, 3)
    assert_session(session(monkeypatch, home, text, ["loginHSM CU user3 user3-pass1"], values=values),
                   text, values.screen, values.page)

def test_set_attribute(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-setAttribute.html:
    decrypt of key 14, from 1 to 0."""
    home = cluster_of(2)
    run_tool(monkeypatch, home, "cmu", users("CU user3"))
    key = kmu_handles(monkeypatch, home, [cu("user3"), "genSymKey -t 31 -s 32 -l aes256"])[0]
    values = Values(_14=key)
    name = "cloudhsm_mgmt_util-setAttribute"
    login = ["loginHSM CU user3 user3-pass1"]
    for block in (3, 4, 5, 6):
        text = page(name, block)
        if block == 6:      # the blank line after the command, as the page's first getAttribute
            text = fixed(text, ("getAttribute 14 261\n", "getAttribute 14 261\n\n"))
        assert_session(session(monkeypatch, home, text, login, values=values), text, values.screen, values.page)

def test_share_key(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-shareKey.html:
    share 262177 with user 4, unshare 6 from user 4."""
    home = cluster_of(2)
    run_tool(monkeypatch, home, "cmu", users("CU user3", "CU user4"))
    pair = kmu_handles(monkeypatch, home, [cu("user3"), "genRSAKeyPair -m 2048 -e 65537 -l rsa",
                                           "genSymKey -t 31 -s 32 -l shared -u 4"])
    values = Values(_262177=pair[1], _6=pair[2])
    name = "cloudhsm_mgmt_util-shareKey"
    login = ["loginHSM CU user3 user3-pass1"]
    for block in (2, 3, 4, 5):
        text = page(name, block)
        assert_session(session(monkeypatch, home, text, login, values=values), text, values.screen, values.page)

def test_get_key_info(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-getKeyInfo.html:
    owner, shares (one id a line), quorum."""
    home = cluster_of(2)
    run_tool(monkeypatch, home, "cmu", users("CU user3", "CU user4", "CU user5", "CU user6"))
    made = kmu_handles(monkeypatch, home, [cu("user3"), "genSymKey -t 31 -s 32 -l k -u 4,6",
                                           "genRSAKeyPair -m 2048 -e 65537 -l rsa -u 4",
                                           "genSymKey -t 31 -s 32 -l aes256m2 -u 4 -m_value 2"])
    values = Values(_262162=made[0], _262179=made[1], _262177=made[2], _10=made[3])
    name = "cloudhsm_mgmt_util-getKeyInfo"
    login = ["loginHSM CU user3 user3-pass1"]
    no_blank = [("getKeyInfo 262162\n", "getKeyInfo 262162\n\n"),
                ("getKeyInfo -k 262177\n", "getKeyInfo -k 262177\n\n"),
                ("getKeyInfo -k 262179\n", "getKeyInfo -k 262179\n\n")]
    for block, correction in ((2, no_blank[0]), (3, no_blank[1]), (4, no_blank[2]), (7, None)):
        text = page(name, block)
        if correction:      # half the pages show a blank line after the command; shareKey's do
            text = fixed(text, correction)
        assert_session(session(monkeypatch, home, text, login, values=values), text, values.screen, values.page)

def test_register_quorum_pub_key(monkeypatch, cluster_of, tmp_path):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-registerQuorumPubKey.html
    (one HSM)."""
    from quorum_support import make_approvers
    home = cluster_of(1)
    officer = make_approvers(tmp_path, "quorum_officer")["quorum_officer"]
    setup = users("CO quorum_officer") + ["loginHSM CO quorum_officer quorum_officer-pass1"]
    values = Values().add("<quorum_officer>", "quorum_officer").add("</path/to/quorum_officer.token>", officer.reg) \
        .add("</path/to/quorum_officer.token.sig>", officer.reg_sig).add("</path/to/quorum_officer.pub>", officer.pub)
    name = "cloudhsm_mgmt_util-registerQuorumPubKey"
    text = page(name, 2)
    screen = session(monkeypatch, home, text, setup, values=values)
    assert_session(screen, text, values.screen, values.page)
    text = page(name, 3)
    assert_session(session(monkeypatch, home, text), text)

def test_sync_user_and_sync_key(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-syncUser.html
    and
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-syncKey.html
    ."""
    home = cluster_of(2)
    setup = users("CU user3") + CO_LOGIN + ["server 0", "createUser CU user4 user4-pass1", "y", "exit"]
    run_tool(monkeypatch, home, "cmu", setup)
    # the page shows `aws-cloudhsm> server 0` alone (its output left out), then the sync
    text = page("cloudhsm_mgmt_util-syncUser", 3)
    values = Values(_6=4)
    screen = session(monkeypatch, home, text, CO_LOGIN + ["server 0"], values=values)
    assert_session(screen, text, values.screen, values.page)
    key = kmu_handles(monkeypatch, home, [cu("user3"), "genSymKey -t 31 -s 32 -l k"])[0]
    values = Values(_261251=key)
    text = fixed(page("cloudhsm_mgmt_util-syncKey", 3), ("aws-cloudhsm> syncKey", "server0>syncKey"))
    screen = session(monkeypatch, home, text, ["loginHSM CU user3 user3-pass1", "server 0"], values=values)
    assert_session(screen, text, values.screen, values.page)

def test_find_all_keys_with_the_key_hash(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-findAllKeys.html:
    user 6's keys and the key hash, equal on both HSMs."""
    home = cluster_of(2)
    run_tool(monkeypatch, home, "cmu", users("CU user3", "CU user4", "CU user5", "CU user6"))
    own3 = kmu_handles(monkeypatch, home, [cu("user3"), "genSymKey -t 31 -s 32 -l k8 -u 6",
                                            "genSymKey -t 31 -s 32 -l k9 -u 6"])
    own6 = kmu_handles(monkeypatch, home, [cu("user6"), "genSymKey -t 31 -s 32 -l k11"])
    own3 += kmu_handles(monkeypatch, home, [cu("user3"), "genSymKey -t 31 -s 32 -l k17 -u 6"])
    values = Values(_8=own3[0], _9=own3[1], _11=own6[0], _17=own3[2])
    # four keys are listed: `found 3` and `0::3` are the page's slip, and so is server 0's bare `11`
    text = fixed(page("cloudhsm_mgmt_util-findAllKeys", 3), ("found 3", "found 4"), ("0::3", "0::4"),
                 ("8(s),9(s),11,17(s)", "8(s),9(s),11(o),17(s)"))
    screen = session(monkeypatch, home, text, CO_LOGIN, values=values)
    assert_session(screen, text, values.screen, values.page)
    hashes = {line for line in screen.splitlines() if len(line) == 64}
    assert len(hashes) == 1                       # the same key hash on both HSMs


# -- sessions that contradict themselves or the other pages, each with a named correction ----------
# CMU's listAttributes page shows KMU's prompt and KMU's `Description` header over CMU's list
# (the getAttribute page shows CMU's header), and three rows one blank wider than the rest.
CMU_LIST_HEADER = ("Command: listAttributes\n\n    Description\n===========\nThe following are all of the "
                   "possible attribute values for getAttribute.\n",
                   "aws-cloudhsm> listAttributes\n\nFollowing are the possible attribute values for getAttribute:\n")
WIDE_ROWS = [(f"{name} {' ' * pad}= {value}", f"{name}{' ' * pad}= {value}") for name, pad, value in (
    ("OBJ_ATTR_KCV", 20, 371), ("OBJ_ATTR_WRAP_WITH_TRUSTED", 6, 528), ("OBJ_ATTR_WRAP_TEMPLATE", 10, 1073742353))]


def test_cmu_list_attributes_page(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-listAttributes.html,
    with CMU's prompt and header (CMU_LIST_HEADER, WIDE_ROWS)."""
    home = cluster_of(1)
    text = fixed(page("cloudhsm_mgmt_util-listAttributes", 2), CMU_LIST_HEADER, *WIDE_ROWS)
    assert_session(session(monkeypatch, home, text), text)


def test_find_all_keys_of_another_user(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-findAllKeys.html:
    findAllKeys 3 1, seventeen keys of user 3, four of them shared, with the key hash (two HSMs).
    The page's session before it gives key 11 to user 6: each session is set up on its own."""
    home = cluster_of(2)
    setup = users("CU user3", "CU user4")
    run_tool(monkeypatch, home, "cmu", setup)
    shown = "6(o),7(o),8(s),11(o),12(o),14(o),262159(o),262160(o),17(s),262162(s),19(s),20(o),21(o)," \
            "262177(o),262179(o),262180(o),262181(o)".split(",")
    made = kmu_handles(monkeypatch, home, [cu("user3")] + [
        f"genSymKey -t 31 -s 16 -l k{entry[:-3]}" + (" -u 4" if entry.endswith("(s)") else "") for entry in shown])
    values = Values(**{f"_{entry[:-3]}": made[i] for i, entry in enumerate(shown)})
    text = page("cloudhsm_mgmt_util-findAllKeys", 4)
    screen = session(monkeypatch, home, text, setup + CO_LOGIN, values=values)
    assert_session(screen, text, values.screen, values.page)


def test_one_key_views_in_server_mode_speak_for_that_server(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-server.html: in
    server mode commands go to that server alone, so getKeyInfo and getAttribute print its
    block only (the getKeyInfo and getAttribute pages' blocks, one server's)."""
    home = cluster_of(3)
    run_tool(monkeypatch, home, "cmu", users("CU user3"))
    key = kmu_handles(monkeypatch, home, [cu("user3"), "genSymKey -t 31 -s 32 -l extractable"])[0]
    screen = run_tool(monkeypatch, home, "cmu", [f"getKeyInfo {key}", f"getAttribute {key} 354", "exit"],
                      ["loginHSM CU user3 user3-pass1", "server 1"])
    assert screen.count("Key Info on server ") == 1 and "Key Info on server 1(" in screen
    assert screen.count("Attribute Value on server ") == 1 and "Attribute Value on server 1(" in screen
    screen = run_tool(monkeypatch, home, "cmu", [f"getKeyInfo {key}"], ["loginHSM CU user3 user3-pass1"])
    assert screen.count("Key Info on server ") == 3
