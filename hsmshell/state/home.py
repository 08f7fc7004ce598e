"""The state home: --home, else $HSMSHELL_HOME, else the XDG data dir."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from hsmshell.errors import InvalidArgument

CLUSTER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def resolve_home(option: str | None, environ: dict) -> Path:
    if option:
        return Path(option).expanduser()
    if environ.get("HSMSHELL_HOME"):
        return Path(environ["HSMSHELL_HOME"]).expanduser()
    base = environ.get("XDG_DATA_HOME") or os.path.join(environ.get("HOME", "~"), ".local", "share")
    return Path(base).expanduser() / "hsmshell"


@dataclass(frozen=True)
class StateHome:
    root: Path

    def ensure(self) -> "StateHome":
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    @property
    def clusters(self) -> Path:
        return self.root / "clusters"

    def cluster_dir(self, name: str) -> Path:
        if not CLUSTER_NAME_RE.match(name):
            raise InvalidArgument(f"invalid cluster name '{name[:40]}'",
                                  hint="letters, digits, '.', '_' and '-', at most 64 characters")
        return self.clusters / name

    @property
    def history(self) -> Path:
        return self.root / "history"

    @property
    def client_config(self) -> Path:
        return self.root / "client.json"

    def cluster_names(self) -> list[str]:
        if not self.clusters.is_dir():
            return []
        return sorted(p.name for p in self.clusters.iterdir() if (p / "state.db").is_file())


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file readable by its owner only (0600), atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
