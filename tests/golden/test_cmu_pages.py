"""cloudhsm_mgmt_util's example sessions on AWS's command reference pages, reproduced by
`hsmshell emulate cmu` line for line (aws_pages.py says what is masked, and why)."""

from __future__ import annotations

from aws_pages import assert_session, fixed, run_tool, typed_lines, unechoed

ACTIVATE = ["loginHSM PRECO admin password", "changePswd PRECO admin co12345", "y"]
CO_LOGIN = ["loginHSM CO admin co12345"]


def session(monkeypatch, home, page_text, setup=(), secrets=(), values=None, **kw):
    """Type the page's commands (and `secrets` where it asks for a password) after `setup`;
    `values`: the page's handles and ids typed as the emulator's."""
    typed = typed_lines(page_text)
    for index, secret in secrets:
        typed.insert(index, unechoed(secret))
    return run_tool(monkeypatch, home, "cmu", typed, setup, values=values, **kw)


# -- loginHSM / logoutHSM ---------------------------------------------------------------------


def test_login_logout(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-loginLogout.html:
    loginHSM with a password, with -hpswd, and logoutHSM."""
    home = cluster_of(2)
    page = """
aws-cloudhsm>loginHSM CO admin co12345

loginHSM success on server 0(10.0.2.9)
loginHSM success on server 1(10.0.3.11)
"""
    assert_session(session(monkeypatch, home, page, ACTIVATE + ["logoutHSM"]), page)
    page = """
aws-cloudhsm>loginHSM CO admin -hpswd
Enter password:

loginHSM success on server 0(10.0.2.9)
loginHSM success on server 1(10.0.3.11)

aws-cloudhsm>
"""
    assert_session(session(monkeypatch, home, page, ACTIVATE + ["logoutHSM"], secrets=[(1, "co12345")]),
                   page)
    page = """
aws-cloudhsm>logoutHSM

logoutHSM success on server 0(10.0.2.9)
logoutHSM success on server 1(10.0.3.11)
"""
    assert_session(session(monkeypatch, home, page, CO_LOGIN), page)


def test_quit(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-quit.html"""
    page = """
aws-cloudhsm> quit

disconnecting from servers, please wait...
"""
    assert_session(session(monkeypatch, cluster_of(1), page), page)


# -- createUser -------------------------------------------------------------------------------
THIRD_SERVER = ("Users on server 1(10.0.0.3)", "Users on server 2(10.0.0.3)")


def test_create_user(monkeypatch, cluster_of, quorum_keys):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-createUser.html:
    login, createUser CO with a bad answer first, listUsers, createUser CU."""
    home = cluster_of(3)
    register = quorum_keys("admin")["admin"]
    page = fixed("""
aws-cloudhsm> loginHSM CO admin 735782961

loginHSM success on server 0(10.0.0.1)
loginHSM success on server 1(10.0.0.2)
loginHSM success on server 1(10.0.0.3)
""", ("server 1(10.0.0.3)", "server 2(10.0.0.3)"))        # the page's third server is server 2
    assert_session(session(monkeypatch, home, page, ["loginHSM PRECO admin password",
                                                     "changePswd PRECO admin 735782961", "y",
                                                     register, "y", "logoutHSM"]),
                   page)
    create_alice = """
aws-cloudhsm> createUser CO alice 391019314

*************************CAUTION********************************
This is a CRITICAL operation, should be done on all nodes in the
cluster. AWS does NOT synchronize these changes automatically with the
nodes on which this operation is not executed or failed, please
ensure this operation is executed on all nodes in the cluster.
****************************************************************

Do you want to continue(y/n)?Invalid option, please type 'y' or 'n'

Do you want to continue(y/n)?y
Creating User alice(CO) on 3 nodes
"""
    login = ["loginHSM CO admin 735782961"]
    assert_session(session(monkeypatch, home, create_alice, login), create_alice)
    page = fixed("""
aws-cloudhsm> listUsers
Users on server 0(10.0.0.1):
Number of users found:3

    User Id             User Type       User Name                          MofnPubKey    LoginFailureCnt         2FA
         1              PCO             admin                                   YES               0               NO
         2              AU              app_user                                 NO               0               NO
         3              CO              alice                                    NO               0               NO
Users on server 1(10.0.0.2):
Number of users found:3

    User Id             User Type       User Name                          MofnPubKey    LoginFailureCnt         2FA
         1              PCO             admin                                   YES               0               NO
         2              AU              app_user                                 NO               0               NO
         3              CO              alice                                    NO               0               NO

Users on server 1(10.0.0.3):
Number of users found:3

    User Id             User Type       User Name                          MofnPubKey    LoginFailureCnt         2FA
         1              PCO             admin                                   YES               0               NO
         2              AU              app_user                                 NO               0               NO
         3              CO              alice                                    NO               0               NO
""", THIRD_SERVER, ("NO\n\nUsers on server 2", "NO\nUsers on server 2"))   # stray blank line
    assert_session(session(monkeypatch, home, page), page)
    page = create_alice.replace("createUser CO alice 391019314", "createUser CU bob defaultPassword") \
        .replace("Creating User alice(CO)", "Creating User bob(CU)")
    assert_session(session(monkeypatch, home, page, login), page)


# -- changePswd, info -------------------------------------------------------------------------
FOUR_USERS = ACTIVATE + ["createUser CU bob bobpassword", "y", "createUser CU alice alicepassword", "y",
                         "createUser CO john johnpassword", "y", "logoutHSM"]


def test_change_own_password(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-changePswd.html:
    bob, logged in (info server), changes his own password."""
    home = cluster_of(2)
    page = """
        aws-cloudhsm> info server 0
        
Id      Name                    Hostname         Port   State           Partition        LoginState
0       10.1.9.193              10.1.9.193      2225    Connected       hsm-jqici4covtv  Logged in as 'bob(CU)'
        
aws-cloudhsm> info server 1
        
Id      Name                    Hostname         Port   State           Partition        LoginState
1       10.1.10.7               10.1.10.7       2225    Connected       hsm-ogi3sywxbqx  Logged in as 'bob(CU)'
"""
    login = ["loginHSM CU bob bobpassword"]
    assert_session(session(monkeypatch, home, page, FOUR_USERS + login), page)
    page = """
aws-cloudhsm> changePswd CU bob newPassword

*************************CAUTION********************************
This is a CRITICAL operation, should be done on all nodes in the
cluster. AWS does NOT synchronize these changes automatically with the
nodes on which this operation is not executed or failed, please
ensure this operation is executed on all nodes in the cluster.
****************************************************************

Do you want to continue(y/n)?y
Changing password for bob(CU) on 2 nodes
"""
    assert_session(session(monkeypatch, home, page, login), page)


def test_change_another_users_password(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-changePswd.html:
    alice, a CO, changes john's password."""
    home = cluster_of(2)
    setup = ACTIVATE + ["createUser CU bob bobpassword", "y", "createUser CO alice alicepassword", "y",
                        "createUser CO john johnpassword", "y", "logoutHSM", "loginHSM CO alice alicepassword"]
    page = fixed("""
aws-cloudhsm>info server 0
        
Id      Name             Hostname         Port   State           Partition        LoginState
0       10.1.9.193       10.1.9.193        2225   Connected      hsm-jqici4covtv  Logged in as 'alice(CO)'
        

aws-cloudhsm>info server 1
        
Id      Name             Hostname         Port   State           Partition        LoginState
0       10.1.10.7        10.1.10.7        2225   Connected       hsm-ogi3sywxbqx  Logged in as 'alice(CO)'
""", ("0       10.1.10.7", "1       10.1.10.7"),                     # server 1 is 1
         ("Name             Hostname", "Name                    Hostname"),
         ("2225   Connected      hsm-j", "2225    Connected       hsm-j"),     # the other
         ("2225   Connected       hsm-o", "2225    Connected       hsm-o"),     # tables' widths
         ("'alice(CO)'\n        \n\n", "'alice(CO)'\n\n"))            # one blank, as elsewhere
    assert_session(session(monkeypatch, home, page, setup), page)
    # (the page's second listUsers, alice a CU on one server: test_change_password_list_users)
    page = """
aws-cloudhsm>changePswd CO john newPassword

*************************CAUTION********************************
This is a CRITICAL operation, should be done on all nodes in the
cluster. AWS does NOT synchronize these changes automatically with the
nodes on which this operation is not executed or failed, please
ensure this operation is executed on all nodes in the cluster.
****************************************************************

Do you want to continue(y/n)?y
Changing password for john(CO) on 2 nodes
"""
    assert_session(session(monkeypatch, home, page, ["loginHSM CO alice alicepassword"]), page)


def test_info_server(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-info.html"""
    home = cluster_of(1)
    page = fixed("""
aws-cloudhsm> info server 0
Id      Name                    Hostname         Port   State           Partition               LoginState
0       10.0.0.1                10.0.0.1        2225    Connected       hsm-udw0tkfg1ab         Logged in as 'testuser(CU)'
""", ("info server 0\nId", "info server 0\n\nId"), ("Partition               LoginState", "Partition        LoginState"),
         ("hsm-udw0tkfg1ab         Logged", "hsm-udw0tkfg1ab  Logged"))   # the changePswd tables' widths
    assert_session(session(monkeypatch, home, page, ACTIVATE + ["createUser CU testuser testpassword", "y",
                                                                "logoutHSM", "loginHSM CU testuser testpassword"]),
                   page)


# -- sessions with keys: keys are made with KMU first -----------------------------------------
def page(name: str, n: int) -> str:
    from page_text import PAGE
    return PAGE[(name, n)]


def users(*specs: str) -> list[str]:
    """Activation, then createUser for each "TYPE name" (ids 3, 4, ... in order), logged out."""
    lines = list(ACTIVATE)
    for spec in specs:
        kind, name = spec.split()
        lines += [f"createUser {kind} {name} {name}-pass1", "y"]
    return lines + ["logoutHSM"]


def cu(name: str) -> str:
    return f"loginHSM -u CU -s {name} -p {name}-pass1"


def test_delete_user(monkeypatch, cluster_of, quorum_keys):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-deleteUser.html:
    listUsers, deleteUser (no CAUTION), listUsers."""
    home = cluster_of(3)
    name = "cloudhsm_mgmt_util-deleteUser"
    third = ("server 1(10.0.0.3)", "server 2(10.0.0.3)")
    before = fixed(page(name, 2), third, ("NO\n\nUsers on server 2", "NO\nUsers on server 2"))
    setup = users("CO alice") + CO_LOGIN + [quorum_keys("admin")["admin"], "y"]
    assert_session(session(monkeypatch, home, before, setup), before)
    delete = fixed(page(name, 3), ("server 0(10.0.0.2)", "server 1(10.0.0.2)"),
                   ("server 0(10.0.0.3)", "server 2(10.0.0.3)"))
    assert_session(session(monkeypatch, home, delete, CO_LOGIN), delete)
    after = fixed(page(name, 4), third)
    assert_session(session(monkeypatch, home, after), after)


def test_list_users(monkeypatch, cluster_of, quorum_keys):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-listUsers.html:
    officer2 exists on server 0 only."""
    home = cluster_of(2)
    keys = quorum_keys("admin", "officer1")
    setup = users("CU crypto_user1", "CU crypto_user2", "CO officer1") + CO_LOGIN + [
        keys["admin"], "y", "logoutHSM", "loginHSM CO officer1 officer1-pass1", keys["officer1"], "y",
        "server 0", "createUser CO officer2 officer2-pass1", "y", "exit"]
    text = fixed(page("cloudhsm_mgmt_util-listUsers", 2),
                 *[(f"{name:<19}{mark:>10}", f"{name:<33}{mark:>10}")     # the majority's widths
                   for name, mark in (("admin", "YES"), ("app_user", "NO"), ("crypto_user1", "NO"),
                                      ("crypto_user2", "NO"), ("officer1", "YES"), ("officer2", "NO"))],
                 ("User Name            Mofn", "User Name                          Mofn"))
    assert_session(session(monkeypatch, home, text, setup), text)




def test_quorum_refusals(monkeypatch, cluster_of, quorum_keys):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-authentication-crypto-officers.html:
    createUser and deleteUser refused for quorum, one question per server."""
    home = cluster_of(2)
    keys = quorum_keys("admin", "officer1")
    setup = users("CO officer1", "CU user1") + CO_LOGIN + [
        keys["admin"], "y", "logoutHSM", "loginHSM CO officer1 officer1-pass1", keys["officer1"], "y",
        "setMValue 3 2", "y"]
    text = """
aws-cloudhsm>createUser CU user1 password
*************************CAUTION********************************
This is a CRITICAL operation, should be done on all nodes in the
cluster. AWS does NOT synchronize these changes automatically with the
nodes on which this operation is not executed or failed, please
ensure this operation is executed on all nodes in the cluster.
****************************************************************

Do you want to continue(y/n)?y
Creating User user1(CU) on 2 nodes
createUser failed: RET_MXN_AUTH_FAILED
creating user on server 0(10.0.2.14) failed

Retry/Ignore/Abort?(R/I/A):A
"""
    # createUser's own page prints a blank line before the banner (the majority of pages)
    text = fixed(text, ("createUser CU user1 password\n", "createUser CU user1 password\n\n"))
    assert_session(session(monkeypatch, home, text, setup), text)
    text = """
aws-cloudhsm>deleteUser CU user1
Deleting user user1(CU) on 2 nodes
deleteUser failed: RET_MXN_AUTH_FAILED
deleteUser failed on server 0(10.0.2.14)

Retry/rollBack/Ignore?(R/B/I):I
deleteUser failed: RET_MXN_AUTH_FAILED
deleteUser failed on server 1(10.0.1.4)

Retry/rollBack/Ignore?(R/B/I):I
"""
    assert_session(session(monkeypatch, home, text, ["loginHSM CO officer1 officer1-pass1"]), text)


def test_getting_started(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-getting-started.html:
    start-up, login, listUsers, createUser,
    logoutHSM, quit (the page's numbered list doubles some blank lines: one kept)."""
    from aws_pages import masked
    home = cluster_of(3)
    name = "cloudhsm_mgmt_util-getting-started"
    screen = run_tool(monkeypatch, home, "cmu", ["quit"], from_start=True)
    start = masked(page(name, 5))
    assert masked(screen).startswith(start + "\n\naws-cloudhsm>"), screen
    login = "aws-cloudhsm>loginHSM CO admin -hpswd\n" + page(name, 7).replace("\n\n\n", "\n\n")
    text = session(monkeypatch, home, login, users(), secrets=[(1, "co12345")])
    assert_session(text, login)
    listing = "aws-cloudhsm>listUsers\n" + page(name, 9).replace("CO              admin", "PCO             admin")
    assert_session(session(monkeypatch, home, listing, CO_LOGIN + ["logoutHSM"]), listing)
    create = ("aws-cloudhsm>createUser CU example_user password1\n\n" + page(name, 11) + "y\n"
              "Creating User example_user(CU) on 3 nodes")
    assert_session(session(monkeypatch, home, create, CO_LOGIN), create)
    listing = "aws-cloudhsm>listUsers\n" + page(name, 13).replace("CO              admin", "PCO             admin")
    assert_session(session(monkeypatch, home, listing), listing)
    for block in (14, 15):
        text = page(name, block).replace("\n\n\n", "\n\n")
        assert_session(session(monkeypatch, home, text, CO_LOGIN if block == 14 else ()), text)


def test_server_mode(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-server.html."""
    home = cluster_of(2)
    text = page("cloudhsm_mgmt_util-server", 3)
    assert_session(session(monkeypatch, home, text), text)
    text = page("cloudhsm_mgmt_util-server", 3) + "\n" + page("cloudhsm_mgmt_util-server", 4)
    assert_session(session(monkeypatch, home, text), text)


def test_get_hsm_info(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-getHSMInfo.html:
    the page shows server 0's block, then `...`."""
    home = cluster_of(3)
    text = page("cloudhsm_mgmt_util-getHSMInfo", 2)
    screen = session(monkeypatch, home, text)
    shown = text.rstrip().removesuffix("...").rstrip()
    screen = screen[:screen.index("*** Server 1 HSM Info ***")].rstrip()
    assert_session(screen, shown)


# changePswd's second listUsers: the appliance user is `jane` (a cluster's is app_user, on every
# other page) and the User Name column is 21 wide (35 on 6 of the 8 tables).
JANE = {"jane": "app_user"}
NARROW = [(f"{name:<19}{mark:>10}", f"{JANE.get(name, name):<33}{mark:>10}") for name, mark in (
    ("admin", "YES"), ("jane", "NO"), ("bob", "NO"), ("alice", "NO"), ("john", "NO"))] + [
    ("User Name            Mofn", "User Name                          Mofn")]


def test_change_password_list_users(monkeypatch, cluster_of, quorum_keys):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-changePswd.html:
    listUsers where alice is a CU on server 0 and a CO on server 1 (made in server mode) and
    admin has a quorum key (NARROW, JANE)."""
    home = cluster_of(2)
    keys = quorum_keys("admin")
    setup = users("CU bob") + CO_LOGIN + [
        keys["admin"], "y", "server 0", "createUser CU alice alice-pass1", "y", "exit",
        "server 1", "createUser CO alice alice-pass1", "y", "exit", "createUser CO john john-pass1", "y"]
    text = fixed(page("cloudhsm_mgmt_util-changePswd", 5), *NARROW)
    assert_session(session(monkeypatch, home, text, setup), text)
