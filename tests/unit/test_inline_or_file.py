"""The CloudHSM CLI's --<name> <BASE64> / --<name>-path <FILE> pair, read by one helper
(key_files.inline_or_file) for crypto sign/verify and key unwrap."""

import pytest

from hsmshell.backends.key_files import inline_or_file
from hsmshell.errors import InvalidArgument


def test_base64_inline_or_from_file(tmp_path):
    path = tmp_path / "sig.bin"
    path.write_bytes(b"\x00\x01raw")
    assert inline_or_file({"data": "YWJj"}, "data", "data") == b"abc"
    assert inline_or_file({"signature_path": str(path)}, "signature", "signature") == b"\x00\x01raw"


@pytest.mark.parametrize("args", [{}, {"data": "YWJj", "data_path": "x"}])
def test_given_exactly_once(args):
    with pytest.raises(InvalidArgument, match=r"give the wrapped key once: --data <BASE64> or --data-path <FILE>"):
        inline_or_file(args, "data", "wrapped key")


def test_not_base64():
    with pytest.raises(InvalidArgument, match="--signature must be base64"):
        inline_or_file({"signature": "not base64!"}, "signature", "signature")


def test_file_over_the_limit(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(b"x" * 100)
    with pytest.raises(InvalidArgument):
        inline_or_file({"signature_path": str(path)}, "signature", "signature", limit=10)
