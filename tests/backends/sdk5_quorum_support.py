"""CloudHSM CLI quorum test helpers: approver key pairs made with openssl, registration and
operation token files signed with `openssl pkeyutl` as AWS's CloudHSM CLI pages show."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
PW = {"admin": "Adm1nPassw0rd", "admin2": "Adm2nPassw0rd", "alice": "Al1cePassw0rd", "bob": "B0bPassw0rd1"}


def openssl(*args, cwd):
    done = subprocess.run(["openssl", *map(str, args)], cwd=cwd, capture_output=True)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def keys(tmp_path):
    """An RSA-2048 approver key pair per user, made with openssl."""
    for name in PW:
        openssl("genrsa", "-out", f"{name}.key", "2048", cwd=tmp_path)
        openssl("rsa", "-in", f"{name}.key", "-pubout", "-out", f"{name}.pub", cwd=tmp_path)
    return tmp_path


def pkeyutl_sign(folder, name: str, digest_b64: str) -> str:
    """What an approver does: decode the token, sign it with openssl pkeyutl, base64."""
    (folder / "digest.bin").write_bytes(base64.b64decode(digest_b64))
    openssl("pkeyutl", "-sign", "-inkey", f"{name}.key", "-pkeyopt", "digest:sha256",
            "-in", "digest.bin", "-out", "sig.bin", cwd=folder)
    return base64.b64encode((folder / "sig.bin").read_bytes()).decode()


def login(h, name: str, role: str) -> None:
    h.ok("logout") if h.shell.backend.principal else None
    h.ok(f"login --username {name} --role {role} --password {PW[name]}")


def register(h, folder, name: str, role: str) -> None:
    login(h, name, role)
    h.ok(f"quorum token-sign generate --service registration --token {folder / 'reg.json'}")
    document = json.loads((folder / "reg.json").read_text())
    for token in document["tokens"]:
        token["signed"] = pkeyutl_sign(folder, name, token["unsigned"])
    (folder / "reg.json").write_text(json.dumps(document))
    h.ok(f"user change-quorum token-sign register --public-key {folder / (name + '.pub')} "
         f"--signed-token {folder / 'reg.json'}")


def approved(h, folder, service: str, approvers: list[tuple[str, str]], extra: str = "") -> str:
    path = folder / f"{service}.token"
    generated = h.ok(f"quorum token-sign generate --service {service} --token {path}{extra}")
    assert generated["data"] == {"path": str(path)}
    document = json.loads(path.read_text())
    assert document["version"] == "2.0" and document["signatures"] == []
    for name, role in approvers:
        document["signatures"].append({"username": name, "role": role,
                                       "signature": pkeyutl_sign(folder, name, document["token"])})
    path.write_text(json.dumps(document, indent=1))
    return str(path)


@pytest.fixture
def crypto_users(harness, keys):
    """alice and bob, crypto users with registered approver keys; alice is logged in."""
    h = harness
    h.ok(f"cluster activate --password {PW['admin']}")
    login(h, "admin", "admin")
    for name in ("alice", "bob"):
        h.ok(f"user create --username {name} --role crypto-user --password {PW[name]}")
    register(h, keys, "bob", "crypto-user")
    register(h, keys, "alice", "crypto-user")
    return h, keys


def two_admins(h, keys) -> list[tuple[str, str]]:
    """An activated cluster with admins admin and admin2, both with registered approver keys,
    and the quorum service's value 2; admin is logged in. Returns the two as approvers."""
    h.ok(f"cluster activate --password {PW['admin']}")
    login(h, "admin", "admin")
    h.ok(f"user create --username admin2 --role admin --password {PW['admin2']}")
    register(h, keys, "admin2", "admin")
    register(h, keys, "admin", "admin")
    h.ok("quorum token-sign set-quorum-value --service quorum --value 2")
    return [("admin", "admin"), ("admin2", "admin")]


def assert_replay_is_clean(home) -> None:
    """`hsmshell audit replay` re-runs the cluster's log on a fresh cluster: 0 divergences."""
    import sys
    done = subprocess.run([sys.executable, "-m", "hsmshell", "--home", str(home), "audit", "replay"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "0 divergences" in done.stdout, done.stdout + done.stderr
