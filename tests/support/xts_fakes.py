"""respx routers that answer like XTS, for unit tests of the client and the harness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import respx

from jainam_validate.client import XtsClient
from jainam_validate.credentials import CREDENTIAL_NAMES, KeyringStore
from jainam_validate.harness import Harness
from jainam_validate.redact import Redactor
from jainam_validate.settings import Layers, Settings
from jainam_validate.timing import TimingRecord

ROOT = "https://xts.test:4143"
TOKEN_I = (
    "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySUQiOiJKVkRFTU8wN19pYWtleSIsImV4cCI6NDEwMjQ0NDgwMH0"
    ".c2lnLWludGVyYWN0aXZl"
)
TOKEN_M = (
    "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySUQiOiJKVkRFTU8wN19tZGtleSIsImV4cCI6NDEwMjQ0NDgwMH0"
    ".c2lnLW1hcmtldGRhdGE"
)
USER = "JVDEMO07"
CLIENT = "JC4187"


def envelope(
    result: Any, code: str = "s-x-0001", type_: str = "success", description: str = "ok"
) -> dict[str, Any]:
    return {"type": type_, "code": code, "description": description, "result": result}


def login_ok(investor: bool = True) -> httpx.Response:
    return httpx.Response(
        200,
        json=envelope(
            {
                "token": TOKEN_I,
                "userID": USER,
                "isInvestorClient": investor,
                "clientCodes": [CLIENT],
            },
            code="s-user-0001",
            description="Valid User.",
        ),
    )


def md_login_ok() -> httpx.Response:
    # quirk: the market-data success code starts with e-
    return httpx.Response(
        200,
        json=envelope(
            {"token": TOKEN_M, "userID": USER, "appVersion": "5.0.15"},
            code="e-response-0010",
            description="Provided Valid Credentials",
        ),
    )


POSITIONS = envelope(
    {
        "positionList": [
            {
                "AccountID": CLIENT,
                "LoginID": USER,
                "TradingSymbol": "RELIANCE",
                "ExchangeSegment": "NSECM",
                "ExchangeInstrumentId": "2885",
                "Quantity": "10",
                "BuyAmount": "28,535.00",
                "MTM": "12.5",
            },
        ]
    }
)
HOLDINGS = envelope(
    {
        "RMSHoldings": {
            "Holdings": {
                "INE002A01018": {
                    "ISIN": "INE002A01018",
                    "ExchangeNSEInstrumentId": 2885,
                    "HoldingQuantity": "1,200",
                    "BuyAvgPrice": "2,853.50",
                    "ClientId": CLIENT,
                }
            }
        }
    }
)
TRADES = envelope(
    [
        {
            "LoginID": USER,
            "ClientID": CLIENT,
            "AppOrderID": 1100012345,
            "ExchangeOrderID": "1300000012345678",
            "ExecutionID": "402817",
            "TradingSymbol": "RELIANCE",
            "ExchangeInstrumentID": 2885,
            "OrderSide": "BUY",
            "OrderAverageTradedPrice": "2,853.50",
            "OrderAverageTradedPriceAPI": "NaN",
            "LastTradedQuantity": 10,
            "MessageSynchronizeUniqueKey": CLIENT,
        }
    ]
)


def dna(code: str) -> httpx.Response:
    return httpx.Response(
        400, json=envelope({}, code=code, type_="error", description="Data Not Available")
    )


def investor_router() -> respx.Router:
    router = respx.Router(base_url=ROOT, assert_all_mocked=True, assert_all_called=False)
    router.post("/interactive/user/session").mock(return_value=login_ok(True))
    router.post("/apibinarymarketdata/auth/login").mock(return_value=md_login_ok())
    router.get("/interactive/portfolio/positions").mock(
        return_value=httpx.Response(200, json=POSITIONS)
    )
    router.get("/interactive/portfolio/holdings").mock(
        return_value=httpx.Response(200, json=HOLDINGS)
    )
    router.get("/interactive/orders/trades").mock(return_value=httpx.Response(200, json=TRADES))
    return router


SECRETS = {n: f"{n.lower()}-Ab$cd${{X}}#9" for n in CREDENTIAL_NAMES}
#: Back-off waits asked for by the harness built by ``make`` (no real sleeping in unit tests).
SLEPT: list[float] = []


def make(
    router: respx.Router, env: dict[str, str] | None = None
) -> tuple[Harness, list[TimingRecord]]:
    """A harness over ``router`` with env credentials, recording into a list."""
    layers = Layers({"JAINAM_BASE_URL": ROOT, **SECRETS, **(env or {})}, {}, KeyringStore(object()))
    settings = Settings.resolve(layers, evidence_dir=Path("ev")).with_credentials(layers)
    records: list[TimingRecord] = []
    client = XtsClient(ROOT, transport=httpx.MockTransport(router.handler))
    SLEPT.clear()
    harness = Harness(
        settings, client, Redactor(b"k" * 32), records.append, "run-1", sleep=SLEPT.append
    )
    return harness, records
