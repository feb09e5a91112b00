"""The leak scanner against a gitleaks-style corpus of true and false positives."""

from __future__ import annotations

from pathlib import Path

import pytest

from jainam_validate.redact import Redactor
from jainam_validate.scanner import Scanner, shannon_bits

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "scanner"


def lines(name: str) -> list[str]:
    text = (CORPUS / name).read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


TRUE_POSITIVES = [tuple(line.split("\t", 1)) for line in lines("true_positives.txt")]
FALSE_POSITIVES = lines("false_positives.txt")


def scanner() -> Scanner:
    return Scanner(Redactor(b"k" * 32))


def test_corpus_sizes() -> None:
    assert len(TRUE_POSITIVES) >= 15 and len(FALSE_POSITIVES) >= 15


@pytest.mark.parametrize(("rule", "text"), TRUE_POSITIVES, ids=[t[:40] for _, t in TRUE_POSITIVES])
def test_true_positive_is_flagged_by_its_rule(rule: str, text: str) -> None:
    rules = [f.rule for f in scanner().scan(text)]
    assert rule in rules, rules


@pytest.mark.parametrize("text", FALSE_POSITIVES, ids=[t[:40] for t in FALSE_POSITIVES])
def test_false_positive_is_not_flagged(text: str) -> None:
    assert scanner().scan(text) == []


def test_known_values_in_every_form() -> None:
    r = Redactor(b"k" * 32)
    r.add_secret("Ab$cd${X}#9")
    r.add_identifier("JC4187", "client")
    s = Scanner(r)
    for text in (
        "Ab$cd${X}#9",
        "Ab%24cd%24%7BX%7D%239",
        "QWIkY2Qke1h9Izk",
        "jc4187",
        "?clientID=JC4187",
    ):
        assert s.scan(text), text


def test_findings_carry_line_and_column_never_the_value() -> None:
    findings = scanner().scan("ok line\n  secretKey=Zx81Hq2LmN0pQ7\n")
    assert [(f.rule, f.line, f.column) for f in findings] == [("assignment", 2, 13)]
    assert "Zx81" not in repr(findings)


def test_entropy() -> None:
    assert shannon_bits("aaaa") == 0
    assert shannon_bits("abcd") == 2


def test_identifier_rule_accepts_our_pseudonyms_with_punctuation_or_cut() -> None:
    s = Scanner(Redactor(b"k" * 32))
    assert s.scan("Invalid clientID: client_f1d0ec6a.") == []
    assert s.scan("GET /x?clientID=client_9e…") == []
    assert [f.rule for f in s.scan("Invalid clientID: JC4187.")] == ["unredacted-identifier"]
