"""The known-values table at book scale finds what it always found.

Two things changed for 100,000-row books and are held here to the plain definitions: all-digit
ids are matched by whole digit runs instead of by the automaton (a hit is a run that is the id,
or the id behind at most 16 zeros, never a run with another digit touching it), and a long text
is matched in overlapping windows (the same hits as one pass over the whole text).
"""

from __future__ import annotations

import gc
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jainam_validate import known
from jainam_validate.attempts import collector_paused
from jainam_validate.decoding import parse_json
from jainam_validate.known import Edge, Entry, KnownValues, digit_runs
from jainam_validate.models import to_decimal
from jainam_validate.redact import Redactor
from jainam_validate.scanner import Scanner

DIGIT_IDS = ["5520013", "0012345", "123456", "9876543210"]
WORDS = ["AB12345", "ref99x", "QUIxMjM0NQ", "WIPROX"]


def table() -> KnownValues:
    values = KnownValues()
    for value in DIGIT_IDS:
        values.add(value, Entry("identifier:order", Edge.DIGITS, None, "order", value))
    for value in WORDS:
        edge = Edge.WORD if value.isalpha() else Edge.ANYWHERE
        values.add(value, Entry("identifier:client", edge, None, "client", value))
    return values


def digit_hits_by_definition(text: str) -> list[tuple[int, int, str]]:
    """The edge rule of an all-digit id, written out: the whole run of digits (of any script)
    is the id, or the id behind 1-16 zeros when the id does not start with a zero."""
    found = []
    for start, end in runs_of_digits(text):
        run = text[start:end]
        for value in DIGIT_IDS:
            padding = len(run) - len(value)
            if run == value or (
                not value.startswith("0")
                and 0 < padding <= 16
                and run == "0" * padding + value
                and run.isascii()
            ):
                found.append((start, end, value))
    return found


def runs_of_digits(text: str) -> list[tuple[int, int]]:
    """Maximal runs of characters ``str.isdigit`` calls digits (any script, superscripts)."""
    runs, start = [], None
    for i, c in enumerate(text + " "):
        if c.isdigit() and start is None:
            start = i
        elif not c.isdigit() and start is not None:
            runs.append((start, i))
            start = None
    return runs


PIECES = st.sampled_from(
    [*DIGIT_IDS, *WORDS, "0", "00", "0" * 17, "1", "9", "x", " ", "-", "\u0661", "²", "ab", "\n"]
)
TEXTS = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_digit_ids_hit_exactly_where_their_edge_rule_says(text: str) -> None:
    hits = [
        (h.start, h.end, h.entry.value) for h in table().hits(text) if h.entry.edge is Edge.DIGITS
    ]
    expected = digit_hits_by_definition(text)
    # leftmost-longest choice among overlapping hits: each expected hit either stands or
    # overlaps a hit that was chosen instead (and its text is scrubbed with that one)
    assert set(hits) <= set(expected)
    for start, end, _ in expected:
        assert any(h.start < end and start < h.end for h in table().hits(text))


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=1, max_value=12))
def test_windows_find_what_one_pass_finds(text: str, window: int) -> None:
    whole = [(h.start, h.end, h.entry) for h in table().hits(text)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(known, "_WINDOW", window)
        windowed = [(h.start, h.end, h.entry) for h in table().hits(text)]
    assert windowed == whole


def test_digit_runs_in_long_texts_are_the_regex_runs() -> None:
    text = ("ab 0005520013 x123456y 12 \u0661234567 " * 200) + "9" * 30
    assert len(text) > 4096  # the byte-level path
    expected = [m.span() for m in re.finditer("[0-9]+", text) if m.end() - m.start() >= 6]
    assert digit_runs(text, 6) == expected


def test_a_cut_never_ends_in_the_start_of_a_digit_id() -> None:
    values = table()
    text = "reference 98765"
    assert values.cut_point(text) == len("reference ")
    assert values.cut_point("reference 55") == len("reference 55")  # too short to hide


# -- rows redacted a column at a time -----------------------------------------------------
def row_by_row(redactor: Redactor, rows: list[dict[str, Any]], fields: dict[str, str]) -> list:
    """The definition of redact_rows, one field at a time (ids first, as it learns them)."""
    for row in rows:
        for key, value in row.items():
            if fields.get(key) is not None and value is not None:
                redactor.add_identifier(value, fields[key])
    out = []
    for row in rows:
        clean = {}
        for key in sorted(row, key=str):
            value = row[key]
            if fields.get(key) is not None and value is not None:
                clean[key] = redactor.add_identifier(value, fields[key])
            elif isinstance(value, str):
                clean[key] = redactor.scrub(value)
            else:
                clean[key] = value
        out.append(clean)
    return out


ORDERS = st.sampled_from(["1100012345", "1100012346", 1100012347, "ORD77123", None, True])
CLIENTS = st.sampled_from(["JC4187", "JC4188", "*****", None, 1])
TEXTS_IN_ROWS = st.sampled_from(
    ["RELIANCE-EQ", "Filled", "order 1100012345 done", "JC4188x", "", "a b", 7, 7.0, None, [1]]
)
ROW = st.fixed_dictionaries({"order": ORDERS, "client": CLIENTS, "status": TEXTS_IN_ROWS})
ROW_OTHER_SHAPE = st.fixed_dictionaries({"order": ORDERS, "symbol": TEXTS_IN_ROWS})


@settings(max_examples=300, deadline=None)
@given(st.lists(ROW | ROW_OTHER_SHAPE, max_size=12))
def test_rows_redacted_a_column_at_a_time_are_redacted_as_one_at_a_time(
    rows: list[dict[str, Any]],
) -> None:
    fields = {"order": "order", "client": "client"}
    got = Redactor(b"k" * 32).redact_rows(rows, fields)
    expected = row_by_row(Redactor(b"k" * 32), rows, fields)
    assert got == expected
    assert all(list(row) == sorted(row) for row in got)
    assert [type(v) for row in got for v in row.values()] == [
        type(v) for row in expected for v in row.values()
    ]


# -- what a second reading of the change found --------------------------------------------
def test_a_secret_wins_over_an_id_that_learned_the_same_digits_first() -> None:
    """A column-at-a-time walk can meet an id before the secret with the same text; the secret
    still takes the value over (found anywhere, redacted), whatever the order."""
    rows = [{"orderID": "98765432"}] * 7 + [{"password": "98765432"}]
    redactor = Redactor(b"k" * 32)
    redactor.learn({"result": rows})
    assert redactor.scrub("ref 9876543200 ok") == "ref [redacted]00 ok"
    assert [f.rule for f in Scanner(redactor).scan("ref 9876543200 ok")] == ["secret:password"]


def test_on_an_equal_span_the_secret_is_chosen_over_a_padded_id() -> None:
    redactor = Redactor(b"k" * 32)
    redactor.learn({"password": "00123456", "orderID": "123456"})
    assert redactor.scrub("pin 00123456 x") == "pin [redacted] x"


def test_equal_numbers_written_differently_are_never_merged() -> None:
    assert str(to_decimal(0.0)) == "0.0" and str(to_decimal(-0.0)) == "-0.0"
    assert str(to_decimal(-0.0)) == "-0.0" and str(to_decimal(0.0)) == "0.0"
    rows = [{"p": Decimal("1.0"), "pnl": 0.0}, {"p": Decimal("1.00"), "pnl": -0.0}]
    out = Redactor(b"k" * 32).redact_rows(rows, {})
    assert [str(r["p"]) for r in out] == ["1.0", "1.00"]
    assert [repr(r["pnl"]) for r in out] == ["0.0", "-0.0"]


def test_text_with_a_lone_surrogate_parses_as_json_loads_parses_it() -> None:
    assert parse_json('["\ud800"]') == ["\ud800"]


def test_the_young_collection_a_paused_block_owes_is_paid_inside_it() -> None:
    """The block's own allocations call for a collection: it runs before the block ends (with
    the collector still paused, so inside the caller's clock), not at the next allocation."""
    threshold = gc.get_threshold()[0]
    seen: list[bool] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(gc.isenabled())

    gc.callbacks.append(watch)
    try:
        with collector_paused():
            made = [[] for _ in range(threshold * 3)]
        more = [[] for _ in range(threshold * 3)]
    finally:
        gc.callbacks.remove(watch)
    assert gc.isenabled() and len(made) == len(more)
    assert seen and seen[0] is False  # the first collection was the block's own
