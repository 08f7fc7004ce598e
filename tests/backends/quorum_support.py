"""Quorum test helpers: approver keys and signatures made with the openssl command line, as
CloudHSM users make them (AWS's cloudhsm_mgmt_util pages), approval files, a fake clock,
and a cluster with three crypto officers that registered their keys."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
PASSWORDS = {"admin": "officer1pw"}          # admin's password after Harness.activate()


def password_of(name: str) -> str:
    return PASSWORDS.get(name, f"{name}-pass1")


def openssl(cwd: Path, *args: str) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True)


@dataclass(frozen=True)
class Approver:
    name: str
    key: Path               # private key (PEM)
    pub: Path               # public key (PEM)
    reg: Path               # registration token
    reg_sig: Path           # its signature

    def sign(self, data_file: Path, sig_file: Path) -> Path:
        """`openssl dgst -sha256 -sign KEY -out SIG FILE`, as an approver signs a token."""
        openssl(data_file.parent, "dgst", "-sha256", "-sign", str(self.key), "-out",
                str(sig_file), str(data_file))
        return sig_file


def make_approvers(directory: Path, *names: str) -> dict[str, Approver]:
    """RSA-2048 key pairs and signed registration tokens, one per name (openssl CLI)."""
    if not os.access(OPENSSL, os.X_OK):
        pytest.skip("the openssl command line is not installed (needed to make quorum keys)")
    made = {}
    for name in names:
        approver = Approver(name, directory / f"{name}.key", directory / f"{name}.pub",
                            directory / f"{name}.reg", directory / f"{name}.reg.sig")
        openssl(directory, "genrsa", "-out", approver.key.name, "2048")
        openssl(directory, "rsa", "-in", approver.key.name, "-outform", "PEM", "-pubout",
                "-out", approver.pub.name)
        approver.reg.write_bytes(f"registration token of {name}\n".encode())
        approver.sign(approver.reg, approver.reg_sig)
        made[name] = approver
    return made


def register_command(approver: Approver, user_type: str = "CO") -> str:
    a = approver
    return f"registerQuorumPubKey {user_type} {a.name} {a.reg} {a.reg_sig} {a.pub}"


def setup_officers(harness, approvers: dict[str, Approver], *, register=None) -> None:
    """Activate the cluster (admin is the PCO), create the other approvers as COs, have each
    register its key (all of them unless `register` names some), end logged in as admin."""
    register = set(approvers if register is None else register)
    harness.activate()
    for name in approvers:
        if name != "admin":
            harness.ok(f"createUser CO {name} {password_of(name)}")
    for name in approvers:
        if name in register:
            login(harness, name)
            harness.ok(register_command(approvers[name]))
    login(harness, "admin")


def another_shell(harness, **options):
    """A second shell (its own login session) on the same cluster as `harness`."""
    return type(harness)(harness.home, **options)


def login(harness, name: str, user_type: str = "CO") -> None:
    if harness.shell is not None and harness.shell.backend.principal is not None:
        harness.ok("logoutHSM")
    harness.ok(f"loginHSM {user_type} {name} {password_of(name)}")


def cmu_approval(path: Path, token: Path, entries: list[tuple[str, Path]], approver_type: int = 2) -> Path:
    """A CMU approval file naming `entries` = [(approver, signature file)]."""
    lines = [f"Multi Token File Path = {token};", "Token File Path = ;",
             f"Number of Approvals = {len(entries)};"]
    for name, signature in entries:
        lines += [f"Approver Type = {approver_type}; # 2 for CO, 1 for CU",
                  f"Approver Name = {name};", f"Approval File = {signature};"]
    path.write_text("\n".join(lines) + "\n")
    return path


def json_bundle(path: Path, token: Path, entries: list[tuple[str, bytes]], inline_token=False) -> Path:
    """hsmshell's JSON approval bundle with inline base64 signatures."""
    document = {"version": 1, "approvals": [
        {"approver": name, "type": "CO", "signature": base64.b64encode(sig).decode()}
        for name, sig in entries]}
    if inline_token:
        document["token"] = base64.b64encode(token.read_bytes()).decode()
    else:
        document["token_file"] = str(token)
    path.write_text(json.dumps(document))
    return path


def approve(harness, directory: Path, token: Path, approvers: list[Approver], label="a",
            approver_type: int = 2):
    """Sign `token` by each approver with openssl and submit one CMU approval file."""
    entries = [(a.name, a.sign(token, directory / f"{token.name}.{label}.{a.name}.sig"))
               for a in approvers]
    approval = cmu_approval(directory / f"{token.name}.{label}.txt", token, entries, approver_type)
    return harness.run(f"approveToken {approval}")


def audit_records(harness) -> list[dict]:
    log = harness.home / "clusters" / harness.shell.env.cluster / "audit.log"
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def last_command_record(harness) -> dict:
    return [r for r in audit_records(harness) if r.get("kind") == "command"][-1]


class FakeClock:
    """A clock tests move by hand (no sleeps)."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
