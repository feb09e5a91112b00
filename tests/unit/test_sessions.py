"""Sessions: the two XTS logins, reused tokens, renewal, token expiry and the account type.

Driven through :class:`Harness` over the respx fakes, as a pass uses them; nothing touches the
network. Messages a release owner reads (the one-line error of a refused login) are pinned
whole.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx

from jainam_validate import errors
from jainam_validate.client import RawExchange
from jainam_validate.harness import Harness
from jainam_validate.sessions import account_of, jwt_expiry
from jainam_validate.settings import AccountType
from tests.support.xts_fakes import (
    CLIENT,
    ROOT,
    SECRETS,
    TOKEN_I,
    TOKEN_M,
    USER,
    envelope,
    investor_router,
    make,
    md_login_ok,
)

EXPIRES = 4102444800  # the exp claim of TOKEN_I and TOKEN_M
PRIMARY, OTHER = "/apibinarymarketdata", "/apimarketdata"


def jwt(claims: object) -> str:
    """A JWT-shaped token whose payload is ``claims`` (unpadded base64url, as issuers send)."""
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"


def rules(harness: Harness, text: str) -> set[str]:
    """The redaction rules that fire on ``text``: what the leak guard would name."""
    return {m.rule for m in harness.redactor.matches(text)}


def html(status: int, text: str = "<html>no</html>") -> httpx.Response:
    return httpx.Response(status, text=text, headers={"content-type": "text/html"})


def ctcl() -> httpx.Response:
    return httpx.Response(
        400,
        json=envelope(
            {}, code="e-app-0400", type_="error", description="API is only enabled for CTCL"
        ),
    )


# -- jwt_expiry -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("token", "expires"),
    [
        (TOKEN_I, EXPIRES),
        (jwt({"exp": EXPIRES}), EXPIRES),
        (jwt({"exp": 4102444800.9}), EXPIRES),
        (jwt({"exp": 1764245772000}), 1764245772),  # milliseconds
        (jwt({"exp": 10**11}), 10**11),  # the year 5138 in seconds is still read as seconds
        (jwt({"exp": 10**11 + 1000}), 10**8 + 1),  # past it: milliseconds
        (jwt({"exp": 999_999_999_999}), 999_999_999),
        (jwt({"exp": 1, "pad": "x"}), 1),  # payload lengths needing 0, 1 and 2 "="
        (jwt({"exp": 12, "p": "xy"}), 12),
        (jwt({"exp": 123}), 123),
        (jwt({"exp": True}), None),  # a JSON boolean is not a date
        (jwt({"exp": "4102444800"}), None),
        (jwt({"exp": None}), None),
        (jwt({"iat": EXPIRES}), None),
        (jwt([EXPIRES]), None),
        ("plain-session-token", None),
        ("a.bm90IGpzb24.c", None),  # payload "not json"
        ("a.!!.c", None),
    ],
)
def test_jwt_expiry_reads_the_exp_claim_in_seconds(token: str, expires: int | None) -> None:
    assert jwt_expiry(token) == expires


# -- account_of -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("configured", "result", "account"),
    [
        (None, {"isInvestorClient": True}, AccountType.INVESTOR),
        (None, {"isInvestorClient": False}, AccountType.DEALER),
        (None, {"isInvestorClient": " TRUE "}, AccountType.INVESTOR),
        (None, {"isInvestorClient": "false"}, AccountType.DEALER),
        (AccountType.DEALER, {}, AccountType.DEALER),
        (AccountType.INVESTOR, {"isInvestorClient": "maybe"}, AccountType.INVESTOR),
        (AccountType.DEALER, {"isInvestorClient": "False"}, AccountType.DEALER),
    ],
)
def test_the_account_type_is_the_configured_one_else_the_logins(
    configured: AccountType | None, result: dict[str, Any], account: AccountType
) -> None:
    assert account_of(configured, result) is account


@pytest.mark.parametrize(
    ("configured", "result", "error", "message"),
    [
        (
            None,
            {},
            errors.BrokerError,
            "interactive login answered without isInvestorClient: set JAINAM_ACCOUNT_TYPE to "
            "investor or dealer",
        ),
        (
            None,
            {"isInvestorClient": "yes"},
            errors.BrokerError,
            "interactive login answered without isInvestorClient: set JAINAM_ACCOUNT_TYPE to "
            "investor or dealer",
        ),
        (
            AccountType.INVESTOR,
            {"isInvestorClient": False},
            errors.ConfigError,
            "JAINAM_ACCOUNT_TYPE is investor, but the login answered isInvestorClient: false "
            "(dealer account): set JAINAM_ACCOUNT_TYPE to dealer or auto",
        ),
        (
            AccountType.DEALER,
            {"isInvestorClient": "true"},
            errors.ConfigError,
            "JAINAM_ACCOUNT_TYPE is dealer, but the login answered isInvestorClient: true "
            "(investor account): set JAINAM_ACCOUNT_TYPE to investor or auto",
        ),
    ],
)
def test_an_account_type_that_cannot_be_settled_stops_with_one_line(
    configured: AccountType | None,
    result: dict[str, Any],
    error: type[errors.JainamError],
    message: str,
) -> None:
    with pytest.raises(error) as caught:
        account_of(configured, result)
    assert str(caught.value) == message


# -- what is known before anything is sent ----------------------------------------------------
def test_configured_values_are_known_secrets_and_ids_before_anything_is_sent() -> None:
    router = respx.Router(base_url=ROOT)  # no route: anything sent would fail the test
    interactive, market = "configured-ia-token-1", "configured-md-token-2"
    harness, records = make(
        router,
        {
            "JAINAM_CLIENT_ID": "DC99871",
            "JAINAM_INTERACTIVE_SESSION_TOKEN": interactive,
            "JAINAM_MARKET_SESSION_TOKEN": market,
        },
    )
    for secret in SECRETS.values():
        assert rules(harness, f"echo {secret} end") == {"secret:credential"}
    assert rules(harness, f"echo {interactive} and {market}") == {"secret:token"}
    assert rules(harness, "account DC99871 end") == {"identifier:client"}
    assert "DC99871" not in harness.redactor.scrub("account DC99871 end")
    assert records == [] and len(router.calls) == 0


# -- the interactive login --------------------------------------------------------------------
def test_an_interactive_login_is_one_post_and_learns_what_its_answer_names() -> None:
    router = investor_router()
    harness, records = make(router)
    session = harness.login_interactive()
    assert session.interactive_token.get_secret_value() == TOKEN_I
    assert session.interactive_expires == EXPIRES
    assert (session.origin, session.market_token, session.account_type) == (
        "login",
        None,
        AccountType.INVESTOR,
    )
    assert session.user is not None and session.user.startswith("user_")
    assert session.user == harness.redactor.add_identifier(USER, "user")
    assert [(r.method, r.route, r.sample, r.attempt, r.outcome.value) for r in records] == [
        ("POST", "/interactive/user/session", 1, 1, "ok")
    ]
    assert session.login_ms == {"login_interactive": records[0].total_ms}
    # the answer's clientCodes are known ids from now on, its token a known secret
    assert CLIENT not in harness.redactor.scrub(f"account {CLIENT} here")
    assert rules(harness, f"x {TOKEN_I} y") == {"secret:token"}


def test_a_login_answer_without_a_user_id_leaves_the_session_user_unset() -> None:
    router = respx.Router(base_url=ROOT)
    router.post("/interactive/user/session").mock(
        return_value=httpx.Response(
            200, json=envelope({"token": TOKEN_I, "isInvestorClient": False}, code="s-user-0001")
        )
    )
    harness, _ = make(router)
    session = harness.login_interactive()
    assert session.user is None and session.account_type is AccountType.DEALER


def test_each_login_is_its_own_sample_of_its_flow() -> None:
    router = investor_router()
    harness, records = make(router)
    session = harness.login_interactive()
    harness.login_interactive()
    harness.login_market(session)
    harness.login_market(session)
    assert [(r.flow, r.sample, r.attempt) for r in records] == [
        ("login_interactive", 1, 1),
        ("login_interactive", 2, 1),
        ("login_market", 1, 1),
        ("login_market", 2, 1),
    ]


NOT_XTS = (
    "answered HTTP {status} text/html, not XTS JSON; check JAINAM_BASE_URL "
    "(the broker root, e.g. https://smpb.jainam.in:4143)"
)


@pytest.mark.parametrize(
    ("answers", "market", "message"),
    [
        (
            {"/interactive/user/session": html(200)},
            False,
            "interactive login: POST /interactive/user/session on xts.test:4143 "
            + NOT_XTS.format(status=200),
        ),
        (
            {f"{PRIMARY}/auth/login": html(401)},
            True,
            "market-data login: POST /apibinarymarketdata/auth/login on xts.test:4143 "
            + NOT_XTS.format(status=401),
        ),
        (  # the route named is the one that answered: the fallback prefix's
            {f"{PRIMARY}/auth/login": html(404), f"{OTHER}/auth/login": html(200)},
            True,
            "market-data login: POST /apimarketdata/auth/login on xts.test:4143 "
            + NOT_XTS.format(status=200),
        ),
    ],
    ids=["interactive", "market", "market-fallback"],
)
def test_a_login_answered_by_a_web_page_names_route_and_host(
    answers: dict[str, httpx.Response], market: bool, message: str
) -> None:
    router = respx.Router(base_url=ROOT)
    for route, response in answers.items():
        router.post(route).mock(return_value=response)
    harness, _ = make(router)
    with pytest.raises(errors.NotAnXtsApi) as caught:
        if market:
            harness.login_market(harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
        else:
            harness.login_interactive()
    assert str(caught.value) == message


def test_a_login_without_an_answer_names_the_host() -> None:
    router = respx.Router(base_url=ROOT)
    router.post("/interactive/user/session").mock(side_effect=httpx.ConnectError)
    harness, _ = make(router)
    with pytest.raises(errors.UnreachableError) as caught:
        harness.login_interactive()
    assert str(caught.value) == (
        "interactive login: no answer from xts.test:4143 (ConnectError); check "
        "JAINAM_BASE_URL, the network/VPN and that the host is up"
    )


# -- the market-data login (quirk XQ05) ---------------------------------------------------------
def test_a_market_login_keeps_its_token_expiry_prefix_and_time() -> None:
    router = investor_router()
    harness, records = make(router)
    session = harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env")
    assert harness.login_market(session) is session
    assert session.market_token is not None
    assert session.market_token.get_secret_value() == TOKEN_M
    assert session.market_expires == EXPIRES
    assert session.market_data_prefix == PRIMARY
    assert session.login_ms == {"login_market": records[0].sample_ms}
    assert [(r.method, r.route) for r in records] == [("POST", "/apibinarymarketdata/auth/login")]
    assert rules(harness, f"x {TOKEN_M} y") == {"secret:token"}


def test_a_fallback_login_is_one_sample_timed_from_its_first_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    router = respx.Router(base_url=ROOT)
    router.post(f"{PRIMARY}/auth/login").mock(return_value=html(404))
    router.post(f"{OTHER}/auth/login").mock(return_value=md_login_ok())
    harness, records = make(router)
    send = harness.client.exchange
    sent: list[RawExchange] = []

    def exchange(*args: Any, **kwargs: Any) -> RawExchange:
        raw = send(*args, **kwargs)
        if not sent:
            raw.started -= 100.0  # as if the first attempt had begun 100 s earlier
        sent.append(raw)
        return raw

    monkeypatch.setattr(harness.client, "exchange", exchange)
    session = harness.login_market(harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    first, second = records
    assert [(r.sample, r.attempt) for r in records] == [(1, 1), (1, 2)]
    # the sample (what the user waited for) spans both attempts; the attempt only itself
    assert second.sample_ms >= 100_000.0 > second.total_ms
    assert first.total_ms >= 100_000.0
    assert session.login_ms == {"login_market": second.sample_ms}
    assert session.market_data_prefix == OTHER


@pytest.mark.parametrize(
    ("configured", "first", "second", "status", "tried"),
    [
        (None, html(404), html(404), 404, (PRIMARY, OTHER)),
        (None, html(404), ctcl(), 400, (PRIMARY, OTHER)),
        (None, ctcl(), html(404), 404, (PRIMARY, OTHER)),
        (OTHER, html(404), html(404), 404, (OTHER, PRIMARY)),
    ],
    ids=["404-404", "404-ctcl", "ctcl-404", "configured-other"],
)
def test_refused_under_both_prefixes_says_so_in_one_line(
    configured: str | None,
    first: httpx.Response,
    second: httpx.Response,
    status: int,
    tried: tuple[str, str],
) -> None:
    router = respx.Router(base_url=ROOT)
    routes = {
        tried[0]: router.post(f"{tried[0]}/auth/login").mock(return_value=first),
        tried[1]: router.post(f"{tried[1]}/auth/login").mock(return_value=second),
    }
    env = {"JAINAM_MARKET_DATA_PREFIX": configured} if configured else {}
    harness, records = make(router, env)
    session = harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env")
    with pytest.raises(errors.BrokerError) as caught:
        harness.login_market(session)
    assert str(caught.value) == (
        f"market-data login answered HTTP {status} under both {tried[0]} and {tried[1]}: this "
        "host serves market data under another prefix; set JAINAM_MARKET_DATA_PREFIX (ask the "
        "broker which one applies)"
    )
    assert [route.call_count for route in routes.values()] == [1, 1]
    assert [(r.route, r.sample, r.attempt) for r in records] == [
        (f"{tried[0]}/auth/login", 1, 1),
        (f"{tried[1]}/auth/login", 1, 2),
    ]
    assert session.market_token is None and session.market_data_prefix is None


def test_a_credential_rejection_under_the_first_prefix_is_not_a_wrong_prefix() -> None:
    router = respx.Router(base_url=ROOT)
    router.post(f"{PRIMARY}/auth/login").mock(
        return_value=httpx.Response(
            400,
            json=envelope(
                {}, code="e-user-0005", type_="error", description="Invalid appKey or secretKey"
            ),
        )
    )
    other = router.post(f"{OTHER}/auth/login").mock(return_value=md_login_ok())
    harness, _ = make(router)
    with pytest.raises(errors.AuthError, match="JAINAM_MARKET_API_KEY/SECRET"):
        harness.login_market(harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    assert other.call_count == 0


# -- reused tokens ----------------------------------------------------------------------------
def test_reused_tokens_send_nothing_keep_their_expiry_and_become_known_secrets() -> None:
    router = respx.Router(base_url=ROOT)  # no route: anything sent would fail the test
    harness, records = make(router)
    interactive, market = jwt({"exp": EXPIRES, "k": "i"}), jwt({"exp": 1764245772000, "k": "m"})
    session = harness.reuse(interactive, market, AccountType.DEALER, "cache")
    assert session.interactive_token.get_secret_value() == interactive
    assert session.market_token is not None
    assert session.market_token.get_secret_value() == market
    assert (session.interactive_expires, session.market_expires) == (EXPIRES, 1764245772)
    assert (session.account_type, session.origin, session.user) == (
        AccountType.DEALER,
        "cache",
        None,
    )
    assert session.market_data_prefix is None and session.login_ms == {}
    assert session.renewed == set()
    assert rules(harness, f"{interactive} {market}") == {"secret:token"}
    assert records == [] and len(router.calls) == 0


@pytest.mark.parametrize("market", [None, ""])
def test_a_reused_session_without_a_market_token_has_none(market: str | None) -> None:
    harness, _ = make(respx.Router(base_url=ROOT))
    session = harness.reuse("opaque-interactive-token", market, AccountType.INVESTOR, "env")
    assert session.market_token is None and session.market_expires is None
    assert session.interactive_expires is None  # not JWT-shaped: no known expiry


def test_reused_opaque_tokens_are_scrubbed_as_tokens() -> None:
    harness, _ = make(respx.Router(base_url=ROOT))
    harness.reuse("opaque-ia-token-77", "opaque-md-token-88", AccountType.INVESTOR, "env")
    text = "echo opaque-ia-token-77 and opaque-md-token-88 end"
    assert rules(harness, text) == {"secret:token"}
    assert harness.redactor.scrub(text) == "echo [redacted] and [redacted] end"


# -- renewal ("Invalid Token", quirk XQ06) ----------------------------------------------------
def test_each_session_kind_is_renewed_at_most_once_per_pass() -> None:
    router = investor_router()
    harness, records = make(router)
    session = harness.reuse("stale-interactive", "stale-market", AccountType.INVESTOR, "env")
    assert (session.interactive_expires, session.market_expires) == (None, None)
    assert harness.sessions.renew(session, market=False) is True
    assert session.interactive_token.get_secret_value() == TOKEN_I
    assert session.interactive_expires == EXPIRES
    assert session.renewed == {False}
    assert harness.sessions.renew(session, market=False) is False  # once per kind and pass
    assert harness.sessions.renew(session, market=True) is True  # the other kind still can
    assert session.market_token is not None
    assert session.market_token.get_secret_value() == TOKEN_M
    assert session.market_expires == EXPIRES and session.market_data_prefix == PRIMARY
    assert harness.sessions.renew(session, market=True) is False
    assert session.renewed == {False, True}
    assert [r.flow for r in records] == ["login_interactive", "login_market"]


def test_a_failed_renewal_is_spent_and_keeps_the_old_session() -> None:
    router = respx.Router(base_url=ROOT)
    login = router.post("/interactive/user/session").mock(return_value=html(502, "down"))
    harness, _ = make(router)
    session = harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env")
    assert harness.sessions.renew(session, market=False) is False
    assert harness.sessions.renew(session, market=False) is False
    assert login.call_count == 1
    assert session.interactive_token.get_secret_value() == TOKEN_I
    assert session.renewed == {False}
