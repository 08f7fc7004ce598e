"""key_mgmt_util's example sessions on AWS's command reference pages, reproduced by
`hsmshell emulate kmu` line for line (aws_pages.py says what is masked, and why). The
page's URL is https://docs.aws.amazon.com/cloudhsm/latest/userguide/<page>.html."""

from __future__ import annotations

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


@pytest.fixture
def crypto_users(monkeypatch, cluster_of):
    """A cluster of N HSMs with crypto users user3, user4, ... (ids 3, 4, ...)."""
    def make(hsms: int, count: int = 4):
        home = cluster_of(hsms)
        cmu_users(monkeypatch, home, *(f"CU user{i}" for i in range(3, 3 + count)))
        return home
    return make


# -- loginHSM / logoutHSM, listUsers ------------------------------------------------------------
def test_login_logout(monkeypatch, cluster_of):
    """key_mgmt_util-loginHSM: with -p, with -hpswd, logoutHSM."""
    home = cluster_of(3)
    cmu_users(monkeypatch, home, "CU example_user")
    run_tool(monkeypatch, home, "cmu", ["loginHSM CO admin co12345", "changePswd CU example_user aws1234", "y"])
    text = fixed(page("key_mgmt_util-loginHSM", 2), (" -p aws\n", " -p aws1234\n"))   # passwords are 7+
    check(monkeypatch, home, text)
    text = page("key_mgmt_util-loginHSM", 3) + "\n" + page("key_mgmt_util-loginHSM", 4)
    check(monkeypatch, home, text, secrets=[(1, "aws1234")])
    check(monkeypatch, home, page("key_mgmt_util-loginHSM", 5), ["loginHSM -u CU -s example_user -p aws1234"])


def test_list_users(monkeypatch, cluster_of, tmp_path):
    """key_mgmt_util-listUsers: the page's table (five rows, `Number Of Users found 4` as shown)."""
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
    """key_mgmt_util-genSymKey: an AES key (1 HSM), a shared 3DES key and its key info."""
    home = crypto_users(1)
    name = "key_mgmt_util-genSymKey"
    check(monkeypatch, home, page(name, 2), [login("user3")])
    # one shared user a line, as the getKeyInfo pages of both tools show them
    text = page(name, 6) + "\n\n" + fixed(page(name, 7), ("                 4, 5", "                 4\n                 5"))
    check(monkeypatch, home, text, [login("user3")], Values().created(7))


def test_gen_sym_key_quorum_and_attested(monkeypatch, crypto_users):
    """key_mgmt_util-genSymKey: a 2048-byte generic secret, m_value 2, attested (2 HSMs)."""
    home = crypto_users(2, 4)
    check(monkeypatch, home, page("key_mgmt_util-genSymKey", 5), [login("user3")], Values(_9=524289))


def test_find_key_and_delete_key(monkeypatch, crypto_users):
    """key_mgmt_util-findKey and key_mgmt_util-deleteKey."""
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
    denied = page("key_mgmt_util-deleteKey", 4)
    check(monkeypatch, home, denied, [login("user4")], Values(_262152=made[1]))


def test_find_single_key(monkeypatch, crypto_users):
    """key_mgmt_util-findSingleKey."""
    home = crypto_users(3, 1)
    key = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l k"])[0]
    check(monkeypatch, home, page("key_mgmt_util-findSingleKey", 2), [login("user3")], Values(_252136=key))


def test_get_key_info(monkeypatch, crypto_users):
    """key_mgmt_util-getKeyInfo: shared symmetric key, key pair, quorum-controlled key."""
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
