from __future__ import annotations

import json

import pytest

from jainam_validate.classify import Verdict, classify, is_json_content
from jainam_validate.client import RawExchange
from jainam_validate.timing import Outcome


def raw(
    flow: str,
    status: int | None,
    body: object = None,
    ctype: str | None = "application/json",
    **kw: object,
) -> RawExchange:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = RawExchange(
        flow=flow,
        method="GET",
        route="/x",
        query_keys=[],
        requested_at="t",
        started=0.0,
        status=status,
        content_type=ctype if status else None,
        body=data if status else b"",
    )
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def env(type_: str, code: str, description: str) -> dict[str, object]:
    return {"type": type_, "code": code, "description": description, "result": {}}


@pytest.mark.parametrize(
    ("flow", "code"),
    [
        ("positions", "e-portfolio-0005"),
        ("tradebook", "e-tradeBook-0005"),
        ("holdings", "e-holdings-0005"),
        ("tradebook", "e-orders-0005"),
    ],
)
def test_data_not_available_on_a_book_is_an_empty_book(flow: str, code: str) -> None:
    verdict = classify(raw(flow, 400, env("error", code, "Data Not Available")))
    assert verdict.outcome is Outcome.EMPTY
    assert verdict.error is None


def test_data_not_available_text_with_an_unknown_code_is_still_empty() -> None:
    verdict = classify(raw("positions", 400, env("error", "e-xyz-0099", "data not available")))
    assert verdict.outcome is Outcome.EMPTY


def test_a_login_error_ending_in_0005_is_not_an_empty_book() -> None:
    verdict = classify(raw("login_interactive", 400, env("error", "e-user-0005", "Invalid key")))
    assert verdict.outcome is Outcome.HTTP_ERROR
    # and on a book flow, an unrelated *-0005 code is not "empty" either
    verdict = classify(raw("positions", 400, env("error", "e-user-0005", "Invalid key")))
    assert verdict.outcome is Outcome.HTTP_ERROR


@pytest.mark.parametrize("status", [400, 200])
def test_invalid_token_is_an_auth_error_whatever_the_status(status: int) -> None:
    verdict = classify(raw("holdings", status, env("error", "e-session-0007", "Invalid Token")))
    assert verdict.outcome is Outcome.AUTH_ERROR


def test_success_is_decided_by_type_not_code_prefix() -> None:
    ok = classify(
        raw("login_market", 200, env("success", "e-response-0010", "Provided Valid Credentials"))
    )
    assert ok.outcome is Outcome.OK
    bad = classify(raw("positions", 200, env("error", "s-odd-0001", "Something went wrong")))
    assert bad.outcome is Outcome.HTTP_ERROR
    assert "type is not success" in (bad.error or "")


def test_html_error_page_carries_status_type_and_first_bytes() -> None:
    page = b"<!DOCTYPE html>\n<html><body><pre>Error rendering view</pre></body></html>"
    verdict = classify(raw("holdings", 500, page, ctype="text/html; charset=utf-8"))
    assert verdict.outcome is Outcome.HTTP_ERROR
    assert verdict.envelope is None
    assert "HTTP 500" in (verdict.error or "") and "text/html" in (verdict.error or "")
    # the body travels separately, to be scrubbed before it is cut to a snippet
    assert "Error rendering view" in (verdict.body_text or "")


def test_non_json_200_is_a_bad_response() -> None:
    verdict = classify(raw("positions", 200, b"OK", ctype="text/plain"))
    assert verdict.outcome is Outcome.BAD_RESPONSE


def test_truncated_json_is_a_bad_response_not_a_decode_traceback() -> None:
    verdict = classify(raw("positions", 200, b'{"type": "succ', ctype="application/json"))
    assert verdict.outcome is Outcome.BAD_RESPONSE
    broken = classify(raw("positions", 200, b"", error_class="RemoteProtocolError"))
    assert broken.outcome is Outcome.BAD_RESPONSE


def test_no_response_is_timeout_or_network_error() -> None:
    assert (
        classify(raw("positions", None, timed_out=True, error_class="ReadTimeout")).outcome
        is Outcome.TIMEOUT
    )
    assert (
        classify(raw("positions", None, error_class="ConnectError")).outcome
        is Outcome.NETWORK_ERROR
    )


@pytest.mark.parametrize(
    ("content_type", "is_json"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("Application/JSON", True),
        ("text/html; charset=utf-8", False),
        ("text/plain", False),
        (None, False),
    ],
)
def test_only_a_json_content_type_is_read_as_json(content_type: str | None, is_json: bool) -> None:
    assert is_json_content(content_type) is is_json


def test_a_json_body_under_a_non_json_content_type_is_not_an_envelope() -> None:
    body = {"type": "success", "code": "s", "description": "", "result": []}
    verdict = classify(raw("positions", 200, body, ctype="text/plain"))
    assert verdict.outcome is Outcome.BAD_RESPONSE and verdict.envelope is None
    assert verdict.error == "HTTP 200 non-JSON body (text/plain)"


@pytest.mark.parametrize(
    ("code", "description"),
    [
        ("e-session-0007", "Session expired"),  # the code alone
        ("E-Session-0007", ""),  # compared case-folded
        ("e-app-0001", "Invalid Token"),  # the description alone
        (None, "INVALID TOKEN supplied"),  # any casing, anywhere in the text
    ],
)
@pytest.mark.parametrize("status", [400, 200])
def test_the_invalid_token_code_or_description_alone_is_an_auth_error(
    code: str | None, description: str, status: int
) -> None:
    body = {"type": "error", "code": code, "description": description, "result": {}}
    verdict = classify(raw("holdings", status, body))
    assert verdict.outcome is Outcome.AUTH_ERROR


def test_an_unrelated_session_error_is_not_an_auth_error() -> None:
    verdict = classify(raw("holdings", 400, env("error", "e-session-0008", "Session expired")))
    assert verdict.outcome is Outcome.HTTP_ERROR


@pytest.mark.parametrize(
    ("flow", "code"),
    [
        ("positions", "e-portfolio-0005"),
        ("tradebook", "e-tradeBook-0005"),  # live casing; the list holds e-tradebook-0005
        ("holdings", "E-HOLDINGS-0005"),
        ("positions", "e-funds-0005"),
    ],
)
def test_a_data_not_available_code_alone_is_an_empty_book(flow: str, code: str) -> None:
    body = {"type": "error", "code": code, "description": "No rows", "result": {}}
    verdict = classify(raw(flow, 400, body))
    assert verdict == Verdict(Outcome.EMPTY, body, code, None)
    no_text = {"type": "error", "code": code}
    assert classify(raw(flow, 400, no_text)).outcome is Outcome.EMPTY


def test_an_unknown_code_without_the_text_is_not_an_empty_book() -> None:
    verdict = classify(raw("positions", 400, {"type": "error", "code": "e-portfolio-0006"}))
    assert verdict.outcome is Outcome.HTTP_ERROR


#: What the verdict of each kind of answer says: outcome, recorded code and the one-line error.
VERDICT_TEXTS = [
    (
        raw("positions", None, error_class="ConnectError"),
        Outcome.NETWORK_ERROR,
        None,
        "ConnectError: no HTTP response",
    ),
    (
        raw("positions", None, error_class="ReadTimeout", timed_out=True),
        Outcome.TIMEOUT,
        None,
        "ReadTimeout: no HTTP response",
    ),
    (
        raw("positions", 200, b'{"type": ', error_class="RemoteProtocolError"),
        Outcome.BAD_RESPONSE,
        None,
        "HTTP 200: body not fully read (RemoteProtocolError)",
    ),
    (
        raw("positions", 200, b'{"type": "succ'),
        Outcome.BAD_RESPONSE,
        None,
        "HTTP 200 non-JSON body (application/json)",
    ),
    (
        raw("positions", 200, [1, 2]),
        Outcome.BAD_RESPONSE,
        None,
        "HTTP 200 not a JSON object body (application/json)",
    ),
    (
        raw("positions", 400, b"<html>400 Bad Request</html>", ctype="text/html"),
        Outcome.HTTP_ERROR,  # 400 is already an HTTP error
        None,
        "HTTP 400 non-JSON body (text/html)",
    ),
    (
        raw("positions", 502, b"bad gateway", ctype=None),
        Outcome.HTTP_ERROR,
        None,
        "HTTP 502 non-JSON body (no content type)",
    ),
    (
        raw("login_interactive", 400, env("error", "e-user-0005", "Invalid key")),
        Outcome.HTTP_ERROR,
        "e-user-0005",
        "HTTP 400 e-user-0005: Invalid key",
    ),
    (
        raw("positions", 400, env("success", "s-odd-0001", "odd")),
        Outcome.HTTP_ERROR,  # 400 or more is an error whatever the type says
        "s-odd-0001",
        "HTTP 400 s-odd-0001: odd",
    ),
    (
        raw("holdings", 500, {"type": "error", "description": "down"}),
        Outcome.HTTP_ERROR,
        None,
        "HTTP 500 -: down",
    ),
    (
        raw("holdings", 500, {"type": "error", "code": "e-app-0500"}),
        Outcome.HTTP_ERROR,
        "e-app-0500",
        "HTTP 500 e-app-0500:",
    ),
    (
        raw("positions", 200, env("error", "s-odd-0001", "Something went wrong")),
        Outcome.HTTP_ERROR,
        "s-odd-0001",
        "HTTP 200 s-odd-0001: Something went wrong (type is not success)",
    ),
    (
        raw("positions", 200, {"code": "s-x-0001", "result": []}),
        Outcome.HTTP_ERROR,  # no type at all is not success either
        "s-x-0001",
        "HTTP 200 s-x-0001: (type is not success)",
    ),
    (
        raw("login_market", 200, env("SUCCESS", "e-response-0010", "Provided Valid Credentials")),
        Outcome.OK,
        "e-response-0010",  # recorded, though it reads like an error code (XQ07)
        None,
    ),
]


@pytest.mark.parametrize(("exchange", "outcome", "code", "error"), VERDICT_TEXTS)
def test_each_verdict_records_its_code_and_says_what_happened_in_one_line(
    exchange: RawExchange, outcome: Outcome, code: str | None, error: str | None
) -> None:
    verdict = classify(exchange)
    assert (verdict.outcome, verdict.code, verdict.error) == (outcome, code, error)


def test_an_auth_error_keeps_its_envelope_code_and_text() -> None:
    body = env("error", "e-session-0007", "Invalid Token")
    verdict = classify(raw("positions", 400, body))
    assert verdict == Verdict(
        Outcome.AUTH_ERROR, body, "e-session-0007", "HTTP 400 e-session-0007: Invalid Token"
    )


def test_an_envelope_answer_keeps_its_envelope_and_no_body_text() -> None:
    body = env("error", "e-user-0005", "Invalid key")
    verdict = classify(raw("positions", 400, body))
    assert verdict.envelope == body and verdict.body_text is None
