"""hsmshell/jsontext.py: orjson where it can, the standard library where it cannot, the same
values either way (audit records, key attributes, --json lines)."""

from __future__ import annotations

import json

from hypothesis import example, given, strategies as st

from hsmshell import jsontext

scalars = st.none() | st.booleans() | st.integers() | st.text() | \
    st.floats(allow_nan=False, allow_infinity=False)
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@given(documents)
def test_every_document_reads_back_as_it_was_written(value):
    assert jsontext.loads_any(jsontext.sorted_ascii(value)) == value
    assert jsontext.loads_any(jsontext.line(value)) == value
    assert json.loads(jsontext.line(value)) == value


@given(documents)
def test_audit_text_is_ascii_with_sorted_keys(value):
    text = jsontext.sorted_ascii(value)
    assert text.isascii()
    assert text == jsontext.sorted_ascii(json.loads(text))          # canonical: stable


@given(st.dictionaries(st.integers(0, 600).map(str), st.integers() | st.text() | st.booleans(),
                       max_size=30))
def test_key_attributes_read_back_exactly_however_they_were_written(attributes):
    assert jsontext.loads_flat(jsontext.compact(attributes)) == attributes
    assert jsontext.loads_flat(json.dumps(attributes)) == attributes     # as hsmshell wrote them before


def test_integers_beyond_64_bits_stay_exact():
    exponent = 2 ** 70 + 1                   # an imported RSA key may have one
    assert jsontext.loads_flat(jsontext.compact({"3": exponent})) == {"3": exponent}
    assert jsontext.loads_flat(json.dumps({"2": 1, "3": exponent})) == {"2": 1, "3": exponent}
    assert jsontext.loads_any(jsontext.sorted_ascii({"e": exponent})) == {"e": exponent}
    assert jsontext.loads_any(jsontext.sorted_ascii({"e": exponent}).decode()) == {"e": exponent}


def test_a_value_json_has_no_type_for_is_written_as_text_in_output_lines():
    assert json.loads(jsontext.line({"path": __import__("pathlib").Path("/tmp/x")})) == {"path": "/tmp/x"}


def _written_by(fast: bool, write, value):
    """`write(value)` with orjson (fast) or with the standard library a short process uses."""
    saved = jsontext._orjson, jsontext._documents
    if fast:
        import orjson
        jsontext._orjson = orjson
    else:
        jsontext._orjson, jsontext._documents = None, -10**9
    try:
        return write(value)
    finally:
        jsontext._orjson, jsontext._documents = saved


@given(documents)
@example({"\x7f": None})                  # DEL: orjson wrote it as it is, the standard library \u007f
def test_a_short_process_and_a_long_one_write_the_same_values(value):
    for write in (jsontext.sorted_ascii, jsontext.line, jsontext.compact):
        slow, fast = _written_by(False, write, value), _written_by(True, write, value)
        assert json.loads(slow) == json.loads(fast) == value
    assert _written_by(False, jsontext.sorted_ascii, value) == _written_by(True, jsontext.sorted_ascii, value) \
        or any(isinstance(v, float) for v in _leaves(value))      # only a float's spelling may differ


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def test_records_enums_and_times_are_written_alike_by_both():
    import datetime
    from hsmshell.model.users import Principal, UserType
    from hsmshell.status import ExitStatus
    value = {"who": Principal("alice", UserType.CU, 7), "status": ExitStatus(3),
             "at": datetime.datetime(2026, 12, 4, 23, 0, 1)}
    slow, fast = (json.loads(_written_by(flag, jsontext.line, value)) for flag in (False, True))
    assert slow == fast == {"who": {"name": "alice", "user_type": "CU", "user_id": 7}, "status": 3,
                            "at": "2026-12-04T23:00:01"}


def test_a_one_shot_does_not_import_orjson_but_a_batch_does():
    import subprocess
    import sys
    probe = ("import sys\nfrom hsmshell import jsontext\n"
             "[jsontext.line({'n': n}) for n in range(int(sys.argv[1]))]\nprint('orjson' in sys.modules)")
    seen = [subprocess.run([sys.executable, "-c", probe, str(n)], capture_output=True, text=True,
                           check=True).stdout.strip() for n in (5, 500)]
    assert seen == ["False", "True"]
