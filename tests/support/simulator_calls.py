"""Raw HTTP calls against the built-in XTS simulator (``jainam_validate.simulator``) on
127.0.0.1 and assertions on its answers, shared by the simulator's integration tests: starting
one with a client, the two logins, quotes, the three books, every flow of a session once, and
checks of the error envelope, of an untouched answer, of a book's rows and of an ISIN."""

from __future__ import annotations

import re
from typing import Any

import httpx

from jainam_validate.simulator import DEMO_CREDENTIALS, SimConfig, SimCredentials, Simulator

MD = "/apibinarymarketdata"
QUOTES_BODY: dict[str, Any] = {"xtsMessageCode": 1502, "publishFormat": "JSON"}
NSE = [{"exchangeSegment": 1, "exchangeInstrumentID": 2885}]
BOOKS = ("positions", "holdings", "tradebook")
BOOK_PATHS: dict[str, tuple[str, dict[str, str]]] = {
    "positions": ("/interactive/portfolio/positions", {"dayOrNet": "NetWise"}),
    "holdings": ("/interactive/portfolio/holdings", {}),
    "tradebook": ("/interactive/orders/trades", {}),
}
BOOK_CODES = {
    "positions": ("s-portfolio-0005", "Get Net Position successfully!"),
    "holdings": ("s-holdings-0001", "Get Holdings successfully!"),
    "tradebook": ("s-trade-0001", "Success trade book"),
}


# -- a simulator and its calls ------------------------------------------------------------------


def http_client(base_url: str, timeout: float = 10) -> httpx.Client:
    # verify=False: plain HTTP only, and it skips loading a CA bundle per client
    return httpx.Client(base_url=base_url, timeout=timeout, verify=False)


def run_sim(config: SimConfig) -> tuple[Simulator, httpx.Client]:
    s = Simulator(config).start()
    return s, http_client(s.base_url)


def login_ia(client: httpx.Client, creds: SimCredentials = DEMO_CREDENTIALS) -> httpx.Response:
    body = {
        "appKey": creds.interactive_key,
        "secretKey": creds.interactive_secret,
        "source": "WEBAPI",
    }
    return client.post("/interactive/user/session", json=body)


def login_md(
    client: httpx.Client, creds: SimCredentials = DEMO_CREDENTIALS, prefix: str = MD
) -> httpx.Response:
    body = {"appKey": creds.market_key, "secretKey": creds.market_secret, "source": "WEBAPI"}
    return client.post(f"{prefix}/auth/login", json=body)


def quote(
    client: httpx.Client, token: str, instruments: list[dict[str, Any]], **extra: Any
) -> httpx.Response:
    body = {"instruments": instruments, **QUOTES_BODY, **extra}
    return client.post(f"{MD}/instruments/quotes", json=body, headers={"Authorization": token})


def token_of(resp: httpx.Response) -> str | None:
    """The session token of a login answer, or None if it hands out none."""
    if resp.status_code != 200:
        return None
    try:
        body = resp.json()
    except (ValueError, RecursionError):  # a faulted login (deep_json nests 2 000 levels)
        return None
    result = body.get("result") if isinstance(body, dict) else None
    token = result.get("token") if isinstance(result, dict) else None
    return token if isinstance(token, str) else None


def book(c: httpx.Client, flow: str, token: str) -> httpx.Response:
    path, params = BOOK_PATHS[flow]
    return c.get(path, params=params, headers={"Authorization": token})


def exercise(c: httpx.Client) -> dict[str, httpx.Response]:
    """Every flow once, in a session's order. Flows that need a token a faulted login did not
    hand out are left out."""
    out = {"login_interactive": login_ia(c), "login_market": login_md(c)}
    ia, md = token_of(out["login_interactive"]), token_of(out["login_market"])
    if ia is not None:
        for flow, (path, params) in BOOK_PATHS.items():
            out[flow] = c.get(path, params=params, headers={"Authorization": ia})
    if md is not None:
        out["quotes"] = quote(c, md, NSE)
    if ia is not None:
        out["logout_interactive"] = c.delete(
            "/interactive/user/session", headers={"Authorization": ia}
        )
    if md is not None:
        out["logout_market"] = c.delete(f"{MD}/auth/logout", headers={"Authorization": md})
    return out


# -- assertions on its answers ------------------------------------------------------------------


def assert_error(resp: httpx.Response, status: int, code: str, description: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert (body["type"], body["code"], body["description"]) == ("error", code, description)


def assert_invalid_token(resp: httpx.Response) -> None:
    assert_error(resp, 400, "e-session-0007", "Invalid Token")
    assert resp.json()["result"] == {}


def assert_untouched(answers: dict[str, httpx.Response]) -> None:
    for flow, resp in answers.items():
        assert resp.status_code == 200, (flow, resp.text)
        assert resp.json()["type"] == "success", flow
        if flow == "positions":
            rows = resp.json()["result"]["positionList"]
            assert len(rows) == 6 and all("TradingSymbol" in row for row in rows)
        elif flow == "holdings":
            holdings = resp.json()["result"]["RMSHoldings"]["Holdings"]
            assert len(holdings) == 5 and all("HoldingQuantity" in v for v in holdings.values())
        elif flow == "tradebook":
            rows = resp.json()["result"]
            assert len(rows) == 8 and all("AppOrderID" in row for row in rows)


def book_rows(result: Any, flow: str, shape: str) -> list[Any]:
    """The rows of a book result, checking the envelope shape around them."""
    if flow == "tradebook":
        assert isinstance(result, list)
        return result
    if flow == "positions":
        assert isinstance(result, dict) and list(result) == ["positionList"]
        assert isinstance(result["positionList"], list)
        return list(result["positionList"])
    if shape == "list":
        assert isinstance(result, dict) and list(result) == ["RMSHoldingList"]
        assert isinstance(result["RMSHoldingList"], list)
        return list(result["RMSHoldingList"])
    assert isinstance(result, dict) and list(result) == ["RMSHoldings"]
    assert list(result["RMSHoldings"]) == ["Holdings"]
    holdings = result["RMSHoldings"]["Holdings"]
    assert isinstance(holdings, dict) and holdings
    assert all(isin_valid(isin) for isin in holdings)  # ISIN-shaped keys
    return list(holdings.values())


def isin_valid(isin: str) -> bool:
    """Independent ISIN check: letters to numbers, then Luhn over the digits."""
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{9}[0-9]", isin):
        return False
    digits = "".join(str(int(ch, 36)) for ch in isin)
    total = 0
    for pos, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if pos % 2 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0
