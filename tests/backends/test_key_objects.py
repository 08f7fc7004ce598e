"""Unsealed private keys are kept loaded for one batch group (KeyStore.private_key): a group of
signatures with one key unseals and loads it once; a logout or login, a key deleted or changed
and the group's end drop them; nothing process-wide keeps them (no cache keyed by plaintext)."""

from __future__ import annotations

import pytest

from hsmshell import transactions
from hsmshell.backends.emulator import crypto
from key_fixtures import keys  # noqa: F401  (fixture)
from key_fixtures import PASSWORDS


@pytest.fixture
def signing(keys, monkeypatch):
    """(run a line in the open group, the private key's handle, the list of key loads)."""
    monkeypatch.setattr(transactions, "GROUP_SECONDS", 600.0)      # groups end by count only
    private = keys.ok("genRSAKeyPair -m 2048 -e 65537 -l signer")["private_key_handle"]
    keys.ok("genSymKey -t 31 -s 32 -l other")
    data = keys.file("data", b"x" * 1024)
    loads = []
    real = crypto.load_private_key
    monkeypatch.setattr(crypto, "load_private_key", lambda der: loads.append(der[:0]) or real(der))
    shell = keys.h.shell

    def run(line: str) -> None:
        outcome = shell.run(line, "batch")
        assert outcome.status == 0, (line, outcome.error)

    run.sign = lambda n=0: run(f"sign -f {data} -k {private} -m 1 -out {keys.file(f'sig{n}')}")
    return shell, run, private, loads


def test_a_batch_group_loads_its_signing_key_once(signing):
    shell, run, private, loads = signing
    with shell.grouped_commits():
        for n in range(20):
            run.sign(n)
    assert len(loads) == 1
    with shell.grouped_commits():          # a new group (a new lock hold): loaded again
        run.sign()
    assert len(loads) == 2


def test_a_group_of_more_commands_than_fit_reloads_in_each(signing):
    shell, run, private, loads = signing
    with shell.grouped_commits():
        for n in range(transactions.GROUP_COMMANDS + 1):
            run.sign(n)
    assert len(loads) == 2


@pytest.mark.parametrize("between", ["logout and login", "setAttribute", "deleteKey"])
def test_logout_and_key_changes_drop_the_loaded_keys(signing, keys, between):
    shell, run, private, loads = signing
    other = keys.ok("findKey -l other")["key_handles"][0]
    with shell.grouped_commits():
        run.sign()
        if between == "logout and login":
            run("logoutHSM")
            run(f"loginHSM CU alice {PASSWORDS['alice']}")
        elif between == "setAttribute":
            run(f"setAttribute {private} 3 renamed")
        else:
            run(f"deleteKey -k {other}")
        run.sign(1)
    assert len(loads) == 2


def test_no_cache_outside_a_lock_hold_keeps_a_key():
    # a process-wide cache keyed by the plaintext DER kept every key past logout and group end
    der = crypto.generate_rsa(2048, 65537).private_der
    assert crypto.load_private_key(der) is not crypto.load_private_key(der)
