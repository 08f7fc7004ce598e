"""Users' files (quorum/userfiles.py, key_files.py) and where dry runs put them
(output_sandbox.py): regular files only, bounded reads, one-line errors naming the path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hsmshell import output_sandbox
from hsmshell.backends.key_files import read_input, write_output
from hsmshell.errors import InvalidArgument
from hsmshell.quorum.userfiles import read_user_file, write_user_file

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")


def pathlib_spelling(path: str) -> str | type:
    try:
        return str(Path(path).expanduser())
    except RuntimeError as error:           # ~user with no such user
        return type(error)


def check_spelling(path: str) -> None:
    try:
        ours = output_sandbox.expanded(path)
    except RuntimeError as error:
        ours = type(error)
    assert ours == pathlib_spelling(path)
    if not isinstance(ours, type):
        assert output_sandbox.output_path(path) == output_sandbox.input_path(path) == ours


@pytest.mark.parametrize("path", ["", ".", "./a", "a/.", "a/./b", "a//b", "//a", "///a", "a/",
                                  "..", "a/../b", ".a/b.", "~", "~/x", "/", "a\0b"])
def test_paths_are_spelled_as_pathlib_spells_them(path):
    check_spelling(path)


@given(st.text(alphabet="/.a~ \n", max_size=12))
def test_any_path_is_spelled_as_pathlib_spells_it(path):
    check_spelling(path)


def test_sandboxed_writes_go_to_scratch_and_are_read_back_from_there(tmp_path):
    original = tmp_path / "sig"
    original.write_bytes(b"mine")
    other = tmp_path / "other"
    other.write_bytes(b"untouched")
    with output_sandbox.sandboxed_output(tmp_path / "scratch"):
        assert write_output(str(original), b"dry") == str(original)
        assert read_input(str(original), "data") == b"dry"
        assert read_input(str(other), "data") == b"untouched"
    assert original.read_bytes() == b"mine"
    assert [p.read_bytes() for p in (tmp_path / "scratch").iterdir()] == [b"dry"]


def test_reads_are_bounded_and_whole(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "data"
    path.write_bytes(b"x" * 10)
    assert read_user_file(path, 10) == b"x" * 10
    with pytest.raises(InvalidArgument, match=r"^the data file 'data' is larger than 9 bytes$"):
        read_user_file("data", 9, "data file")
    big = os.urandom(300 * 1024)                # more than one read
    path.write_bytes(big)
    assert read_input(str(path), "data") == big


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_a_file_larger_than_its_size_says_is_read_whole():
    data = read_user_file("/proc/self/status", 1 << 20)     # st_size 0
    assert data.startswith(b"Name:") and data.endswith(b"\n")


@pytest.mark.parametrize("make, why", [
    (lambda p: None, "No such file or directory"),
    (lambda p: p.mkdir(), "it is a folder, not a regular file"),
    pytest.param(lambda p: os.mkfifo(p), "it is a FIFO, not a regular file", marks=needs_fifo),
])
def test_unusable_files_are_one_line_errors_naming_the_path(tmp_path, monkeypatch, make, why):
    monkeypatch.chdir(tmp_path)
    make(Path("f"))
    with pytest.raises(InvalidArgument) as caught:
        read_user_file("f", 100)
    assert str(caught.value) == f"cannot read 'f': {why}"
    if why != "No such file or directory":
        with pytest.raises(InvalidArgument) as caught:
            write_user_file("f", b"data", "signature file")
        message = str(caught.value)
        assert message.startswith("cannot write the signature file 'f': ") and "\n" not in message
    with pytest.raises(InvalidArgument, match="^cannot read 'nul\\\\x00': not a valid path$"):
        read_user_file("nul\0", 100)


def test_writes_replace_the_whole_file(tmp_path):
    path = tmp_path / "out"
    path.write_bytes(b"a much longer old content")
    write_user_file(path, b"short")
    assert path.read_bytes() == b"short"
    write_user_file(path, b"longer than short")
    assert path.read_bytes() == b"longer than short"
    assert write_output(f"{tmp_path}//./out", b"k") == str(path)      # as pathlib spells it
    assert path.read_bytes() == b"k"
