"""The state home: --home, else $HSMSHELL_HOME, else the XDG data dir."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from hsmshell.errors import AuditKeyDamaged, ClusterStateDamaged, InvalidArgument
from hsmshell import fileio
from hsmshell.record import record

CLUSTER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def resolve_home(option: str | None, environ: dict) -> Path:
    if option:
        return Path(option).expanduser()
    if environ.get("HSMSHELL_HOME"):
        return Path(environ["HSMSHELL_HOME"]).expanduser()
    base = environ.get("XDG_DATA_HOME") or os.path.join(environ.get("HOME", "~"), ".local", "share")
    return Path(base).expanduser() / "hsmshell"


@record(frozen=True)
class StateHome:
    root: Path

    def ensure(self) -> "StateHome":
        fileio.make_folder(self.root)
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


def write_private(path: Path, data: bytes, exclusive: bool = False) -> None:
    """Write a secret file readable by its owner only (0600), atomically; `exclusive`: never
    replace one that exists (a cluster's keys are made once)."""
    fileio.write_file(path, data, mode=fileio.PRIVATE, atomic=True, exclusive=exclusive,
                     what=path.name, error=ClusterStateDamaged)


# The files every emulated cluster has from its creation on. If any is missing while others
# are there, the cluster is damaged: the shell refuses, and never makes them again in place.
KEK_FILE = "key-encryption.key"
STATE_FILES = ("state.db", KEK_FILE)
AUDIT_FILES = ("audit.log", "audit.key", "audit.pub", "audit.hmac")
CLUSTER_FILES = STATE_FILES + AUDIT_FILES


KEY_SIZES = {KEK_FILE: 32, "audit.key": 32, "audit.pub": 32, "audit.hmac": 32}


def missing_cluster_files(directory: Path) -> tuple[list[str], list[str]]:
    """(present, missing) among CLUSTER_FILES; a name that is not a regular file, or a key
    file of the wrong size, counts as missing (named with what is wrong)."""
    present, missing = [], []
    for name in CLUSTER_FILES:
        try:
            info = os.lstat(directory / name)
        except OSError:
            missing.append(name)
            continue
        present.append(name)
        if not stat.S_ISREG(info.st_mode):
            missing.append(f"{name} (not a regular file)")
        elif name in KEY_SIZES and info.st_size != KEY_SIZES[name]:
            missing.append(f"{name} ({info.st_size} bytes, not {KEY_SIZES[name]})")
    return present, missing


def require_complete(directory: Path) -> None:
    """Refuse a cluster folder that lacks any of its files (naming them); nothing is written."""
    if directory.exists() and not directory.is_dir():
        raise ClusterStateDamaged(f"the cluster folder {directory} is not a folder: refused")
    present, missing = missing_cluster_files(directory)
    if not missing or not present:
        return
    error = ClusterStateDamaged if any(name.split()[0] in STATE_FILES for name in missing) else AuditKeyDamaged
    raise error(f"the cluster in {directory} is missing or has damaged {', '.join(missing)}: refused, "
                f"nothing was written (a cluster is never re-created in place)")
