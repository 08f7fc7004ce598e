"""What a backend returns: structured data plus per-server status; rendering is elsewhere."""

from __future__ import annotations


from hsmshell.errors import HsmshellError, PartialSuccess
from hsmshell.record import field, record


@record
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


@record
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


def note_partial(result: Result, changes_hsms: bool, cluster: str, enough: int | None = None) -> None:
    """A write some servers took and others missed leaves the HSMs out of step: say so in one
    line. Gone on past the failure (ignore, or a server that refused): partial-success,
    exit 7. Stopped (abort: later servers not attempted): the failure keeps its status and its
    hint says which servers have the change. `enough`: the servers the user said suffice
    (KMU's -min_srv); reaching them is a success."""
    done = [s.server for s in result.servers if s.status == "success"]
    missed = [s for s in result.servers if s.status != "success"]
    if not (changes_hsms and done and missed) or (enough and result.error is None and len(done) >= enough):
        return
    what = f"{result.command} took effect on {_servers(done)} only, not on {_servers([s.server for s in missed])}"
    fix = f"`hsmshell cluster diff {cluster}` shows how to bring the HSMs back in step"
    stopped = any(s.error is not None and s.error.reference == "not-attempted" for s in missed)
    if result.error is None or not stopped:
        why = next((s.error.message for s in missed if s.error is not None), None)
        result.error = PartialSuccess(what + (f" ({why})" if why else ""), hint=fix)
    elif result.error.reference != PartialSuccess.reference:
        result.error.hint = f"{what}; {fix}"


def _servers(numbers: list[int]) -> str:
    text = ", ".join(str(n) for n in numbers)
    return f"server {text}" if len(numbers) == 1 else f"servers {text}"
