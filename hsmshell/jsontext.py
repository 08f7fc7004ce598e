"""JSON text for the audit log, the state database and `--output json`, in one place.

orjson writes it: every command encodes three or four JSON documents (its audit record, its
key attributes, its JSON line), and the standard library's encoder was about a sixth of a
batch command's time. What orjson cannot write or read the standard library does, with the
same meaning: integers beyond 64 bits, and text that must stay ASCII (audit records are
ASCII, so their `\\u` escapes come from the standard library).
"""

from __future__ import annotations

import json
import re

import orjson

_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_STD_SORTED = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                               check_circular=False)
# orjson reads integers in [-2**63, 2**64) exactly: beyond them, 20 digits or a minus and 19
_LONG_NUMBER = re.compile(r"-\d{19}|\d{20}")
_LONG_NUMBER_BYTES = re.compile(rb"-\d{19}|\d{20}")
_STD_LINE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str,
                             check_circular=False)


def sorted_ascii(value) -> bytes:
    """Compact JSON with sorted keys, ASCII only (the audit record's canonical bytes)."""
    try:
        text = orjson.dumps(value, option=_SORTED)
        if text.isascii():
            return text
    except TypeError:
        pass
    return _STD_SORTED.encode(value).encode("ascii")


def line(value) -> str:
    """One compact JSON line (--output json); values JSON has no type for are written as text."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except TypeError:
        return _STD_LINE.encode(value)


def compact(value) -> str:
    """Compact JSON, keys in the order given (the key attributes kept in the state database)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except TypeError:
        return _STD_LINE.encode(value)


def loads_flat(text: str) -> dict:
    """A flat object of integers and strings (key attributes). orjson reads an integer beyond
    64 bits as a float (an imported RSA key may have such a public exponent), and such an
    object holds no real floats: if one appears, the standard library reads it exactly."""
    value = orjson.loads(text)
    if any(type(item) is float for item in value.values()):
        return json.loads(text)
    return value


def loads_any(text: str | bytes):
    """Any JSON text (an audit record): a run of 20 digits (19 after a minus) may be an integer
    beyond 64 bits, which only the standard library reads exactly; the rest goes to orjson."""
    if (_LONG_NUMBER_BYTES if isinstance(text, bytes) else _LONG_NUMBER).search(text):
        return json.loads(text)
    return orjson.loads(text)
