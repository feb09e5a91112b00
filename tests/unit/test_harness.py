from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest
import respx

from jainam_validate import errors
from jainam_validate.client import XtsClient
from jainam_validate.credentials import KeyringStore
from jainam_validate.harness import Harness, book_request
from jainam_validate.redact import Redactor
from jainam_validate.scanner import Scanner
from jainam_validate.settings import AccountType, Layers, Settings
from jainam_validate.timing import Outcome, TimingRecord
from tests.support.xts_fakes import (
    CLIENT,
    HOLDINGS,
    POSITIONS,
    ROOT,
    SECRETS,
    SLEPT,
    TOKEN_I,
    TOKEN_M,
    TRADES,
    USER,
    dna,
    envelope,
    investor_router,
    login_ok,
    make,
    md_login_ok,
)


def all_text(records: list[TimingRecord], *more: object) -> str:
    return "\n".join(
        [r.model_dump_json() for r in records] + [json.dumps(m, default=str) for m in more]
    )


def test_investor_login_and_books_use_regular_routes_without_client_id() -> None:
    router = investor_router()
    harness, records = make(router)
    session = harness.login_interactive()
    assert session.account_type is AccountType.INVESTOR
    assert session.interactive_expires == 4102444800
    body = json.loads(router.calls[0].request.content)
    assert body == {
        "appKey": SECRETS["JAINAM_INTERACTIVE_API_KEY"],
        "secretKey": SECRETS["JAINAM_INTERACTIVE_API_SECRET"],
        "source": "WEBAPI",
    }
    results = [harness.fetch(flow, session) for flow in ("positions", "holdings", "tradebook")]
    assert [r.outcome for r in results] == [Outcome.OK] * 3
    paths = [c.request.url.path for c in router.calls[1:]]
    assert paths == [
        "/interactive/portfolio/positions",
        "/interactive/portfolio/holdings",
        "/interactive/orders/trades",
    ]
    assert all("clientID" not in str(c.request.url) for c in router.calls)
    assert all(c.request.headers["Authorization"] == TOKEN_I for c in router.calls[1:])
    assert (
        results[1].rows[0]["quantity"] == "1200"
        and results[1].rows[0]["buy_avg_price"] == "2853.50"
    )
    assert results[2].rows[0]["price"] == "2853.50"
    assert results[2].rows[0]["order"].startswith("order_")
    text = all_text(records, [r.rows for r in results])
    for raw in (
        TOKEN_I,
        USER,
        CLIENT,
        "1100012345",
        "1300000012345678",
        "402817",
        *SECRETS.values(),
    ):
        assert raw not in text
    assert [r.flow for r in records] == ["login_interactive", "positions", "holdings", "tradebook"]


def test_dealer_login_uses_dealer_routes_with_the_pro_placeholder() -> None:
    router = respx.Router(base_url=ROOT, assert_all_mocked=True)
    router.post("/interactive/user/session").mock(return_value=login_ok(False))
    router.get("/interactive/portfolio/dealerpositions").mock(
        return_value=httpx.Response(200, json=POSITIONS)
    )
    router.get("/interactive/portfolio/holdings").mock(
        return_value=httpx.Response(200, json=HOLDINGS)
    )
    router.get("/interactive/orders/dealertradebook").mock(
        return_value=httpx.Response(200, json=TRADES)
    )
    harness, records = make(router)
    session = harness.login_interactive()
    assert session.account_type is AccountType.DEALER
    for flow in ("positions", "holdings", "tradebook"):
        assert harness.fetch(flow, session, day_or_net="DayWise").outcome is Outcome.OK
    queries = [dict(c.request.url.params) for c in router.calls[1:]]
    assert queries == [
        {"dayOrNet": "DayWise", "clientID": "*****"},
        {"clientID": "*****"},
        {"clientID": "*****"},
    ]
    assert records[1].query_keys == ["clientID", "dayOrNet"]


def test_dealer_client_code_is_sent_but_never_recorded() -> None:
    router = respx.Router(base_url=ROOT)
    router.get("/interactive/orders/dealertradebook").mock(
        return_value=httpx.Response(200, json=TRADES)
    )
    harness, records = make(router, {"JAINAM_CLIENT_ID": "DC99871"})
    session = harness.reuse(TOKEN_I, None, AccountType.DEALER, "env")
    result = harness.fetch("tradebook", session)
    assert router.calls.last.request.url.params["clientID"] == "DC99871"
    assert "DC99871" not in all_text(records, result.rows)


def test_book_route_table() -> None:
    assert book_request("holdings", AccountType.DEALER, "X1", "NetWise") == (
        "/interactive/portfolio/holdings",
        {"clientID": "X1"},
    )
    assert book_request("tradebook", AccountType.INVESTOR, "X1", "NetWise") == (
        "/interactive/orders/trades",
        {},
    )


def test_data_not_available_is_an_empty_book_with_an_empty_sample() -> None:
    router = respx.Router(base_url=ROOT)
    router.get("/interactive/orders/trades").mock(return_value=dna("e-tradeBook-0005"))
    harness, records = make(router)
    result = harness.fetch("tradebook", harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    assert result.outcome is Outcome.EMPTY and result.rows == []
    assert records[0].status == 400 and records[0].error is None


def test_invalid_token_on_a_book_relogs_once_then_records_auth_error() -> None:
    router = respx.Router(base_url=ROOT)
    router.post("/interactive/user/session").mock(return_value=login_ok(True))
    router.get("/interactive/portfolio/holdings").mock(
        return_value=httpx.Response(
            400,
            json=envelope({}, code="e-session-0007", type_="error", description="Invalid Token"),
        )
    )
    harness, records = make(router)
    session = harness.reuse("stale", None, AccountType.INVESTOR, "env")
    result = harness.fetch("holdings", session)
    assert result.outcome is Outcome.AUTH_ERROR
    assert [(r.flow, r.attempt, r.outcome.value) for r in records] == [
        ("holdings", 1, "auth_error"),
        ("login_interactive", 1, "ok"),
        ("holdings", 2, "auth_error"),
    ]
    assert records[0].code == "e-session-0007"
    assert router.calls[2].request.headers["Authorization"] == TOKEN_I
    # one re-login per session and pass: the next sample does not log in again
    harness.fetch("holdings", session, sample=2)
    assert sum(c.request.url.path == "/interactive/user/session" for c in router.calls) == 1


def test_invalid_token_without_credentials_is_not_retried() -> None:
    router = respx.Router(base_url=ROOT)
    router.get("/interactive/orders/trades").mock(
        return_value=httpx.Response(
            400,
            json=envelope({}, code="e-session-0007", type_="error", description="Invalid Token"),
        )
    )
    layers = Layers({"JAINAM_BASE_URL": ROOT}, {}, KeyringStore(object()))
    settings = Settings.resolve(layers)
    records: list[TimingRecord] = []
    harness = Harness(
        settings,
        XtsClient(ROOT, transport=httpx.MockTransport(router.handler)),
        Redactor(b"k" * 32),
        records.append,
        "r",
    )
    result = harness.fetch("tradebook", harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    assert result.outcome is Outcome.AUTH_ERROR and len(records) == 1


def test_html_500_on_holdings_is_an_http_error_with_a_redacted_snippet() -> None:
    router = respx.Router(base_url=ROOT)
    page = f"<html><body>Error rendering view for client {CLIENT}</body></html>".encode()
    router.get("/interactive/portfolio/holdings").mock(
        return_value=httpx.Response(500, content=page, headers={"content-type": "text/html"})
    )
    harness, records = make(router)
    harness.redactor.add_identifier(CLIENT, "client")
    result = harness.fetch("holdings", harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    assert result.outcome is Outcome.HTTP_ERROR
    error = records[0].error or ""
    assert "HTTP 500" in error and "text/html" in error and "Error rendering view" in error
    assert CLIENT not in error


def test_unexpected_shape_is_a_bad_response() -> None:
    router = respx.Router(base_url=ROOT)
    router.get("/interactive/orders/trades").mock(
        return_value=httpx.Response(200, json=envelope([{"x": 1}][0]))
    )
    harness, records = make(router)
    result = harness.fetch("tradebook", harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    assert result.outcome is Outcome.BAD_RESPONSE
    assert "unexpected shape" in (records[0].error or "")


def test_market_login_falls_back_to_the_other_prefix_once_on_404() -> None:
    router = respx.Router(base_url=ROOT)
    router.post("/apibinarymarketdata/auth/login").mock(
        return_value=httpx.Response(
            404, text="<html>404 Not Found</html>", headers={"content-type": "text/html"}
        )
    )
    router.post("/apimarketdata/auth/login").mock(return_value=md_login_ok())
    harness, records = make(router)
    session = harness.login_market(harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    assert session.market_data_prefix == "/apimarketdata"
    assert session.market_token is not None and session.market_token.get_secret_value() == TOKEN_M
    assert [(r.attempt, r.route, r.status) for r in records] == [
        (1, "/apibinarymarketdata/auth/login", 404),
        (2, "/apimarketdata/auth/login", 200),
    ]


@pytest.mark.parametrize(
    ("response", "error", "fragment"),
    [
        (
            httpx.Response(
                404, text="<html>nginx 404</html>", headers={"content-type": "text/html"}
            ),
            errors.NotAnXtsApi,
            "not XTS JSON",
        ),
        (
            httpx.Response(200, text="<html>welcome</html>", headers={"content-type": "text/html"}),
            errors.NotAnXtsApi,
            "JAINAM_BASE_URL",
        ),
        (
            httpx.Response(
                400,
                text="<html>The plain HTTP request was sent to HTTPS port</html>",
                headers={"content-type": "text/html"},
            ),
            errors.UnreachableError,
            "https://",
        ),
        (
            httpx.Response(
                400,
                json=envelope(
                    {}, code="e-user-0005", type_="error", description="Invalid appKey or secretKey"
                ),
            ),
            errors.AuthError,
            "JAINAM_INTERACTIVE_API_KEY",
        ),
        (
            httpx.Response(
                502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"}
            ),
            errors.BrokerError,
            "interactive login",
        ),
    ],
)
def test_login_failures_map_to_contract_exit_codes(
    response: httpx.Response, error: type[errors.JainamError], fragment: str
) -> None:
    router = respx.Router(base_url=ROOT)
    router.post("/interactive/user/session").mock(return_value=response)
    harness, records = make(router)
    with pytest.raises(error) as caught:
        harness.login_interactive()
    assert fragment in str(caught.value)
    assert len(records) == 1 and records[0].flow == "login_interactive"
    for secret in SECRETS.values():
        assert secret not in str(caught.value) and secret not in records[0].model_dump_json()


def test_unreachable_host_is_exit_4() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    layers = Layers({"JAINAM_BASE_URL": ROOT, **SECRETS}, {}, KeyringStore(object()))
    settings = Settings.resolve(layers).with_credentials(layers)
    records: list[TimingRecord] = []
    harness = Harness(
        settings,
        XtsClient(ROOT, transport=httpx.MockTransport(refuse)),
        Redactor(b"k" * 32),
        records.append,
        "r",
    )
    with pytest.raises(errors.UnreachableError) as caught:
        harness.login_interactive()
    assert caught.value.exit_code == errors.ExitCode.UNREACHABLE
    assert records[0].outcome is Outcome.NETWORK_ERROR and records[0].status is None


@pytest.mark.parametrize(
    ("configured", "investor", "answered"),
    [("investor", False, "dealer"), ("dealer", True, "investor")],
)
def test_an_account_type_contradicting_the_login_stops_naming_both(
    configured: str, investor: bool, answered: str
) -> None:
    router = investor_router()
    router.post("/interactive/user/session").mock(return_value=login_ok(investor))
    harness, records = make(router, {"JAINAM_ACCOUNT_TYPE": configured})
    with pytest.raises(errors.ConfigError) as caught:
        harness.login_interactive()
    message = str(caught.value)
    assert f"JAINAM_ACCOUNT_TYPE is {configured}" in message
    assert f"isInvestorClient: {str(investor).lower()} ({answered} account)" in message
    assert caught.value.exit_code == errors.ExitCode.USAGE
    assert [r.flow for r in records] == ["login_interactive"]  # the login is still evidence
    assert len(router.calls) == 1  # and nothing else was sent


@pytest.mark.parametrize(("configured", "investor"), [("investor", True), ("dealer", False)])
def test_an_account_type_agreeing_with_the_login_is_used(configured: str, investor: bool) -> None:
    router = investor_router()
    router.post("/interactive/user/session").mock(return_value=login_ok(investor))
    harness, _ = make(router, {"JAINAM_ACCOUNT_TYPE": configured})
    assert harness.login_interactive().account_type.value == configured


def test_a_login_answered_by_a_non_xts_page_names_its_content_type_scrubbed() -> None:
    router = investor_router()
    router.post("/interactive/user/session").mock(
        return_value=httpx.Response(
            404, text="<html>no</html>", headers={"content-type": "text/html; acct=JT777001"}
        )
    )
    harness, _ = make(router)
    with pytest.raises(errors.NotAnXtsApi) as caught:
        harness.login_interactive()
    assert "JT777001" not in str(caught.value) and "text/html" in str(caught.value)


# -- a login is sent once: never retried on a 5xx or no answer (a second login can kick a
# session off), also when the harness retries book calls -------------------------------------
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_an_interactive_login_is_sent_once_on_an_overloaded_or_failing_broker(status: int) -> None:
    router = respx.Router(base_url=ROOT)
    login = router.post("/interactive/user/session").mock(
        return_value=httpx.Response(
            status, text="<html>down</html>", headers={"content-type": "text/html"}
        )
    )
    harness, records = make(router)
    assert harness.retry.retries > 0  # book calls would be retried
    with pytest.raises(errors.BrokerError, match="interactive login"):
        harness.login_interactive()
    assert login.call_count == 1
    assert [(r.flow, r.attempt, r.status) for r in records] == [("login_interactive", 1, status)]
    assert SLEPT == []


def test_an_interactive_login_is_sent_once_when_no_answer_comes() -> None:
    router = respx.Router(base_url=ROOT)
    login = router.post("/interactive/user/session").mock(side_effect=httpx.ConnectError)
    harness, records = make(router)
    with pytest.raises(errors.UnreachableError):
        harness.login_interactive()
    assert login.call_count == 1 and len(records) == 1 and SLEPT == []
    # no answer: neither api_ms nor transform_ms (classify had nothing to parse)
    assert records[0].status is None and records[0].api_ms is None
    assert records[0].transform_ms is None


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (
            httpx.Response(
                502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"}
            ),
            errors.BrokerError,
        ),
        (httpx.ConnectError, errors.UnreachableError),
    ],
)
def test_a_market_data_login_is_sent_once_on_a_5xx_or_no_answer(
    response: object, error: type[errors.JainamError]
) -> None:
    router = respx.Router(base_url=ROOT)
    first = router.post("/apibinarymarketdata/auth/login")
    if isinstance(response, httpx.Response):
        first.mock(return_value=response)
    else:
        first.mock(side_effect=response)
    other = router.post("/apimarketdata/auth/login").mock(return_value=md_login_ok())
    harness, records = make(router)
    with pytest.raises(error, match="market-data login"):
        harness.login_market(harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    assert first.call_count == 1 and other.call_count == 0  # not a wrong-prefix answer
    assert [(r.flow, r.attempt) for r in records] == [("login_market", 1)]


def test_a_renewal_login_that_fails_is_sent_once_and_the_call_ends_rejected() -> None:
    router = respx.Router(base_url=ROOT)
    login = router.post("/interactive/user/session").mock(
        return_value=httpx.Response(
            502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"}
        )
    )
    router.get("/interactive/portfolio/holdings").mock(
        return_value=httpx.Response(
            400,
            json=envelope({}, code="e-session-0007", type_="error", description="Invalid Token"),
        )
    )
    harness, records = make(router)
    session = harness.reuse("stale", None, AccountType.INVESTOR, "env")
    assert harness.fetch("holdings", session).outcome is Outcome.AUTH_ERROR
    assert harness.fetch("holdings", session, sample=2).outcome is Outcome.AUTH_ERROR
    assert login.call_count == 1  # one renewal per session kind and pass, failed or not
    assert [(r.flow, r.sample, r.attempt, r.outcome.value) for r in records] == [
        ("holdings", 1, 1, "auth_error"),
        ("login_interactive", 1, 1, "http_error"),
        ("holdings", 2, 1, "auth_error"),
    ]


def test_login_and_book_records_both_time_their_parse_as_transform_ms() -> None:
    router = investor_router()
    harness, records = make(router)
    harness.fetch("holdings", harness.login_interactive())
    assert [r.flow for r in records] == ["login_interactive", "holdings"]
    for record in records:
        assert record.transform_ms is not None and record.api_ms is not None
        assert 0.0 <= record.transform_ms <= record.total_ms
    assert records[1].rows == 1


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


def test_jwt_expiry_in_milliseconds_is_read_as_seconds() -> None:
    import base64

    from jainam_validate.harness import jwt_expiry

    payload = base64.urlsafe_b64encode(b'{"exp": 1764245772000}').decode().rstrip("=")
    assert jwt_expiry(f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln") == 1764245772


@pytest.mark.parametrize("recording", [True, False])
def test_a_recorded_trade_book_keeps_its_rows_for_the_cassette(recording: bool) -> None:
    """The normaliser lets each parsed row go as it reads it, unless a cassette records the
    envelope afterwards (the body was kept): then it reads a copy and the envelope stays."""
    from jainam_validate.client import RawExchange
    from jainam_validate.harness import _read, book_transform

    raw = RawExchange(
        flow="tradebook", method="GET", route="/interactive/orders/trades", query_keys=[],
        requested_at="t", started=0.0, status=200, content_type="application/json",
        body=json.dumps(TRADES).encode(),
    )  # fmt: skip
    transform = book_transform("tradebook", Redactor(b"k" * 32))
    verdict, (outcome, payload, _), _ = _read(raw, transform, keep_body=recording)
    assert outcome is Outcome.OK and len(payload[0]) == len(TRADES["result"])
    assert verdict.envelope is not None
    kept = verdict.envelope["result"]
    if recording:
        assert kept == TRADES["result"] and raw.body  # what the cassette writes
    else:
        assert kept == [None] * len(TRADES["result"]) and not raw.body  # let go, size kept
        assert raw.size == len(json.dumps(TRADES).encode())
