"""Bounded reads of files a user names: approval files, tokens, signatures, PEM keys.

A user file is read only if it is a regular file, and never more than a stated size, so a
path to a FIFO, a device or a huge file cannot hang the shell or fill its memory. Failures
are InvalidArgument with a one-line message naming the path as the user wrote it.
"""

from __future__ import annotations

import os
import stat
from typing import Callable

from hsmshell.errors import InvalidArgument

# (path as the user wrote it, n) -> at most the first n bytes of that file. Parsers take one
# of these instead of opening files themselves, so tests can hand them a dict.
ReadFile = Callable[[str, int], bytes]


def read_user_file(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """A user's file of at most `max_bytes`; InvalidArgument naming `what` otherwise."""
    data = _read_prefix(os.fspath(path), max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidArgument(f"the {what} {shown(os.fspath(path))} is larger than "
                              f"{max_bytes} bytes")
    return data


def relative_reader(directory: str) -> ReadFile:
    """A ReadFile that resolves relative paths against `directory`."""
    def read(path: str, n: int) -> bytes:
        full = path if os.path.isabs(path) else os.path.join(directory or ".", path)
        return _read_prefix(full, n, shown_as=path)
    return read


def _read_prefix(path: str, n: int, shown_as: str | None = None) -> bytes:
    where = shown(shown_as if shown_as is not None else path)
    # O_NONBLOCK: opening a FIFO named by a hostile file must not hang the shell.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise InvalidArgument(f"cannot read {where}: {error.strerror}") from None
    except ValueError:                      # a NUL in the path
        raise InvalidArgument(f"cannot read {where}: not a valid path") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidArgument(f"cannot read {where}: not a regular file")
        chunks, size = [], 0
        while size < n and (chunk := os.read(fd, n - size)):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise InvalidArgument(f"cannot read {where}: {error.strerror}") from None
    finally:
        os.close(fd)


def shown(text: str, limit: int = 60) -> str:
    """A user-written value, quoted and cut short, for a one-line message."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
