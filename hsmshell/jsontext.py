"""JSON text for the audit log, the state database and `--output json`, in one place.

orjson writes it once a process writes many documents: every command encodes three or four
(its audit record, its key attributes, its JSON line), and the standard library's encoder
was about a sixth of a batch command's time. A process that writes only a few (a one-shot
`hsmshell --json -c CMD` writes about five) uses the standard library's C encoder instead:
importing orjson imports `dataclasses`, `inspect`, `uuid` and `platform` with it, some 60 M
instructions, more than a one-shot's whole work (docs/performance.md). What orjson cannot
write or read the standard library does, with the same meaning: integers beyond 64 bits,
and text that must stay ASCII (audit records are ASCII, so their `\\u` escapes come from the
standard library). Either way a document reads back as the same value.
"""

from __future__ import annotations

import json
import re
from enum import Enum

# orjson is worth its import once a process has written this many documents
ORJSON_AFTER = 40
_orjson = None
_documents = 0


def _fast():
    """orjson, once this process has written ORJSON_AFTER documents; None before."""
    global _orjson, _documents
    if _orjson is None:
        _documents += 1
        if _documents <= ORJSON_AFTER:
            return None
        import orjson
        _orjson = orjson
    return _orjson


def _as_orjson_would(value):
    """What orjson writes natively and the standard library does not know: an enum as its
    value, a date or time as ISO 8601, a record (hsmshell/record.py) as an object."""
    if isinstance(value, Enum):
        return value.value
    fields = getattr(value, "__record_fields__", None)
    if fields is not None:
        return {f.name: getattr(value, f.name) for f in fields}
    if hasattr(value, "isoformat") and value.__class__.__module__ == "datetime":
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _as_text(value):
    try:
        return _as_orjson_would(value)
    except TypeError:
        return str(value)


_STD_SORTED = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                               check_circular=False, default=_as_orjson_would)
# orjson reads integers in [-2**63, 2**64) exactly: beyond them, 20 digits or a minus and 19
_LONG_NUMBER = re.compile(r"-\d{19}|\d{20}")
_LONG_NUMBER_BYTES = re.compile(rb"-\d{19}|\d{20}")
_STD_LINE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_as_text,
                             check_circular=False)
_STD_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_as_orjson_would,
                                check_circular=False)


def sorted_ascii(value) -> bytes:
    """Compact JSON with sorted keys, ASCII only (the audit record's canonical bytes)."""
    orjson = _orjson or _fast()
    if orjson is not None:
        try:
            text = orjson.dumps(value, default=_as_orjson_would,
                                option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
            # the standard library escapes DEL too (\u007f); orjson leaves it: the same
            # record must have the same bytes in a short process and a long one
            if text.isascii() and b"\x7f" not in text:
                return text
        except TypeError:
            pass
    return _STD_SORTED.encode(value).encode("ascii")


def line(value) -> str:
    """One compact JSON line (--output json); values JSON has no type for are written as text."""
    return _compact_text(value, _as_text, _STD_LINE)


def compact(value) -> str:
    """Compact JSON, keys in the order given (the key attributes kept in the state database)."""
    return _compact_text(value, _as_orjson_would, _STD_COMPACT)


def _compact_text(value, default, standard: json.JSONEncoder) -> str:
    """Compact UTF-8 JSON text: orjson with `default`, else `standard` (the same `default`)."""
    orjson = _orjson or _fast()
    if orjson is not None:
        try:
            return orjson.dumps(value, default=default, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
        except TypeError:
            pass
    return standard.encode(value)


def loads_flat(text: str) -> dict:
    """A flat object of integers and strings (key attributes). orjson reads an integer beyond
    64 bits as a float (an imported RSA key may have such a public exponent), and such an
    object holds no real floats: if one appears, the standard library reads it exactly."""
    orjson = _orjson or _fast()
    if orjson is None:
        return json.loads(text)
    value = orjson.loads(text)
    if any(type(item) is float for item in value.values()):
        return json.loads(text)
    return value


def loads_any(text: str | bytes):
    """Any JSON text (an audit record): a run of 20 digits (19 after a minus) may be an integer
    beyond 64 bits, which only the standard library reads exactly; the rest goes to orjson."""
    orjson = _orjson or _fast()
    if orjson is None or (_LONG_NUMBER_BYTES if isinstance(text, bytes) else _LONG_NUMBER).search(text):
        return json.loads(text)
    return orjson.loads(text)
