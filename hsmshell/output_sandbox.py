"""Where commands write files while `run --dry-run` or `audit replay` runs them: into a scratch
folder, never over the user's files.

A handler that writes a file calls `output_path(path)` and writes there; one that reads a
file calls `input_path(path)`, so a file written earlier in the same dry run or replay is
found in the sandbox (other files are read where they are). Outside a sandbox both return
the path as `expanded(path)` spells it.
"""

from __future__ import annotations

import hashlib
import os
import re
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator

_SANDBOX: ContextVar[Path | None] = ContextVar("hsmshell_output_sandbox", default=None)
# A path pathlib would spell unchanged: at most one leading "/", no empty or "." parts, no
# trailing "/". Every key command names a file or two, and Path() costs more than the check.
_PATHLIB_SPELLING = re.compile(r"/?(?:(?!\./)[^/]+/)*(?!\.\Z)[^/]+")


@contextmanager
def sandboxed_output(folder: Path) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = _SANDBOX.set(folder)
    try:
        yield folder
    finally:
        _SANDBOX.reset(token)


def active() -> bool:
    return _SANDBOX.get() is not None


def expanded(path: str | os.PathLike) -> str:
    """str(Path(path).expanduser()): ~ expanded, "a//b/./" spelled "a/b", "" spelled "."."""
    text = os.fspath(path)
    if text[:1] == "~" or not _PATHLIB_SPELLING.fullmatch(text):
        return str(Path(text).expanduser())     # pathlib's rules (and errors) for ~user
    return text


def output_path(path: str | os.PathLike) -> str:
    folder = _SANDBOX.get()
    path = expanded(path)
    if folder is None:
        return path
    return str(_mapped(folder, Path(path)))


def input_path(path: str | os.PathLike) -> str:
    folder = _SANDBOX.get()
    path = expanded(path)
    if folder is None:
        return path
    mapped = _mapped(folder, Path(path))
    return str(mapped) if mapped.exists() else path


def _mapped(folder: Path, path: Path) -> Path:
    # one flat file per distinct absolute path; the name keeps the original's for messages
    absolute = str(path.resolve())
    return folder / f"{hashlib.sha256(absolute.encode()).hexdigest()[:16]}-{path.name}"
