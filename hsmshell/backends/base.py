"""The one interface between the pipeline and a backend (the emulator, the real tools, ...).

A backend declares its `capabilities` (model/capabilities.py) and the commands it has
handlers for; the pipeline asks `serves(spec)` before dispatching and answers a command it
does not serve with `not-supported-by-backend` (exit 5, naming the backend). Everything the
shell, the renderers, the completer and the policy's quorum ledger ask of a backend is a
method here, with the answer of a backend that lacks the capability as the default, so no
caller probes a backend with getattr.

Adding a backend: a package under backends/ with a class that subclasses `BackendBase`,
implements `execute`, `summary` and `commands`, lists its capabilities, and passes the
contract suite (tests/backends/test_backend_contract.py).
"""

from __future__ import annotations

from typing import Collection, Protocol, runtime_checkable

from hsmshell.backends.result import Result
from hsmshell.errors import NotSupportedByBackend
from hsmshell.model.capabilities import Capability


@runtime_checkable
class Backend(Protocol):
    name: str
    capabilities: frozenset[Capability]
    transactional: bool           # its whole state is in the cluster database (batch groups)
    principal: object             # who is logged in (model Principal) or None
    session_id: str | None        # this shell's session on the HSMs, when the backend keeps one
    server_mode: int | None       # CMU server mode: the server commands go to, else None

    def serves(self, spec) -> bool: ...
    def commands(self) -> Collection[str]: ...
    # `context`: this attempt's CommandContext (backends/context.py), made by the pipeline
    def execute(self, invocation, secrets: dict[str, str], context=None) -> Result: ...
    def summary(self) -> dict: ...
    def user_names(self) -> list[str]: ...
    def leave_server_mode(self) -> int | None: ...
    def pending_tokens(self) -> list[dict]: ...
    def m_value(self, service_id: int) -> int: ...
    def approvals(self, service_id: int, key_handle: int = 0) -> tuple[int, bool]: ...
    def key_quorum(self, key_handle: int, service_id: int = 5) -> int: ...
    def set_failure_prompt(self, prompt) -> None: ...
    def why_not(self, command: str) -> str: ...
    def close(self) -> None: ...


class BackendBase:
    """What a backend without a capability answers; subclasses override what they have."""

    name = "backend"
    docs = "docs/architecture.md"      # where a user reads what it serves
    capabilities: frozenset[Capability] = frozenset({Capability.SHELL})
    transactional = False
    principal = None
    session_id: str | None = None
    server_mode: int | None = None

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def commands(self) -> Collection[str]:
        """The names of the commands it has handlers for."""
        return ()

    def serves(self, spec) -> bool:
        """The spec names the backends that implement it (CommandSpec.backends)."""
        return spec.needs in self.capabilities and spec.served_by(self.name)

    def execute(self, invocation, secrets: dict[str, str], context=None) -> Result:
        raise not_supported(self, invocation.name)

    def summary(self) -> dict:
        return {"backend": self.name, "hsms_total": 0, "hsms_reachable": 0, "hsms": []}

    def user_names(self) -> list[str]:
        return []

    def leave_server_mode(self) -> int | None:
        return None

    def pending_tokens(self) -> list[dict]:
        return []

    # the policy's quorum ledger (policy/engine.py): without quorum, M is 1 and nothing waits
    def m_value(self, service_id: int) -> int:
        return 1

    def approvals(self, service_id: int, key_handle: int = 0) -> tuple[int, bool]:
        return 0, False

    def key_quorum(self, key_handle: int, service_id: int = 5) -> int:
        """0: no per-key quorum known here (the HSM enforces its own)."""
        return 0

    def set_failure_prompt(self, prompt) -> None:
        """Who answers Retry/Ignore/Abort when a server fails a write; ignored by a backend
        whose servers never fail one at a time."""

    def why_not(self, command: str) -> str:
        """Why this backend does not serve `command`, and what would (one clause), or ''."""
        return ""

    def close(self) -> None:
        pass


def not_supported(backend, command: str) -> NotSupportedByBackend:
    why = backend.why_not(command)
    return NotSupportedByBackend(f"{command} is not supported by the {backend.name} backend"
                                 + (f": {why}" if why else ""),
                                 hint=f"{backend.docs} lists the commands the {backend.name} backend serves")
