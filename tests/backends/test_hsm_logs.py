"""Each HSM's own audit stream in the CloudHSM format, and `hsmshell logs`."""

from __future__ import annotations

import pytest

from cluster_support import FakeClock, change, cli, make_cluster


def stream(harness, hsm_id: str) -> list[dict]:
    from hsmshell.backends.emulator import hsm_logs
    return hsm_logs.read(harness.shell.db.conn, hsm_id)


def hsm_ids(harness) -> list[str]:
    return [h.hsm_id for h in harness.shell.backend.cluster.hsms()]


def test_a_new_cluster_logs_its_initialization_on_the_first_hsm_only(harness):
    harness.open()
    first, second, _ = hsm_ids(harness)
    events = stream(harness, first)
    assert [(e["sequence"], e["opcode"]) for e in events] == [
        (0, "CN_INIT_TOKEN"), (1, "CN_GEN_PSWD_ENC_KEY"), (2, "CN_CREATE_APPLIANCE_USER"), (3, "CN_INIT_DONE")]
    assert "User Name : app_user\nUser Type : CN_APPLIANCE_USER (5)" in events[2]["message"]
    assert stream(harness, second) == []                     # cloned HSMs start with a login


def test_activation_user_management_and_failures_as_each_hsm_logs_them(harness):
    harness.open()
    ids = hsm_ids(harness)
    harness.activate()
    harness.ok("createUser CO officer2 officer2pw")
    harness.ok("createUser CU alice alicepass1")
    harness.ok("deleteUser CU alice")
    harness.ok("logoutHSM")
    harness.run("loginHSM CO officer2 wrongpass1")
    harness.run("loginHSM CU nobody nobodypass")
    for hsm_id in ids:
        events = stream(harness, hsm_id)
        assert [e["sequence"] for e in events] == list(range(len(events)))       # no gaps
        mine = [e for e in events if e["opcode"] not in ("CN_INIT_TOKEN", "CN_GEN_PSWD_ENC_KEY",
                                                         "CN_CREATE_APPLIANCE_USER", "CN_INIT_DONE")]
        summary = [(e["opcode"], e.get("user_name"), e["response"].split(":")[0]) for e in mine]
        logout = [("CN_LOGOUT", "admin", "0")] if hsm_id == ids[0] else []   # only the HSM that ran it
        assert summary == [("CN_LOGIN", "admin", "0"), ("CN_CHANGE_PSWD", "admin", "0"),
                           ("CN_CREATE_CO", "officer2", "0"), ("CN_CREATE_USER", "alice", "0"),
                           ("CN_DELETE_USER", "alice", "0"), *logout,
                           ("CN_LOGIN", "officer2", "163"), ("CN_LOGIN", "nobody", "157")]
        activation = mine[1]["message"]
        assert "User Type : CN_CRYPTO_PRE_OFFICER (6)" in activation          # as AWS's audit-log page shows
        assert "Response : 163:HSM Error: RET_USER_LOGIN_FAILURE" in mine[-2]["message"]


def test_a_key_is_logged_where_it_was_made_and_inserted_on_the_others(activated):
    activated.ok("createUser CU alice alicepass1")
    activated.ok("logoutHSM")
    activated.ok("loginHSM CU alice alicepass1")
    handle = activated.ok("genSymKey -t 31 -s 32 -l k1")["data"]["key_handle"]
    opcodes = []
    for hsm_id in hsm_ids(activated):
        last = stream(activated, hsm_id)[-1]
        assert last["key_handle"] == handle and f"Priv/Secret Key Handle : {handle}" in last["message"]
        assert last["log_type"] == "MGMT_KEY_DETAILS_LOG"
        opcodes.append(last["opcode"])
    assert sorted(opcodes) == ["CN_GENERATE_KEY", "CN_INSERT_MASKED_OBJECT_USER", "CN_INSERT_MASKED_OBJECT_USER"]


def test_key_generation_goes_round_robin_over_the_reachable_hsms(activated):
    from hsmshell.backends.emulator import hsm_logs
    activated.ok("createUser CU alice alicepass1")
    activated.ok("logoutHSM")
    activated.ok("loginHSM CU alice alicepass1")
    handles = [activated.ok(f"genSymKey -t 31 -s 16 -l k{n}")["data"]["key_handle"] for n in range(3)]
    made_on = {e["key_handle"]: e["stream"] for e in hsm_logs.read(activated.shell.db.conn)
               if e["opcode"] == "CN_GENERATE_KEY"}
    assert sorted(made_on) == sorted(handles) and len(set(made_on.values())) == 3


def test_a_batch_group_counts_each_stream_and_an_undone_command_leaves_no_gap(activated, monkeypatch):
    """Sequence numbers come from a counter kept for the lock hold (read once per stream, not
    a MAX(seq) per entry); a command undone after it logged gives its numbers back."""
    from hsmshell import transactions
    from hsmshell.backends.emulator import hsm_logs
    from hsmshell.errors import HsmError
    from hsmshell.modes.batch import run_statements
    activated.ok("createUser CU alice alicepass1")
    activated.ok("logoutHSM")
    activated.ok("loginHSM CU alice alicepass1")
    monkeypatch.setattr(transactions, "GROUP_COMMANDS", 1000)
    monkeypatch.setattr(transactions, "GROUP_SECONDS", 1e9)
    logged = hsm_logs.record_command

    def fails_after_logging(cluster, spec, args, result, actor):
        logged(cluster, spec, args, result, actor)
        if args.get("label") == "undone":
            raise HsmError("failed after its entries were written")
    monkeypatch.setattr(hsm_logs, "record_command", fails_after_logging)
    reads = []
    activated.shell.db.conn.set_trace_callback(lambda sql: reads.append(sql) if "MAX(seq)" in sql else None)
    labels = ["a", "b", "undone", "c", "d", "e"]
    summary = run_statements(activated.shell, [(f"genSymKey -t 31 -s 16 -l {label}", f"g:{n}")
                                               for n, label in enumerate(labels)], continue_on_error=True)
    activated.shell.db.conn.set_trace_callback(None)
    assert (summary.ran, summary.failed) == (6, 1)
    ids = hsm_ids(activated)
    assert len(reads) <= 2 * len(ids)       # each stream read once, and once more after the undo
    made = []
    for hsm_id in ids:
        events = stream(activated, hsm_id)
        assert [e["sequence"] for e in events] == list(range(len(events)))       # no gap, no repeat
        made += [e["key_handle"] for e in events if e["opcode"] == "CN_GENERATE_KEY"]
    assert len(made) == 5
    activated.ok("genSymKey -t 31 -s 16 -l next")        # a new lock hold goes on from the table
    for hsm_id in ids:
        events = stream(activated, hsm_id)
        assert [e["sequence"] for e in events] == list(range(len(events)))


def test_a_failed_hsm_logs_nothing_and_its_replacement_gets_a_new_stream(harness, home, capsys):
    make_cluster(harness)
    harness.open(cluster="prod")
    harness.activate()
    old = hsm_ids(harness)[1]
    change(harness, "prod", "fail-hsm", hsm="1")
    before = len(stream(harness, old))
    harness.run("createUser CU bob bobpass12")
    assert len(stream(harness, old)) == before
    replaced = change(harness, "prod", "replace", hsm="1")
    new_stream = stream(harness, replaced["hsm"])
    assert [e["opcode"] for e in new_stream] == ["CN_LOGIN"] and new_stream[0]["sequence"] == 0
    source = stream(harness, replaced["cloned_from"])
    assert [e["opcode"] for e in source[-2:]] == ["CN_CLONE_SOURCE_INIT", "CN_CLONE_SOURCE_STAGE1"]
    status, [obj] = cli(home, capsys, "--cluster", "prod", "logs", "--hsm", old)     # still readable
    assert status == 0 and {e["stream"] for e in obj["data"]["events"]} == {old}
    assert old in obj["data"]["streams"] and replaced["hsm"] in obj["data"]["streams"]


def test_logs_filter_alarms_and_limit(harness, home, capsys):
    make_cluster(harness)
    harness.open(cluster="prod")
    harness.activate()
    harness.ok("createUser CU alice alicepass1")
    harness.ok("logoutHSM")
    harness.run("loginHSM CU alice wrongpass1")
    status, [obj] = cli(home, capsys, "--cluster", "prod", "logs", "--filter", "CN_LOGIN alice")
    assert status == 0
    assert [e["response"] for e in obj["data"]["events"]] == ["163:HSM Error: RET_USER_LOGIN_FAILURE"] * 3
    assert obj["data"]["log_group"].startswith("/aws/cloudhsm/cluster-")
    status, [obj] = cli(home, capsys, "--cluster", "prod", "logs", "--alarms")
    states = {a["filter"]: (a["count"], a["state"]) for a in obj["data"]["alarms"]}
    assert states["RET_USER_LOGIN_FAILURE"] == (3, "ALARM") and states["CN_CREATE_USER"] == (3, "ALARM")
    assert states["CN_DELETE_USER"] == (0, "OK") and states["CN_CREATE_CO"] == (0, "OK")
    assert {e["opcode"] for e in obj["data"]["events"]} == {"CN_LOGIN", "CN_CREATE_USER"}
    status, [obj] = cli(home, capsys, "--cluster", "prod", "logs", "--hsm", "0", "--limit", "2")
    assert len(obj["data"]["events"]) == 2
    status, [obj] = cli(home, capsys, "--cluster", "prod", "logs", "--hsm", "hsm-nothere")
    assert status == 2 and obj["error"]["reference"] == "no-such-hsm"


def test_follow_prints_new_events_and_stops_after_n_or_a_timeout(harness):
    from hsmshell.admin.hsm_log_reader import follow_logs
    clock = FakeClock()
    harness.open()
    first = hsm_ids(harness)[0]
    env = harness.env(clock=clock, sleep=clock.sleep)
    shown = [r.data["events"][0]["opcode"] for r in follow_logs(env, "default", first, max_events=2)]
    assert shown == ["CN_INIT_TOKEN", "CN_GEN_PSWD_ENC_KEY"] and clock.slept == []

    def sleep_then_log_in(seconds):        # something happens while `logs --follow` waits
        clock.sleep(seconds)
        if len(clock.slept) == 1:
            harness.ok("loginHSM PRECO admin password")

    env = harness.env(clock=clock, sleep=sleep_then_log_in)
    follow = follow_logs(env, "default", first, pattern="CN_LOGIN", max_events=1)
    assert [r.data["events"][0]["user_name"] for r in follow] == ["admin"]
    waited = len(clock.slept)
    quiet = list(follow_logs(harness.env(clock=clock, sleep=clock.sleep), "default", first,
                             pattern="CN_DELETE_USER", timeout=10, poll=2))
    assert quiet == [] and len(clock.slept) - waited == 5


def test_follow_on_the_command_line_stops_after_max_events(harness, home, capsys):
    harness.open()
    harness.close()
    status, objs = cli(home, capsys, "logs", "--follow", "--max-events", "3")
    assert status == 0 and len(objs) == 3 and all(len(o["data"]["events"]) == 1 for o in objs)


def test_logs_text_output_is_the_cloudhsm_entry(harness, home, capsys):
    harness.open()
    harness.close()
    from hsmshell.cli import main
    capsys.readouterr()
    assert main(["--home", str(home), "--output", "classic", "logs", "--limit", "1"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("hsm-") and "    Opcode : CN_INIT_DONE (0x95)\n" in text
    assert "    Sequence No : 0x3\n" in text


@pytest.mark.parametrize("argv", [["logs", "--filter", '"unbalanced']])
def test_a_bad_filter_is_a_usage_error(harness, home, capsys, argv):
    harness.open()
    harness.close()
    status, [obj] = cli(home, capsys, *argv)
    assert status == 2 and obj["error"]["reference"] == "invalid-argument"
