"""`audit replay` of a cluster's life: HSMs failing, replaced by hand and automatically,
added and removed, between the commands that see them; the replay cluster gets the recorded
HSM ids and IPs, and a forged cluster record is found."""

from __future__ import annotations

from batch_audit_support import rechain
from cluster_support import FakeClock, change, cli, make_cluster
from hsmshell.status import ExitStatus


def statuses(printed: dict) -> list[str]:
    data = printed.get("data") or printed["error"]
    return [s["status"] for s in data["servers"]]


def run_cluster_life(harness) -> dict:
    """A cluster life with every kind of HSM change; returns the last `cluster describe`."""
    from hsmshell.admin import cluster_ops

    clock = FakeClock()
    make_cluster(harness, clock=clock)                            # create + initialize records
    harness.open(cluster="prod", clock=clock)
    harness.activate()
    harness.ok("createUser CU alice alicepass1")
    harness.ok("logoutHSM")
    harness.ok("loginHSM CU alice alicepass1")
    harness.ok("genSymKey -t 31 -s 32 -l before")

    change(harness, "prod", "fail-hsm", clock=clock, hsm="1")    # replaced in 600 s
    outcome, printed = harness.run("genSymKey -t 31 -s 16 -l degraded")       # made where it could be
    assert outcome.status == 7 and statuses(printed[-1]) == ["success", "failed", "success"]
    assert statuses(harness.ok("listUsers"))[1] == "failed"
    change(harness, "prod", "replace", clock=clock, hsm="1")
    assert len(harness.ok("findKey")["data"]["key_handles"]) == 2

    change(harness, "prod", "fail-hsm", clock=clock, hsm="2", replace_after=120.0)
    clock.advance(121)                                           # the next command replaces it
    assert statuses(harness.ok("genSymKey -t 31 -s 24 -l after")) == ["success"] * 3
    change(harness, "prod", "fail-hsm", clock=clock, hsm="0", replace_after=60.0)
    clock.advance(61)                                            # a cluster operation replaces it
    assert "hsms_replaced" in cluster_ops.describe(harness.env(clock=clock), "prod").data

    change(harness, "prod", "add-hsm", clock=clock, az="us-east-1b")
    change(harness, "prod", "remove-hsm", clock=clock, hsm="1")
    harness.ok("logoutHSM")
    harness.ok("loginHSM CO admin officer1pw")
    harness.ok("createUser CU bob bobpass12")
    assert statuses(harness.ok("listUsers")) == ["success"] * 3
    harness.close()
    return cluster_ops.describe(harness.env(clock=clock), "prod").data


def cluster_records(home) -> list[dict]:
    from batch_audit_support import log_records
    return [r for r in log_records(home, "prod") if r.get("kind") == "cluster"]


def test_a_cluster_life_replays_with_the_recorded_hsms(harness, capsys, monkeypatch):
    from hsmshell.modes.replay import Replayer

    final = run_cluster_life(harness)
    operations = [r["operation"] for r in cluster_records(harness.home)]
    assert operations == ["initialize", "fail-hsm", "replace", "fail-hsm", "fail-hsm", "describe",
                          "add-hsm", "remove-hsm"]
    replayed = {}
    close = Replayer.close

    def keep_hsms(self):            # what the replay cluster ended with, before it is deleted
        replayed["hsms"] = self.db.conn.execute(
            "SELECT server, hsm_id, ip, az FROM hsms ORDER BY server").fetchall()
        close(self)
    monkeypatch.setattr(Replayer, "close", keep_hsms)
    status, [report] = cli(harness.home, capsys, "--cluster", "prod", "audit", "replay")
    data = report["data"]
    assert status == 0 and data["divergences"] == 0, data["first_divergence"]
    assert data["cluster_operations"] == 8 and data["skipped"] == {}
    assert replayed["hsms"] == [(h["server"], h["hsm"], h["ip"], h["az"]) for h in final["hsms"]]


def test_a_forged_cluster_record_is_found(harness, capsys):
    from batch_audit_support import log_records
    run_cluster_life(harness)
    records = log_records(harness.home, "prod")
    removal = next(r for r in records if r.get("operation") == "remove-hsm")
    removal["args"]["hsm"] = "2"                     # claim another HSM was removed
    rechain(harness.home, records, "prod")
    assert cli(harness.home, capsys, "--cluster", "prod", "audit", "verify")[0] == 0
    status, [report] = cli(harness.home, capsys, "--cluster", "prod", "audit", "replay")
    divergence = report["data"]["first_divergence"]
    assert status == ExitStatus.AUDIT and divergence["seq"] == removal["seq"]
    assert divergence["what"] == "outcome" and divergence["command"] == "cluster remove-hsm"
    assert divergence["recorded"]["replay"]["removed"] != divergence["replayed"]["replay"]["removed"]


def test_a_forged_replacement_is_found_by_the_commands_after_it(harness, capsys):
    from batch_audit_support import log_records
    run_cluster_life(harness)
    records = log_records(harness.home, "prod")
    automatic = next(r for r in records if r.get("kind") == "command"
                     and (r.get("replay") or {}).get("hsms_replaced"))
    del automatic["replay"]["hsms_replaced"]         # hide that an HSM was replaced here
    rechain(harness.home, records, "prod")
    status, [report] = cli(harness.home, capsys, "--cluster", "prod", "audit", "replay")
    divergence = report["data"]["first_divergence"]
    assert status == ExitStatus.AUDIT and divergence["seq"] == automatic["seq"]
    assert divergence["replayed"]["replay"]["hsms_replaced"][0]["reason"] == "automatic"
