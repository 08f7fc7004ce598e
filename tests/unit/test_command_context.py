"""Per-command context travels explicitly (hsmshell/backends/context.py): the pipeline makes
one CommandContext per dispatched attempt and hands it to the backend, the emulator hands it
to the handler inside a CommandRun; the long-lived cluster object and the modules keep no
state of one command."""

from __future__ import annotations

import types

from hsmshell import output_sandbox
from hsmshell.backends.context import CommandContext
from hsmshell.backends.emulator import cluster as cluster_module

PER_COMMAND = {"replay_input", "inputs_read", "failure_prompt", "last_pick", "_asking_for", "asking_for"}


def test_each_attempt_gets_its_own_context_and_the_cluster_keeps_none_of_it(activated, tmp_path):
    harness = activated
    harness.ok("createUser CU alice alicepass1")
    harness.ok("logoutHSM")
    harness.ok("loginHSM CU alice alicepass1")
    contexts = []
    for line in ("genSymKey -t 31 -s 32 -l wrapper", "genSymKey -t 31 -s 32 -l data",
                 f"exSymKey -k 262146 -w 262145 -out {tmp_path / 'key.bin'}"):
        outcome, printed = harness.run(line)
        assert printed[-1]["error"] is None, printed
        contexts.append(outcome.attempt.context)
    assert all(isinstance(c, CommandContext) for c in contexts)
    assert len({id(c) for c in contexts}) == 3                      # one per attempt
    hsms = {h.hsm_id for h in harness.shell.backend.cluster.hsms()}
    assert contexts[0].last_pick in hsms                            # the HSM that made the key
    assert [c.key_material_files for c in contexts] == [0, 0, 1]    # exSymKey wrote key material
    assert PER_COMMAND.isdisjoint(vars(harness.shell.backend.cluster))


def test_a_command_that_never_reached_the_backend_has_no_context(activated):
    outcome, _ = activated.run("nosuchcommand")
    assert outcome.attempt.context is None


def test_no_module_counts_what_commands_did():
    """output_sandbox counted key-material files in a module global; the context does now."""
    counters = [name for name, value in vars(output_sandbox).items()
                if isinstance(value, int) and not isinstance(value, bool) and not name.isupper()]
    assert counters == []
    assert not hasattr(output_sandbox, "note_key_material")


def test_a_handler_gets_the_cluster_through_the_commands_context():
    """Writes of the cluster's own attributes reach the cluster; what is per command stays
    in the context."""
    cluster = types.SimpleNamespace(db=None, conn=None, clock=None, caches={}, principal=None)
    run = cluster_module.CommandRun(cluster, CommandContext(replay_input={"k": 1}))
    run.principal = "someone"
    assert cluster.principal == "someone"
    assert run.context.replay_input == {"k": 1} and run.last_pick is None
    with run.asking_on_failure("createUser"):
        assert run.context.asking_for == "createUser"
    assert run.context.asking_for is None
