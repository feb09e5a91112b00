"""Integration tests for the simulator's leaky fault kinds, over real HTTP on 127.0.0.1: answers
that echo the simulator's own identifiers where a harness might not look for them (headers, an
unparseable body, unusual keys, text inside strings, a list where a string belongs) or that are
merely hostile in size or shape (2 000 levels of nesting, 21-digit numbers, a 150 000-character
symbol). Each test checks the exact status, headers and body shape, that every id echoed is in
``Simulator.sensitive_values()``, and that the other flows are left alone."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest

from jainam_validate.simulator import (
    BOOK_ONLY_FAULTS,
    BROKER_FLOWS,
    DEEP_JSON_LEVELS,
    FAULT_KINDS,
    FLOW_ONLY_FAULTS,
    HUGE_PRICE,
    HUGE_QUANTITY,
    LONG_SYMBOL,
    NESTED_ID_KEYS,
    ODD_ID_KEYS,
    SimConfig,
    fault_flows,
    parse_flow_value,
)
from tests.support.simulator_calls import (
    BOOK_CODES,
    BOOK_PATHS,
    BOOKS,
    assert_invalid_token,
    assert_untouched,
    book,
    exercise,
    isin_valid,
    login_ia,
    run_sim,
    token_of,
)
from tests.support.simulator_calls import book_rows as bare_rows

LEAKY_KINDS = (
    "header_echo",
    "leaky_utf8",
    "leaky_cut",
    "leaky_text",
    "odd_id_keys",
    "nested_ids",
    "deep_json",
    "userid_list",
    "huge_numbers",
    "long_symbol",
)
LEAKY_BODIES = ("leaky_utf8", "leaky_cut", "leaky_text")
LOGINS = ("login_interactive", "login_market")
JSON_TYPE = "application/json; charset=utf-8"
CLIENT_CODE = "JC4187"  # the investor's, as its login answer hands it out
SUCCESS_HEADS = {
    "login_interactive": ("s-user-0001", "Valid User."),
    "login_market": ("e-response-0010", "Provided Valid Credentials"),
    **BOOK_CODES,
    "quotes": ("s-quotes-0001", "Get quotes successfully!"),
    "logout_interactive": ("s-session-0001", "User logged out successfully"),
    "logout_market": ("s-response-0011", "Logged out successfully"),
}
ROW_CASES = [("positions", "map"), ("tradebook", "map"), ("holdings", "map"), ("holdings", "list")]
ROW_IDS = [f"{f}-{s}" for f, s in ROW_CASES]
#: the trading account id (AccountID of trade rows under these faults): JT + 6 digits
TRADING_ACCOUNT = re.compile(r"JT[0-9]{6}")


# -- helpers ------------------------------------------------------------------------------------


def config_of(flow: str, kind: str, shape: str = "map", **extra: Any) -> SimConfig:
    return SimConfig(faults={flow: kind}, holdings_shape=shape, **extra)  # type: ignore[arg-type]


def run(config: SimConfig) -> tuple[dict[str, httpx.Response], list[str]]:
    """Every flow once, then the simulator's sensitive values."""
    s, c = run_sim(config)
    with s, c:
        answers = exercise(c)
        secrets = s.sensitive_values()
    return answers, secrets


def baseline_books(config: SimConfig) -> dict[str, Any]:
    """The parsed book results of an unfaulted simulator with the same seed and shapes."""
    plain = SimConfig(
        profile=config.profile,
        dealer_client_ids=config.dealer_client_ids,
        holdings_shape=config.holdings_shape,
        seed=config.seed,
    )
    s, c = run_sim(plain)
    with s, c:
        token = token_of(login_ia(c))
        assert token is not None
        return {flow: book(c, flow, token).json()["result"] for flow in BOOKS}


def first_trade(answers: dict[str, httpx.Response]) -> dict[str, Any]:
    trades = answers["tradebook"]
    assert trades.status_code == 200, trades.text
    row: dict[str, Any] = trades.json()["result"][0]
    return row


def seen_before_tradebook(answers: dict[str, httpx.Response], skip: str) -> str:
    """Headers and bodies of the answers a pass gets before the trade book, but ``skip``."""
    parts = []
    for flow in ("login_interactive", "login_market", "positions", "holdings"):
        if flow != skip and flow in answers:
            resp = answers[flow]
            parts.append(str(dict(resp.headers)) + resp.content.decode("utf-8", "replace"))
    return "\n".join(parts)


def other_flows(answers: dict[str, httpx.Response], flow: str) -> dict[str, httpx.Response]:
    others = {k: v for k, v in answers.items() if k != flow}
    assert set(others) == set(BROKER_FLOWS) - {flow}
    for resp in others.values():
        assert "x-account" not in resp.headers and "x-client-code" not in resp.headers
        assert resp.headers["content-type"] == JSON_TYPE
    return others


def book_rows(result: Any, flow: str, shape: str) -> list[Any]:
    """The rows of a book result; a list-shaped holdings result also names its ClientId."""
    if flow == "holdings" and shape == "list":
        assert isinstance(result, dict) and list(result) == ["ClientId", "RMSHoldingList"]
        result = without(result, {"ClientId"})
    return bare_rows(result, flow, shape)


def without(row: dict[str, Any], keys: tuple[str, ...] | set[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


def depth(data: bytes) -> int:
    """Deepest nesting of objects and arrays, counted without recursion (no brackets inside
    the strings of the bodies checked here)."""
    deepest = level = 0
    for byte in data:
        if byte in b"{[":
            level += 1
            deepest = max(deepest, level)
        elif byte in b"}]":
            level -= 1
    assert level == 0
    return deepest


# -- kinds and config ---------------------------------------------------------------------------


APP_KINDS = ("stale_holding", "missing_trade", "analyzer_mode", "session_broken")


def test_leaky_kinds_are_appended_after_the_hostile_ones() -> None:
    # ... and the application's (IV2) after them
    assert FAULT_KINDS[-len(APP_KINDS) :] == APP_KINDS
    broker_kinds = FAULT_KINDS[: -len(APP_KINDS)]
    assert broker_kinds[-len(LEAKY_KINDS) :] == LEAKY_KINDS
    assert broker_kinds[-len(LEAKY_KINDS) - 1] == "missing_fields"
    assert BOOK_ONLY_FAULTS == {
        "unreadable_rows",
        "missing_fields",
        "leaky_utf8",
        "leaky_cut",
        "leaky_text",
        "odd_id_keys",
        "long_symbol",
    }
    assert dict(FLOW_ONLY_FAULTS) == {
        "nested_ids": {"tradebook"},
        "userid_list": {"login_interactive", "login_market"},
        "huge_numbers": {"holdings"},
        "stale_holding": {"app_holdings"},
        "missing_trade": {"app_tradebook"},
        "analyzer_mode": {"app_analyzer"},
        "session_broken": {"app_positions"},
    }
    assert fault_flows("header_echo") == BROKER_FLOWS and fault_flows("deep_json") == BROKER_FLOWS
    assert fault_flows("leaky_cut") == ("positions", "holdings", "tradebook")
    assert fault_flows("userid_list") == LOGINS
    with pytest.raises(ValueError, match="unknown fault"):
        fault_flows("nope")


@pytest.mark.parametrize("kind", LEAKY_KINDS)
def test_where_each_leaky_kind_applies(kind: str) -> None:
    for flow in BROKER_FLOWS:
        if flow in fault_flows(kind):
            assert SimConfig(faults={flow: kind}).faults == {flow: kind}
            assert parse_flow_value(f"{flow}={kind}", kind="fault") == (flow, kind)
            continue
        with pytest.raises(ValueError, match=r" only\b") as info:
            SimConfig(faults={flow: kind})
        assert repr(flow) in str(info.value) and repr(kind) in str(info.value)
        with pytest.raises(ValueError, match=r"^--fault: ") as info:
            parse_flow_value(f"{flow}={kind}", kind="fault")
        assert "\n" not in str(info.value)
        if kind in BOOK_ONLY_FAULTS:
            assert "book flows only" in str(info.value)


# -- header_echo --------------------------------------------------------------------------------


@pytest.mark.parametrize("flow", BROKER_FLOWS)
def test_header_echo_on_every_flow(flow: str) -> None:
    config = config_of(flow, "header_echo")
    answers, secrets = run(config)
    resp = answers[flow]
    acct = first_trade(answers)["AccountID"]
    assert TRADING_ACCOUNT.fullmatch(acct) and acct != CLIENT_CODE
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == f"{JSON_TYPE}; acct={acct}"
    assert resp.headers["x-account"] == acct
    assert resp.headers["x-client-code"] == CLIENT_CODE
    assert resp.json()["type"] == "success"  # the body is the normal answer
    assert (resp.json()["code"], resp.json()["description"]) == SUCCESS_HEADS[flow]
    if flow in ("positions", "holdings"):
        assert resp.json()["result"] == baseline_books(config)[flow]
    # every trade row names the account; nothing a pass reads before the trade book does
    assert {row["AccountID"] for row in answers["tradebook"].json()["result"]} == {acct}
    assert acct not in seen_before_tradebook(answers, skip=flow)
    assert {acct, CLIENT_CODE} <= set(secrets)
    assert_untouched(other_flows(answers, flow))


@pytest.mark.parametrize("flow", BOOKS)
def test_header_echo_on_an_empty_book(flow: str) -> None:
    config = config_of(flow, "header_echo", empty_flows=frozenset({flow}))
    s, c = run_sim(config)
    with s, c:
        assert_invalid_token(book(c, flow, "not-a-token"))  # an error stays bare
        assert "x-account" not in book(c, flow, "not-a-token").headers
        token = token_of(login_ia(c))
        assert token is not None
        resp = book(c, flow, token)
        others = {f: book(c, f, token) for f in BOOKS if f != flow}
        secrets = s.sensitive_values()
    area = {"positions": "portfolio", "holdings": "holdings", "tradebook": "tradeBook"}[flow]
    assert resp.status_code == 400
    body = resp.json()
    assert body == {
        "type": "error",
        "code": f"e-{area}-0005",
        "description": "Data Not Available",
        "result": {},
    }
    acct = resp.headers["x-account"]
    assert TRADING_ACCOUNT.fullmatch(acct) and acct in secrets
    assert resp.headers["content-type"] == f"{JSON_TYPE}; acct={acct}"
    assert resp.headers["x-client-code"] == CLIENT_CODE
    if flow != "tradebook":
        assert {row["AccountID"] for row in others["tradebook"].json()["result"]} == {acct}
    assert all(r.status_code == 200 and "x-account" not in r.headers for r in others.values())


def test_header_echo_on_dealer_routes_names_the_client_asked_for() -> None:
    config = SimConfig(
        profile="dealer",
        dealer_client_ids=("*****", "JC9001"),
        faults={"positions": "header_echo", "holdings": "header_echo"},
    )
    s, c = run_sim(config)
    with s, c:
        auth = {"Authorization": token_of(login_ia(c)) or ""}
        mapped = c.get(
            "/interactive/portfolio/dealerpositions",
            params={"clientID": "JC9001", "dayOrNet": "NetWise"},
            headers=auth,
        )
        own = c.get("/interactive/portfolio/holdings", params={"clientID": "*****"}, headers=auth)
        # quirk: the regular positions route answers a dealer "Data Not Available"
        regular = c.get(
            "/interactive/portfolio/positions", params={"dayOrNet": "NetWise"}, headers=auth
        )
        crashed = c.get("/interactive/portfolio/holdings", headers=auth)  # HTML 500
        trades = {
            client: c.get(
                "/interactive/orders/dealertradebook", params={"clientID": client}, headers=auth
            ).json()["result"]
            for client in ("JC9001", "*****")
        }
        secrets = set(s.sensitive_values())
    mapped_acct, own_acct = trades["JC9001"][0]["AccountID"], trades["*****"][0]["AccountID"]
    assert mapped_acct != own_acct
    assert mapped.status_code == 200 and mapped.headers["x-client-code"] == "JC9001"
    assert mapped.headers["x-account"] == mapped_acct
    assert own.status_code == 200 and own.headers["x-client-code"] == "JVPRO11"
    assert own.headers["x-account"] == own_acct
    assert regular.status_code == 400 and regular.json()["description"] == "Data Not Available"
    assert regular.headers["x-account"] == own_acct
    assert crashed.status_code == 500 and "x-account" not in crashed.headers
    assert {mapped_acct, own_acct, "JC9001", "JVPRO11"} <= secrets


# -- leaky_utf8, leaky_cut, leaky_text ----------------------------------------------------------

LEAKY_CASES = [(kind, flow, "map") for kind in LEAKY_BODIES for flow in BOOKS] + [
    (kind, "holdings", "list") for kind in LEAKY_BODIES
]


@pytest.mark.parametrize(
    ("kind", "flow", "shape"), LEAKY_CASES, ids=[f"{k}-{f}-{s}" for k, f, s in LEAKY_CASES]
)
def test_leaky_bodies(kind: str, flow: str, shape: str) -> None:
    answers, secrets = run(config_of(flow, kind, shape))
    resp = answers[flow]
    if flow == "tradebook":  # the ids come from the trade book another pass would read
        reference, _ = run(config_of("positions", kind, shape))
        trade = first_trade(reference)
    else:
        trade = first_trade(answers)
        assert resp.status_code in (200, 500)
    acct, order = trade["AccountID"], trade["AppOrderID"]
    assert TRADING_ACCOUNT.fullmatch(acct) and isinstance(order, int)
    assert {acct, str(order)} <= set(secrets)
    assert int(resp.headers["content-length"]) == len(resp.content)
    data = resp.content
    if kind == "leaky_text":
        assert resp.status_code == 500
        assert resp.headers["content-type"] == "text/plain; charset=utf-8"
        assert data == f"order {order} for client {acct} failed".encode()
    else:
        assert resp.status_code == 200
        assert resp.headers["content-type"] == JSON_TYPE
        ids = (f'"ClientID":"{acct}"'.encode(), f'"AppOrderID":{order},'.encode())
        code, text = BOOK_CODES[flow]
        assert data.startswith(
            f'{{"type":"success","code":"{code}","description":"{text}"'.encode()
        )
        with pytest.raises(ValueError):
            json.loads(data)
    if kind == "leaky_utf8":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert data.count(b"\xff") == 1
        assert data.decode("utf-8", "replace").count("\ufffd") == 1  # one bad byte, no more
        assert all(data.index(piece) < data.index(b"\xff") for piece in ids)
        body = json.loads(data.decode("utf-8", "replace"))  # JSON once the byte is replaced
        rows = book_rows(body["result"], flow, shape)
        assert len(rows) == 1 and (rows[0]["ClientID"], rows[0]["AppOrderID"]) == (acct, order)
    elif kind == "leaky_cut":
        text = data.decode("utf-8")  # valid UTF-8, just cut short
        assert all(data.index(piece) < len(data) - 3 for piece in ids)
        assert not text.endswith("}") and text.count("{") > text.count("}")
    if flow != "tradebook":
        # both are news to a pass that has only read the login and the earlier books
        assert acct not in seen_before_tradebook(answers, skip=flow)
        assert str(order) not in seen_before_tradebook(answers, skip=flow)
    others = other_flows(answers, flow)
    if shape == "map":
        assert_untouched(others)


# -- odd_id_keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(("flow", "shape"), ROW_CASES, ids=ROW_IDS)
def test_odd_id_keys(flow: str, shape: str) -> None:
    config = config_of(flow, "odd_id_keys", shape)
    answers, secrets = run(config)
    resp = answers[flow]
    rows = book_rows(resp.json()["result"], flow, shape)
    plain = book_rows(baseline_books(config)[flow], flow, shape)
    assert [without(row, ODD_ID_KEYS) for row in rows] == plain  # the normal fields stay
    assert all(list(row)[-len(ODD_ID_KEYS) :] == list(ODD_ID_KEYS) for row in rows)
    first = rows[0]
    assert re.fullmatch(r"[6-9][0-9]{9}", first["MobileNumber"])
    assert re.fullmatch(r"[A-Z]{5}[0-9]{4}[A-Z]", first["PANNumber"])
    assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.]+\.[a-z]{2,}", first["EmailID"])
    assert isinstance(first["userIds"], list) and len(set(first["userIds"])) == 2
    assert all(isinstance(row["BoEntryOrderId"], int) for row in rows)
    assert all(isinstance(row["ParentOrderID"], int) for row in rows)
    per_account = ("MobileNumber", "DealerCode", "UCC", "Client ID", "EmailID", "PANNumber")
    for key in (*per_account, "userIds"):
        assert all(row[key] == first[key] for row in rows), key  # one account
    for key in ("BoEntryOrderId", "ParentOrderID"):
        assert len({row[key] for row in rows}) == len(rows), key  # one per row
    echoed = {str(first[k]) for k in per_account} | set(first["userIds"])
    echoed |= {str(row[k]) for row in rows for k in ("BoEntryOrderId", "ParentOrderID")}
    assert echoed <= set(secrets)
    assert not echoed & {CLIENT_CODE, "JVDEMO07"}  # made up, not the account's own
    assert all(len(v) >= 5 for v in echoed)
    assert_untouched(other_flows(answers, flow))


def test_odd_id_keys_are_fixed_per_seed_and_account() -> None:
    def odd(config: SimConfig) -> list[Any]:
        answers, _ = run(config)
        rows: list[Any] = answers["tradebook"].json()["result"]
        return rows

    same = odd(config_of("tradebook", "odd_id_keys"))
    assert odd(config_of("tradebook", "odd_id_keys")) == same
    other = odd(config_of("tradebook", "odd_id_keys", seed=8))
    for key in ODD_ID_KEYS:
        assert other[0][key] != same[0][key], key
    dealer = SimConfig(
        profile="dealer", dealer_client_ids=("*****", "JC9001"), faults={"positions": "odd_id_keys"}
    )
    s, c = run_sim(dealer)
    with s, c:
        auth = {"Authorization": token_of(login_ia(c)) or ""}
        rows = {
            client: c.get(
                "/interactive/portfolio/dealerpositions",
                params={"clientID": client, "dayOrNet": "NetWise"},
                headers=auth,
            ).json()["result"]["positionList"][0]
            for client in ("JC9001", "*****")
        }
        secrets = set(s.sensitive_values())
    assert rows["JC9001"]["PANNumber"] != rows["*****"]["PANNumber"]
    assert {rows[c]["UCC"] for c in rows} | {rows[c]["MobileNumber"] for c in rows} <= secrets


# -- nested_ids ---------------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_nested_ids() -> None:
    config = config_of("tradebook", "nested_ids")
    answers, secrets = run(config)
    resp = answers["tradebook"]
    assert resp.status_code == 200 and resp.headers["content-type"] == JSON_TYPE
    body = resp.json()
    assert (body["type"], body["code"], body["description"]) == (
        "success",
        *BOOK_CODES["tradebook"],
    )
    served = body["result"]
    assert [type(row) for row in served] == [dict, dict, str, dict, dict, str, dict, dict]
    rows = [json.loads(row) if isinstance(row, str) else row for row in served]
    assert all(isinstance(row, dict) for row in rows)
    assert [without(row, NESTED_ID_KEYS) for row in rows] == baseline_books(config)["tradebook"]
    for row in rows:
        client, login, order = row["ClientID"], row["LoginID"], row["AppOrderID"]
        assert isinstance(row["Remarks"], str)
        assert row["Remarks"] == f'{{"AppOrderID": {order}, "ClientID": "{client}"}}'
        assert json.loads(row["Remarks"]) == {"AppOrderID": order, "ClientID": client}
        assert row["Ctx"] == "ctx=" + _b64(client).rstrip("=")
        assert row["CtxPadded"] == "ctx=" + _b64(login) and row["CtxPadded"].endswith("=")
        assert base64.b64decode(row["CtxPadded"][4:]).decode() == login
        assert row["Url"] == f"%3FclientID%3D{client}"
        assert row["Ref"] == f"000{order}"
        assert row["Tag"] == f"{client}NSE"
        assert row["Note"] == f"ORD{order}X"
        assert {client, login, str(order)} <= set(secrets)
    # a string row's ids are in the body only as JSON text inside a string
    assert served[2].startswith('{"LoginID":"JVDEMO07","ClientID":"JC4187","AppOrderID":')
    assert_untouched(other_flows(answers, "tradebook"))


def test_nested_ids_on_a_dealer_client() -> None:
    config = SimConfig(
        profile="dealer", dealer_client_ids=("*****", "JC9001"), faults={"tradebook": "nested_ids"}
    )
    s, c = run_sim(config)
    with s, c:
        auth = {"Authorization": token_of(login_ia(c)) or ""}
        served = c.get(
            "/interactive/orders/dealertradebook", params={"clientID": "JC9001"}, headers=auth
        ).json()["result"]
        secrets = set(s.sensitive_values())
    row = json.loads(served[2])
    assert row["Tag"] == "JC9001NSE" and row["CtxPadded"] == "ctx=" + _b64("JVDLR11")
    assert row["Ctx"] == "ctx=" + _b64("JC9001") and not row["Ctx"].endswith("=")
    assert {"JC9001", "JVDLR11", str(row["AppOrderID"])} <= secrets


# -- deep_json ----------------------------------------------------------------------------------


@pytest.mark.parametrize("flow", BROKER_FLOWS)
def test_deep_json_on_every_flow(flow: str) -> None:
    answers, secrets = run(config_of(flow, "deep_json"))
    resp = answers.pop(flow)
    assert resp.status_code == 200 and resp.headers["content-type"] == JSON_TYPE
    assert int(resp.headers["content-length"]) == len(resp.content)
    code, text = SUCCESS_HEADS[flow]
    head = f'{{"type":"success","code":"{code}","description":"{text}","result":'.encode()
    levels = DEEP_JSON_LEVELS - 1
    inner = f'{{"ClientID":"{CLIENT_CODE}"}}'.encode()
    assert resp.content == head + b'{"a":' * levels + inner + b"}" * levels + b"}"
    assert DEEP_JSON_LEVELS == 2000 and depth(resp.content) == 2001  # the envelope + result
    assert CLIENT_CODE in secrets
    expected = set(BROKER_FLOWS) - {flow}
    if flow == "login_interactive":  # no token: its flows cannot run
        expected -= {*BOOKS, "logout_interactive"}
    if flow == "login_market":
        expected -= {"quotes", "logout_market"}
    assert set(answers) == expected
    assert_untouched(answers)


# -- userid_list --------------------------------------------------------------------------------


@pytest.mark.parametrize("flow", LOGINS)
def test_userid_list(flow: str) -> None:
    s, c = run_sim(config_of(flow, "userid_list"))
    with s, c:
        answers = exercise(c)
        secrets = set(s.sensitive_values())
        user_id = s.account_user_id
    resp = answers[flow]
    assert resp.status_code == 200 and resp.headers["content-type"] == JSON_TYPE
    body = resp.json()
    assert (body["type"], body["code"], body["description"]) == ("success", *SUCCESS_HEADS[flow])
    users = body["result"]["userID"]
    assert isinstance(users, list) and len(users) == 2 and users[0] == user_id
    assert isinstance(users[1], str) and users[1] != user_id
    assert set(users) <= secrets and body["result"]["token"] in secrets
    # the token is a working one: every flow ran and answered normally
    assert_untouched(other_flows(answers, flow))
    other_login = answers[next(f for f in LOGINS if f != flow)]
    assert other_login.json()["result"]["userID"] == user_id


# -- huge_numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["map", "list"])
def test_huge_numbers(shape: str) -> None:
    config = config_of("holdings", "huge_numbers", shape)
    answers, secrets = run(config)
    resp = answers["holdings"]
    assert resp.status_code == 200 and resp.headers["content-type"] == JSON_TYPE
    data = resp.content
    assert (HUGE_QUANTITY, HUGE_PRICE) == (123456789012345678901, "999999999999999999999.99")
    for raw in (
        b'"HoldingQuantity":123456789012345678901,',
        b'"BuyAvgPrice":"999999999999999999999.99",',
        b'"HoldingQuantity":"123456789012345678901",',
        b'"BuyAvgPrice":999999999999999999999.99,',
    ):
        assert data.count(raw) == 1, raw
    body = resp.json()
    assert (body["type"], body["code"]) == ("success", BOOK_CODES["holdings"][0])
    rows = book_rows(body["result"], "holdings", shape)
    plain = book_rows(baseline_books(config)["holdings"], "holdings", shape)
    assert len(rows) == len(plain) + 2 and rows[: len(plain)] == plain
    huge = rows[len(plain) :]
    assert [row["HoldingQuantity"] for row in huge] == [HUGE_QUANTITY, str(HUGE_QUANTITY)]
    assert huge[0]["BuyAvgPrice"] == HUGE_PRICE and huge[1]["BuyAvgPrice"] == float(HUGE_PRICE)
    assert set(huge[0]) == set(plain[0]) == set(huge[1])  # rows of the same shape
    isins = [row["ISIN"] for row in rows]
    assert len(set(isins)) == len(isins) and all(isin_valid(i) for i in isins)
    assert all(row["ExchangeNSEInstrumentId"] > 0 for row in huge)  # quotable equities
    assert {row["ClientId"] for row in rows} == {CLIENT_CODE} and CLIENT_CODE in secrets
    assert_untouched(other_flows(answers, "holdings"))


# -- long_symbol --------------------------------------------------------------------------------


@pytest.mark.parametrize(("flow", "shape"), ROW_CASES, ids=ROW_IDS)
def test_long_symbol(flow: str, shape: str) -> None:
    config = config_of(flow, "long_symbol", shape)
    answers, _ = run(config)
    resp = answers[flow]
    assert resp.status_code == 200 and resp.headers["content-type"] == JSON_TYPE
    assert len(LONG_SYMBOL) == 150_000 and LONG_SYMBOL.count("@") == 1
    assert LONG_SYMBOL.index("@") == 75_000 and re.fullmatch(r"A+@b+", LONG_SYMBOL)
    rows = book_rows(resp.json()["result"], flow, shape)
    plain = book_rows(baseline_books(config)[flow], flow, shape)
    key = "Symbol" if flow == "holdings" else "TradingSymbol"
    assert rows[0][key] == LONG_SYMBOL
    assert without(rows[0], {key}) == without(plain[0], {key})
    assert rows[1:] == plain[1:]
    assert_untouched(other_flows(answers, flow))


# -- the inventory ------------------------------------------------------------------------------

ID_KEYS = {
    "AccountID",
    "LoginID",
    "ClientID",
    "ClientId",
    "AppOrderID",
    "ExchangeOrderID",
    "ExecutionID",
    "OrderUniqueIdentifier",
    "OrderReferenceID",
    "MessageSynchronizeUniqueKey",
    "userID",
    "token",
    *ODD_ID_KEYS,
}


def _collect(value: Any, out: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ID_KEYS and isinstance(v, str | int) and not isinstance(v, bool):
                out.add(str(v))
            elif k in ID_KEYS and isinstance(v, list):
                out.update(str(item) for item in v)
            _collect(v, out)
    elif isinstance(value, list):
        for item in value:
            _collect(json.loads(item) if isinstance(item, str) and item[:1] == "{" else item, out)


@pytest.mark.parametrize("profile", ["investor", "dealer"])
def test_sensitive_values_cover_every_leaky_answer(profile: str) -> None:
    config = SimConfig(
        profile=profile,  # type: ignore[arg-type]
        dealer_client_ids=("*****", "JC9001"),
        faults={
            "login_interactive": "userid_list",
            "positions": "odd_id_keys",
            "holdings": "header_echo",
            "tradebook": "nested_ids",
        },
    )
    s, c = run_sim(config)
    with s, c:
        login = login_ia(c)
        served: set[str] = set()
        _collect(login.json(), served)
        auth = {"Authorization": login.json()["result"]["token"]}
        client = {"clientID": "JC9001"} if profile == "dealer" else {}
        dealer = profile == "dealer"
        for path, params in (
            (
                "/interactive/portfolio/dealerpositions" if dealer else BOOK_PATHS["positions"][0],
                {"dayOrNet": "NetWise"},
            ),
            (BOOK_PATHS["holdings"][0], {}),
            ("/interactive/orders/dealertradebook" if dealer else BOOK_PATHS["tradebook"][0], {}),
        ):
            resp = c.get(path, params={**client, **params}, headers=auth)
            assert resp.status_code == 200, (path, resp.text)
            _collect(resp.json(), served)
            served.update(v for k, v in resp.headers.items() if k in ("x-account", "x-client-code"))
        secrets = set(s.sensitive_values())
    assert len(served) > 30
    assert served <= secrets, served - secrets
    assert "*****" not in secrets and all(len(v) >= 5 for v in secrets)
