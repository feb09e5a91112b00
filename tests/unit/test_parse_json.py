"""``parse_json`` reads a body natively and answers exactly what ``json.loads`` answers.

The classifier parses every broker body through it, so a difference would change what an
answer means: the same value (type and all: ints stay ints, NaN and the infinities as
``json.loads`` reads them), or an error where ``json.loads`` raises one.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jainam_validate.decoding import parse_json


def reference(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return "<error>"


def ours(data: bytes) -> Any:
    try:
        return parse_json(data)
    except (ValueError, RecursionError):
        return "<error>"


def same(a: Any, b: Any) -> bool:
    """Equal, with types, and NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or repr(a) == repr(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


ODD = [
    b'{"a":NaN,"b":Infinity,"c":-Infinity}',
    b'{"a":1e400,"b":1e-400,"c":-0.0,"d":1E5}',
    b'{"a":"\\ud800"}',  # a lone surrogate: from_json refuses, json.loads reads it
    b'{"a":1,"a":2}',  # a repeated key: the last one wins in both
    b"\xef\xbb\xbf{}",  # a UTF-8 mark
    '{"a":"é"}'.encode("utf-16"),  # a UTF-16 body
    b"[" * 300 + b"]" * 300,  # deeper than from_json's limit
    b'{"a":12345678901234567890123,"b":123456789012345678901234567890.5}',
    b'{"a":01}',
    b'{"a":[1,]}',
    b'{"a":1}garbage',
    b'{"a":"\xff"}',
    b"{'a':1}",
    b'{"a":"x\\u0000y"}',
    b"",
    b" \n ",
]


@pytest.mark.parametrize("data", ODD)
def test_odd_bodies_parse_as_json_loads_parses_them(data: bytes) -> None:
    assert same(ours(data), reference(data))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(JSON, st.booleans())
def test_any_json_parses_as_json_loads_parses_it(value: Any, ascii_only: bool) -> None:
    data = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert same(ours(data), reference(data))


def test_a_book_shares_its_repeated_strings() -> None:
    """The point of parsing natively: one object for each repeated short string."""
    rows = [{"TradingSymbol": "RELIANCE-EQ", "OrderStatus": "Filled"} for _ in range(3)]
    parsed = parse_json(json.dumps({"result": rows}).encode())
    assert parsed["result"] == rows
    first, second = parsed["result"][0], parsed["result"][1]
    assert first["TradingSymbol"] is second["TradingSymbol"]
