"""The cluster's life: create, initialize with a CA, configure a client, connect, fail over."""

from __future__ import annotations

import json

import pytest

from cluster_support import FakeClock, change, cli, make_cluster, needs_openssl, openssl, openssl_ca
from hsmshell.status import ExitStatus


@pytest.fixture(scope="module")
def cas(tmp_path_factory) -> dict:
    """Issuing CAs made with openssl, once for this module (tests only read them)."""
    made = {}
    for name, passphrase in (("protected", "ca-secret-1"), ("plain", None), ("other", None)):
        directory = tmp_path_factory.mktemp(name)
        made[name] = openssl_ca(directory, passphrase)
    return made


@pytest.fixture(autouse=True)
def _no_cluster_from_the_environment(monkeypatch):
    monkeypatch.delenv("HSMSHELL_CLUSTER", raising=False)
    monkeypatch.delenv("HSMSHELL_ON_SERVER_FAILURE", raising=False)


def test_create_describes_hsms_zones_enis_security_group_and_log_group(home, capsys):
    status, [obj] = cli(home, capsys, "cluster", "create", "prod", "--hsms", "4",
                        "--azs", "us-west-2a,us-west-2b", "--subnets", "172.16.0.0/24,172.16.8.0/24")
    assert status == 0 and obj["command"] == "cluster create"
    d = obj["data"]
    assert d["state"] == "UNINITIALIZED" and d["region"] == "us-west-2"
    assert [h["server"] for h in d["hsms"]] == [0, 1, 2, 3]
    assert [h["az"] for h in d["hsms"]] == ["us-west-2a", "us-west-2b", "us-west-2a", "us-west-2b"]
    assert all(h["ip"].startswith("172.16.0." if h["az"] == "us-west-2a" else "172.16.8.") for h in d["hsms"])
    assert all(h["eni"].startswith("eni-") and h["state"] == "ACTIVE" for h in d["hsms"])
    assert d["security_group"]["name"] == f"cloudhsm-{d['cluster_id']}-sg"
    assert {r["ports"] for r in d["security_group"]["rules"]} == {"2223-2225"}
    assert d["log_group"] == f"/aws/cloudhsm/{d['cluster_id']}"
    assert d["service_linked_role"] == "AWSServiceRoleForCloudHSM"

    status, [listed] = cli(home, capsys, "cluster", "list")
    assert [(c["cluster"], c["state"], c["hsms_total"]) for c in listed["data"]["clusters"]] == \
        [("prod", "UNINITIALIZED", 4)]
    status, [again] = cli(home, capsys, "cluster", "create", "prod")
    assert status == 1 and again["error"]["reference"] == "cluster-exists"


def test_bad_topology_creates_nothing(home, capsys):
    status, [obj] = cli(home, capsys, "cluster", "create", "x", "--azs", "us-east-1a,eu-west-1a")
    assert status == ExitStatus.USAGE and "one region" in obj["error"]["message"]
    status, [obj] = cli(home, capsys, "cluster", "create", "x", "--hsms", "29")
    assert status == ExitStatus.USAGE
    assert not (home / "clusters" / "x").exists()


def test_an_uninitialized_cluster_refuses_connections_with_a_hint(harness):
    make_cluster(harness, initialize=False)
    with pytest.raises(Exception) as caught:
        harness.open(cluster="prod")
    error = caught.value
    assert error.reference == "cluster-uninitialized" and error.status == ExitStatus.UNAVAILABLE
    assert "cluster initialize prod" in error.hint


@needs_openssl
def test_a_ca_key_on_a_curve_cryptography_does_not_know_is_an_invalid_argument(harness, cas, capsys, tmp_path):
    from key_fixtures import SECP112R1_PRIVATE
    cert, _ = cas["plain"]
    (tmp_path / "odd.pem").write_bytes(SECP112R1_PRIVATE)
    cli(harness.home, capsys, "cluster", "create", "prod")
    status, [obj] = cli(harness.home, capsys, "cluster", "initialize", "prod", "--ca-cert", str(cert),
                        "--ca-key", str(tmp_path / "odd.pem"))
    assert (status, obj["error"]["reference"]) == (ExitStatus.USAGE, "invalid-argument"), obj
    assert not (harness.home / "crashes").exists()


@needs_openssl
def test_initialize_with_an_openssl_ca_passes_openssl_verify_and_the_shell_connects(harness, cas, capsys,
                                                                                   monkeypatch):
    cert, key = cas["protected"]
    cli(harness.home, capsys, "cluster", "create", "prod")
    status, [obj] = cli(harness.home, capsys, "cluster", "initialize", "prod", "--ca-cert", str(cert),
                        "--ca-key", str(key), "--ca-key-passphrase", "@env:CA_PASS")
    assert status == ExitStatus.USAGE and "environment variable CA_PASS" in obj["error"]["message"]
    status, [obj] = cli(harness.home, capsys, "cluster", "initialize", "prod", "--ca-cert", str(cert),
                        "--ca-key", str(key), "--ca-key-passphrase", "the-passphrase")
    assert status == ExitStatus.USAGE and "cannot be given on the command line" in obj["error"]["message"]
    assert "the-passphrase" not in json.dumps(obj)
    monkeypatch.setenv("CA_PASS", "wrong-secret")
    status, [obj] = cli(harness.home, capsys, "cluster", "initialize", "prod", "--ca-cert", str(cert),
                        "--ca-key", str(key), "--ca-key-passphrase", "@env:CA_PASS")
    assert status == ExitStatus.USAGE and "wrong passphrase" in obj["error"]["message"]
    monkeypatch.setenv("CA_PASS", "ca-secret-1")
    status, [obj] = cli(harness.home, capsys, "cluster", "initialize", "prod", "--ca-cert", str(cert),
                        "--ca-key", str(key), "--ca-key-passphrase", "@env:CA_PASS")
    assert status == 0, obj
    d = obj["data"]
    assert d["state"] == "INITIALIZED"
    verified = openssl("verify", "-CAfile", d["customer_ca"], d["certificate"])
    assert verified.returncode == 0 and verified.stdout.strip().endswith(": OK"), verified.stderr
    assert (harness.home / "clusters" / "prod" / "customerCA.crt").read_bytes() == cert.read_bytes()
    assert b"ca-secret-1" not in (harness.home / "clusters" / "prod" / "audit.log").read_bytes()
    assert "Example Customer CA" in d["certificate_details"]["issuer"]
    harness.open(cluster="prod")
    assert [u["user_name"] for u in harness.ok("listUsers")["data"]["servers"][2]["users"]] == \
        ["admin", "app_user"]
    status, [again] = cli(harness.home, capsys, "cluster", "initialize", "prod", "--self-signed")
    assert status == 1 and again["error"]["reference"] == "invalid-cluster-state"


@needs_openssl
def test_a_csr_signed_with_openssl_initializes_the_cluster(harness, cas, tmp_path, capsys):
    cert, key = cas["plain"]
    cli(harness.home, capsys, "cluster", "create", "prod", "--hsms", "1")
    status, [obj] = cli(harness.home, capsys, "cluster", "csr", "prod", "-o", str(tmp_path / "cluster.csr"))
    assert status == 0
    signed = openssl("x509", "-req", "-days", "3652", "-in", tmp_path / "cluster.csr", "-CA", cert,
                     "-CAkey", key, "-set_serial", "7", "-out", tmp_path / "hsm.crt")
    assert signed.returncode == 0, signed.stderr
    other, _ = cas["other"]
    status, [obj] = cli(harness.home, capsys, "cluster", "initialize", "prod", "--signed-cert",
                        str(tmp_path / "hsm.crt"), "--trust-anchor", str(other))
    assert status == ExitStatus.USAGE and "not issued by the trust anchor" in obj["error"]["message"]
    status, [obj] = cli(harness.home, capsys, "cluster", "initialize", "prod", "--signed-cert",
                        str(tmp_path / "hsm.crt"), "--trust-anchor", str(cert))
    assert status == 0, obj
    assert openssl("verify", "-CAfile", obj["data"]["customer_ca"], obj["data"]["certificate"]).returncode == 0


def test_the_shell_refuses_a_cluster_that_does_not_chain_to_customer_ca(harness, tmp_path):
    from cryptography.hazmat.primitives import serialization

    from hsmshell.backends.emulator.certificates import self_signed_ca
    make_cluster(harness)
    ca_file = harness.home / "clusters" / "prod" / "customerCA.crt"
    original = ca_file.read_bytes()
    ca_file.write_bytes(b"\n" + original)          # the same CA, other bytes: checked, still trusted
    harness.open(cluster="prod")
    harness.close()
    stranger, _ = self_signed_ca(harness.env().clock())
    ca_file.write_bytes(stranger.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(Exception) as caught:
        harness.open(cluster="prod")
    assert caught.value.reference == "untrusted-cluster" and caught.value.status == ExitStatus.UNAVAILABLE
    ca_file.unlink()
    with pytest.raises(Exception) as caught:
        harness.open(cluster="prod")
    assert caught.value.reference == "untrusted-cluster"


def test_configure_lists_every_hsm_and_becomes_the_default_cluster(harness, capsys):
    d = make_cluster(harness, hsms=4)
    status, [obj] = cli(harness.home, capsys, "configure", "-a", d["hsms"][2]["ip"])
    assert status == 0
    config = json.loads((harness.home / "client.json").read_text())
    assert config["cluster"] == "prod"
    assert [(s["server"], s["hostname"], s["port"]) for s in config["servers"]] == \
        [(h["server"], h["ip"], 2225) for h in d["hsms"]]
    assert config["servers"][0]["e2e_encryption"]["owner_cert_path"].endswith("customerCA.crt")
    status, objs = cli(harness.home, capsys, "-c", "loginHSM PRECO admin password; whoami")
    assert status == 0 and objs[-1]["data"]["cluster"] == "prod"
    status, [obj] = cli(harness.home, capsys, "configure", "-a", "10.99.99.99")
    assert status == ExitStatus.USAGE and obj["error"]["reference"] == "no-such-hsm"


def test_a_failed_server_aborts_a_write_by_default_and_users_drift(harness):
    d = make_cluster(harness)
    harness.open(cluster="prod")
    harness.activate()
    change(harness, "prod", "fail-hsm", hsm="1")
    outcome, [obj] = harness.run("createUser CU bob bobpass12")
    assert outcome.status == ExitStatus.UNAVAILABLE
    servers = obj["error"]["servers"]
    assert [s["status"] for s in servers] == ["success", "failed", "failed"]
    assert servers[1]["error"]["reference"] == "hsm-unavailable"
    assert servers[2]["error"]["reference"] == "not-attempted"
    assert "Retry/Ignore/Abort?(R/I/A):A" in harness.shell.env.stderr.getvalue()
    listed = harness.ok("listUsers")["data"]["servers"]
    assert "bob" in [u["user_name"] for u in listed[0]["users"]]
    assert "bob" not in [u["user_name"] for u in listed[2]["users"]]
    assert listed[1]["status"] == "failed" and d["hsms"][1]["hsm"] == listed[1]["hsm"]


def test_ignore_goes_on_and_retry_asks_again_in_an_interactive_shell(harness):
    make_cluster(harness)
    questions = []
    answers = iter(["x", "r", "i"])

    def ask(question):
        questions.append(question)
        return next(answers)

    harness.open(cluster="prod", interactive=True, ask_yes_no_fn=ask)
    harness.activate()
    change(harness, "prod", "fail-hsm", hsm="1")
    outcome, [obj] = harness.run("createUser CU carol carolpass1")
    assert questions == ["Retry/Ignore/Abort?(R/I/A):"] * 3
    assert "Invalid option" in harness.shell.env.stderr.getvalue()
    assert outcome.status == 7 and obj["error"]["reference"] == "partial-success"   # went on: partial
    assert [s["status"] for s in obj["data"]["servers"]] == ["success", "failed", "success"]


def test_the_configured_answer_ignore_comes_from_the_environment(harness):
    from hsmshell.server_failure import configured_choice
    assert configured_choice(None, {"HSMSHELL_ON_SERVER_FAILURE": "ignore"}) == "ignore"
    assert configured_choice("abort", {"HSMSHELL_ON_SERVER_FAILURE": "ignore"}) == "abort"
    with pytest.raises(Exception) as caught:
        configured_choice("retry", {})
    assert caught.value.reference == "invalid-config"
    make_cluster(harness)
    harness.open(cluster="prod", on_server_failure="ignore")
    harness.activate()
    change(harness, "prod", "fail-hsm", hsm="0")
    outcome, [obj] = harness.run("createUser CU dave davepass1")
    assert [s["status"] for s in obj["data"]["servers"]] == ["failed", "success", "success"]


def test_a_failed_hsm_is_replaced_after_the_delay_by_a_clone_in_its_zone(harness):
    clock = FakeClock()
    d = make_cluster(harness, clock=clock)
    harness.open(cluster="prod", clock=clock)
    harness.activate()
    harness.ok("createUser CU alice alicepass1")
    failed = change(harness, "prod", "fail-hsm", clock=clock, hsm=d["hsms"][1]["hsm"], replace_after=120.0)
    assert failed["replace_at"] - failed["failed_at"] == 120.0 and failed["failed_at"] == clock()
    clock.advance(119)
    assert harness.ok("listUsers")["data"]["servers"][1]["status"] == "failed"
    clock.advance(2)
    servers = harness.ok("listUsers")["data"]["servers"]
    assert all(s["status"] == "success" for s in servers)
    new = servers[1]
    assert new["hsm"] != d["hsms"][1]["hsm"] and new["ip"] != d["hsms"][1]["ip"]
    assert [u["user_name"] for u in new["users"]] == ["admin", "app_user", "alice"]
    after = make_describe(harness)
    assert after["hsms"][1]["az"] == d["hsms"][1]["az"] and after["hsms"][1]["state"] == "ACTIVE"
    assert [e["event"] for e in after["events"]][-2:] == ["hsm-failed", "hsm-replaced"]
    records = [json.loads(line) for line in (harness.home / "clusters" / "prod" / "audit.log").read_text().splitlines()]
    assert any(r.get("replay", {}).get("hsms_replaced") for r in records)
    assert any(r.get("operation") == "fail-hsm" for r in records)


def make_describe(harness) -> dict:
    from hsmshell.admin import cluster_ops
    return cluster_ops.describe(harness.env(), "prod").data


def test_replace_add_and_remove_clone_users_and_renumber_servers(harness):
    d = make_cluster(harness)
    harness.open(cluster="prod")
    harness.activate()
    harness.ok("createUser CO officer2 officer2pw")
    replaced = change(harness, "prod", "replace", hsm="2")
    assert replaced["server"] == 2 and replaced["cloned_from"] == d["hsms"][0]["hsm"]
    added = change(harness, "prod", "add-hsm", az="us-east-1b")
    assert added["server"] == 3 and added["az"] == "us-east-1b"
    names = [[u["user_name"] for u in s["users"]] for s in harness.ok("listUsers")["data"]["servers"]]
    assert names == [["admin", "app_user", "officer2"]] * 4
    removed = change(harness, "prod", "remove-hsm", hsm=d["hsms"][0]["ip"])
    assert removed["renumbered"][0]["server"] == 0
    servers = harness.ok("listUsers")["data"]["servers"]
    assert [s["server"] for s in servers] == [0, 1, 2]
    assert d["hsms"][0]["hsm"] not in [s["hsm"] for s in servers]
    with pytest.raises(Exception) as caught:
        change(harness, "prod", "add-hsm", az="eu-west-1a")
    assert "no subnet in eu-west-1a" in caught.value.message
    with pytest.raises(Exception) as caught:
        change(harness, "prod", "replace", hsm="hsm-doesnotexist")
    assert caught.value.reference == "no-such-hsm"


def test_an_option_given_hpswd_as_typed_in_the_readme_takes_it_as_its_value():
    from hsmshell.cli import parse_arguments
    options = parse_arguments(["cluster", "initialize", "prod", "--ca-cert", "c.crt", "--ca-key", "c.key",
                               "--ca-key-passphrase", "-hpswd"])
    assert options.ca_key_passphrase == "-hpswd" and options.ca_key == "c.key"


def test_remove_hsm_and_delete_are_confirmed_like_write_commands(harness, capsys):
    make_cluster(harness)
    harness.close()
    home = harness.home
    status, [obj] = cli(home, capsys, "cluster", "remove-hsm", "prod", "1")
    assert status == 2 and obj["error"]["reference"] == "confirmation-required"
    assert "delete HSM 1 of prod" in obj["error"]["message"]
    status, [obj] = cli(home, capsys, "cluster", "delete", "prod")
    assert status == 2 and (home / "clusters" / "prod").is_dir()
    status, _ = cli(home, capsys, "--yes", "cluster", "remove-hsm", "prod", "1")
    assert status == 0
    status, _ = cli(home, capsys, "--yes", "cluster", "delete", "prod")
    assert status == 0 and not (home / "clusters" / "prod").exists()


def test_configure_says_it_changed_the_default_cluster(harness, capsys):
    from hsmshell.cli import main
    made = make_cluster(harness)
    harness.close()
    main(["--home", str(harness.home), "configure", "-a", made["hsms"][0]["ip"]])
    assert "prod is now the default cluster of hsmshell commands (it was default)" in capsys.readouterr().out
