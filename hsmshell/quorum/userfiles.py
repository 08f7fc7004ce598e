"""Bounded reads of files a user names (approval files, tokens, signatures, PEM keys), and
the writes of token and signature files.

A user file is read only if it is a regular file, and never more than a stated size, so a
path to a FIFO, a device or a huge file cannot hang the shell or fill its memory. Failures
are InvalidArgument with a one-line message naming the path as the user wrote it.
"""

from __future__ import annotations

import os
import stat
from typing import Callable

from hsmshell import output_sandbox
from hsmshell.errors import InvalidArgument

# (path as the user wrote it, n) -> at most the first n bytes of that file. Parsers take one
# of these instead of opening files themselves, so tests can hand them a dict.
ReadFile = Callable[[str, int], bytes]


def read_user_file(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """A user's file of at most `max_bytes`; InvalidArgument naming `what` otherwise."""
    data = _read_prefix(output_sandbox.input_path(path), max_bytes + 1, path)
    if len(data) > max_bytes:
        raise InvalidArgument(f"the {what} {shown(os.fspath(path))} is larger than "
                              f"{max_bytes} bytes")
    return data


def relative_reader(directory: str) -> ReadFile:
    """A ReadFile that resolves relative paths against `directory`."""
    def read(path: str, n: int) -> bytes:
        full = path if os.path.isabs(path) else os.path.join(directory or ".", path)
        return _read_prefix(output_sandbox.input_path(full), n, path)
    return read


def _read_prefix(path: str, n: int, shown_as: str | os.PathLike) -> bytes:
    failing = ("cannot read", shown_as)
    fd, expected = _open_regular(path, os.O_RDONLY, failing)
    try:
        chunks, size = [], 0
        # Ask for what fstat promised (+1, to see EOF or growth), never for all `n` at once:
        # a read of n bytes allocates n bytes first, and n is 16 MiB for a key command's input.
        while size < n and (chunk := os.read(fd, min(n - size, max(expected - size + 1, _CHUNK)))):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise _failure(failing, error.strerror) from None
    finally:
        os.close(fd)


def write_user_file(path: str | os.PathLike, data: bytes, what: str = "file") -> None:
    """Create or replace a user's regular file (a token, a signature) with `data`."""
    failing = (f"cannot write the {what}", path)
    # dry runs and replays write to their scratch folder (output_sandbox.py)
    target = output_sandbox.output_path(path)
    fd, old_size = _open_regular(target, os.O_WRONLY | os.O_CREAT, failing)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        # Cut the old content after writing: ext4 flushes a file truncated to 0 on close
        # (~2.5 ms per signature file), which dominated `sign` in a batch. Only a longer old
        # file needs cutting (a batch rewrites files of the same size: one syscall less).
        if old_size > len(data):
            os.ftruncate(fd, len(data))
    except OSError as error:
        raise _failure(failing, error.strerror) from None
    finally:
        os.close(fd)


# O_NONBLOCK: a FIFO named by a hostile file must not hang the shell (open nor write).
_OPEN_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_CHUNK = 64 * 1024


def _open_regular(path: str, flags: int, failing: tuple[str, str | os.PathLike]) -> tuple[int, int]:
    """(descriptor, size) of a regular file, for the caller to close; any failure is
    InvalidArgument("<doing> <path>: <why>"), `failing` being (doing, path as the user wrote it)."""
    try:
        fd = os.open(path, flags | _OPEN_FLAGS, 0o644)
    except OSError as error:
        raise _failure(failing, error.strerror) from None
    except ValueError:                      # a NUL in the path
        raise _failure(failing, "not a valid path") from None
    try:
        info = os.fstat(fd)
    except OSError as error:
        os.close(fd)
        raise _failure(failing, error.strerror) from None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _failure(failing, "not a regular file")
    return fd, info.st_size


def _failure(failing: tuple[str, str | os.PathLike], why: str) -> InvalidArgument:
    # messages are made only on failure: every key command reads and writes files
    doing, path = failing
    return InvalidArgument(f"{doing} {shown(os.fspath(path))}: {why}")


def shown(text: str, limit: int = 60) -> str:
    """A user-written value, quoted and cut short, for a one-line message."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
