"""The byte-level prefilters of the leak rules find exactly what the rules' regexes find.

Past ``PREFILTER_CHARS`` characters a rule looks for where a match could start with
``bytes.find``/``bytes.translate`` and tries its regex only there; ``has_invisible`` answers
``INVISIBLE.search`` without the look-behind at every position. Both are speed only, so every
text here is judged twice, with the prefilter forced on and forced off, and the spans must be
equal: the scanner's corpus, hand-made texts at the edges of each rule, and generated texts
built from the pieces the rules look for (names in any case, the non-ASCII letters
``IGNORECASE`` folds into ASCII, PAN shapes, long token runs, controls and combining marks).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jainam_validate import rules
from jainam_validate.keys import KeyMemo

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "scanner"


def spans(rule: rules.Rule, text: str, prefilter: bool, monkeypatch: pytest.MonkeyPatch) -> list:
    monkeypatch.setattr(rules, "PREFILTER_CHARS", 0 if prefilter else 10**12)
    return list(rule.spans(text, KeyMemo()))


def same_everywhere(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for rule in rules.RULES:
        plain = spans(rule, text, False, monkeypatch)
        assert spans(rule, text, True, monkeypatch) == plain, rule.name
    assert rules.has_invisible(text) == (rules.INVISIBLE.search(text) is not None)


def corpus() -> list[str]:
    return [
        line.split("\t", 1)[-1]
        for name in ("true_positives.txt", "false_positives.txt")
        for line in (CORPUS / name).read_text().splitlines()
        if line and not line.startswith("#")
    ]


EDGES = [
    "api_key=abcdef123456 and SESSION_TOKEN: 'zzzzzzzzzz' then ſecret=abcdefgh12",
    "\u212aey=abcdefgh1234 authorİzation: Bearer abcdefghijkl",  # İ is no i for the regex
    "secret_key=aaaaaaa;token=bbbbbbbb,passwd=ccccccc&password=dddddddd",
    "keykeykeykey=abcdefghijkl" * 3,
    "ABCDE1234F XABCDE1234F ABCDE1234FG ABCDEF1234G ABCDE1234F.ABCDE1234F",
    "ABCDE1234FABCDE1234F ABCDE12345F é ABCDE1234F",
    "x" * 27 + " " + "a1" * 14 + " " + "Zq9" * 20 + "== " + "Zq9" * 20 + "===",
    "=" * 5 + "Ab3" * 10 + "é" + "Cd4" * 10 + "+" + "-_" * 20,
    "JC4\u0301187 a\u200bb \x7f c\x00d e\u0301 \u0301f",
    "",
]


@pytest.mark.parametrize("text", corpus() + EDGES)
def test_prefilters_change_nothing_on_the_corpus_and_edges(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    same_everywhere(text, monkeypatch)
    same_everywhere(text * 40, monkeypatch)  # long enough for the prefilter by default too


PIECES = st.sampled_from(
    [
        "secret", "SECRET", "ſecret", "Secret_Key", "api_key", "APP-KEY", "\u212aey", "key",
        "passwd", "password", "token", "access_token", "Session_Token", "authorization",
        "authorİzation", "authorızation", "bearer ", "=", ":", " ", "\t", '"', "'", "\\",
        "ABCDE", "1234", "F", "Z", "9", "é", "aB3", "+", "_", "-", "==", "\x00", "\x7f",
        "\u200b", "\u0301", "\n", "[redacted]", "order_09be77d1", "null",
    ]
)  # fmt: skip
TEXTS = st.lists(PIECES | st.text(max_size=4), max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXTS, st.integers(min_value=1, max_value=30))
def test_prefilters_change_nothing_on_generated_texts(text: str, repeat: int) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        same_everywhere(text * repeat, monkeypatch)


def test_the_prefilter_is_what_long_texts_use() -> None:
    """A long text takes the byte-level path by default; the rules still find their matches
    there (a prefilter that found nothing at all would pass the comparisons above only if the
    regexes found nothing too)."""
    filler = "x " * rules.PREFILTER_CHARS
    text = f"{filler} api_key=abcdefgh1234 ABCDE1234F aZ3kQ9xP2mW7vB4nR8tY6uC1eF5gH0jL {filler}"
    assert len(text) >= rules.PREFILTER_CHARS
    found = {rule.name for rule in rules.RULES for _ in rule.spans(text, KeyMemo())}
    assert {"assignment", "pan", "high-entropy"} <= found


#: KEY_VALUE as it was written before its bare key's look-behind moved after the first letter.
KEY_VALUE_BEFORE = re.compile(
    r"(?:\\?[\"'](?P<qkey>[A-Za-z][A-Za-z0-9 _.-]{0,39})\\?[\"']|(?<![A-Za-z0-9_])"
    r"(?P<key>[A-Za-z][A-Za-z0-9_.-]{0,39}))"
    r"[ \t]{0,8}[:=][ \t]{0,8}\\?[\"']?(?P<value>[A-Za-z0-9@._+-]{1,128})"
)
KEY_VALUE_PIECES = st.sampled_from(
    ["a", "Z", "9", "_", ".", "-", " ", "\t", ":", "=", '"', "'", "\\", "@", "+", "é", "\n"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(KEY_VALUE_PIECES | PIECES, max_size=80).map("".join))
def test_key_value_matches_what_it_matched_before(text: str) -> None:
    def pairs(pattern: re.Pattern[str]) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
        return [(m.span(), m.groupdict()) for m in pattern.finditer(text)]

    assert pairs(rules.KEY_VALUE) == pairs(KEY_VALUE_BEFORE)
