"""`--backend cloudhsm` driving CloudHSM CLI (`cloudhsm-cli interactive`) for the SDK 5
vocabulary: against `hsmshell emulate cloudhsm-cli` (the same JSON as the emulator backend
gives), and against a recorded-transcript stand-in that answers with the reference's verbatim
outputs (so the backend is not tested only against hsmshell's own emulator). Passwords reach
the tool through its terminal only; a tool that hangs, dies or prints garbage is
hsm-unavailable (exit 5) with its words."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from contract_support import open_roles
from hsmshell.status import ExitStatus

STANDIN = Path(__file__).resolve().parent / "sdk5_transcript" / "standin.py"
SECRET = "Zq8-unusual-pw"
STORY = [f"cluster activate --password {SECRET}",
         f"login --username admin --role admin --password {SECRET}",
         f"user create --username alice --role crypto-user --password {SECRET}",
         "user list", "logout",
         f"login --username alice --role crypto-user --password {SECRET}",
         "key generate-symmetric aes --label k --key-length-bytes 32",
         "key generate-asymmetric-pair ec --public-label ep --private-label ek --curve secp384r1 "
         "--private-attributes sign=true",
         "key list --verbose", "key set-attribute --filter attr.label=k --name label --value k2",
         "crypto sign ecdsa --key-filter attr.label=ek --hash-function sha384 --data YWJj",
         "key delete --filter attr.label=k2", "logout"]


def masked(value):
    """Values two clusters make differently: check values, EC points, signatures."""
    if isinstance(value, dict):
        return {k: ("<masked>" if k in ("check-value", "ec-point", "signature") else masked(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


@pytest.fixture
def on_tool(harness, tmp_path):
    """The test's shell on --backend cloudhsm with the given cloudhsm-cli command."""
    def configure(command: str, **environ):
        harness.close()
        harness.options.update(backend="cloudhsm", roles_dir=open_roles(tmp_path / "roles"),
                               environ={"HSMSHELL_CLOUDHSM_CLI_COMMAND": command,
                                        "HSMSHELL_CLOUDHSM_TIMEOUT": "30", **environ})
        return harness
    return configure


def test_the_story_gives_the_same_data_through_the_real_tool_path(harness, on_tool, tmp_path):
    emulated = [harness.ok(line)["data"] for line in STORY]
    tools = tmp_path / "tools"
    shell = on_tool(f"{sys.executable} -m hsmshell emulate cloudhsm-cli --home {tools}")
    driven = [shell.ok(line)["data"] for line in STORY]
    assert masked(driven) == masked(emulated)
    assert shell.ok("whoami")["data"]["user"] is None                 # the story ends logged out
    outcome, printed = shell.run("key delete --filter attr.label=gone")
    assert (outcome.status, printed[0]["error"]["reference"]) == (ExitStatus.DENIED, "not-logged-in")


def test_refusals_keep_their_references_through_the_tool(on_tool, tmp_path):
    shell = on_tool(f"{sys.executable} -m hsmshell emulate cloudhsm-cli --home {tmp_path / 'tools'}")
    shell.ok(f"cluster activate --password {SECRET}")
    outcome, printed = shell.run(f"cluster activate --password {SECRET}")
    assert outcome.status == ExitStatus.HSM_ERROR
    error = printed[0]["error"]
    assert (error["reference"], error["message"]) == ("already-activated", "Cluster has already been activated")
    outcome, printed = shell.run("login --username admin --role admin --password wrongpassword")
    assert printed[0]["error"]["reference"] == "login-failed"


def standin(on_tool, tmp_path, mode: str = ""):
    log = tmp_path / "standin.log"
    shell = on_tool(f"{sys.executable} {STANDIN}", STANDIN_LOG=str(log), STANDIN_MODE=mode,
                    HSMSHELL_CLOUDHSM_TIMEOUT="2" if mode == "hang" else "30")
    return shell, log


def reference_data(name: str):
    return json.loads((STANDIN.parent / name).read_text(encoding="utf-8"))["data"]


@pytest.mark.parametrize("line, transcript", [
    ("cluster activate --password {pw}", "activate.txt"),
    ("login --username admin1 --role admin --password {pw}", "login.txt"),
    ("user create --username alice --role crypto-user --password {pw}", "user_create.txt"),
    ("user list", "user_list.txt"),
    ("cluster hsm-info", "hsm_info.txt"),
    ("key generate-symmetric aes --label example-aes --key-length-bytes 24", "aes.txt"),
    ("key list", "key_list.txt"),
    ("crypto sign rsa-pkcs --key-filter attr.label=rsa-private --hash-function sha256 --data YWJjMTIz",
     "sign.txt"),
    ("quorum token-sign list", "token_list.txt"),
    ("quorum token-sign delete --scope user", "token_delete.txt"),
    ("logout", "logout.txt"),
])
def test_the_reference_outputs_are_read_back_exactly(on_tool, tmp_path, line, transcript):
    shell, log = standin(on_tool, tmp_path)
    assert shell.ok(line.format(pw=SECRET))["data"] == reference_data(transcript)
    records = [json.loads(entry) for entry in log.read_text().splitlines()]
    assert all(SECRET not in " ".join(r["argv"]) for r in records if "argv" in r)
    typed = [r["typed"] for r in records if "typed" in r]
    assert typed == ([SECRET] * {"activate.txt": 2, "user_create.txt": 2, "login.txt": 1}.get(transcript, 0))


def test_a_failed_verify_is_the_tools_words_as_an_hsm_error(on_tool, tmp_path):
    shell, _ = standin(on_tool, tmp_path)
    outcome, printed = shell.run("crypto verify rsa-pkcs --key-filter attr.label=rsa-public --hash-function "
                                 "sha256 --data YWJjMTIz --signature AAAA")
    assert outcome.status == ExitStatus.HSM_ERROR
    assert printed[0]["error"]["reference"] == "signature-invalid"
    assert printed[0]["error"]["message"] == "Signature verification failed"


def test_a_login_sets_who_is_logged_in_for_the_policy(on_tool, tmp_path):
    shell, _ = standin(on_tool, tmp_path)
    shell.ok(f"login --username admin1 --role admin --password {SECRET}")
    assert shell.ok("whoami")["data"]["user"] == "admin1"
    shell.ok("logout")
    assert shell.ok("whoami")["data"]["user"] is None


@pytest.mark.parametrize("mode, words", [
    ("hang", "did not answer within 2 s"),
    ("die", "exited"),
    ("garbage", "Segmentation fault (core dumped) in libcloudhsm"),
])
def test_a_tool_that_hangs_dies_or_prints_garbage_is_unavailable(on_tool, tmp_path, mode, words):
    shell, _ = standin(on_tool, tmp_path, mode)
    outcome, printed = shell.run("user list")
    assert outcome.status == ExitStatus.UNAVAILABLE
    assert printed[0]["error"]["reference"] == "hsm-unavailable"
    assert words in printed[0]["error"]["message"]


def test_a_usage_error_of_the_tool_is_invalid_argument_with_its_words(on_tool, tmp_path):
    shell, _ = standin(on_tool, tmp_path)
    outcome, printed = shell.run("key list --max-items 3")
    assert outcome.status == ExitStatus.USAGE
    assert "unrecognized command line" in printed[0]["error"]["message"]


def test_a_missing_tool_is_unavailable_naming_the_setting(on_tool):
    shell = on_tool("/opt/cloudhsm/bin/no-such-cloudhsm-cli")
    outcome, printed = shell.run("user list")
    assert outcome.status == ExitStatus.UNAVAILABLE and "no-such-cloudhsm-cli" in printed[0]["error"]["message"]


NEW_STORY = [f"cluster activate --password {SECRET}",
             f"login --username admin --role admin --password {SECRET}",
             f"user create --username alice --role crypto-user --password {SECRET}",
             f"user create --username bob --role crypto-user --password {SECRET}",
             "quorum token-sign list-quorum-values", "logout",
             f"login --username alice --role crypto-user --password {SECRET}",
             "key generate-symmetric aes --label q --key-length-bytes 16 --share-crypto-users bob "
             "--manage-key-quorum-value 2 --use-key-quorum-value 1",
             "key generate-asymmetric-pair ec --curve ed25519 --public-label edp --private-label ed "
             "--private-attributes sign=true",
             "crypto sign ed25519 --key-filter attr.label=ed --data YWJj",
             "key list --filter attr.label=q --verbose", "logout",
             f"login --username admin --role admin --password {SECRET}",
             "key set-attribute --filter attr.label=q --name trusted --value true", "logout"]
REFUSED = [(10, "key set-attribute --filter attr.label=q --name label --value q2", "quorum-required")]


def test_quorum_values_ed25519_and_trusted_through_the_real_tool_path(harness, on_tool, tmp_path, home):
    """This round's additions give the same data (and the same refusal) through the tool."""
    from hsmshell.clusters import create_emulated_cluster
    tools = tmp_path / "tools"
    for where in (home, tools):                     # Ed25519 needs a non-FIPS hsm2m.medium
        create_emulated_cluster(where / "clusters" / "default", "default", 2, time.time,
                                hsm_type="hsm2m.medium", mode="NON_FIPS")

    def run(shell) -> list[list]:
        data, refusals = [], []
        for index, line in enumerate(NEW_STORY):
            data.append(shell.ok(line)["data"])
            for after, refused, _ in REFUSED:
                if after == index:
                    refusals.append(shell.run(refused)[1][0]["error"]["reference"])
        return [data, refusals]

    emulated = run(harness)
    driven = run(on_tool(f"{sys.executable} -m hsmshell emulate cloudhsm-cli --home {tools}"))
    assert masked(driven) == masked(emulated)
    assert driven[1] == [reference for _, _, reference in REFUSED]
    assert driven[0][4] == {"user": 1, "quorum": 1, "cluster": 1}
    assert driven[0][10]["matched_keys"][0]["key-info"]["key-quorum-values"] == {
        "manage-key-quorum-value": 2, "use-key-quorum-value": 1}
