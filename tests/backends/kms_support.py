"""Helpers for the KMS key store tests: hsmshell's command line in-process (JSON parsed), a
cluster made ready for a key store step by step, and a store on it."""

from __future__ import annotations

import pytest

from cluster_support import cli

ADMIN_PW, KMSUSER_PW = "officer1pw", "kmsuserpw1"


class Kms:
    def __init__(self, home, capsys):
        self.home, self.capsys = home, capsys

    def run(self, *argv: str) -> tuple[int, list[dict]]:
        return cli(self.home, self.capsys, *argv)

    def ok(self, *argv: str) -> dict:
        status, objs = self.run(*argv)
        assert status == 0, objs
        return objs[-1]["data"] if objs else {}

    def fails(self, *argv: str, status: int = 1) -> dict:
        got, objs = self.run(*argv)
        assert got == status, objs
        return objs[-1]["error"]

    def shell(self, cluster: str, commands: str) -> list[dict]:
        status, objs = self.run("--cluster", cluster, "--yes", "-c", commands)
        assert status == 0, objs
        return objs

    # -- a cluster ready for a key store -----------------------------------------------------------
    def cluster(self, name: str = "shop", hsms: int = 2, azs: str = "us-east-1a,us-east-1b",
                activate: bool = True, kmsuser: bool = True) -> dict:
        made = self.ok("cluster", "create", name, "--hsms", str(hsms), "--azs", azs, "--replace-after", "never")
        self.ok("cluster", "initialize", name, "--self-signed")
        if activate:
            self.shell(name, "loginHSM PRECO admin password; changePswd PRECO admin @env:ADMIN_PW")
        if kmsuser:
            self.shell(name, "loginHSM CO admin @env:ADMIN_PW; createUser CU kmsuser @env:KMSUSER_PW")
        return made

    def anchor(self, cluster: str = "shop") -> str:
        return str(self.home / "clusters" / cluster / "customerCA.crt")

    def store(self, name: str = "shop", cluster: str = "shop") -> str:
        data = self.ok("kms", "create-key-store", name, "--cluster", cluster, "--trust-anchor", self.anchor(cluster),
                       "--kmsuser-password", "@env:KMSUSER_PW")
        return data["CustomKeyStoreId"]

    def describe(self, name: str = "shop") -> dict:
        [entry] = self.ok("kms", "describe", name)["CustomKeyStores"]
        return entry

    def connect_fails_with(self, code: str, name: str = "shop") -> dict:
        error = self.fails("kms", "connect", name)
        assert (error["reference"], error["ConnectionState"], error["ConnectionErrorCode"]) == \
            ("kms-connection-failed", "FAILED", code), error
        entry = self.describe(name)
        assert (entry["ConnectionState"], entry["ConnectionErrorCode"]) == ("FAILED", code)
        return entry

    def check(self, name: str = "shop", *extra: str) -> dict[str, dict]:
        data = self.ok("kms", "check", name, *extra)
        return {row["Requirement"]: row for row in data["Requirements"]}


@pytest.fixture
def kms(tmp_path, capsys, monkeypatch):
    for name in ("HSMSHELL_CLUSTER", "HSMSHELL_ON_SERVER_FAILURE", "HSMSHELL_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADMIN_PW", ADMIN_PW)
    monkeypatch.setenv("KMSUSER_PW", KMSUSER_PW)
    return Kms(tmp_path / "home", capsys)
