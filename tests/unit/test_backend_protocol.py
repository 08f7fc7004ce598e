"""The Backend protocol: both backends implement it, declare their capabilities, and a
command a backend does not serve is answered `not-supported-by-backend` (exit 5) naming it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hsmshell.backends import emulator
from hsmshell.backends.base import Backend
from hsmshell.commands import command_table
from hsmshell.model.capabilities import Capability
from hsmshell.status import ExitStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
from contract_support import open_roles  # noqa: E402


def test_both_backends_implement_the_protocol(harness, tmp_path):
    from hsmshell.backends.cloudhsm import CloudHsmBackend
    assert isinstance(harness.open().backend, Backend)
    cloudhsm = CloudHsmBackend(harness.env(backend="cloudhsm"))
    assert isinstance(cloudhsm, Backend) and Capability.LOGS not in cloudhsm.capabilities


def test_the_emulator_has_a_handler_for_every_command_of_the_table():
    missing = [spec.name for spec in command_table()
               if not spec.local and spec.name not in emulator.all_handlers()]
    assert missing == []


def test_a_command_the_backend_lacks_the_capability_for_is_not_supported(harness, monkeypatch):
    shell = harness.open()
    monkeypatch.setattr(shell.backend, "capabilities",
                        frozenset({Capability.SHELL, Capability.SESSIONS}))
    outcome, printed = harness.run("listUsers", "t:1")
    assert outcome.status == ExitStatus.UNAVAILABLE
    assert printed[-1]["error"]["reference"] == "not-supported-by-backend"
    assert "emulator backend" in printed[-1]["error"]["message"]
    harness.ok("help")                                    # the shell's own commands still run


@pytest.mark.parametrize("line", ["setTokenValidity 10"])
def test_the_cloudhsm_backend_names_itself_for_what_it_does_not_send(harness, tmp_path, line):
    harness.open(backend="cloudhsm", roles_dir=open_roles(tmp_path / "roles"))
    outcome, printed = harness.run(line)
    assert outcome.status == ExitStatus.UNAVAILABLE, printed
    assert printed[-1]["error"]["reference"] == "not-supported-by-backend"
    assert "cloudhsm backend" in printed[-1]["error"]["message"]
