"""What the key tests share: an activated cluster with three crypto users, and openssl."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PASSWORDS = {"alice": "alicepw1", "bob": "bobpw123", "carol": "carolpw1"}
OFFICER = ("admin", "officer1pw")
OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")

# secp112r1, made with `openssl ecparam -name secp112r1 -genkey`: valid PEM that `cryptography`
# refuses with UnsupportedAlgorithm (a test key, nothing else)
SECP112R1_PRIVATE = b"""-----BEGIN PRIVATE KEY-----
ME4CAQAwEAYHKoZIzj0CAQYFK4EEAAYENzA1AgEBBA7DamfQQDCTxZrJa23wyKEg
Ax4ABFRK/MXpePkQC5QbWNT51AShn6X3VyvPfNOXNyk=
-----END PRIVATE KEY-----
"""
SECP112R1_PUBLIC = b"""-----BEGIN PUBLIC KEY-----
MDIwEAYHKoZIzj0CAQYFK4EEAAYDHgAEVEr8xel4+RALlBtY1PnUBKGfpfdXK898
05c3KQ==
-----END PUBLIC KEY-----
"""


def openssl(*args) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *map(str, args)], capture_output=True, check=False)


def openssl_verifies(pub: Path, data: Path, signature: Path, digest: str = "sha256") -> bool:
    done = openssl("dgst", f"-{digest}", "-verify", pub, "-signature", signature, data)
    return done.returncode == 0 and b"Verified OK" in done.stdout


class KeyCluster:
    """The harness, plus logging in as a named user and the files of one test."""

    def __init__(self, harness, files: Path):
        self.h = harness
        self.files = files
        self.user_ids: dict[str, int] = {}

    def login(self, name: str) -> None:
        self.logout()
        if name == OFFICER[0]:
            self.h.ok(f"loginHSM CO {OFFICER[0]} {OFFICER[1]}")
        else:
            self.h.ok(f"loginHSM CU {name} {PASSWORDS[name]}")

    def logout(self) -> None:
        if self.h.shell.backend.principal is not None:
            self.h.ok("logoutHSM")

    def ok(self, line: str) -> dict:
        return self.h.ok(line)["data"]

    def fails(self, line: str, reference: str, status: int) -> dict:
        outcome, printed = self.h.run(line)
        assert outcome.status == status, (line, printed)
        assert printed[-1]["error"]["reference"] == reference, printed[-1]
        return printed[-1]["error"]

    def file(self, name: str, content: bytes | None = None) -> Path:
        path = self.files / name
        if content is not None:
            path.write_bytes(content)
        return path

    def handles(self) -> list[int]:
        return self.ok("findKey")["key_handles"]


@pytest.fixture
def keys(activated, tmp_path) -> KeyCluster:
    """Logged in as alice (CU); bob and carol are CUs too."""
    cluster = KeyCluster(activated, tmp_path)
    for name, password in PASSWORDS.items():
        data = cluster.ok(f"createUser CU {name} {password}")
        cluster.user_ids[name] = data["servers"][0]["user_id"]
    cluster.login("alice")
    return cluster
