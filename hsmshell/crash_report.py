"""The last resort: an exception that is none of the project's errors becomes `internal-error`
(exit 1) and its traceback goes to a crash report under the state dir (`crashes/`), with
every secret the attempt held replaced, so a bug report can carry the file as it is."""

from __future__ import annotations

import os
import sys
import time
import traceback
import uuid
from pathlib import Path

from hsmshell import __version__
from hsmshell.errors import InternalError

REDACTED = "<redacted>"
MAX_REPORTS = 100           # oldest go first: a crash loop must not fill the disk


def internal_error(exc: BaseException, home: Path | None, context: dict, secrets=()) -> InternalError:
    """The `internal-error` for `exc`, naming the crash report written for it (or saying
    that none could be written)."""
    what = context.get("command") or "the command"
    try:
        path = write_report(exc, home, context, secrets)
        where = f"crash report: {path}"
    except OSError as failed:
        where = f"no crash report could be written ({failed.strerror or type(failed).__name__})"
    return InternalError(f"internal error ({type(exc).__name__}) in {what}; {where}",
                         detail={"exception": type(exc).__name__})


def write_report(exc: BaseException, home: Path | None, context: dict, secrets=()) -> Path:
    if home is None:
        raise OSError(0, "no state dir")
    folder = Path(home) / "crashes"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _prune(folder)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = folder / f"crash-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}.txt"
    lines = [f"hsmshell {__version__} crash report", f"time: {stamp}Z",
             f"python: {sys.version.split()[0]} on {sys.platform}"]
    lines += [f"{key}: {value}" for key, value in context.items() if value is not None]
    lines += ["", *traceback.format_exception(type(exc), exc, exc.__traceback__)]
    body = redact("\n".join(line.rstrip("\n") for line in lines) + "\n", secrets)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as out:
        out.write(body)
    return path


def redact(text: str, secrets) -> str:
    """Replace each secret value, as typed and as a message may quote it (repr, escapes),
    longest first, so a secret that contains another goes whole."""
    forms = set()
    for value in (s for s in secrets if isinstance(s, str) and s):
        escaped = value.replace("\\", "\\\\")
        forms |= {value, repr(value)[1:-1], value.encode("unicode_escape").decode("ascii"),
                  escaped.replace("'", "\\'"), escaped.replace('"', '\\"')}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text


def _prune(folder: Path) -> None:
    reports = sorted(folder.glob("crash-*.txt"))
    for old in reports[:max(0, len(reports) - MAX_REPORTS + 1)]:
        try:
            old.unlink()
        except OSError:
            pass
