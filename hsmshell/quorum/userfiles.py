"""Bounded reads of files a user names (approval files, tokens, signatures, PEM keys), and
the writes of token and signature files.

A user file is read only if it is a regular file, and never more than a stated size, so a
path to a FIFO, a device or a huge file cannot hang the shell or fill its memory. Failures
are InvalidArgument with a one-line message naming the path as the user wrote it.
"""

from __future__ import annotations

import os
from typing import Callable

from hsmshell import output_sandbox
from hsmshell import fileio

# (path as the user wrote it, n) -> at most the first n bytes of that file. Parsers take one
# of these instead of opening files themselves, so tests can hand them a dict.
ReadFile = Callable[[str, int], bytes]


def read_user_file(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """A user's file of at most `max_bytes`; InvalidArgument naming `what` otherwise."""
    return fileio.read_regular(output_sandbox.input_path(path), max_bytes, what, shown_as=path)


def relative_reader(directory: str) -> ReadFile:
    """A ReadFile that resolves relative paths against `directory`."""
    def read(path: str, n: int) -> bytes:
        full = path if os.path.isabs(path) else os.path.join(directory or ".", path)
        fd, expected = fileio.open_regular(output_sandbox.input_path(full), os.O_RDONLY,
                                          "cannot read", path)
        try:
            return fileio.read_prefix(fd, n, expected)
        except OSError as error:
            raise fileio.refusal("cannot read", path, error.strerror) from None
        finally:
            os.close(fd)
    return read


def write_user_file(path: str | os.PathLike, data: bytes, what: str = "file", *,
                    private: bool = False) -> None:
    """Create or replace a user's regular file (a token, a signature; with `private`, key
    material: 0600, through an exclusive temporary file). Dry runs and replays write to their
    scratch folder (output_sandbox.py)."""
    fileio.write_file(output_sandbox.output_path(path), data, what=what, shown_as=path,
                     mode=fileio.PRIVATE if private else fileio.PUBLIC, atomic=private)


shown = fileio.shown        # (approval.py's messages quote values with it)
