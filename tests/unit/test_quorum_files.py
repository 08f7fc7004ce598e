"""Quorum token files, approval files and signatures, checked against the openssl command line
the way CloudHSM users make their keys and signatures (AWS's cloudhsm_mgmt_util pages)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hsmshell.errors import HsmshellError, InvalidApproval, InvalidArgument
from hsmshell.model.quorum import (SERVICES, ApproverType, QuorumService, check_key_m_value,
                                   check_m_value, parse_service)
from hsmshell.quorum.approval import load_approval_file, parse_approval, parse_cmu_approval
from hsmshell.quorum.ledger import LedgerEntry, QuorumLedger, evaluate_token
from hsmshell.quorum.signatures import (check_registration, key_fingerprint, sign_token,
                                        verify_approvals, verify_token_signature)
from hsmshell.quorum.tokenfile import Token, new_token, parse_token, render_token

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
NOW = 1_700_000_000


def openssl(cwd: Path, *args: str) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """officer1 and officer2 (RSA-2048, aes256 like AWS's documentation), weak (RSA-1024), ec."""
    if not os.access(OPENSSL, os.X_OK):
        pytest.skip("the openssl command line is not installed (needed to make test keys)")
    d = tmp_path_factory.mktemp("quorum-keys")
    for name in ("officer1", "officer2"):
        openssl(d, "genrsa", "-out", f"{name}.key", "-aes256", "-passout", f"pass:{name}-pw",
                "2048")
        openssl(d, "rsa", "-in", f"{name}.key", "-passin", f"pass:{name}-pw", "-outform", "PEM",
                "-pubout", "-out", f"{name}.pub")
    openssl(d, "genrsa", "-out", "weak.key", "1024")
    openssl(d, "rsa", "-in", "weak.key", "-pubout", "-out", "weak.pub")
    openssl(d, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", "ec.key")
    openssl(d, "pkey", "-in", "ec.key", "-pubout", "-out", "ec.pub")
    return SimpleNamespace(dir=d, read=lambda name: (d / name).read_bytes())


def openssl_sign(keys, key: str, data_file: Path, sig_file: Path) -> bytes:
    """`openssl dgst -sha256 -sign KEY -out SIG FILE`, as an approver does it."""
    passin = ["-passin", f"pass:{key}-pw"] if key.startswith("officer") else []
    openssl(data_file.parent, "dgst", "-sha256", "-sign", str(keys.dir / f"{key}.key"),
            *passin, "-out", str(sig_file), str(data_file))
    return sig_file.read_bytes()


def a_token(**changes) -> Token:
    fields = dict(token_id=1, service=QuorumService.USER_MGMT, node="hsm-7fd3a2b1",
                  user="officer1", session="sess-1", now=NOW, nonce="ab" * 16)
    fields.update(changes)
    return new_token(**fields)


# -- registration -----------------------------------------------------------------------------
@pytest.fixture
def registration(keys, tmp_path):
    token = tmp_path / "officer1.token"
    token.write_bytes(b"token to be signed\n")             # `echo "token to be signed" > ...`
    return token, openssl_sign(keys, "officer1", token, tmp_path / "officer1.token.sig")


def test_registration_accepts_an_openssl_signed_token(keys, registration):
    token, sig = registration
    pem = check_registration(keys.read("officer1.pub"), token.read_bytes(), sig)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    der = subprocess.run([OPENSSL, "pkey", "-pubin", "-in", str(keys.dir / "officer1.pub"),
                          "-outform", "DER"], check=True, capture_output=True).stdout
    assert key_fingerprint(pem) == hashlib.sha256(der).hexdigest()[:16]


@pytest.mark.parametrize("key, expected", [("weak", "RSA-1024"), ("ec", "EC")])
def test_registration_refuses_keys_that_are_not_rsa_2048(keys, tmp_path, key, expected):
    token = tmp_path / "t"
    token.write_bytes(b"random registration data")
    sig = openssl_sign(keys, key, token, tmp_path / "t.sig")
    with pytest.raises(InvalidArgument, match=expected):
        check_registration(keys.read(f"{key}.pub"), token.read_bytes(), sig)


def test_registration_refuses_a_signature_over_other_bytes(keys, registration):
    _, sig = registration
    with pytest.raises(InvalidApproval, match="does not verify"):
        check_registration(keys.read("officer1.pub"), b"some other token\n", sig)


def test_registration_refuses_a_signature_by_another_key(keys, registration):
    token, sig = registration
    with pytest.raises(InvalidApproval, match="does not verify"):
        check_registration(keys.read("officer2.pub"), token.read_bytes(), sig)


def test_registration_refuses_long_tokens_and_private_keys(keys, registration):
    token, sig = registration
    with pytest.raises(InvalidArgument, match="246 bytes"):
        check_registration(keys.read("officer1.pub"), b"x" * 246, sig)
    with pytest.raises(InvalidArgument, match="private key") as caught:
        check_registration(keys.read("officer1.key"), token.read_bytes(), sig)
    assert "ENCRYPTED" not in caught.value.message and "\n" not in caught.value.message


# -- token signatures -------------------------------------------------------------------------
def test_sign_token_matches_openssl_and_verifies(keys, tmp_path):
    token_bytes = render_token(a_token())
    token_file = tmp_path / "officer1.token"
    token_file.write_bytes(token_bytes)
    by_openssl = openssl_sign(keys, "officer1", token_file, tmp_path / "officer1.token.sig1")
    ours = sign_token(token_bytes, keys.read("officer1.key"), b"officer1-pw")
    assert ours == by_openssl and len(ours) == 256
    assert verify_token_signature(token_bytes, ours, keys.read("officer1.pub"))
    assert not verify_token_signature(token_bytes + b"x", ours, keys.read("officer1.pub"))
    assert not verify_token_signature(token_bytes, ours, keys.read("officer2.pub"))
    assert not verify_token_signature(token_bytes, ours[:-1], keys.read("officer1.pub"))


@pytest.mark.parametrize("passphrase, expected", [(b"not-the-pw", "wrong passphrase"),
                                                  (None, "give its passphrase")])
def test_sign_token_bad_passphrase_never_echoes_it(keys, passphrase, expected):
    with pytest.raises(InvalidArgument, match=expected) as caught:
        sign_token(b"data", keys.read("officer1.key"), passphrase)
    assert "not-the-pw" not in str(caught.value) and "officer1-pw" not in str(caught.value)


# -- approval files ---------------------------------------------------------------------------
REFERENCE_APPROVAL = """\
# For "Multi Token File Path", type the path to the file that contains
# the token. You can type the same value for "Token File Path", but
# that's not required. The "Token File Path" line is required in any
# case, regardless of whether you type a value.
Multi Token File Path = officer1.token;
Token File Path = ;

# Total number of approvals
Number of Approvals = 2;

# Approver 1
# Type the approver's type, name, and the path to the file that
# contains the approver's signature.
Approver Type = 2; # 2 for CO, 1 for CU
Approver Name = officer1;
Approval File = officer1.token.sig1;

# Approver 2
Approver Type = 2; # 2 for CO, 1 for CU
Approver Name = officer2;
Approval File = officer1.token.sig2;
"""


@pytest.fixture
def signed_token(keys, tmp_path):
    """A token file signed by officer1 and officer2 with openssl, in tmp_path."""
    token_bytes = render_token(a_token())
    (tmp_path / "officer1.token").write_bytes(token_bytes)
    for n, officer in ((1, "officer1"), (2, "officer2")):
        openssl_sign(keys, officer, tmp_path / "officer1.token",
                     tmp_path / f"officer1.token.sig{n}")
    return token_bytes


def write(tmp_path: Path, text: str, name: str = "approval.txt") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path / name


def test_reference_approval_file_parses_and_verifies(keys, tmp_path, signed_token):
    bundle = load_approval_file(write(tmp_path, REFERENCE_APPROVAL))
    assert bundle.token == signed_token and bundle.token_path == "officer1.token"
    assert bundle.approver_names == ("officer1", "officer2")
    assert {a.approver_type for a in bundle.approvals} == {ApproverType.CO}
    assert bundle.approvals[1].signature == (tmp_path / "officer1.token.sig2").read_bytes()
    public_keys = {"OFFICER1": keys.read("officer1.pub"), "officer2": keys.read("officer2.pub")}
    assert verify_approvals(bundle.token, bundle.approvals, public_keys) == ("officer1",
                                                                             "officer2")
    with pytest.raises(InvalidApproval, match="officer2 has no registered"):
        verify_approvals(bundle.token, bundle.approvals, {"officer1": keys.read("officer1.pub")})
    swapped = {"officer1": keys.read("officer2.pub"), "officer2": keys.read("officer1.pub")}
    with pytest.raises(InvalidApproval, match="approver officer1: the signature does not"):
        verify_approvals(bundle.token, bundle.approvals, swapped)


def test_approval_paths_are_relative_to_the_approval_file(tmp_path, signed_token,
                                                          monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)        # the files are found from the approval file, not cwd
    assert load_approval_file(write(tmp_path, REFERENCE_APPROVAL)).token == signed_token


def test_json_bundle_parses(tmp_path, signed_token):
    sig2 = (tmp_path / "officer1.token.sig2").read_bytes()
    bundle_doc = {"version": 1, "token_file": "officer1.token", "approvals": [
        {"approver": "officer1", "type": "CO", "signature_file": "officer1.token.sig1"},
        {"approver": "officer2", "type": 2, "signature": base64.b64encode(sig2).decode()}]}
    bundle = load_approval_file(write(tmp_path, json.dumps(bundle_doc), "bundle.json"))
    assert bundle.token == signed_token and bundle.approvals[1].signature == sig2
    inline = dict(bundle_doc, token=base64.b64encode(signed_token).decode())
    del inline["token_file"]
    bundle = load_approval_file(write(tmp_path, json.dumps(inline), "inline.json"))
    assert bundle.token == signed_token and bundle.token_path is None


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


R = REFERENCE_APPROVAL
MALFORMED_CMU = {
    "no token path line": (edit(R, "Token File Path = ;\n", ""), InvalidArgument,
                           "no 'Token File Path"),
    "no count": (edit(R, "Number of Approvals = 2;", ""), InvalidArgument,
                 "no 'Number of Approvals"),
    "wrong count": (edit(R, "Approvals = 2;", "Approvals = 3;"), InvalidArgument,
                    "line 9: Number of Approvals is '3', but the file lists 2"),
    "duplicate approver": (edit(R, "Name = officer2;", "Name = Officer1;"), InvalidApproval,
                           "Officer1 is listed twice"),
    "missing signature file": (edit(R, "sig2;", "sig9;"), InvalidArgument,
                               "approver officer2: cannot read 'officer1.token.sig9'"),
    "unknown approver type": (edit(R, "Approver Type = 2; # 2 for CO, 1 for CU\nApprover Name "
                                      "= officer2", "Approver Type = 3;\nApprover Name = "
                                      "officer2"), InvalidArgument, "line 19: Approver Type must"),
    "name before type": (edit(R, "Approver Type = 2; # 2 for CO, 1 for CU\nApprover Name = "
                                 "officer1;", "Approver Name = officer1;\nApprover Type = 2;"),
                         InvalidArgument, "line 14: Approver Name without"),
    "no approval file": (edit(R, "Approval File = officer1.token.sig2;\n", ""),
                         InvalidArgument, "approver at line 19 has no Approval File"),
    "missing semicolon": (edit(R, "Approver Name = officer2;", "Approver Name = officer2"),
                          InvalidArgument, "line 20: expected 'Field = value;'"),
    "unknown field": (R + "Approver Colour = blue;\n", InvalidArgument,
                      "unknown field 'Approver Colour'"),
    "no token named": (edit(R, "Path = officer1.token;", "Path = ;"), InvalidArgument,
                       "no token file named"),
}


@pytest.mark.parametrize("text, error, message", MALFORMED_CMU.values(), ids=MALFORMED_CMU)
def test_malformed_cmu_approval_files(tmp_path, signed_token, text, error, message):
    with pytest.raises(error) as caught:
        load_approval_file(write(tmp_path, text))
    assert type(caught.value) is error and message in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("size, message", [(255, "signature is 255 bytes"),
                                           (300, "signature is more than 256 bytes"),
                                           (0, "signature is 0 bytes")])
def test_wrong_size_signatures_are_refused(tmp_path, signed_token, size, message):
    sig = tmp_path / "officer1.token.sig2"
    sig.write_bytes(sig.read_bytes()[:size].ljust(size, b"\0"))
    with pytest.raises(InvalidApproval, match=f"approver officer2: the {message}"):
        load_approval_file(write(tmp_path, REFERENCE_APPROVAL))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_a_fifo_is_refused_without_hanging(tmp_path, signed_token):
    os.unlink(tmp_path / "officer1.token.sig2")
    os.mkfifo(tmp_path / "officer1.token.sig2")
    with pytest.raises(InvalidArgument, match="not a regular file"):
        load_approval_file(write(tmp_path, REFERENCE_APPROVAL))


MALFORMED_JSON = {
    "not json": ('{"version": 1,', "line 1: not valid JSON"),
    "no version": ('{"token": "AA==", "approvals": []}', '"version" must be 1'),
    "both tokens": ('{"version": 1, "token": "AA==", "token_file": "t", "approvals": []}',
                    "exactly one of"),
    "unknown key": ('{"version": 1, "token": "AA==", "signatures": []}', "unknown field"),
    "no approvals": ('{"version": 1, "token": "AA==", "approvals": []}', "non-empty list"),
    "bad base64": ('{"version": 1, "token": "A?==", "approvals": [{}]}', "not valid base64"),
    "bad type": ('{"version": 1, "token": "AA==", "approvals": [{"approver": "a", "type": 3,'
                 ' "signature": "AA=="}]}', "approvals[0]: Approver Type must be"),
    "deep nesting": ("{" + "[" * 50_000, "not valid JSON"),
}


@pytest.mark.parametrize("text, message", MALFORMED_JSON.values(), ids=MALFORMED_JSON)
def test_malformed_json_bundles(text, message):
    with pytest.raises(InvalidArgument) as caught:
        parse_approval(text, no_files)
    assert message in caught.value.message


def no_files(path: str, n: int) -> bytes:
    raise InvalidArgument(f"cannot read {path!r}: No such file or directory")


# -- token files ------------------------------------------------------------------------------
def test_token_round_trip_and_strictness():
    token = a_token(service=QuorumService.KEY_USAGE, key_handle=262150)
    data = render_token(token)
    assert parse_token(data) == token and data.endswith(b"\nexpires-at: 1700000600\n")
    assert not token.expired(NOW + 599) and token.expired(NOW + 600)
    for bad in (data.replace(b"\n", b"\r\n"), data.replace(b"id: 1\n", b"id: 01\n"),
                data + b"extra: 1\n", data[:-1], b"\x89PNG" + data, data * 700,
                data.replace(b"key-handle: 262150", b"key-handle: 0")):
        with pytest.raises(InvalidArgument, match="^not a token file"):
            parse_token(bad)
    with pytest.raises(InvalidArgument, match="needs key handle 0"):
        a_token(key_handle=5)


@settings(max_examples=300)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_parse_token_raises_only_hsmshell_errors(data):
    try:
        parse_token(data)
    except HsmshellError:
        pass


@given(st.integers(0, 300), st.binary(min_size=1, max_size=3))
def test_any_edit_of_a_token_is_refused_or_a_different_token(position, junk):
    data = render_token(a_token())
    edited = data[:position] + junk + data[position + 1:]
    try:
        assert parse_token(edited) != a_token() or edited == data
    except HsmshellError:
        pass


# -- approval parsers under arbitrary input ---------------------------------------------------
FAKE_FILES = {"t": render_token(a_token()), "s": b"\1" * 256, "short": b"\1" * 10}


def fake_read(path: str, n: int) -> bytes:
    if path not in FAKE_FILES:
        raise InvalidArgument(f"cannot read {path!r}: No such file or directory")
    return FAKE_FILES[path][:n]


JUNK = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.lists(
    st.integers(), max_size=2) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
FILE_NAMES = st.sampled_from(["t", "s", "s", "s", "short", "missing", ""])


@st.composite
def cmu_approval_files(draw):
    """Mostly well-formed CMU approval files, then lines dropped, repeated or garbled."""
    distinct = st.lists(st.sampled_from(["officer1", "Officer1", "officer2", "cu1", ""]),
                        max_size=4, unique_by=str.lower)
    names = draw(distinct | st.lists(st.just("officer3"), max_size=2))     # or a duplicate
    lines = [f"Multi Token File Path = {draw(st.sampled_from(['t', 't', 's', '']))};",
             f"Token File Path = {draw(st.sampled_from(['', '', 't', 'u']))};",
             f"Number of Approvals = {draw(st.sampled_from([len(names)] * 3 + ['x', '9']))};"]
    for name in names:
        kind = draw(st.sampled_from(["2; # 2 for CO, 1 for CU"] * 3 + ["1", "CO", "3"]))
        lines += [f"Approver Type = {kind};", f"Approver Name = {name};",
                  f"Approval File = {draw(FILE_NAMES)};"]
    lines[3:3] = ["", "# comment"]
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines)))
        change = draw(st.sampled_from(["drop", "repeat", "garble"]))
        if change == "drop" and at < len(lines):
            del lines[at]
        elif change == "repeat" and at < len(lines):
            lines.insert(at, lines[at])
        else:
            lines.insert(at, draw(st.text(max_size=30)))
    return "\n".join(lines)


@st.composite
def json_approval_bundles(draw):
    """Mostly well-formed JSON bundles, with fields dropped or holding values of any type."""
    def mangled(document: dict) -> dict:
        out = {}
        for key, value in document.items():
            change = draw(st.sampled_from(["keep"] * 4 + ["drop", "junk"]))
            if change != "drop":
                out[key] = draw(JUNK) if change == "junk" else value
        return out
    approvals = [mangled({"approver": draw(st.sampled_from(["officer1", "OFFICER1", "x y"])),
                          "type": draw(st.sampled_from(["CO", "cu", 1, 2, 3, True])),
                          draw(st.sampled_from(["signature_file", "signature"])):
                              draw(FILE_NAMES | st.just(base64.b64encode(b"\1" * 256).decode()))})
                 for _ in range(draw(st.integers(0, 3)))]
    token = draw(st.sampled_from([("token_file", "t"), ("token", "AA=="), ("token", "?")]))
    return json.dumps(mangled({"version": 1, token[0]: token[1], "approvals": approvals}))


def assert_sound(bundle) -> None:
    """A bundle that parses holds a token and full-size signatures of distinct approvers."""
    assert bundle.token and all(len(a.signature) == 256 for a in bundle.approvals)
    assert len({name.lower() for name in bundle.approver_names}) == len(bundle.approvals) > 0


@settings(max_examples=300)
@given(cmu_approval_files() | st.lists(st.text(max_size=40), max_size=8).map("\n".join))
def test_cmu_parser_raises_only_hsmshell_errors(text):
    try:
        assert_sound(parse_cmu_approval(text, fake_read))
    except HsmshellError:
        pass


@settings(max_examples=300)
@given(json_approval_bundles() | st.binary(max_size=200) | st.text(max_size=200))
def test_approval_parsers_raise_only_hsmshell_errors(data):
    try:
        assert_sound(parse_approval(data, fake_read))
    except HsmshellError:
        pass


# -- ledger -----------------------------------------------------------------------------------
NAMES = st.sampled_from(["officer1", "OFFICER1", "officer2", "officer3", "cu1", "admin"])


@given(approvers=st.sets(NAMES), registered=st.sets(NAMES), m=st.integers(0, 8),
       service=st.sampled_from(list(QuorumService)), now=st.integers(NOW - 10, NOW + 700))
def test_ledger_never_approves_with_fewer_than_m_registered_approvers(approvers, registered,
                                                                      m, service, now):
    bound = SERVICES[service].bound_to_key          # KEY_USAGE, KEY_MANAGEMENT
    token = a_token(service=service, key_handle=7 if bound else 0)
    state = evaluate_token(token, approvers, registered, m, now)
    distinct = len({a.lower() for a in approvers} & {r.lower() for r in registered})
    quorum_off = m == 0 if bound else m <= 1
    if state.approved and not quorum_off:
        assert distinct >= m and not state.expired and now < token.expires_at
    assert state.approved == (quorum_off or (distinct >= m and not state.expired))
    assert state.present == distinct and state.missing == max(0, state.required - distinct)

    ledger = QuorumLedger((LedgerEntry(token, frozenset(approvers)),), frozenset(registered),
                          {service: m})
    kwargs = {"key_handle": token.key_handle, "m": m}
    assert ledger.state_for(service, "sess-1", now, **kwargs).approved == state.approved
    other_session = ledger.state_for(service, "sess-2", now, **kwargs)
    assert other_session.approved == quorum_off


def test_ledger_picks_the_best_token_of_the_session():
    approved = LedgerEntry(a_token(token_id=2), frozenset({"officer1", "officer2"}))
    pending = LedgerEntry(a_token(token_id=3), frozenset({"officer1"}))
    ledger = QuorumLedger((pending, approved), frozenset({"officer1", "officer2"}),
                          {QuorumService.USER_MGMT: 2})
    state = ledger.state_for(QuorumService.USER_MGMT, "sess-1", NOW)
    assert state.approved and state.token_id == 2
    assert not ledger.state_for(QuorumService.USER_MGMT, "sess-1", NOW,
                                eligible={"officer1"}).approved
    assert ledger.state_for(QuorumService.MISC_CO, "sess-1", NOW).approved   # M unset = off
    with pytest.raises(ValueError):
        ledger.state_for(QuorumService.KEY_USAGE, "sess-1", NOW, key_handle=7)


def test_service_and_m_value_checks():
    assert parse_service("3") is parse_service("user_mgmt") is QuorumService.USER_MGMT
    assert check_m_value(1) == 1 and check_m_value(8) == 8 and check_key_m_value(0) == 0
    for bad in (0, 9, True):
        with pytest.raises(InvalidArgument):
            check_m_value(bad)
    with pytest.raises(InvalidArgument, match="unknown quorum service"):
        parse_service("8")
