"""Regressions from the security/contract review: each test pins one finding."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import respx

from jainam_validate import cassette, errors
from jainam_validate.classify import classify
from jainam_validate.client import RawExchange
from jainam_validate.pnl import evaluate
from jainam_validate.redact import Redactor
from jainam_validate.scanner import Scanner
from jainam_validate.settings import AccountType
from jainam_validate.stats import summarise
from jainam_validate.timing import Outcome
from tests.support.xts_fakes import ROOT, TOKEN_I, envelope, make

from .test_stats import rec


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (
            httpx.Response(
                404, json=envelope({}, code="e-x", type_="error", description="no route")
            ),
            errors.NotAnXtsApi,
        ),
        (
            httpx.Response(
                429, json=envelope({}, code="e-app-0429", type_="error", description="slow")
            ),
            errors.BrokerError,
        ),
        (
            httpx.Response(
                200, json=envelope({}, code="e-app-0500", type_="error", description="oops")
            ),
            errors.BrokerError,
        ),
    ],
)
def test_login_answers_that_are_not_a_credential_rejection(
    response: httpx.Response, error: type[errors.JainamError]
) -> None:
    router = respx.Router(base_url=ROOT)
    router.post("/interactive/user/session").mock(return_value=response)
    harness, _ = make(router)
    with pytest.raises(error):
        harness.login_interactive()


def test_an_echoed_secret_with_quotes_and_backslashes_is_redacted_before_the_snippet_is_cut() -> (
    None
):
    secret = "Xy7'Qp\\9zR"
    router = respx.Router(base_url=ROOT)
    page = (
        "<pre>Internal error parsing "
        + json.dumps({"secretKey": secret})
        + " "
        + "x" * 200
        + "</pre>"
    )
    router.get("/interactive/portfolio/holdings").mock(
        return_value=httpx.Response(500, text=page, headers={"content-type": "text/html"})
    )
    harness, records = make(router)
    harness.redactor.add_secret(secret)
    harness.fetch("holdings", harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    text = records[-1].model_dump_json()
    assert "Xy7" not in text and "9zR" not in text
    assert "[redacted]" in text


def test_cassette_query_pseudonymises_a_short_client_id_and_numbers_keep_json_valid(
    tmp_path: Path,
) -> None:
    redactor = Redactor(b"k" * 32)
    recorder = cassette.Recorder(Scanner(redactor))
    body = json.dumps(envelope([{"AppOrderID": 1100012345, "ParentAppOrderID": 1100012345}]))
    raw = RawExchange(
        flow="tradebook",
        method="GET",
        route="/interactive/orders/dealertradebook",
        query_keys=["clientID"],
        requested_at="t",
        started=0.0,
        status=200,
        content_type="application/json",
        body=body.encode(),
        query={"clientID": "AB1"},
    )
    recorder(raw, classify(raw))
    recorder.save(tmp_path / "c")
    loaded = cassette.load(tmp_path / "c")
    exchange = loaded.exchanges[0]
    assert exchange["request"]["query"]["clientID"].startswith("client_")
    row = exchange["response"]["json"]["result"][0]
    assert row["ParentAppOrderID"] == row["AppOrderID"] and row["AppOrderID"].startswith("order_")


def test_unreadable_holdings_rows_fail_the_pnl_check() -> None:
    rows = [{"isin": "INE1", "quantity": "1", "buy_avg_price": "10", "nse_instrument_id": 1}]
    one_bad = evaluate(rows, {(1, 1): Decimal(12)}, ["INE2"])
    assert one_bad.status == "fail" and one_bad.problems == ["INE2: holdings row could not be read"]
    assert evaluate([], {}, ["INE9"]).status == "fail"


def test_a_failed_warmup_sample_is_counted_for_the_check() -> None:
    records = [rec("positions", 1, 1, 5.0, Outcome.HTTP_ERROR), rec("positions", 2, 1, 5.0)]
    summary = summarise(records, warmup=1)["positions"]
    assert summary.failed == 0 and summary.warmup_failed == 1
    from jainam_validate.checks import PassFacts, book_check

    facts = PassFacts(books=("positions",), market_session=False, pnl=False, target_kind="live")
    assert book_check("positions", summary, facts).status == "fail"


@pytest.mark.parametrize("value", ["Infinity", "1e999999", "-inf"])
def test_non_finite_numbers_make_a_row_unreadable_not_a_crash(value: str) -> None:
    from jainam_validate.models import holdings_from

    rows, bad = holdings_from(
        {"RMSHoldings": {"Holdings": {"INE1": {"HoldingQuantity": 1, "BuyAvgPrice": value}}}}
    )
    assert rows == [] and [b.index for b in bad] == ["0"]


def test_jwt_expiry_in_milliseconds_is_read_as_seconds() -> None:
    import base64

    from jainam_validate.harness import jwt_expiry

    payload = base64.urlsafe_b64encode(b'{"exp": 1764245772000}').decode().rstrip("=")
    assert jwt_expiry(f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln") == 1764245772


@pytest.mark.parametrize(
    "echo",
    [
        lambda s: "".join(f"&#{ord(c)};" for c in s),  # HTML numeric entities
        lambda s: "".join(f"&#x{ord(c):X};" for c in s),
        lambda s: quote(quote(s, safe=""), safe=""),
        lambda s: s.replace("<", "\\u003c").replace("&", "\\u0026").replace("/", "\\/"),
    ],
    ids=["dec-entities", "hex-entities", "double-url", "json-unicode"],
)
def test_echoes_in_any_encoding_are_redacted_and_the_guard_sees_them(echo: object) -> None:
    secret = "Sec$ret/QX<y>&z9"
    router = respx.Router(base_url=ROOT)
    page = f"<pre>bad request {echo(secret)} end</pre>"  # type: ignore[operator]
    router.get("/interactive/portfolio/holdings").mock(
        return_value=httpx.Response(500, text=page, headers={"content-type": "text/html"})
    )
    harness, records = make(router)
    harness.redactor.add_secret(secret)
    harness.fetch("holdings", harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    text = records[-1].model_dump_json()
    assert "[redacted]" in text and "z9" not in text
    assert [f.rule for f in Scanner(harness.redactor).scan(page)], (
        "audit/guard must flag the raw page"
    )


def test_a_short_client_id_is_found_by_its_context() -> None:
    r = Redactor(b"k" * 32)
    alias = r.add_identifier("ABC", "client")
    out = r.scrub(
        'Cannot GET /interactive/portfolio/holdings?clientID=ABC&x=1 {"ClientId":"ABC"} ABCD'
    )
    assert out.count(alias) == 2 and "=ABC" not in out and "ABCD" in out


def test_identifier_rule_accepts_our_pseudonyms_with_punctuation_or_cut() -> None:
    s = Scanner(Redactor(b"k" * 32))
    assert s.scan("Invalid clientID: client_f1d0ec6a.") == []
    assert s.scan("GET /x?clientID=client_9e…") == []
    assert [f.rule for f in s.scan("Invalid clientID: JC4187.")] == ["unredacted-identifier"]


def test_numbers_under_instrument_keys_are_never_pseudonymised() -> None:
    r = Redactor(b"k" * 32)
    r.add_identifier("500325", "client")
    out = r.redact(
        {"ExchangeInstrumentID": 500325, "HoldingQuantity": 500325, "Extra": 500325, "RefID": 7}
    )
    assert out["ExchangeInstrumentID"] == 500325 and out["HoldingQuantity"] == 500325
    # a known id under a plain key is still found; a name ending in ID is an id by the key rule
    assert out["Extra"] == r.add_identifier("500325", "client")
    assert out["RefID"].startswith("id_")
    rows = r.redact_rows([{"nse_instrument_id": 500325}], {})
    assert rows == [{"nse_instrument_id": 500325}]


@pytest.mark.parametrize(
    "exchange",
    [
        {"request": {"method": "GET", "route": "/x"}, "response": None},
        {"flow": "x", "request": None, "response": None},
        {"flow": "x", "request": {"method": "GET", "route": "/x"}, "response": []},
        [],
    ],
)
def test_a_malformed_cassette_is_a_usage_error(exchange: object, tmp_path: Path) -> None:
    (tmp_path / "exchanges").mkdir()
    (tmp_path / "exchanges" / "0001-x.json").write_text(json.dumps(exchange))
    (tmp_path / "cassette.json").write_text(
        json.dumps({"format": cassette.FORMAT, "version": cassette.VERSION, "exchanges": 1})
    )
    with pytest.raises(errors.UsageError, match="not a cassette exchange"):
        cassette.load(tmp_path)
