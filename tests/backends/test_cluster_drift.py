"""Drift between HSMs, CMU server mode, syncUser/syncKey, and `cluster diff`."""

from __future__ import annotations

import pytest

from cluster_support import change, diff, make_cluster
from hsmshell.status import ExitStatus


@pytest.fixture
def drifted(harness):
    """bob was created while server 1 was down (ignored), so servers 0 and 2 have him; then
    server 1 came back."""
    make_cluster(harness)
    harness.open(cluster="prod", on_server_failure="ignore")
    harness.activate()
    change(harness, "prod", "fail-hsm", hsm="1", replace_after=None)
    harness.run("createUser CU bob bobpass12")
    harness.shell.db.conn.execute("UPDATE hsms SET state = 'ACTIVE', replace_at = NULL WHERE server = 1")
    return harness


def test_server_mode_sends_commands_to_one_hsm_and_exit_leaves_it(activated):
    from hsmshell.ui.toolbar import prompt_text
    obj = activated.ok("server 1")
    assert obj["data"]["message"] == "Server is in 'E2' mode..." and obj["data"]["server"] == 1
    assert "server1" in prompt_text(activated.shell).value
    servers = activated.ok("listUsers")["data"]["servers"]
    assert [s["server"] for s in servers] == [1]
    activated.ok("createUser CU solo solopass1")            # only on server 1: drift made on purpose
    assert activated.ok("exit")["data"]["message"] == "left server mode (server 1)"
    assert not activated.shell.quitting and "server1" not in prompt_text(activated.shell).value
    have = {s["server"]: [u["user_name"] for u in s["users"]] for s in activated.ok("listUsers")["data"]["servers"]}
    assert "solo" in have[1] and "solo" not in have[0] and "solo" not in have[2]
    activated.ok("exit")                                     # in global mode, exit quits as CMU's does
    assert activated.shell.quitting


def test_server_mode_refuses_a_server_that_does_not_exist(activated):
    outcome, [obj] = activated.run("server 7")
    assert outcome.status == ExitStatus.USAGE and "servers are 0..2" in obj["error"]["message"]


def test_sync_user_needs_server_mode_and_an_officer(drifted):
    outcome, [obj] = drifted.run("syncUser 3 1")
    assert outcome.status == ExitStatus.USAGE and "server mode" in obj["error"]["message"]
    drifted.ok("logoutHSM")
    drifted.ok("loginHSM CU bob bobpass12")
    drifted.ok("server 0")
    outcome, [obj] = drifted.run("syncUser 3 1")
    assert outcome.status == ExitStatus.DENIED


def test_diff_shows_the_drift_and_the_syncs_that_fix_it(drifted):
    d = diff(drifted, "prod")
    assert not d["in_sync"]
    [bob] = d["users"]
    assert bob["user"] == "bob" and bob["missing_on"] == [1] and bob["differs_on"] == []
    assert bob["source_server"] == 0
    assert d["fix"] == ["server 0", f"syncUser {bob['user_id']} 1", "exit"]
    for command in d["fix"]:
        drifted.ok(command)
    listed = drifted.ok("listUsers")["data"]["servers"]
    assert all("bob" in [u["user_name"] for u in s["users"]] for s in listed)
    assert diff(drifted, "prod")["in_sync"]
    drifted.ok("logoutHSM")
    drifted.ok("loginHSM CU bob bobpass12")                 # the synced copy has bob's password
    assert all(s["status"] == "success" for s in drifted.ok("listUsers")["data"]["servers"])


def test_a_password_changed_while_servers_were_down_is_copied_from_the_latest_change(drifted):
    drifted.ok("server 0")
    drifted.ok("syncUser 3 1")
    drifted.ok("exit")
    db = drifted.shell.db.conn
    db.execute("UPDATE hsms SET state = 'DEGRADED' WHERE server IN (1, 2)")
    outcome, _ = drifted.run("changePswd CU bob bobpass99")  # only server 0 has the new password
    assert outcome.status == ExitStatus.PARTIAL             # the others were unreachable, and it says so
    assert outcome.error.message.startswith("changePswd took effect on server 0 only, not on servers 1, 2")
    db.execute("UPDATE hsms SET state = 'ACTIVE' WHERE server IN (1, 2)")
    [bob] = diff(drifted, "prod")["users"]
    # the HSM logs show server 0 changed bob last: its copy wins, though most HSMs hold the old one
    assert bob["source_server"] == 0 and bob["differs_on"] == [1, 2]
    variants = {s["server"]: s["variant"] for s in bob["servers"]}
    assert variants[1] == variants[2] != variants[0]


def test_sync_user_to_a_server_where_its_id_is_taken_gives_the_next_id(drifted):
    drifted.ok("server 1")
    drifted.ok("createUser CU carl carlpass1")              # server 1 gives carl bob's id there
    drifted.ok("exit")
    bob_id = next(u["user_id"] for u in drifted.ok("listUsers")["data"]["servers"][0]["users"]
                  if u["user_name"] == "bob")
    drifted.ok("server 0")
    obj = drifted.ok(f"syncUser {bob_id} 1")
    assert obj["data"]["created"] is True and obj["data"]["destination_user_id"] != bob_id
    assert obj["data"]["lines"] == ["ExtractMaskedObject: 0x0 !", "InsertMaskedObject: 0x0 !", "syncUser success"]
    outcome, [bad] = drifted.run("syncUser 999 1")
    assert bad["error"]["reference"] == "no-such-user"
    outcome, [bad] = drifted.run("syncUser 1 0")
    assert "the server you are on" in bad["error"]["message"]


def test_sync_key_copies_a_key_missing_on_a_server(harness):
    make_cluster(harness)
    harness.open(cluster="prod")
    harness.activate()
    harness.ok("createUser CU alice alicepass1")
    harness.ok("logoutHSM")
    harness.ok("loginHSM CU alice alicepass1")
    harness.ok("server 0")
    handle = harness.ok("genSymKey -t 31 -s 32 -l k1")["data"]["key_handle"]   # server 0 only
    harness.ok("exit")
    [key] = diff(harness, "prod")["keys"]
    assert key["key_handle"] == handle and key["missing_on"] == [1, 2]
    assert diff(harness, "prod")["fix"] == ["server 0", f"syncKey {handle} 1", f"syncKey {handle} 2", "exit"]
    harness.ok("server 0")
    harness.ok(f"syncKey {handle} 1")
    outcome, [obj] = harness.run("syncKey 1 2")
    assert obj["error"]["reference"] == "no-such-key"
    harness.ok(f"syncKey {handle} 2")
    harness.ok("exit")
    d = diff(harness, "prod")
    assert d["in_sync"] and len({s["key_hash"] for s in d["servers"]}) == 1
