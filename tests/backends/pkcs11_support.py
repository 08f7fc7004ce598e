"""SoftHSM2 tokens for the pkcs11 backend's tests: each test its own SOFTHSM2_CONF and token
directory under tmp_path. Without SoftHSM2 (scripts/test installs it as root) the tests are
skipped, each with one line saying why."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

MODULE_CANDIDATES = ("/usr/lib/softhsm/libsofthsm2.so",
                     "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                     "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
                     "/usr/local/lib/softhsm/libsofthsm2.so")
USER_PIN = "userpin1"          # 7-32 characters: CloudHSM's password rules, which the parser keeps
SO_PIN = "officer1"


def softhsm_module() -> str | None:
    chosen = os.environ.get("HSMSHELL_TEST_PKCS11_MODULE")
    if chosen:
        return chosen if Path(chosen).is_file() else None
    return next((m for m in MODULE_CANDIDATES if Path(m).is_file()), None)


def require_softhsm() -> str:
    module = softhsm_module()
    if module is None or shutil.which("softhsm2-util") is None:
        pytest.skip("SoftHSM2 is not installed (scripts/test installs softhsm2 when run as root): "
                    "pkcs11 backend test skipped")
    return module


@dataclass
class SoftToken:
    module: str
    conf: Path
    label: str
    serial: str

    @property
    def environ(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf), "HSMSHELL_PKCS11_MODULE": self.module,
                "HSMSHELL_PKCS11_TOKEN": self.label}

    def argv(self) -> list[str]:
        return ["--backend", "pkcs11", "--pkcs11-module", self.module, "--token", self.label]


def make_softhsm(folder: Path, *labels: str) -> list[SoftToken]:
    """A SoftHSM2 configuration in `folder` with one initialized token per label."""
    module = require_softhsm()
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    made = []
    for label in labels:
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                        "--pin", USER_PIN, "--so-pin", SO_PIN], env=env, check=True,
                       capture_output=True, timeout=60)
        shown = subprocess.run(["softhsm2-util", "--show-slots"], env=env, check=True,
                               capture_output=True, text=True, timeout=60).stdout
        made.append(SoftToken(module, conf, label, _serial_of(shown, label)))
    return made


def _serial_of(listing: str, label: str) -> str:
    serial = None
    for line in listing.splitlines():
        key, _, value = line.strip().partition(":")
        if key == "Serial number":
            serial = value.strip()
        elif key == "Label" and value.strip() == label:
            return serial or ""
    raise AssertionError(f"token {label} not in softhsm2-util --show-slots")


@pytest.fixture
def softhsm(tmp_path, monkeypatch) -> SoftToken:
    """One token `payments` (user PIN USER_PIN, SO PIN SO_PIN) in this test's own SoftHSM2."""
    token = make_softhsm(tmp_path / "softhsm", "payments")[0]
    for name, value in token.environ.items():
        monkeypatch.setenv(name, value)
    return token


def pkcs11_tool(token: SoftToken, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    if shutil.which("pkcs11-tool") is None:
        pytest.skip("OpenSC's pkcs11-tool is not installed (scripts/test installs opensc as root): "
                    "interoperability test skipped")
    return subprocess.run(["pkcs11-tool", "--module", token.module, "--token-label", token.label,
                           *args], env={**os.environ, "SOFTHSM2_CONF": str(token.conf)},
                          capture_output=True, text=True, timeout=120, check=check)


def login_line(pin: str = USER_PIN) -> str:
    return f"loginHSM CU payments {pin}"
