"""The issue's scenario from batch files with --json, through hsmshell's real entry point."""

from __future__ import annotations

import json

from hsmshell.cli import main
from key_fixtures import needs_openssl, openssl_verifies

PASSWORDS = {"ADMIN_PW": "officer1pw", "ALICE_PW": "alicepw1", "BOB_PW": "bobpw123"}


def run_batch(capsys, home, tmp_path, name: str, lines: list[str], *options: str):
    """Run a batch file; returns (exit status, {line number: JSON object})."""
    path = tmp_path / f"{name}.hsm"
    path.write_text("# " + name + "\n" + "\n".join(lines) + "\n")
    capsys.readouterr()
    status = main(["--home", str(home), "--json", "--yes", "run", str(path), *options])
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return status, {int(o["source"].rsplit(":", 1)[1]): o for o in objects}


@needs_openssl
def test_the_scenario_from_batch_files(capsys, tmp_path, monkeypatch):
    for variable, value in PASSWORDS.items():
        monkeypatch.setenv(variable, value)
    home = tmp_path / "home"
    data, signature, pub = tmp_path / "data", tmp_path / "data.sig", tmp_path / "pub.pem"
    data.write_bytes(b"batch scenario\n")

    status, out = run_batch(capsys, home, tmp_path, "setup", [
        "loginHSM PRECO admin password", "changePswd PRECO admin @env:ADMIN_PW",
        "createUser CU alice @env:ALICE_PW", "createUser CU bob @env:BOB_PW", "logoutHSM",
        "loginHSM CU alice @env:ALICE_PW",
        "genSymKey -t 31 -s 32 -l aes", "genRSAKeyPair -m 2048 -e 65537 -l rsa",
        "genECCKeyPair -i 2 -l ec"])
    assert status == 0 and all(o["error_code"] == 0 for o in out.values())
    bob = out[5]["data"]["servers"][0]["user_id"]
    aes = out[8]["data"]["key_handle"]
    rsa_pub, rsa = out[9]["data"]["public_key_handle"], out[9]["data"]["private_key_handle"]
    assert isinstance(aes, int) and isinstance(rsa, int) and isinstance(out[10]["data"]["private_key_handle"], int)

    status, out = run_batch(capsys, home, tmp_path, "share", [
        "loginHSM CU alice @env:ALICE_PW", f"shareKey {rsa} {bob} 1",
        f"exportPubKey -k {rsa_pub} -out {pub}"])
    assert status == 0, out

    status, out = run_batch(capsys, home, tmp_path, "bob", [
        "loginHSM CU bob @env:BOB_PW", f"sign -f {data} -k {rsa} -m 1 -out {signature}",
        f"deleteKey -k {rsa}", f"exportPrivateKey -k {rsa} -w {aes} -out {tmp_path / 'x.pem'}",
        f"shareKey {rsa} {bob} 0", f"setAttribute {rsa} 3 mine"], "--continue-on-error")
    assert status == 1                                   # the first failure: an HSM refusal
    assert out[3]["error_code"] == 0 and out[3]["data"]["key_handle"] == rsa
    for line in (4, 5, 6, 7):
        assert out[line]["error_code"] == 1 and out[line]["data"] is None
        assert out[line]["error"]["reference"] == "key-access-denied"
    assert openssl_verifies(pub, data, signature)

    status, out = run_batch(capsys, home, tmp_path, "officer", [
        "loginHSM CO admin @env:ADMIN_PW", "findAllKeys 0 1", "genSymKey -t 31 -s 32 -l co"],
        "--continue-on-error")
    assert status == 3
    assert out[4]["error"]["reference"] == "permission-denied"
    servers = out[3]["data"]["servers"]
    assert len(servers) == 3 and all(s["keys"] == [] for s in servers)   # user 0 owns nothing
    status, out = run_batch(capsys, home, tmp_path, "officer-all", [
        "loginHSM CO admin @env:ADMIN_PW", "findAllKeys"])
    assert status == 0
    assert {k["key_handle"] for k in out[3]["data"]["servers"][0]["keys"]} >= {aes, rsa, rsa_pub}
