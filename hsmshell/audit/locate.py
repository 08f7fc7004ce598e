"""Which audit log an `hsmshell audit ...` command reads, and what it can check it against."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hsmshell.audit.keys import VERIFY_KEY
from hsmshell.audit.log import LOG_NAME
from hsmshell.errors import ConfigError
from hsmshell.state.home import StateHome


@dataclass(frozen=True)
class LogTarget:
    path: Path
    cluster_dir: Path | None        # the current cluster's folder, when it exists
    own: bool                       # the log is that cluster's own audit.log (head applies)
    key_dir: Path | None            # where audit.pub is

    @property
    def name(self) -> str:
        return str(self.path)


def locate_log(env, log: str | None) -> LogTarget:
    directory = StateHome(env.home).cluster_dir(env.cluster)
    has_cluster = (directory / "state.db").is_file()
    if log is None:
        if not has_cluster:
            raise ConfigError(f"no cluster named '{env.cluster}' in {env.home}",
                              hint="name a log file, or pick the cluster with --cluster")
        return LogTarget(directory / LOG_NAME, directory, True, directory)
    path = Path(log).expanduser()
    if not path.is_file():
        raise ConfigError(f"no audit log at {log}")
    own = has_cluster and (directory / LOG_NAME).is_file() and _same_file(path, directory / LOG_NAME)
    # a copied log is checked with the audit.pub copied beside it, else the cluster's
    beside = path.parent / VERIFY_KEY
    key_dir = path.parent if beside.is_file() and not own else (directory if has_cluster else None)
    return LogTarget(path, directory if has_cluster else None, own, key_dir)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
