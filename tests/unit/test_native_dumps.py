"""Artifacts written natively are the very text ``json.dumps`` writes.

``evidence.dumps`` hands a document to ``pydantic_core.to_json`` when nothing in it could come
out differently (strings, ints, booleans, nulls; dict keys already sorted), and to
``json.dumps`` otherwise. Either way the text must be the reference's, byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jainam_validate.evidence import _native, dumps


def reference(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def sorted_dicts(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: sorted_dicts(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_dicts(v) for v in value]
    return value


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text()
    | st.floats(allow_nan=True, allow_infinity=True)
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)
ROWS = st.lists(
    st.dictionaries(
        st.sampled_from(["order", "price", "symbol", "quantity", "traded_at", "é", ""]),
        st.none() | st.booleans() | st.integers() | st.text(),
    ),
    max_size=8,
)


@settings(max_examples=400, deadline=None)
@given(DOCS, st.booleans())
def test_any_document_is_written_as_json_dumps_writes_it(doc: Any, presort: bool) -> None:
    doc = sorted_dicts(doc) if presort else doc
    assert dumps(doc) == reference(doc)


@settings(max_examples=300, deadline=None)
@given(ROWS)
def test_a_sample_of_rows_is_written_as_json_dumps_writes_it(rows: list[dict[str, Any]]) -> None:
    doc = {"flow": "tradebook", "row_count": len(rows), "rows": [sorted_dicts(r) for r in rows]}
    assert dumps(doc) == reference(doc)


def test_what_goes_native_and_what_does_not() -> None:
    rows = [{"order": "order_09be77d1", "quantity": "5", "symbol": None}] * 3
    assert _native({"rows": rows, "sample": 1})
    assert not _native({"rows": rows, "a": 1})  # keys out of order
    assert not _native({"price": 1.5})  # a float: Python and Rust spell exponents differently
    assert not _native({"rows": [{"b": 1, "a": 2}]})
    assert not _native({1: "x"})
    assert not _native({"when": object()})
