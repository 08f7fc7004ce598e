"""What one attempt of one command carries into a backend and back: its per-command context.

The pipeline makes one `CommandContext` per dispatched attempt and hands it to
`Backend.execute`; the emulator hands it on to the handler (inside the `CommandRun` view of
its cluster: backends/emulator/cluster.py). Nothing of one command stays on an object that
lives as long as the shell, and nothing is counted in a module global:

- `replay_input`: during `audit replay`, the `replay` data the original run recorded (what its
  handler read from users' files then); None outside replay;
- `failure_prompt`: who answers Retry/Ignore/Abort when a server fails this write command
  (replay gives the recorded answers; None: the backend's own, set_failure_prompt);
- `inputs_read`: what the handler read from users' files, for its audit record
  (backends/emulator/replay_inputs.py);
- `last_pick`: the HSM a one-HSM operation ran on (the HSM logs name it);
- `asking_for`: the write command now asking on failure, if any;
- `key_material_files`: files key material was written to (batch mode commits such a
  command's record at once: transactions.py).
"""

from __future__ import annotations

from typing import Callable

from hsmshell.record import field, record


@record(slots=True)
class CommandContext:
    replay_input: dict | None = None
    failure_prompt: Callable | None = None
    inputs_read: dict = field(default_factory=dict)
    last_pick: str | None = None
    asking_for: str | None = None
    key_material_files: int = 0

    def note_key_material(self) -> None:
        self.key_material_files += 1
