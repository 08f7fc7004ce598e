"""The trusted attribute (AWS's trusted-keys pages): only an admin may set it, on any key,
with CloudHSM CLI's `key set-attribute --name trusted` or CMU's `setAttribute <h> 134 1`;
crypto users change every other attribute of their own keys, and never trusted."""

from __future__ import annotations

import shutil

import pytest

from hsmshell.status import ExitStatus

PW = {"admin": "Adm1nPassw0rd", "alice": "Al1cePassw0rd"}


@pytest.fixture
def keyed(harness):
    """alice (crypto user) owns an AES key labelled w; nobody is logged in."""
    h = harness
    h.ok(f"cluster activate --password {PW['admin']}")
    h.ok(f"login --username admin --role admin --password {PW['admin']}")
    h.ok(f"user create --username alice --role crypto-user --password {PW['alice']}")
    h.ok("logout")
    h.ok(f"login --username alice --role crypto-user --password {PW['alice']}")
    made = h.ok("key generate-symmetric aes --label w --key-length-bytes 32 --attributes wrap=true")
    h.reference = made["data"]["key"]["key-reference"]
    h.ok("logout")
    return h


def trusted(h) -> bool:
    h.ok(f"login --username alice --role crypto-user --password {PW['alice']}")
    shown = h.ok("key list --filter attr.label=w --verbose")["data"]["matched_keys"][0]
    h.ok("logout")
    return shown["attributes"]["trusted"]


def test_an_admin_marks_a_crypto_users_key_trusted(keyed):
    h = keyed
    assert trusted(h) is False
    h.ok(f"login --username admin --role admin --password {PW['admin']}")
    done = h.ok(f"key set-attribute --filter key-reference={h.reference} --name trusted --value true")
    assert done["data"] == {"message": "Attribute set successfully"}
    h.ok("logout")
    assert trusted(h) is True


def test_a_crypto_user_may_not_set_trusted_and_an_admin_nothing_else(keyed):
    h = keyed
    h.ok(f"login --username alice --role crypto-user --password {PW['alice']}")
    outcome, printed = h.run("key set-attribute --filter attr.label=w --name trusted --value true")
    assert outcome.status == ExitStatus.DENIED, printed
    assert printed[0]["error"]["reference"] == "permission-denied"
    h.ok("key set-attribute --filter attr.label=w --name label --value w")     # her own key
    h.ok("logout")
    h.ok(f"login --username admin --role admin --password {PW['admin']}")
    outcome, printed = h.run(f"key set-attribute --filter key-reference={h.reference} --name label --value x")
    assert outcome.status == ExitStatus.DENIED, printed


def test_cmu_setattribute_134_is_the_same_action(keyed):
    h = keyed
    handle = int(h.reference, 16)
    h.ok(f"loginHSM CU alice {PW['alice']}")
    outcome, printed = h.run(f"setAttribute {handle} 134 1")
    assert outcome.status == ExitStatus.DENIED and "key.trust" in printed[-1]["error"]["message"] + outcome.error.detail["rule"]
    h.ok("logoutHSM")
    h.ok(f"loginHSM CO admin {PW['admin']}")
    h.ok(f"setAttribute {handle} 134 1")
    h.ok("logoutHSM")
    assert trusted(h) is True


def test_the_hsm_refuses_a_crypto_user_trust_whatever_roles_allow(keyed, tmp_path):
    from hsmshell.policy.roles import default_roles_dir
    roles = tmp_path / "roles"
    shutil.copytree(default_roles_dir(), roles)
    cu = (roles / "cu.toml").read_text().replace('"key.trust"]', "]")
    (roles / "cu.toml").write_text(cu)
    keyed.open(roles_dir=roles)
    keyed.ok(f"login --username alice --role crypto-user --password {PW['alice']}")
    outcome, printed = keyed.run("key set-attribute --filter attr.label=w --name trusted --value true")
    assert outcome.status == ExitStatus.DENIED, printed
    assert "the HSM itself refuses this" in printed[0]["error"]["hint"]
