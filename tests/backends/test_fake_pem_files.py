"""KMU's fake PEM key handle files (getCaviumPrivKey, IsValidKeyHandlefile): the same JSON on
the emulator and relayed to key_mgmt_util (--backend cloudhsm driving `emulate kmu`), the
refusals, and audit replay without the files (the golden tests are tests/golden/
test_fake_pem_pages.py)."""

from __future__ import annotations

import shutil

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from batch_audit_support import cli, json_lines, log_lines, write_batch
from test_backend_contract import assert_same, on_both  # noqa: F401  (a fixture)

CU_LOGIN = ["loginHSM PRECO admin password", "changePswd PRECO admin officer1pw",
            "createUser CU alice alicepw12", "createUser CU bob bobpw1234", "logoutHSM",
            "loginHSM CU alice alicepw12"]


def real_key(path) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    path.write_bytes(data)
    return data


def test_fake_pem_files_give_the_same_json_through_the_real_tools_path(on_both, tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    real_key(files / "real.pem")
    lines = [*CU_LOGIN, "genRSAKeyPair -m 2048 -e 65537 -l web",              # 262145, 262146
             f"getCaviumPrivKey -k 262146 -out {files}/fake.pem",
             f"IsValidKeyHandlefile -f {files}/fake.pem",
             f"IsValidKeyHandlefile -f {files}/real.pem"]
    batch = write_batch(tmp_path, "\n".join(lines) + "\n", "fake-pem.hsm")
    outcomes = on_both("--json", "--yes", "run", str(batch))
    results = assert_same(outcomes)
    assert [r["data"] for r in results[-3:]] == [
        {"key_handle": 262146, "file": f"{files}/fake.pem",
         "message": f"Private Key Handle is written to {files}/fake.pem in fake PEM format"},
        {"file": f"{files}/fake.pem", "real_private_key": False, "key_handle": 262146,
         "message": "Input file has invalid key handle: 262146"},
        {"file": f"{files}/real.pem", "real_private_key": True, "key_handle": None,
         "message": "Input key file has real private key"}]


def alices_rsa_key(harness, *flags: str) -> int:
    """The private key handle of an RSA pair made by a new crypto user alice, logged in."""
    harness.ok("createUser CU alice alicepw12")
    harness.ok("logoutHSM")
    harness.ok("loginHSM CU alice alicepw12")
    return harness.ok(" ".join(["genRSAKeyPair -m 2048 -e 65537 -l web", *flags]))["data"]["private_key_handle"]


def test_what_is_no_rsa_private_key_of_yours_is_refused(activated, tmp_path):
    harness = activated
    harness.ok("createUser CU alice alicepw12")
    harness.ok("createUser CU bob bobpw1234")
    harness.ok("logoutHSM")
    harness.ok("loginHSM CU bob bobpw1234")
    bobs = harness.ok("genRSAKeyPair -m 2048 -e 65537 -l bobs")["data"]["private_key_handle"]
    harness.ok("logoutHSM")
    harness.ok("loginHSM CU alice alicepw12")
    pair = harness.ok("genECCKeyPair -i 2 -l ec")["data"]
    rsa_pair = harness.ok("genRSAKeyPair -m 2048 -e 65537 -l mine")["data"]
    (tmp_path / "junk.pem").write_text("not a key\n")
    for line, reference in [
            (f"getCaviumPrivKey -k {pair['private_key_handle']} -out {tmp_path}/x.pem", "invalid-argument"),
            (f"getCaviumPrivKey -k {rsa_pair['public_key_handle']} -out {tmp_path}/x.pem", "invalid-argument"),
            (f"getCaviumPrivKey -k {bobs} -out {tmp_path}/x.pem", "key-access-denied"),
            ("getCaviumPrivKey -k 999999 -out x.pem", "no-such-key"),
            (f"IsValidKeyHandlefile -f {tmp_path}/junk.pem", "invalid-argument"),
            (f"IsValidKeyHandlefile -f {tmp_path}/missing.pem", "invalid-argument")]:
        outcome, printed = harness.run(line)
        assert printed[-1]["error"]["reference"] == reference, (line, printed[-1])
    assert not (tmp_path / "x.pem").exists()
    harness.ok("logoutHSM")
    outcome, printed = harness.run(f"IsValidKeyHandlefile -f {tmp_path}/junk.pem")     # a CU's command
    assert printed[-1]["error"]["reference"] == "not-logged-in"


def test_a_log_with_fake_pem_files_replays_without_them_and_keeps_no_key(activated, tmp_path, capsys):
    harness = activated
    files = tmp_path / "files"
    files.mkdir()
    material = real_key(files / "real.pem")
    private = alices_rsa_key(harness)
    harness.ok(f"getCaviumPrivKey -k {private} -out {files}/fake.pem")
    assert harness.ok(f"IsValidKeyHandlefile -f {files}/fake.pem")["data"]["key_handle"] == private
    assert harness.ok(f"IsValidKeyHandlefile -f {files}/real.pem")["data"]["real_private_key"] is True
    harness.close()
    log = b"".join(log_lines(harness.home)).decode()
    assert "PRIVATE KEY" not in log and material.decode().splitlines()[1] not in log
    shutil.rmtree(files)
    status, out, err = cli(capsys, harness.home, "--json", "audit", "replay")
    data = json_lines(out)[0]["data"]
    assert status == 0 and data["divergences"] == 0, (data["first_divergence"], err)


def test_a_non_extractable_key_gets_a_fake_pem(activated, tmp_path):
    """The spec's help says so: the file holds no private material, so -nex keys are fine
    (unlike exportPrivateKey, which refuses them)."""
    harness = activated
    private = alices_rsa_key(harness, "-nex")
    harness.ok(f"getCaviumPrivKey -k {private} -out {tmp_path}/fake.pem")
    assert harness.ok(f"IsValidKeyHandlefile -f {tmp_path}/fake.pem")["data"]["key_handle"] == private
