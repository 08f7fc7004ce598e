"""Helpers for the cluster-life tests: a clock tests move, clusters made through the admin
operations, and hsmshell's command line run in-process with its JSON output parsed."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
needs_openssl = pytest.mark.skipif(not Path(OPENSSL).exists(), reason="the openssl command line tool is not installed")


class FakeClock:
    """Starts at the real time (certificates are checked against it) and moves when told."""

    def __init__(self):
        self.now = time.time()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def make_cluster(harness, name: str = "prod", hsms: int = 3, initialize: bool = True, **options) -> dict:
    """Create (and by default initialize, self-signed) a cluster; returns `cluster describe` data."""
    from hsmshell.admin import cluster_ops

    env = harness.env(**options)
    cluster_ops.create(env, name, hsms, None, None, 600.0)
    if initialize:
        cluster_ops.initialize(env, name, self_signed=True)
    return cluster_ops.describe(env, name).data


def change(harness, name: str, operation: str, clock=None, **args) -> dict:
    from hsmshell.admin import cluster_ops
    env = harness.env(clock=clock) if clock is not None else harness.env()
    return cluster_ops.change_hsms(env, name, operation, **args).data


def diff(harness, name: str) -> dict:
    from hsmshell.admin import cluster_ops
    return cluster_ops.diff(harness.env(), name).data


def cli(home: Path, capsys, *argv: str) -> tuple[int, list[dict]]:
    """`hsmshell --home HOME --json ARGV...` in this process: (exit status, JSON objects printed)."""
    from hsmshell.cli import main
    capsys.readouterr()
    status = main(["--home", str(home), "--json", *argv])
    out = capsys.readouterr().out
    return status, [json.loads(line) for line in out.splitlines() if line.strip()]


def openssl(*args) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *map(str, args)], capture_output=True, text=True, check=False)


def openssl_ca(directory: Path, passphrase: str | None = None) -> tuple[Path, Path]:
    """An issuing CA made as the CloudHSM guide makes one (RSA 2048, self-signed, 10 years)."""
    key, cert = directory / "customerCA.key", directory / "customerCA.crt"
    protect = ["-aes256", "-passout", f"pass:{passphrase}"] if passphrase else []
    assert openssl("genrsa", *protect, "-out", key, "2048").returncode == 0
    unlock = ["-passin", f"pass:{passphrase}"] if passphrase else []
    made = openssl("req", "-new", "-x509", "-days", "3652", "-key", key, *unlock, "-out", cert,
                   "-subj", "/CN=Example Customer CA/O=Example")
    assert made.returncode == 0, made.stderr
    return cert, key
