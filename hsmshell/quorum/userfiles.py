"""Bounded reads of files a user names (approval files, tokens, signatures, PEM keys), and
the writes of token and signature files.

A user file is read only if it is a regular file, and never more than a stated size, so a
path to a FIFO, a device or a huge file cannot hang the shell or fill its memory. Failures
are InvalidArgument with a one-line message naming the path as the user wrote it.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from typing import Callable, Iterator

from hsmshell import output_sandbox
from hsmshell.errors import InvalidArgument

# (path as the user wrote it, n) -> at most the first n bytes of that file. Parsers take one
# of these instead of opening files themselves, so tests can hand them a dict.
ReadFile = Callable[[str, int], bytes]


def read_user_file(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """A user's file of at most `max_bytes`; InvalidArgument naming `what` otherwise."""
    data = _read_prefix(os.fspath(output_sandbox.input_path(path)), max_bytes + 1, os.fspath(path))
    if len(data) > max_bytes:
        raise InvalidArgument(f"the {what} {shown(os.fspath(path))} is larger than "
                              f"{max_bytes} bytes")
    return data


def relative_reader(directory: str) -> ReadFile:
    """A ReadFile that resolves relative paths against `directory`."""
    def read(path: str, n: int) -> bytes:
        full = path if os.path.isabs(path) else os.path.join(directory or ".", path)
        return _read_prefix(os.fspath(output_sandbox.input_path(full)), n, shown_as=path)
    return read


def _read_prefix(path: str, n: int, shown_as: str | None = None) -> bytes:
    where = shown(shown_as if shown_as is not None else path)
    with _regular_file(path, os.O_RDONLY, f"cannot read {where}") as (fd, _):
        chunks, size = [], 0
        while size < n and (chunk := os.read(fd, n - size)):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)


def write_user_file(path: str | os.PathLike, data: bytes, what: str = "file") -> None:
    """Create or replace a user's regular file (a token, a signature) with `data`."""
    failing = f"cannot write the {what} {shown(os.fspath(path))}"
    # dry runs and replays write to their scratch folder (output_sandbox.py)
    target = os.fspath(output_sandbox.output_path(path))
    with _regular_file(target, os.O_WRONLY | os.O_CREAT, failing) as (fd, old_size):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        # Cut the old content after writing: ext4 flushes a file truncated to 0 on close
        # (~2.5 ms per signature file), which dominated `sign` in a batch. Only a longer old
        # file needs cutting (a batch rewrites files of the same size: one syscall less).
        if old_size > len(data):
            os.ftruncate(fd, len(data))


@contextmanager
def _regular_file(path: str, flags: int, failing: str) -> Iterator[tuple[int, int]]:
    """(descriptor, size) of a regular file; any failure is InvalidArgument("<failing>: <why>")."""
    # O_NONBLOCK: a FIFO named by a hostile file must not hang the shell (open nor write).
    flags |= getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as error:
        raise InvalidArgument(f"{failing}: {error.strerror}") from None
    except ValueError:                      # a NUL in the path
        raise InvalidArgument(f"{failing}: not a valid path") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidArgument(f"{failing}: not a regular file")
        yield fd, info.st_size
    except OSError as error:
        raise InvalidArgument(f"{failing}: {error.strerror}") from None
    finally:
        os.close(fd)


def shown(text: str, limit: int = 60) -> str:
    """A user-written value, quoted and cut short, for a one-line message."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
