"""The pkcs11 backend on a real SoftHSM2 token: keys that outlive the process, signatures openssl
verifies, pkcs11-tool interoperability both ways, the documented errors, two shells on one
token, and no secret in the audit log or the state dir."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from batch_audit_support import cli, json_lines, write_batch
from contract_support import open_roles
from pkcs11_support import SO_PIN, USER_PIN, login_line, make_softhsm, pkcs11_tool, softhsm  # noqa: F401 (fixture)
from hsmshell.status import ExitStatus


def run(capsys, home, token, *lines: str, extra=()):
    status, out, err = cli(capsys, home, *token.argv(), "--json", "--yes", *extra, "-c", "; ".join(lines))
    return status, json_lines(out), err


def ok(capsys, home, token, *lines: str) -> list[dict]:
    status, results, err = run(capsys, home, token, login_line(), *lines)
    assert status == 0, (results, err)
    return results


def require_openssl():
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (scripts/test installs it as root): openssl check skipped")


def test_a_key_made_in_one_process_signs_in_the_next_and_openssl_verifies(capsys, tmp_path, softhsm):
    home = tmp_path / "home"
    pair = ok(capsys, home, softhsm, "genRSAKeyPair -m 2048 -e 65537 -l signer")[-1]["data"]
    ec = ok(capsys, home, softhsm, "genECCKeyPair -i 2 -l ec-signer")[-1]["data"]
    data = tmp_path / "invoice.txt"
    data.write_bytes(b"invoice 42\n" * 100)
    d = tmp_path
    results = ok(capsys, home, softhsm,
                 f"sign -f {data} -k {pair['private_key_handle']} -m 1 -out {d}/rsa.sig",
                 f"sign -f {data} -k {pair['private_key_handle']} -m 6 -out {d}/pss.sig",
                 f"sign -f {data} -k {ec['private_key_handle']} -m 17 -out {d}/ec.sig",
                 f"exportPubKey -k {pair['public_key_handle']} -out {d}/rsa.pem",
                 f"exportPubKey -k {ec['public_key_handle']} -out {d}/ec.pem",
                 f"verify -f {data} -s {d}/ec.sig -k {ec['public_key_handle']} -m 17",
                 f"verify -f {data} -s {d}/pss.sig -k {pair['public_key_handle']} -m 6")
    by_mechanism = {r["data"]["mechanism"]: r["data"] for r in results if r["command"] == "sign"}
    # SoftHSM has no CKM_ECDSA_SHA256: the host hashes, the token signs with raw CKM_ECDSA
    assert by_mechanism["ECDSA_SHA256"]["token_mechanism"] == "ECDSA over a host SHA256 digest"
    assert by_mechanism["SHA256_RSA_PKCS"]["token_mechanism"] == "SHA256_RSA_PKCS"
    assert results[-1]["data"]["verified"] is True
    status, results, _ = run(capsys, home, softhsm, login_line(),
                             f"verify -f {d}/rsa.pem -s {d}/ec.sig -k {ec['public_key_handle']} -m 17")
    assert (status, results[-1]["error"]["reference"]) == (ExitStatus.HSM_ERROR, "signature-invalid")
    require_openssl()
    for pem, sig, options in (("rsa.pem", "rsa.sig", []), ("ec.pem", "ec.sig", []),
                              ("rsa.pem", "pss.sig", ["-sigopt", "rsa_padding_mode:pss",
                                                      "-sigopt", "rsa_pss_saltlen:-1"])):
        checked = subprocess.run(["openssl", "dgst", "-sha256", *options, "-verify", str(d / pem),
                                  "-signature", str(d / sig), str(data)], capture_output=True, text=True)
        assert checked.stdout.strip() == "Verified OK", (sig, checked.stderr)


def test_pkcs11_tool_uses_hsmshell_keys_and_hsmshell_uses_pkcs11_tool_keys(capsys, tmp_path, softhsm):
    home = tmp_path / "home"
    pair = ok(capsys, home, softhsm, "genRSAKeyPair -m 2048 -l made-by-hsmshell")[-1]["data"]
    listed = pkcs11_tool(softhsm, "--login", "--pin", USER_PIN, "--list-objects").stdout
    assert "made-by-hsmshell" in listed
    # pkcs11-tool signs with hsmshell's key (found by the CKA_ID hsmshell gave it) ...
    data = tmp_path / "data.bin"
    data.write_bytes(b"interop" * 50)
    ckid = ok(capsys, home, softhsm, f"getAttribute {pair['private_key_handle']} 258")[-1]
    ckid_hex = ckid["data"]["attributes"][0]["value"]
    pkcs11_tool(softhsm, "--login", "--pin", USER_PIN, "--sign", "--mechanism", "SHA256-RSA-PKCS",
                "--id", ckid_hex, "--input-file", str(data), "--output-file", str(tmp_path / "tool.sig"))
    verified = ok(capsys, home, softhsm, f"verify -f {data} -s {tmp_path}/tool.sig "
                                         f"-k {pair['public_key_handle']} -m 1")[-1]
    assert verified["data"]["verified"] is True
    # ... and hsmshell finds and uses a key pair pkcs11-tool generated
    pkcs11_tool(softhsm, "--login", "--pin", USER_PIN, "--keypairgen", "--key-type", "EC:prime256v1",
                "--id", "4242", "--label", "made-by-pkcs11-tool")
    found = ok(capsys, home, softhsm, "findKey -l made-by-pkcs11-tool")[-1]["data"]
    kinds = {k["key_class"]: k["key_handle"] for k in found["keys"]}
    assert set(kinds) == {2, 3} and all(k["id"] == "4242" for k in found["keys"])
    results = ok(capsys, home, softhsm, f"sign -f {data} -k {kinds[3]} -m 17 -out {tmp_path}/ec.sig",
                 f"verify -f {data} -s {tmp_path}/ec.sig -k {kinds[2]} -m 17")
    assert results[-1]["data"]["verified"] is True
    again = ok(capsys, home, softhsm, "findKey -l made-by-pkcs11-tool")[-1]["data"]
    assert again["key_handles"] == found["key_handles"]          # stable across processes


def test_a_non_extractable_key_cannot_be_exported_or_wrapped(capsys, tmp_path, softhsm):
    home = tmp_path / "home"
    results = ok(capsys, home, softhsm, "genSymKey -t 31 -s 32 -l wrapper",
                 "genRSAKeyPair -m 2048 -l kept -nex", "genSymKey -t 31 -s 32 -l kept-aes -nex",
                 "genRSAKeyPair -m 2048 -l free")
    wrapper, kept, kept_aes, free = (r["data"] for r in results[1:])
    assert kept["extractable"] is False
    status, out, _ = run(capsys, home, softhsm, login_line(),
                         f"exportPrivateKey -k {kept['private_key_handle']} -w {wrapper['key_handle']} "
                         f"-out {tmp_path}/kept.pem", extra=())
    assert (status, out[-1]["error"]["reference"]) == (ExitStatus.HSM_ERROR, "key-not-extractable")
    assert "CKR_KEY_UNEXTRACTABLE" in out[-1]["error"]["message"]
    assert not (tmp_path / "kept.pem").exists()
    status, out, _ = run(capsys, home, softhsm, login_line(),
                         f"wrapKey -k {kept_aes['key_handle']} -w {wrapper['key_handle']} -m 6 "
                         f"-out {tmp_path}/w.bin")
    assert out[-1]["error"]["reference"] == "key-not-extractable"
    exported = ok(capsys, home, softhsm, f"exportPrivateKey -k {free['private_key_handle']} "
                                         f"-w {wrapper['key_handle']} -out {tmp_path}/free.pem")[-1]
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key((tmp_path / "free.pem").read_bytes(), None)
    assert key.key_size == 2048 and exported["data"]["key_handle"] == free["private_key_handle"]
    assert (tmp_path / "free.pem").stat().st_mode & 0o077 == 0


def test_wrap_and_unwrap_round_trips_and_import_private_key(capsys, tmp_path, softhsm):
    home = tmp_path / "home"
    results = ok(capsys, home, softhsm, "genSymKey -t 31 -s 32 -l kek", "genRSAKeyPair -m 2048 -l rsa",
                 "genSymKey -t 31 -s 16 -l data-key")
    kek, rsa, data_key = (r["data"] for r in results[1:])
    d = tmp_path
    results = ok(capsys, home, softhsm,
                 f"wrapKey -k {rsa['private_key_handle']} -w {kek['key_handle']} -m 6 -out {d}/rsa.wrapped",
                 f"unWrapKey -f {d}/rsa.wrapped -w {kek['key_handle']} -m 6",
                 f"wrapKey -k {data_key['key_handle']} -w {rsa['public_key_handle']} -m 8 -out {d}/aes.wrapped",
                 f"unWrapKey -f {d}/aes.wrapped -w {rsa['private_key_handle']} -m 8",
                 f"wrapKey -k {data_key['key_handle']} -w {kek['key_handle']} -m 5 -noheader -out {d}/raw",
                 f"unWrapKey -f {d}/raw -w {kek['key_handle']} -m 5 -noheader -kc 4 -kt 31 -l raw-copy")
    unwrapped = [r["data"] for r in results if r["command"] == "unWrapKey"]
    assert [(u["key_class"], u["key_type"], u["label"]) for u in unwrapped] == [
        (3, 0, "rsa"), (4, 31, "data-key"), (4, 31, "raw-copy")]
    status, out, _ = run(capsys, home, softhsm, login_line(),
                         f"wrapKey -k {data_key['key_handle']} -w {kek['key_handle']} -out {d}/x")
    assert (status, out[-1]["error"]["reference"]) == (ExitStatus.HSM_ERROR, "mechanism-not-supported")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    private = ec.generate_private_key(ec.SECP384R1())
    (d / "mine.pem").write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (d / "msg").write_bytes(b"imported")
    results = ok(capsys, home, softhsm, f"importPrivateKey -l mine -f {d}/mine.pem -w {kek['key_handle']}")
    handle = results[-1]["data"]["key_handle"]
    ok(capsys, home, softhsm, f"sign -f {d}/msg -k {handle} -m 18 -out {d}/mine.sig")
    from cryptography.hazmat.primitives import hashes
    private.public_key().verify((d / "mine.sig").read_bytes(), b"imported", ec.ECDSA(hashes.SHA384()))


def test_a_pem_key_on_a_curve_cryptography_does_not_know_is_an_invalid_argument(capsys, tmp_path, softhsm):
    """UnsupportedAlgorithm from `cryptography` is a user's bad input (exit 2), not an internal error."""
    from key_fixtures import SECP112R1_PRIVATE, SECP112R1_PUBLIC
    home = tmp_path / "home"
    (tmp_path / "odd.pub").write_bytes(SECP112R1_PUBLIC)
    (tmp_path / "odd.pem").write_bytes(SECP112R1_PRIVATE)
    kek = ok(capsys, home, softhsm, "genSymKey -t 31 -s 32 -l kek")[-1]["data"]["key_handle"]
    for line in (f"importPubKey -l odd -f {tmp_path}/odd.pub",
                 f"importPrivateKey -l odd -f {tmp_path}/odd.pem -w {kek}"):
        status, out, err = run(capsys, home, softhsm, login_line(), line)
        assert (status, out[-1]["error"]["reference"]) == (ExitStatus.USAGE, "invalid-argument"), (out, err)
        assert "PEM" in out[-1]["error"]["message"]
    assert not (home / "crashes").exists()


def test_wrong_pin_missing_token_and_missing_module_give_the_documented_errors(capsys, tmp_path, softhsm):
    home = tmp_path / "home"
    status, out, _ = run(capsys, home, softhsm, "loginHSM CU payments wrong-pin")
    assert (status, out[0]["error"]["reference"]) == (ExitStatus.HSM_ERROR, "login-failed")
    assert "CKR_PIN_INCORRECT" in out[0]["error"]["message"]
    argv = ["--backend", "pkcs11", "--pkcs11-module", softhsm.module, "--token", "no-such-token"]
    status, text, _ = cli(capsys, home, *argv, "--json", "-c", login_line())
    error = json_lines(text)[0]["error"]
    assert (status, error["reference"]) == (ExitStatus.UNAVAILABLE, "hsm-unavailable")
    assert "payments" in error["hint"] and softhsm.serial in error["hint"]       # what is there
    argv = ["--backend", "pkcs11", "--pkcs11-module", str(tmp_path / "missing.so"), "--token", "payments"]
    status, text, _ = cli(capsys, home, *argv, "--json", "-c", login_line())
    error = json_lines(text)[0]["error"]
    assert (status, error["reference"]) == (ExitStatus.UNAVAILABLE, "hsm-unavailable")
    assert "missing.so" in error["message"]
    status, text, _ = cli(capsys, home, "--backend", "pkcs11", "--json", "-c", login_line())
    assert status == 0          # $HSMSHELL_PKCS11_MODULE and $HSMSHELL_PKCS11_TOKEN name them
    # a wrong PIN never reaches the audit log
    assert b"wrong-pin" not in b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())


def test_officer_resets_the_user_pin_and_the_user_changes_it(capsys, tmp_path, softhsm):
    home = tmp_path / "home"
    status, out, err = run(capsys, home, softhsm, f"loginHSM CO officer {SO_PIN}",
                           "changePswd CU payments newpin-22")
    assert status == 0, (out, err)
    assert run(capsys, home, softhsm, login_line())[0] == ExitStatus.HSM_ERROR
    status, out, err = run(capsys, home, softhsm, login_line("newpin-22"),
                           "changePswd CU payments thirdpin3")
    assert status == 0, (out, err)
    assert run(capsys, home, softhsm, login_line("thirdpin3"), "findKey")[0] == 0


def test_what_a_token_cannot_serve_is_not_supported_by_backend_and_hidden_from_help(
        capsys, tmp_path, softhsm):
    home = tmp_path / "home"
    roles = open_roles(tmp_path / "roles")
    results = ok(capsys, home, softhsm, "genRSAKeyPair -m 2048 -l k")
    handle = results[-1]["data"]["private_key_handle"]
    for line in ("listUsers", f"shareKey {handle} 5 1", "createUser CU bob bobpw1234", "getHSMInfo",
                 "genSymKey -t 31 -s 32 -l q -m_value 2"):
        status, out, _ = run(capsys, home, softhsm, login_line(), line, extra=("--roles", str(roles)))
        assert (status, out[-1]["error"]["reference"]) == (ExitStatus.UNAVAILABLE,
                                                           "not-supported-by-backend"), line
        assert "pkcs11" in out[-1]["error"]["message"]
    status, out, _ = run(capsys, home, softhsm, "help")
    listed = {row["command"] for row in out[0]["data"]["commands"]}
    assert {"sign", "genSymKey", "loginHSM", "help", "quit"} <= listed
    assert not {"listUsers", "shareKey", "createUser", "setMValue", "getToken"} & listed


def test_policy_denies_before_the_token_and_audit_verifies(capsys, tmp_path, softhsm):
    home = tmp_path / "home"
    data = tmp_path / "d"
    data.write_bytes(b"x")
    status, out, _ = run(capsys, home, softhsm, f"loginHSM CO officer {SO_PIN}", "genSymKey -t 31 -s 32 -l no")
    assert (status, out[-1]["error"]["reference"]) == (ExitStatus.DENIED, "permission-denied")
    assert out[-1]["error"]["message"].startswith("genSymKey needs role CU")
    status, text, err = cli(capsys, home, *softhsm.argv(), "--json", "audit", "verify")
    assert status == 0, (text, err)
    assert json_lines(text)[0]["data"]["log"].endswith("clusters/token-payments/audit.log")
    log = next(home.rglob("audit.log")).read_text()
    assert '"permission-denied"' in log and SO_PIN not in log


def test_two_shells_on_one_token_do_not_lose_a_key(tmp_path, softhsm):
    home = tmp_path / "home"
    batches = []
    for name in ("a", "b"):
        lines = ["loginHSM CU payments @env:PIN"] + [f"genSymKey -t 31 -s 32 -l {name}{i}" for i in range(15)]
        batches.append(write_batch(tmp_path, "\n".join(lines) + "\n", f"{name}.hsm"))
    env = {**__import__("os").environ, "PIN": USER_PIN, "HSMSHELL_HOME": str(home)}
    # both start on a home that has no state folder yet: its creation races too
    # (test_first_use_race.py makes that race likely)
    procs = [subprocess.Popen([sys.executable, "-m", "hsmshell", *softhsm.argv(), "--json", "--yes",
                               "run", str(b)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for b in batches]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    made = [o["data"]["key_handle"] for out, _ in outputs for o in json_lines(out) if o["command"] == "genSymKey"]
    assert len(made) == 30 and len(set(made)) == 30
    listed = subprocess.run([sys.executable, "-m", "hsmshell", *softhsm.argv(), "--json", "-c",
                             "loginHSM CU payments @env:PIN; findKey -c 4"], env=env,
                            capture_output=True, text=True, timeout=120)
    found = json_lines(listed.stdout)[-1]["data"]
    assert sorted(found["key_handles"]) == sorted(made)
    assert {k["label"] for k in found["keys"]} == {f"{n}{i}" for n in "ab" for i in range(15)}


def test_nothing_secret_in_the_audit_log_or_the_state_dir(capsys, tmp_path, softhsm):
    home = tmp_path / "home"
    results = ok(capsys, home, softhsm, "genSymKey -t 31 -s 32 -l w", "genRSAKeyPair -m 2048 -l r")
    wrapper, pair = results[1]["data"], results[2]["data"]
    ok(capsys, home, softhsm, f"exportPrivateKey -k {pair['private_key_handle']} -w {wrapper['key_handle']} "
                              f"-out {tmp_path}/out.pem -pass pem-pass-phrase-9")
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key((tmp_path / "out.pem").read_bytes(), b"pem-pass-phrase-9")
    private_bytes = key.private_numbers().d.to_bytes(256, "big")
    state = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    for secret in (USER_PIN.encode(), b"pem-pass-phrase-9", private_bytes[:32], private_bytes[-32:]):
        assert secret not in state
    assert list((home / "pkcs11").glob("*.db")), "the handle map is kept per token serial"


def test_a_tokens_log_replays_on_a_fresh_token_and_a_changed_outcome_is_a_divergence(
        capsys, tmp_path, softhsm, monkeypatch):
    home = tmp_path / "home"
    data = tmp_path / "data"
    data.write_bytes(b"replayed")
    lines = [login_line("wrong-pin"), login_line(), "genSymKey -t 31 -s 32 -l aes",
             "genRSAKeyPair -m 2048 -l rsa", f"sign -f {data} -k 3 -m 1 -out {tmp_path}/sig",
             "deleteKey -k 1", "getKeyInfo -k 1", "changePswd CU payments second-pin", "logoutHSM",
             "loginHSM CU payments second-pin", "findKey", "createUser CU bob bobpw1234"]
    batch = write_batch(tmp_path, "\n".join(lines) + "\n", "token.hsm")
    status, out, err = cli(capsys, home, *softhsm.argv(), "--json", "--yes", "run", str(batch),
                           "--continue-on-error")
    assert [o["error"]["reference"] for o in json_lines(out) if o["error"]] == [
        "login-failed", "no-such-key", "permission-denied"], err
    fresh = make_softhsm(tmp_path / "fresh", "fresh")[0]
    monkeypatch.setenv("SOFTHSM2_CONF", str(fresh.conf))
    monkeypatch.setenv("HSMSHELL_REPLAY_USER_PIN", USER_PIN)
    monkeypatch.setenv("HSMSHELL_REPLAY_SO_PIN", SO_PIN)
    replay = ["--backend", "pkcs11", "--pkcs11-module", fresh.module, "--token", "fresh",
              "--cluster", "token-payments", "--json", "audit", "replay"]
    status, text, err = cli(capsys, home, *replay)
    report = json_lines(text)[0]["data"]
    assert status == 0, (text, err)
    assert report["divergences"] == 0 and report["commands"] >= 9 and not report["skipped"], report
    # the same log on a token where the PINs differ: the first login now fails
    monkeypatch.setenv("HSMSHELL_REPLAY_USER_PIN", "another-pin")
    other = make_softhsm(tmp_path / "other", "fresh")[0]
    monkeypatch.setenv("SOFTHSM2_CONF", str(other.conf))
    status, text, err = cli(capsys, home, *replay)
    assert status == ExitStatus.AUDIT, err
    divergence = json_lines(text)[0]["data"]["first_divergence"]
    assert divergence["command"] == "loginHSM" and divergence["what"] == "outcome", divergence
