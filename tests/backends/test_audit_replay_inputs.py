"""`audit replay` needs none of the files the commands read: the record keeps what they read
that is no secret (registered public keys, registration tokens, approvals with their token
and signatures, imported public keys), also for commands that failed after reading. Keys
imported from files (imSymKey, importPrivateKey, unWrapKey) are not in the log: replay
stands in keys of their kind and lists them as not reproducible, not as divergences."""

from __future__ import annotations

import base64
import os
import shutil

from batch_audit_support import cli, json_lines, log_lines, log_records
from hsmshell.status import ExitStatus
from quorum_support import approve, cmu_approval, login, make_approvers, password_of, setup_officers


def failed(harness, line: str, reference: str) -> None:
    outcome, printed = harness.run(line)
    assert outcome.status != 0 and printed[-1]["error"]["reference"] == reference, printed


def test_a_log_replays_after_every_file_it_read_is_gone(harness, tmp_path, capsys):
    files = tmp_path / "files"
    files.mkdir()
    officers = make_approvers(files, "admin", "officer2")
    setup_officers(harness, officers)
    admin, o2 = officers["admin"], officers["officer2"]
    login(harness, "officer2")          # someone else's key, read and checked, then refused
    failed(harness, f"registerQuorumPubKey CO officer2 {admin.reg} {admin.reg_sig} {admin.pub}",
           "invalid-argument")
    login(harness, "admin")
    harness.ok("setMValue 3 2")
    token = files / "admin.token"
    harness.ok(f"getToken 3 admin {token}")
    forged = cmu_approval(files / "forged.txt", token, [("officer2", admin.sign(token, files / "forged.sig"))])
    failed(harness, f"approveToken {forged}", "invalid-approval")
    outcome, printed = approve(harness, files, token, [admin, o2])
    assert outcome.status == 0, printed
    harness.ok(f"createUser CU alice {password_of('alice')}")
    login(harness, "alice", "CU")

    harness.ok(f"importPubKey -l officer2-pub -f {o2.pub}")
    wrapping = harness.ok("genSymKey -t 31 -s 32 -l wrapping")["data"]["key_handle"]
    aes_key = os.urandom(32)
    (files / "aes.key").write_bytes(aes_key)
    aes = harness.ok(f"imSymKey -f {files / 'aes.key'} -w {wrapping} -t 31 -l imported")["data"]["key_handle"]
    harness.ok(f"importPrivateKey -l officer2-key -f {o2.key} -w {wrapping}")
    failed(harness, f"importPrivateKey -l junk -f {token} -w {wrapping}", "invalid-argument")
    harness.ok(f"wrapKey -k {aes} -w {wrapping} -out {files / 'aes.wrapped'}")
    unwrapped = harness.ok(f"unWrapKey -f {files / 'aes.wrapped'} -w {wrapping}")["data"]["key_handle"]
    harness.ok(f"deleteKey -k {unwrapped}")
    assert len(harness.ok("findKey")["data"]["key_handles"]) == 4
    harness.close()

    refused = [r for r in log_records(harness.home) if r.get("command") in ("registerQuorumPubKey", "approveToken")
               and r["outcome"]["error_code"]]
    assert len(refused) == 2 and all(r.get("replay") for r in refused)   # failures replay without files too
    log = b"".join(log_lines(harness.home)).decode()
    assert "PRIVATE KEY" not in log and o2.key.read_text().splitlines()[1] not in log
    assert base64.b64encode(aes_key).decode() not in log
    assert aes_key.hex() not in log and "BEGIN PUBLIC KEY" in log
    shutil.rmtree(files)                 # replay needs none of the files again

    status, out, err = cli(capsys, harness.home, "--json", "audit", "replay")
    data = json_lines(out)[0]["data"]
    assert status == 0 and data["divergences"] == 0, (data["first_divergence"], err)
    listed = [(n["command"], n["reason"], n["replayed"].split(" ")[0]) for n in data["not_reproducible"]]
    assert listed == [("imSymKey", "not reproducible (secret input)", "replayed"),
                      ("importPrivateKey", "not reproducible (secret input)", "replayed"),
                      ("importPrivateKey", "not reproducible (secret input)", "not"),
                      ("unWrapKey", "not reproducible (secret input)", "replayed")]
    status, out, _ = cli(capsys, harness.home, "audit", "replay")
    assert status == 0 and "4 record(s) not reproducible (secret input" in out
    assert "— replayed with a stand-in key of the recorded kind" in out


def test_a_forged_approval_is_found(harness, tmp_path, capsys):
    from batch_audit_support import rechain
    files = tmp_path / "files"
    files.mkdir()
    officers = make_approvers(files, "admin", "officer2")
    setup_officers(harness, officers)
    harness.ok("setMValue 3 2")
    token = files / "t"
    harness.ok(f"getToken 3 admin {token}")
    approve(harness, files, token, [officers["admin"], officers["officer2"]])
    harness.close()
    records = log_records(harness.home)
    approval = next(r for r in records if r.get("command") == "approveToken")
    signature = bytearray(base64.b64decode(approval["replay"]["approval"]["approvals"][1]["signature"]))
    signature[0] ^= 1
    approval["replay"]["approval"]["approvals"][1]["signature"] = base64.b64encode(signature).decode()
    rechain(harness.home, records)
    status, out, _ = cli(capsys, harness.home, "--json", "audit", "replay")
    divergence = json_lines(out)[0]["data"]["first_divergence"]
    assert status == ExitStatus.AUDIT and divergence["seq"] == approval["seq"]
    assert divergence["replayed"]["reference"] == "invalid-approval"
