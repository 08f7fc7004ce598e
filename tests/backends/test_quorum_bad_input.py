"""Bad quorum input: every refusal is a clear error with a stable reference, changes nothing,
and is audited."""

from __future__ import annotations

import pytest

from hsmshell.status import ExitStatus
from quorum_support import (another_shell, approve, cmu_approval, last_command_record, login,
                            make_approvers, openssl, register_command, setup_officers)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad-input-keys")
    made = make_approvers(d, "admin", "officer2", "officer3", "officer4", "carol")
    openssl(d, "genrsa", "-out", "weak.key", "1024")
    openssl(d, "rsa", "-in", "weak.key", "-pubout", "-out", "weak.pub")
    openssl(d, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.key")
    openssl(d, "pkey", "-in", "ec.key", "-pubout", "-out", "ec.pub")
    return made


@pytest.fixture
def pending(harness, keys, tmp_path):
    """admin holds token 1 (M = 2, no approvals). officer4 is a CO without a registered key;
    carol is a CU with one; "ghost" is no user at all."""
    officers = {name: keys[name] for name in ("admin", "officer2", "officer3", "officer4")}
    setup_officers(harness, officers, register=["admin", "officer2", "officer3"])
    harness.ok("createUser CU carol carol-pass1")
    login(harness, "carol", "CU")
    harness.ok(register_command(keys["carol"], "CU"))
    login(harness, "admin")
    harness.ok("setMValue 3 2")
    harness.ok(f"getToken 3 admin {tmp_path / 'token'}")
    return harness


def approvals_on_token(harness) -> int:
    return harness.ok("listTokens")["data"]["servers"][0]["tokens"][0]["approvals"]


def refused(harness, line: str, reference: str, status: ExitStatus) -> dict:
    outcome, printed = harness.run(line)
    assert outcome.status == status, printed
    error = printed[-1]["error"]
    assert error["reference"] == reference, error
    record = last_command_record(harness)
    assert record["command"] == line.split()[0]
    assert record["outcome"]["reference"] == reference
    return error


def sig(keys, d, signer: str, data, name: str):
    return keys[signer].sign(data, d / name)


def _cases():
    """name -> (build(keys, d, token) -> approval file, reference, words in the message)"""
    def cmu(entries, **kw):
        return lambda keys, d, token: cmu_approval(d / "approval.txt", token, [
            (who, sig(keys, d, signer, token, f"{who}.{signer}.sig") if signer else path(d))
            for who, signer, path in entries], **kw)

    def raw(text):
        def build(keys, d, token):
            (d / "approval.txt").write_text(text.replace("TOKEN", str(token)))
            return d / "approval.txt"
        return build

    def mangled(change):
        def build(keys, d, token):
            good = sig(keys, d, "officer2", token, "good.sig").read_bytes()
            (d / "bad.sig").write_bytes(change(good))
            return cmu_approval(d / "approval.txt", token, [("officer2", d / "bad.sig")])
        return build

    def with_token(change):
        def build(keys, d, token):
            other = d / "other.token"
            other.write_bytes(change(token.read_bytes(), keys))
            s = keys["officer2"].sign(other, d / "other.sig")
            return cmu_approval(d / "approval.txt", other, [("officer2", s)])
        return build

    def edit_expiry(body, keys):
        lines = body.decode().splitlines(keepends=True)
        number = int(lines[-1].split(": ")[1])
        return "".join(lines[:-1] + [f"expires-at: {number + 3600}\n"]).encode()

    return {
        "no Token File Path line": (raw("Multi Token File Path = TOKEN;\nNumber of Approvals = 0;\n"),
                                    "invalid-argument", "Token File Path"),
        "not JSON": (raw("{not json"), "invalid-argument", "not valid JSON"),
        "unknown JSON field": (raw('{"version": 1, "token_file": "TOKEN", "approvals": [], "x": 1}'),
                               "invalid-argument", "unknown field"),
        "wrong count": (raw("Multi Token File Path = TOKEN;\nToken File Path = ;\nNumber of Approvals = 3;\n"),
                        "invalid-argument", "Number of Approvals"),
        "truncated signature": (mangled(lambda s: s[:-1]), "invalid-approval", "255 bytes"),
        "oversized signature": (mangled(lambda s: s + b"\0"), "invalid-approval", "more than 256"),
        "empty signature": (mangled(lambda s: b""), "invalid-approval", "0 bytes"),
        "flipped bit": (mangled(lambda s: s[:-1] + bytes([s[-1] ^ 1])), "invalid-approval", "does not verify"),
        "unknown approver": (cmu([("ghost", "officer4", None)]), "invalid-approval", "not a user"),
        "approver without a key": (cmu([("officer4", "officer4", None)]), "invalid-approval",
                                   "no registered quorum key"),
        "duplicate approver": (cmu([("officer2", "officer2", None), ("officer2", "officer2", None)]),
                               "invalid-approval", "listed twice"),
        "duplicate in another case": (cmu([("officer2", "officer2", None), ("OFFICER2", "officer2", None)]),
                                      "invalid-approval", "listed twice"),
        "forged: another officer's key": (cmu([("officer2", "officer3", None)]), "invalid-approval",
                                          "does not verify"),
        "forged: an unregistered key": (cmu([("officer2", "officer4", None)]), "invalid-approval",
                                        "does not verify"),
        "a good and a bad approver": (cmu([("officer3", "officer3", None), ("ghost", "officer4", None)]),
                                      "invalid-approval", "ghost"),
        "approver type CU": (cmu([("officer2", "officer2", None)], approver_type=1),
                             "invalid-approval", "listed as CU"),
        "a CU approving an officer token": (cmu([("carol", "carol", None)]), "invalid-approval",
                                            "is a CU"),
        "a file that is not a token": (with_token(lambda body, keys: keys["admin"].pub.read_bytes()),
                                       "invalid-argument", "not a token file"),
        "a token edited to live longer": (with_token(edit_expiry), "invalid-approval",
                                          "does not match token 1"),
        "signature over other bytes": (lambda keys, d, token: cmu_approval(
            d / "approval.txt", token, [("officer2", keys["officer2"].reg_sig)]),
            "invalid-approval", "does not verify"),
        "missing token file": (raw("Multi Token File Path = nowhere.token;\nToken File Path = ;\n"
                                   "Number of Approvals = 0;\n"), "invalid-argument", "cannot read"),
    }


CASES = _cases()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_approval_changes_nothing(pending, keys, tmp_path, case):
    build, reference, words = CASES[case]
    approval = build(keys, tmp_path, tmp_path / "token")
    error = refused(pending, f"approveToken {approval}", reference,
                    ExitStatus.USAGE if reference == "invalid-argument" else ExitStatus.HSM_ERROR)
    assert words in error["message"] + (error["hint"] or "")
    assert approvals_on_token(pending) == 0
    assert pending.run("createUser CU dave davepass1")[0].status == ExitStatus.QUORUM


def test_each_approver_counts_once(pending, keys, tmp_path):
    token = tmp_path / "token"
    approve(pending, tmp_path, token, [keys["officer2"]], label="one")
    outcome, printed = approve(pending, tmp_path, token, [keys["officer2"]], label="again")
    assert printed[-1]["error"]["reference"] == "invalid-approval"
    assert "already approved" in printed[-1]["error"]["message"]
    assert approvals_on_token(pending) == 1


def test_another_sessions_token_cannot_be_approved_here(pending, keys, tmp_path):
    other = another_shell(pending)
    try:
        login(other, "officer2")
        other.ok(f"getToken 3 officer2 {tmp_path / 'theirs'}")
    finally:
        other.close()                       # (their session ends; the token with it)
    other = another_shell(pending)
    try:
        login(other, "officer3")
        other.ok(f"getToken 3 officer3 {tmp_path / 'theirs'}")
        signature = keys["admin"].sign(tmp_path / "theirs", tmp_path / "theirs.sig")
        approval = cmu_approval(tmp_path / "a.txt", tmp_path / "theirs", [("admin", signature)])
        error = refused(pending, f"approveToken {approval}", "invalid-approval", ExitStatus.HSM_ERROR)
        assert "another login session" in error["message"]
        tokens = other.ok("listTokens")["data"]["servers"][0]["tokens"]
        assert [(t["user"], t["approvals"]) for t in tokens] == [("admin", 0), ("officer3", 0)]
    finally:
        other.close()


@pytest.mark.parametrize("case, reference, words", [
    ("RSA-1024 key", "invalid-argument", "RSA-1024"),
    ("EC key", "invalid-argument", "quorum keys are RSA-2048"),
    ("private key as the public key", "invalid-argument", "private key"),
    ("signed by another key", "invalid-approval", "does not verify"),
    ("truncated signature", "invalid-approval", "255 bytes"),
    ("registration token over 245 bytes", "invalid-argument", "245"),
    ("someone else's name", "permission-denied", "only your own key"),
    ("a key registered to officer2", "invalid-argument", "already registered to officer2"),
])
def test_a_bad_registration_changes_nothing(pending, keys, tmp_path, case, reference, words):
    me = keys["officer4"]
    d = me.key.parent
    reg, reg_sig, pub, name = me.reg, me.reg_sig, me.pub, "officer4"
    if case == "RSA-1024 key":
        pub = d / "weak.pub"
    elif case == "EC key":
        pub = d / "ec.pub"
    elif case == "private key as the public key":
        pub = me.key
    elif case == "signed by another key":
        reg_sig = keys["officer3"].sign(reg, tmp_path / "reg.sig")
    elif case == "truncated signature":
        (tmp_path / "reg.sig").write_bytes(reg_sig.read_bytes()[:-1])
        reg_sig = tmp_path / "reg.sig"
    elif case == "registration token over 245 bytes":
        (tmp_path / "big").write_bytes(b"x" * 246)
        reg, reg_sig = tmp_path / "big", keys["officer4"].sign(tmp_path / "big", tmp_path / "big.sig")
    elif case == "someone else's name":
        name = "officer3"
    elif case == "a key registered to officer2":
        reg, reg_sig, pub = keys["officer2"].reg, keys["officer2"].reg_sig, keys["officer2"].pub
    login(pending, "officer4")
    status = {"invalid-argument": ExitStatus.USAGE, "permission-denied": ExitStatus.DENIED}.get(
        reference, ExitStatus.HSM_ERROR)
    error = refused(pending, f"registerQuorumPubKey CO {name} {reg} {reg_sig} {pub}", reference, status)
    assert words in error["message"] + (error["hint"] or "")
    flags = {u["user_name"]: u["mofn_pub_key"] for s in pending.ok("listUsers")["data"]["servers"]
             for u in s["users"]}
    assert (flags["officer4"], flags["officer3"], flags["officer2"]) == (False, True, True)


def test_sign_token_refuses_a_file_that_is_not_a_token(pending, keys, tmp_path):
    error = refused(pending, f"signToken {keys['admin'].pub} {keys['admin'].key} {tmp_path / 's'}",
                    "invalid-argument", ExitStatus.USAGE)
    assert "not a token file" in error["message"]
    assert not (tmp_path / "s").exists()


def test_get_token_that_cannot_write_its_file_leaves_no_token(pending, tmp_path):
    (tmp_path / "dir").mkdir()
    refused(pending, f"getToken 3 admin {tmp_path / 'dir'}", "invalid-argument", ExitStatus.USAGE)
    assert pending.ok("listTokens")["data"]["count"] == 1
    assert pending.ok(f"getToken 3 admin {tmp_path / 'next'}")["data"]["token_id"] == 2


def test_a_missing_approval_file_is_named(pending, tmp_path):
    error = refused(pending, f"approveToken {tmp_path / 'missing.txt'}", "invalid-argument",
                    ExitStatus.USAGE)
    assert error["message"].startswith("cannot read") and "No such file" in error["message"]
