"""Golden rendering: `--output classic` prints CMU's text exactly (AWS's cloudhsm_mgmt_util pages, quoted below verbatim), and `--output json` keeps its documented shape."""

from __future__ import annotations

import io
import json

import pytest

from hsmshell.backends.result import Result, ServerStatus
from hsmshell.environment import Environment
from hsmshell.errors import NoSuchUser
from hsmshell.render.classic import ClassicRenderer
from hsmshell.render.json_out import JsonRenderer

# AWS's cloudhsm_mgmt_util listUsers page, verbatim (server 0 of the example; the example's cluster is desynchronised)
LIST_USERS = """\
Users on server 0(10.0.0.1):
Number of users found:6

    User Id             User Type       User Name                          MofnPubKey    LoginFailureCnt         2FA
         1              PCO             admin                                   YES               0               NO
         2              AU              app_user                                 NO               0               NO
         3              CU              crypto_user1                             NO               0               NO
         4              CU              crypto_user2                             NO               0               NO
         5              CO              officer1                                YES               0               NO
         6              CO              officer2                                 NO               0               NO
"""
REFERENCE_USERS = [(1, "PCO", "admin", True), (2, "AU", "app_user", False), (3, "CU", "crypto_user1", False),
                   (4, "CU", "crypto_user2", False), (5, "CO", "officer1", True), (6, "CO", "officer2", False)]

# A new cluster, laid out in the columns of AWS table above
FRESH_CLUSTER_USERS = """\
Users on server {n}({ip}):
Number of users found:2

    User Id             User Type       User Name                          MofnPubKey    LoginFailureCnt         2FA
         1              PRECO           admin                                    NO               0               NO
         2              AU              app_user                                 NO               0               NO
"""

# AWS's cloudhsm_mgmt_util loginHSM page
LOGIN = """\

loginHSM success on server 0(10.0.2.9)
loginHSM success on server 1(10.0.3.11)
"""
LOGOUT = LOGIN.replace("loginHSM", "logoutHSM")

# AWS's cloudhsm_mgmt_util pages: the banner, then the question on its own after a blank line
CAUTION = """\
*************************CAUTION********************************
This is a CRITICAL operation, should be done on all nodes in the
cluster. AWS does NOT synchronize these changes automatically with the
nodes on which this operation is not executed or failed, please
ensure this operation is executed on all nodes in the cluster.
****************************************************************

"""


def renderer(cls, stdout=None, stderr=None):
    env = Environment(home=None, stdout=stdout or io.StringIO(), stderr=stderr or io.StringIO(),
                      environ={}, output="classic", color=False, interactive=False)
    return cls(env), env


def server(n: int, ip: str, error=None, **data) -> ServerStatus:
    return ServerStatus(n, f"hsm-{n}", ip, "failed" if error else "success", error, data)


def user_rows(users):
    return [{"user_id": i, "user_type": t, "user_name": name, "mofn_pub_key": mofn,
             "login_failure_count": 0, "two_fa": False} for i, t, name, mofn in users]


# -- classic: exact CMU text -------------------------------------------------------------------
def test_classic_list_users_is_the_reference_table():
    classic, env = renderer(ClassicRenderer)
    classic.result(Result("listUsers", "users", servers=[server(0, "10.0.0.1", users=user_rows(REFERENCE_USERS))]),
                   "t")
    assert env.stdout.getvalue() == LIST_USERS


def test_classic_login_and_logout_report_each_server():
    classic, env = renderer(ClassicRenderer)
    servers = [server(0, "10.0.2.9"), server(1, "10.0.3.11")]
    classic.result(Result("loginHSM", "per_server", data={"user": "admin", "user_type": "CO", "user_id": 1},
                          servers=servers), "t")
    classic.result(Result("logoutHSM", "per_server", servers=servers), "t")
    assert env.stdout.getvalue() == LOGIN + LOGOUT


@pytest.mark.parametrize("command, user, user_type, progress", [
    ("createUser", "alice", "CO", "Creating User alice(CO) on 3 nodes"),                
    ("deleteUser", "alice", "CO", "Deleting user alice(CO) on 3 nodes"),                
    ("changePswd", "john", "CO", "Changing password for john(CO) on 3 nodes"),          
])
def test_classic_user_writes_print_progress_then_each_server(command, user, user_type, progress):
    classic, env = renderer(ClassicRenderer)
    ips = ("10.0.0.1", "10.0.1.114", "10.0.2.9")
    classic.result(Result(command, "per_server", data={"user": user, "user_type": user_type},
                          servers=[server(n, ip) for n, ip in enumerate(ips)]), "t")
    assert env.stdout.getvalue().splitlines() == \
        [progress] + [f"{command} success on server {n}({ip})" for n, ip in enumerate(ips)]


def test_classic_caution_banner_is_verbatim():
    classic, env = renderer(ClassicRenderer)
    classic.caution("createUser")
    assert env.stdout.getvalue() == CAUTION


def test_classic_failure_names_the_server_and_the_command():
    classic, env = renderer(ClassicRenderer)
    missing = NoSuchUser("HSM Error: user bob doesn't exist on server 1(10.0.1.2)")
    classic.result(Result("deleteUser", "per_server", data={"user": "bob", "user_type": "CU"},
                          servers=[server(0, "10.0.0.1"), server(1, "10.0.1.2", missing)], error=missing), "t")
    assert env.stdout.getvalue().splitlines() == [
        "Deleting user bob(CU) on 2 nodes", "deleteUser success on server 0(10.0.0.1)",
        "deleteUser failed on server 1(10.0.1.2): HSM Error: user bob doesn't exist on server 1(10.0.1.2)"]
    assert env.stderr.getvalue() == "deleteUser failed: HSM Error: user bob doesn't exist on server 1(10.0.1.2)\n"


# -- classic through the whole shell (the emulator's IPs differ per cluster) -----------------------
def classic_lines(harness, line: str) -> list[str]:
    out = harness.shell.env.stdout
    start = out.tell()
    assert harness.shell.run(line, "t").status == 0, harness.shell.env.stderr.getvalue()
    out.seek(start)
    text = out.read()
    out.seek(0, io.SEEK_END)
    return text.splitlines()


def test_classic_output_of_a_fresh_cluster(harness):
    harness.open(output="classic")
    ips = [s["ip"] for s in harness.shell.backend.summary()["hsms"]]
    expected = []
    for n, ip in enumerate(ips):
        expected += FRESH_CLUSTER_USERS.format(n=n, ip=ip).splitlines()
    assert classic_lines(harness, "listUsers") == expected
    assert classic_lines(harness, "loginHSM PRECO admin password") == \
        [""] + [f"loginHSM success on server {n}({ip})" for n, ip in enumerate(ips)]
    assert classic_lines(harness, "changePswd PRECO admin officer1pw") == \
        ["Changing password for admin(PRECO) on 3 nodes"] + \
        [f"changePswd success on server {n}({ip})" for n, ip in enumerate(ips)]
    assert classic_lines(harness, "createUser CO alice alicepass1") == \
        ["Creating User alice(CO) on 3 nodes"] + [f"createUser success on server {n}({ip})" for n, ip in enumerate(ips)]


# -- JSON: one object per command, the documented keys ----------------------------------------------
KEYS = ["command", "source", "error_code", "data", "error"]


def test_json_success_shape(harness):
    outcome, printed = harness.run("listUsers", source="batch.hsm:3")
    assert len(printed) == 1
    obj = printed[0]
    assert list(obj) == KEYS
    assert obj["command"] == "listUsers" and obj["source"] == "batch.hsm:3"
    assert obj["error_code"] == 0 == outcome.status and obj["error"] is None
    for n, entry in enumerate(obj["data"]["servers"]):
        assert list(entry)[:4] == ["server", "hsm", "ip", "status"]
        assert entry["server"] == n and entry["hsm"].startswith("hsm-") and entry["status"] == "success"
        assert all(isinstance(u["user_id"], int) for u in entry["users"])


@pytest.mark.parametrize("line, code, reference", [
    ("createUser CU bob bobpass12", 3, "not-logged-in"),
    ("bogus", 2, "unknown-command"),
    ("listUsers extra", 2, "invalid-argument"),
    ("listUsers \x07", 2, "parse-error"),
    ("loginHSM CU nobody nobody123", 1, "no-such-user"),
])
def test_json_failure_shape(harness, line, code, reference):
    outcome, printed = harness.run(line)
    assert len(printed) == 1
    obj = printed[0]
    assert list(obj) == KEYS
    assert obj["data"] is None and obj["error_code"] == code == outcome.status
    assert obj["error"]["reference"] == reference
    assert {"reference", "message", "hint"} <= set(obj["error"])
    assert "\n" not in obj["error"]["message"]


def test_json_renderer_writes_exactly_one_line_per_command():
    out = io.StringIO()
    json_renderer, env = renderer(JsonRenderer, stdout=out)
    json_renderer.result(Result("whoami", "whoami", data={"user": "admin"}), "-c:1")
    json_renderer.error(NoSuchUser("no"), "deleteUser", "-c:2")
    json_renderer.caution("deleteUser")               # the banner goes to stderr, never stdout
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["source"] for line in lines] == ["-c:1", "-c:2"]
    assert "CAUTION" in env.stderr.getvalue()
