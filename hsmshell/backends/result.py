"""What a backend returns: structured data plus per-server status; rendering is elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from hsmshell.errors import HsmshellError


@dataclass
class ServerStatus:
    server: int
    hsm: str
    ip: str
    status: str = "success"                 # "success" | "failed"
    error: HsmshellError | None = None
    data: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"server": self.server, "hsm": self.hsm, "ip": self.ip, "status": self.status}
        if self.error is not None:
            out["error"] = self.error.to_dict()
        out.update(self.data)
        return out


@dataclass
class Result:
    command: str
    kind: str = "message"                   # which renderer template shows it
    data: dict = field(default_factory=dict)
    servers: list[ServerStatus] = field(default_factory=list)
    error: HsmshellError | None = None      # set when the command failed (state may still change)
    replay: dict = field(default_factory=dict)   # what audit replay needs (ids, handles)
    # CloudHSM CLI's commands: the tool's own `data` (a string or an object), exactly as
    # `--json` and `emulate cloudhsm-cli` show it; `data` keeps the SDK 3 view for the logs.
    wire: object = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def json_data(self) -> dict:
        if self.wire is not None:
            return self.wire
        data = dict(self.data)
        if self.servers:
            data["servers"] = [s.to_dict() for s in self.servers]
        return data
