"""One contract, two backends: the same scenarios on `--backend emulator` and on `--backend
cloudhsm` pointed at `hsmshell emulate cmu|kmu` (each on its own state dir) print the same JSON
results, error references included (contract_support.py says what is normalized)."""

from __future__ import annotations

import pytest

from batch_audit_support import cli, file_keyring, json_lines, write_batch  # noqa: F401
from contract_support import normalized, tool_environment
from contract_support import open_roles as open_roles_dir
from hsmshell.status import ExitStatus
from test_provisioning_scenario import PASSWORDS, provisioning_batch


@pytest.fixture
def on_both(capsys, tmp_path, monkeypatch):
    """run(argv...) -> {backend: (status, JSON objects)}, each backend on a fresh state dir."""
    def run(*argv: str) -> dict:
        outcomes = {}
        for backend in ("emulator", "cloudhsm"):
            home = tmp_path / f"home-{backend}"
            with monkeypatch.context() as patch:
                if backend == "cloudhsm":
                    for name, value in tool_environment(tmp_path / "tools-home").items():
                        patch.setenv(name, value)
                status, out, err = cli(capsys, home, "--backend", backend, *argv)
            outcomes[backend] = (status, json_lines(out), err)
        return outcomes
    return run


def assert_same(outcomes: dict) -> list[dict]:
    (status, emulated, err), (status2, driven, err2) = outcomes["emulator"], outcomes["cloudhsm"]
    assert [o["command"] for o in driven] == [o["command"] for o in emulated], err2
    for mine, theirs in zip(normalized(emulated), normalized(driven)):
        assert theirs == mine, (theirs["source"], err2)
    assert status2 == status, (err, err2)
    return emulated


def test_provisioning_scenario_gives_the_same_json_through_the_real_tools_path(
        on_both, tmp_path, file_keyring):
    for name, password in PASSWORDS.items():
        file_keyring.set_password("hsmshell:default", name, password)
    batch = write_batch(tmp_path, provisioning_batch(tmp_path), "provision.hsm")
    outcomes = on_both("--json", "--yes", "run", str(batch), "--continue-on-error")
    results = assert_same(outcomes)
    assert len(results) == 26
    assert [(r["source"].rsplit(":", 1)[1], r["error"]["reference"]) for r in results
            if r["error_code"]] == [("13", "quorum-required")]
    assert outcomes["cloudhsm"][0] == ExitStatus.QUORUM


@pytest.fixture
def open_roles(tmp_path):
    return open_roles_dir(tmp_path / "open-roles")


def test_the_hsms_refusals_have_the_same_references_on_both_backends(
        on_both, tmp_path, open_roles):
    from quorum_support import make_approvers, register_command
    keys = make_approvers(tmp_path, "admin", "officer2")
    lines = [
        "createUser CU carol carolpw1",                       # nobody logged in
        "loginHSM PRECO admin wrongpass",                     # RET_USER_LOGIN_FAILURE
        "loginHSM PRECO admin password",
        "changePswd PRECO admin officer1pw",
        "createUser CO officer2 officer2pw",
        "createUser CU alice alicepw12",
        "createUser CU bob bobpw1234",
        "createUser CU alice alicepw12",                      # exists on every HSM
        "genSymKey -t 31 -s 32 -l officers-cannot",           # a CO may not make keys
        "deleteUser CU nobody",
        register_command(keys["admin"]),
        "logoutHSM",
        "loginHSM CO officer2 officer2pw",
        register_command(keys["officer2"]),
        "setMValue 3 2",
        "createUser CU carol carolpw1",                       # RET_MXN_AUTH_FAILED, then A
        "logoutHSM",
        "loginHSM CU alice alicepw12",
        "createUser CU dave davepw12",                        # a CU may not manage users
        "genSymKey -t 31 -s 32 -l alice-key",
        "getKeyInfo -k 262145",
        "deleteKey -k 999999",                                # 0xa8
        "logoutHSM",
        "loginHSM CU bob bobpw1234",
        "deleteKey -k 262145",                                # 0xc6: not bob's key
        "logoutHSM",
        "logoutHSM",                                          # nobody is logged in
    ]
    batch = write_batch(tmp_path, "\n".join(lines) + "\n", "refusals.hsm")
    outcomes = on_both("--json", "--yes", "--roles", str(open_roles), "run", str(batch),
                       "--continue-on-error")
    results = assert_same(outcomes)
    refusals = {r["source"].rsplit(":", 1)[1]: r["error"]["reference"] for r in results if r["error_code"]}
    assert refusals == {"1": "not-logged-in", "2": "login-failed", "8": "user-exists",
                        "9": "permission-denied", "10": "no-such-user", "16": "quorum-required",
                        "19": "permission-denied", "22": "no-such-key", "25": "key-access-denied",
                        "27": "not-logged-in"}, refusals


@pytest.mark.parametrize("answer, third_server", [("abort", "failed"), ("ignore", "success")])
def test_a_failed_hsm_gets_the_configured_retry_ignore_abort_answer_on_both_backends(
        capsys, tmp_path, monkeypatch, answer, third_server):
    outcomes = {}
    for backend in ("emulator", "cloudhsm"):
        home, tools = tmp_path / f"home-{backend}", tmp_path / f"tools-{backend}"
        cluster_home = home if backend == "emulator" else tools
        with monkeypatch.context() as patch:
            for name, value in tool_environment(tools).items():
                patch.setenv(name, value)
            setup = "loginHSM PRECO admin password; changePswd PRECO admin officer1pw"
            assert cli(capsys, home, "--backend", backend, "--json", "--yes", "-c", setup)[0] == 0
            assert cli(capsys, cluster_home, "--json", "cluster", "fail-hsm", "default", "1")[0] == 0
            status, out, err = cli(capsys, home, "--backend", backend, "--json", "--yes",
                                   "--on-server-failure", answer, "-c",
                                   "loginHSM CO admin officer1pw; createUser CU bob bobpw1234")
        outcomes[backend] = (status, json_lines(out), err)
    created = assert_same(outcomes)[-1]
    if answer == "abort":        # stopped at the failure: its status, the servers in the error
        servers = created["error"]["servers"]
        assert created["error"]["reference"] == "hsm-unavailable" and outcomes["cloudhsm"][0] == 5
        assert created["error"]["hint"].startswith("createUser took effect on server 0 only")
    else:                        # went on: a partial success (exit 7), the servers in data
        servers = created["data"]["servers"]
        assert created["error"]["reference"] == "partial-success" and outcomes["cloudhsm"][0] == 7
    assert [s["status"] for s in servers] == ["success", "failed", third_server]
    assert servers[1]["error"]["reference"] == "hsm-unavailable"
    if answer == "abort":
        assert servers[2]["error"]["reference"] == "not-attempted"


def _projected(results: list[dict]) -> list[dict]:
    """findAllKeys through CMU knows each key's handle, marks and (for a key marked (o)) its
    owner, not a shared key's owner nor any key's class or label (a crypto officer cannot read a key: backends/cloudhsm/
    cmu_keys.py): the contract holds for those. Random keys' PEM and DER lengths vary."""
    for result in results:
        if result["command"] == "exportPrivateKey" and result["data"]:
            result["data"]["length"] = "<the PEM of a random RSA key: its length varies>"
        if result["command"] == "importPrivateKey" and result["data"]:
            result["data"]["ber_length"] = "<the DER of a random RSA key: its length varies>"
        if result["command"] == "findAllKeys" and result["data"]:
            for server in result["data"]["servers"]:
                server["keys"] = [{k: v for k, v in key.items()     # (s): owner or not, CMU does not say
                                   if k in ("key_handle", "shared") or (k in ("owned", "owner") and not key["shared"])}
                                  for key in server.get("keys", [])]
    return results


def test_key_material_commands_give_the_same_json_through_the_real_tools_path(on_both, tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    lines = [
        "loginHSM PRECO admin password", "changePswd PRECO admin officer1pw",
        "createUser CU alice alicepw12", "createUser CU bob bobpw1234", "logoutHSM", "loginHSM CU alice alicepw12",
        "genSymKey -t 31 -s 32 -l wrapping",                       # 262145
        "genSymKey -t 21 -s 24 -l des",                            # 262146
        "genRSAKeyPair -m 2048 -e 65537 -l rsa",                   # 262147, 262148
        "genDSAKeyPair -m 2048 -l dsa",                            # 262149, 262150
        f"exSymKey -k 262146 -w 262145 -out {files}/des.key",
        f"imSymKey -f {files}/des.key -w 262145 -t 21 -l des-copy",
        f"exportPrivateKey -k 262148 -w 262145 -out {files}/rsa.pem",
        f"importPrivateKey -f {files}/rsa.pem -l rsa-copy -w 262145",
        f"exportPubKey -k 262147 -out {files}/rsa.pub",
        f"importPubKey -l pub-copy -f {files}/rsa.pub",
        f"wrapKey -k 262146 -w 262145 -out {files}/des.wrapped -m 4",
        f"unWrapKey -f {files}/des.wrapped -w 262145 -m 4",
        f"aesWrapUnwrap -f {files}/des.key -w 262145 -m 1 -out {files}/des.aes",
        "genSymKey -t 31 -s 32 -l shared -u 4",                    # 262155, shared with bob
        f"extractMaskedObject -o 262155 -out {files}/shared.masked",
        f"insertMaskedObject -f {files}/shared.masked",           # 262156: alice's, shared with bob
        "logoutHSM", "loginHSM CO admin officer1pw",
        "findAllKeys 3 1",
        "server 0", "syncUser 3 1", "syncKey 262145 1", "exit",   # a CO: findAllKeys names the owner
        "logoutHSM", "loginHSM CU alice alicepw12",
        "server 0", "syncKey 262155 1", "exit",                   # a CU: getKeyInfo on the destination
    ]
    batch = write_batch(tmp_path, "\n".join(lines) + "\n", "material.hsm")
    outcomes = on_both("--json", "--yes", "run", str(batch))
    for backend in outcomes:
        status, results, err = outcomes[backend]
        outcomes[backend] = (status, _projected(results), err)
    results = assert_same(outcomes)
    assert [r["command"] for r in results if r["error_code"]] == [], results
    assert outcomes["cloudhsm"][0] == ExitStatus.SUCCESS
    inserted = next(r["data"] for r in results if r["command"] == "insertMaskedObject")
    assert (inserted["label"], inserted["owner"], inserted["shared_with"]) == ("shared", 3, [4])
    synced = [r["data"] for r in results if r["command"] == "syncKey"]
    assert [(d["owner"], d["shared_with"]) for d in synced] == [(3, []), (3, [4])]    # both backends
    listed = next(r for r in results if r["command"] == "findAllKeys")["data"]["servers"][0]["keys"]
    assert {k["owner"] for k in listed if not k["shared"]} == {3} and any(k["shared"] for k in listed)


def test_get_cert_gives_the_same_json_through_the_real_tools_path(on_both, tmp_path):
    lines = ["loginHSM PRECO admin password", "changePswd PRECO admin officer1pw",
             "createUser CU alice alicepw12", "logoutHSM", "loginHSM CU alice alicepw12",
             f"getCert -f {tmp_path}/root.crt -s 1", f"getCert -f {tmp_path}/hsm.crt -s 16",
             "logoutHSM", "loginHSM CO admin officer1pw", "server 1", f"getCert {tmp_path}/hw.crt 2", "exit",
             f"getCert {tmp_path}/customer.crt 4"]          # the default cluster has no customer root
    batch = write_batch(tmp_path, "\n".join(lines) + "\n", "certs.hsm")
    outcomes = on_both("--json", "--yes", "run", str(batch), "--continue-on-error")
    for backend in outcomes:                 # each run makes its own manufacturer: lengths vary
        for result in outcomes[backend][1]:
            if result["command"] == "getCert" and result["data"]:
                result["data"]["length"] = "<PEM>"
    results = assert_same(outcomes)
    assert [(r["command"], r["error"]["reference"]) for r in results if r["error_code"]] == \
        [("getCert", "no-such-certificate")]


# -- the pkcs11 backend: the same key scenario on the emulator and on a SoftHSM2 token ------------
# Every command the pkcs11 backend claims runs on both; the contract is the JSON contract: the
# same commands, exit classes, error references, and the fields both report for the same keys
# (contract_support.KEY_CONTRACT_FIELDS). Handles are each backend's own, so a line names an
# earlier result ({aes}, {rsa.private_key_handle}) and each backend fills in its own handle.
KEY_SCENARIO = [
    ("loginHSM CU payments userpin1", None),
    ("genSymKey -t 31 -s 32 -l wrapping-key", "aes"),
    ("genSymKey -t 16 -s 32 -l hmac-key -sess", "generic"),
    ("genSymKey -t 31 -s 16 -l kept -nex", "kept"),
    ("genRSAKeyPair -m 2048 -e 65537 -l signer", "rsa"),
    ("genECCKeyPair -i 2 -l ec-signer", "ec"),
    ("genECCKeyPair -i 14 -l ec384", "ec384"),
    ("genSymKey -t 31 -s 20 -l bad-size", None),                               # invalid-argument
    ("findKey -l signer", None),
    ("findKey -c 4", None),
    ("findSingleKey -k {aes.key_handle}", None),
    ("getKeyInfo -k {rsa.private_key_handle}", None),
    ("getAttribute {aes.key_handle} 3", None),
    ("getAttribute {kept.key_handle} 354", None),
    ("listAttributes", None),
    ("setAttribute {aes.key_handle} 3 renamed-key", None),
    ("getAttribute {aes.key_handle} 3", None),
    ("sign -f {dir}/data -k {rsa.private_key_handle} -m 1 -out {dir}/rsa.sig", None),
    ("verify -f {dir}/data -s {dir}/rsa.sig -k {rsa.public_key_handle} -m 1", None),
    ("sign -f {dir}/data -k {rsa.private_key_handle} -m 7 -out {dir}/pss.sig", None),
    ("verify -f {dir}/data -s {dir}/pss.sig -k {rsa.public_key_handle} -m 7", None),
    ("sign -f {dir}/data -k {ec.private_key_handle} -m 17 -out {dir}/ec.sig", None),
    ("verify -f {dir}/data -s {dir}/ec.sig -k {ec.public_key_handle} -m 17", None),
    ("verify -f {dir}/data -s {dir}/rsa.sig -k {ec.public_key_handle} -m 17", None),   # bad signature
    ("sign -f {dir}/data -k {ec.private_key_handle} -m 1 -out {dir}/x.sig", None),     # RSA mech, EC key
    ("sign -f {dir}/data -k {rsa.public_key_handle} -m 1 -out {dir}/x.sig", None),     # a public key
    ("exportPubKey -k {rsa.public_key_handle} -out {dir}/rsa.pem", None),
    ("importPubKey -l imported-pub -f {dir}/rsa.pem", "pub"),
    ("verify -f {dir}/data -s {dir}/rsa.sig -k {pub.key_handle} -m 1", None),
    ("exportPrivateKey -k {rsa.private_key_handle} -w {aes.key_handle} -out {dir}/rsa-priv.pem", None),
    ("importPrivateKey -l imported-priv -f {dir}/rsa-priv.pem -w {aes.key_handle}", "priv"),
    ("sign -f {dir}/data -k {priv.key_handle} -m 1 -out {dir}/rsa2.sig", None),
    ("verify -f {dir}/data -s {dir}/rsa2.sig -k {rsa.public_key_handle} -m 1", None),
    ("wrapKey -k {generic.key_handle} -w {aes.key_handle} -m 6 -out {dir}/generic.wrapped", None),
    ("unWrapKey -f {dir}/generic.wrapped -w {aes.key_handle} -m 6", "unwrapped"),
    ("wrapKey -k {kept.key_handle} -w {aes.key_handle} -m 6 -out {dir}/kept.wrapped", None),
    ("deleteKey -k {ec384.private_key_handle}", None),
    ("getKeyInfo -k {ec384.private_key_handle}", None),                          # no-such-key
    ("deleteKey -k 999999", None),
    ("changePswd CU payments userpin2", None),
    ("logoutHSM", None),
    ("findKey", None),                                                           # not logged in
    ("loginHSM CU payments userpin1", None),                                     # the old password
    ("loginHSM CU payments userpin2", None),
]


def test_the_key_commands_give_the_same_json_on_the_emulator_and_on_a_pkcs11_token(tmp_path, harness_class):
    from contract_support import run_steps, key_contract
    from pkcs11_support import make_softhsm

    token = make_softhsm(tmp_path / "softhsm", "payments")[0]
    (tmp_path / "data").write_bytes(b"the contract\n" * 64)
    emulated = run_steps(harness_class, tmp_path / "home-emulator", KEY_SCENARIO, tmp_path,
                         setup=["loginHSM PRECO admin password", "changePswd PRECO admin officer1pw",
                                "createUser CU payments userpin1", "logoutHSM"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(token.conf))
        on_token = run_steps(harness_class, tmp_path / "home-pkcs11", KEY_SCENARIO, tmp_path, backend="pkcs11",
                             cluster="token-payments", pkcs11={"module": token.module, "token": token.label})
    assert [o["command"] for o in on_token] == [o["command"] for o in emulated]
    for line, mine, theirs in zip(KEY_SCENARIO, key_contract(emulated), key_contract(on_token)):
        assert theirs == mine, line[0]
    refused = {line[0].split()[0] + ":" + o["error"]["reference"]
               for line, o in zip(KEY_SCENARIO, on_token) if o["error"]}
    assert refused == {"genSymKey:invalid-argument", "verify:signature-invalid", "sign:invalid-argument",
                       "wrapKey:key-not-extractable", "getKeyInfo:no-such-key",
                       "deleteKey:no-such-key", "findKey:not-logged-in", "loginHSM:login-failed"}, refused
