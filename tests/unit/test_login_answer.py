"""The seams split out of the harness, as pure functions: a login answer into its error or result
(login_answer), the account type a login says (sessions.account_of), and the one timer of
classify+transform (attempts.interpret)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jainam_validate import errors
from jainam_validate.attempts import AttemptLog, interpret
from jainam_validate.classify import Verdict, classify
from jainam_validate.client import RawExchange
from jainam_validate.login_answer import accepted, login_error, login_result, wrong_market_prefix
from jainam_validate.redact import Redactor
from jainam_validate.sessions import account_of
from jainam_validate.settings import AccountType
from jainam_validate.timing import Outcome, TimingRecord

HOST = "xts.test:4143"
ROUTE = "/interactive/user/session"


def answer(
    status: int | None,
    body: object = b"",
    ctype: str | None = "application/json",
    **fields: Any,
) -> RawExchange:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    raw = RawExchange(
        flow="login_interactive",
        method="POST",
        route=ROUTE,
        query_keys=[],
        requested_at="t",
        started=0.0,
        status=status,
        content_type=ctype if status is not None else None,
        body=data if status is not None else b"",
    )
    for name, value in fields.items():
        setattr(raw, name, value)
    return raw


def envelope(type_: str, code: str, description: str, result: object = None) -> dict[str, object]:
    return {"type": type_, "code": code, "description": description, "result": result or {}}


def error_of(raw: RawExchange, which: str = "interactive", **kw: Any) -> errors.JainamError | None:
    """login_error with a scrub that marks what it was given, and a plain describer (or the
    ``describe`` given)."""
    scrubbed: list[str] = kw.pop("scrubbed", [])
    describe = kw.pop("describe", lambda verdict: verdict.error)

    def scrub(text: str) -> str:
        scrubbed.append(text)
        return text.replace("JT777001", "client_x")

    return login_error(
        raw,
        classify(raw),
        which=which,
        route=ROUTE,
        host=HOST,
        scrub=scrub,
        describe=describe,
    )


@pytest.mark.parametrize(
    ("raw", "kind", "fragment"),
    [
        (answer(None, error_class="ConnectError"), errors.UnreachableError, "no answer from"),
        (
            answer(None, error_class="ReadTimeout", timed_out=True),
            errors.UnreachableError,
            "(ReadTimeout)",
        ),
        (answer(404, envelope("error", "e-x", "no route")), errors.NotAnXtsApi, "HTTP 404"),
        (answer(200, b"<html>hi</html>", "text/html"), errors.NotAnXtsApi, "not XTS JSON"),
        (
            answer(400, b"<html>The plain HTTP request was sent to HTTPS port</html>", "text/html"),
            errors.UnreachableError,
            "expects HTTPS",
        ),
        (answer(502, b"<html>Bad Gateway</html>", "text/html"), errors.BrokerError, "HTTP 502"),
        (answer(500, b"<html>oops</html>", "text/html"), errors.BrokerError, "non-JSON"),
        (answer(429, envelope("error", "e-app-0429", "slow")), errors.BrokerError, "slow"),
        (
            answer(200, b'{"type": "succ', error_class="RemoteProtocolError"),
            errors.BrokerError,
            "body not fully read",
        ),
        (
            answer(400, envelope("error", "e-user-0005", "Invalid appKey")),
            errors.AuthError,
            "JAINAM_INTERACTIVE_API_KEY/SECRET",
        ),
        (
            answer(200, envelope("error", "e-app-0500", "oops")),
            errors.BrokerError,
            "login failed",
        ),
        (
            answer(500, envelope("error", "e-app-0500", "down")),
            errors.BrokerError,
            "login failed",
        ),
        (
            answer(200, envelope("success", "s-user-0001", "ok", {"userID": "U"})),
            errors.BrokerError,
            "success without a token",
        ),
    ],
)
def test_a_login_answer_maps_to_the_error_that_carries_its_exit_code(
    raw: RawExchange, kind: type[errors.JainamError], fragment: str
) -> None:
    error = error_of(raw)
    assert type(error) is kind
    assert fragment in str(error)
    assert str(error).startswith("interactive login")


def test_a_market_data_rejection_names_the_market_data_keys() -> None:
    raw = answer(400, envelope("error", "e-user-0005", "Invalid appKey"))
    error = error_of(raw, "market-data")
    assert isinstance(error, errors.AuthError)
    assert "market-data login rejected" in str(error)
    assert "JAINAM_MARKET_API_KEY/SECRET" in str(error)


def test_the_header_value_and_error_texts_go_through_the_scrub_function() -> None:
    scrubbed: list[str] = []
    raw = answer(404, b"<html>no</html>", "text/html; acct=JT777001")
    error = error_of(raw, scrubbed=scrubbed)
    assert isinstance(error, errors.NotAnXtsApi)
    assert "JT777001" not in str(error) and "text/html; acct=client_x" in str(error)
    assert "text/html; acct=JT777001" in scrubbed


def test_an_accepted_login_is_no_error_and_its_result_holds_the_token() -> None:
    result = {"token": "tok", "userID": "U", "isInvestorClient": True}
    raw = answer(200, envelope("success", "s-user-0001", "Valid User.", result))
    verdict = classify(raw)
    assert error_of(raw) is None
    assert accepted(verdict) == result
    kw: dict[str, Any] = {"which": "interactive", "route": ROUTE, "host": HOST}
    assert login_result(raw, verdict, scrub=str, describe=lambda v: None, **kw) == result


def test_login_result_raises_the_error_login_error_returns() -> None:
    raw = answer(None, error_class="ConnectError")
    with pytest.raises(errors.UnreachableError, match="JAINAM_BASE_URL"):
        login_result(
            raw,
            classify(raw),
            which="interactive",
            route=ROUTE,
            host=HOST,
            scrub=str,
            describe=lambda v: None,
        )


def test_login_error_is_pure_it_learns_and_records_nothing() -> None:
    raw = answer(400, envelope("error", "e-user-0005", "Invalid appKey"))
    verdict = classify(raw)
    before = (raw.body, raw.status, verdict)
    for _ in range(2):
        assert isinstance(error_of(raw), errors.AuthError)
    assert (raw.body, raw.status, verdict) == before


@pytest.mark.parametrize(
    ("status", "body", "wrong"),
    [
        (404, b"<html>404</html>", True),
        (400, b'{"description": "Only enabled for CTCL"}', True),
        (400, b'{"description": "Invalid appKey"}', False),
        (200, b"{}", False),
        (None, b"", False),
    ],
)
def test_wrong_market_prefix_is_a_404_or_the_ctcl_400(
    status: int | None, body: bytes, wrong: bool
) -> None:
    assert wrong_market_prefix(answer(status, body)) is wrong


@pytest.mark.parametrize(
    ("configured", "flag", "expected"),
    [
        (None, True, AccountType.INVESTOR),
        (None, "false", AccountType.DEALER),  # the text form is read as a boolean too
        (None, " TRUE ", AccountType.INVESTOR),
        (AccountType.DEALER, None, AccountType.DEALER),  # nothing said: the setting stands
        (AccountType.INVESTOR, True, AccountType.INVESTOR),
    ],
)
def test_account_of_reads_the_login_or_keeps_an_agreeing_setting(
    configured: AccountType | None, flag: object, expected: AccountType
) -> None:
    assert account_of(configured, {"isInvestorClient": flag}) is expected


def test_account_of_refuses_a_contradiction_and_an_unknown_account() -> None:
    with pytest.raises(errors.ConfigError, match="JAINAM_ACCOUNT_TYPE is dealer"):
        account_of(AccountType.DEALER, {"isInvestorClient": True})
    with pytest.raises(errors.BrokerError, match="without isInvestorClient"):
        account_of(None, {"isInvestorClient": "maybe"})


def test_interpret_times_classify_and_the_next_step_together() -> None:
    raw = answer(200, envelope("success", "s", "ok", {"token": "t"}))
    seen: list[Verdict] = []
    verdict, made, transform_ms = interpret(raw, lambda v: seen.append(v) or "made")
    assert seen == [verdict] and verdict.outcome is Outcome.OK and made == "made"
    assert isinstance(transform_ms, float) and transform_ms >= 0.0


def test_interpret_has_no_transform_time_without_an_http_response() -> None:
    raw = answer(None, error_class="ConnectError")
    verdict, made, transform_ms = interpret(raw, lambda v: v.outcome)
    assert made is Outcome.NETWORK_ERROR and transform_ms is None


def test_attempt_log_skip_records_a_not_sent_sample() -> None:
    records: list[TimingRecord] = []
    log = AttemptLog(Redactor(b"k" * 32), records.append, "run-1")
    record = log.skip("holdings", "GET", "/h", ["clientID"], sample=4, why="not sent: open")
    assert records == [record]
    assert (record.outcome, record.sample, record.attempt, record.status) == (
        Outcome.SKIPPED,
        4,
        1,
        None,
    )
    assert record.api_ms is None and record.transform_ms is None and record.total_ms == 0.0
    assert record.query_keys == ["clientID"] and record.error == "not sent: open"


BASE_URL_HINT = "check JAINAM_BASE_URL (the broker root, e.g. https://smpb.jainam.in:4143)"
CREDS_HINT = "(single-quote secrets in .env; `store-creds --check` shows what is used)"


#: The exact one-line message a release owner reads for each kind of refused login.
LOGIN_MESSAGES = [
    (
        answer(None, error_class="ConnectError"),
        "interactive",
        errors.UnreachableError,
        "interactive login: no answer from xts.test:4143 (ConnectError); check "
        "JAINAM_BASE_URL, the network/VPN and that the host is up",
    ),
    (
        answer(404, envelope("error", "e-x", "no route")),
        "interactive",
        errors.NotAnXtsApi,
        "interactive login: POST /interactive/user/session on xts.test:4143 answered HTTP 404 "
        "application/json, not XTS JSON; " + BASE_URL_HINT,
    ),
    (
        answer(404, b"", None),
        "market-data",
        errors.NotAnXtsApi,
        "market-data login: POST /interactive/user/session on xts.test:4143 answered HTTP 404 "
        "without content type, not XTS JSON; " + BASE_URL_HINT,
    ),
    (
        answer(400, b"<html>The plain HTTP request was sent to HTTPS port</html>", "text/html"),
        "interactive",
        errors.UnreachableError,
        "interactive login: xts.test:4143 expects HTTPS; use https:// in JAINAM_BASE_URL",
    ),
    (
        answer(400, envelope("error", "e-user-0005", "Invalid appKey")),
        "interactive",
        errors.AuthError,
        "interactive login rejected (HTTP 400 e-user-0005: Invalid appKey); check "
        "JAINAM_INTERACTIVE_API_KEY/SECRET " + CREDS_HINT,
    ),
    (
        answer(401, envelope("error", "e-user-0001", "Invalid secret for JT777001")),
        "market-data",
        errors.AuthError,
        "market-data login rejected (HTTP 401 e-user-0001: Invalid secret for client_x); check "
        "JAINAM_MARKET_API_KEY/SECRET " + CREDS_HINT,
    ),
    (
        answer(500, envelope("error", "e-app-0500", "down")),
        "interactive",
        errors.BrokerError,
        "interactive login failed: HTTP 500 e-app-0500: down",
    ),
    (
        answer(200, envelope("error", "e-app-0500", "oops")),
        "interactive",
        errors.BrokerError,
        "interactive login failed: HTTP 200 e-app-0500: oops (type is not success)",
    ),
    (
        answer(200, envelope("success", "s-user-0001", "ok", {"userID": "U"})),
        "market-data",
        errors.BrokerError,
        "market-data login answered success without a token",
    ),
]


@pytest.mark.parametrize(("raw", "which", "kind", "message"), LOGIN_MESSAGES)
def test_each_refused_login_says_exactly_what_to_check(
    raw: RawExchange, which: str, kind: type[errors.JainamError], message: str
) -> None:
    error = error_of(raw, which)
    assert type(error) is kind
    assert str(error) == message


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_an_overloaded_gateway_is_the_broker_failing_not_a_rejection(status: int) -> None:
    raw = answer(status, envelope("error", "e-app-0503", "busy"))
    error = error_of(raw)
    assert type(error) is errors.BrokerError
    assert str(error) == f"interactive login: HTTP {status} e-app-0503: busy"


def test_an_html_429_is_the_broker_throttling_not_a_wrong_base_url() -> None:
    error = error_of(answer(429, b"<html>Too Many Requests</html>", "text/html"))
    assert type(error) is errors.BrokerError
    assert str(error) == "interactive login: HTTP 429 non-JSON body (text/html)"


@pytest.mark.parametrize(
    "raw",
    [
        answer(503, b"<html>503</html>", "text/html"),  # an overloaded gateway
        answer(500, b"<html>oops</html>", "text/html"),  # a non-JSON 5xx
    ],
)
def test_a_broker_failure_with_nothing_to_describe_says_no_answer(raw: RawExchange) -> None:
    error = error_of(raw, describe=lambda verdict: None)
    assert type(error) is errors.BrokerError
    assert str(error) == "interactive login: no answer"


def test_a_token_in_a_refused_answer_is_not_accepted() -> None:
    raw = answer(200, envelope("error", "e-app-0500", "oops", {"token": "tok"}))
    verdict = classify(raw)
    assert verdict.outcome is Outcome.HTTP_ERROR
    assert accepted(verdict) is None
    assert type(error_of(raw)) is errors.BrokerError


def test_login_result_raises_with_the_route_and_host_it_was_given() -> None:
    raw = answer(404, b"<html>404</html>", "text/html")
    with pytest.raises(errors.NotAnXtsApi) as caught:
        login_result(
            raw,
            classify(raw),
            which="interactive",
            route=ROUTE,
            host=HOST,
            scrub=str,
            describe=lambda v: None,
        )
    assert str(caught.value) == (
        "interactive login: POST /interactive/user/session on xts.test:4143 answered HTTP 404 "
        "text/html, not XTS JSON; " + BASE_URL_HINT
    )
