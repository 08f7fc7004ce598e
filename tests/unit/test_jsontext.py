"""hsmshell/jsontext.py: orjson where it can, the standard library where it cannot, the same
values either way (audit records, key attributes, --json lines)."""

from __future__ import annotations

import json

from hypothesis import given, strategies as st

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
