"""End to end: holdings P&L from live quotes against the simulator, checked by hand."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest

from jainam_validate.simulator import DEMO_CREDENTIALS, SimConfig, Simulator

from .cli import cli, creds_env, manifest, run_folders, timings

pytestmark = pytest.mark.e2e


def number(value: object) -> Decimal:
    return Decimal(str(value).replace(",", ""))


def hand_total(simulator: Simulator, dealer: bool, prefix: str) -> Decimal:
    """The expected total P&L, computed independently of the harness: one quote per holding."""
    c = DEMO_CREDENTIALS
    with httpx.Client(base_url=simulator.base_url) as http:
        login = http.post(
            "/interactive/user/session",
            json={
                "appKey": c.interactive_key,
                "secretKey": c.interactive_secret,
                "source": "WEBAPI",
            },
        )
        token = login.json()["result"]["token"]
        md = http.post(
            f"{prefix}/auth/login",
            json={"appKey": c.market_key, "secretKey": c.market_secret, "source": "WEBAPI"},
        )
        md_token = md.json()["result"]["token"]
        params = {"clientID": "*****"} if dealer else {}
        result = http.get(
            "/interactive/portfolio/holdings", params=params, headers={"Authorization": token}
        ).json()["result"]
        holdings = (
            result.get("RMSHoldings", {}).get("Holdings", {}).values() or result["RMSHoldingList"]
        )
        total = Decimal(0)
        for h in holdings:
            nse = int(number(h.get("ExchangeNSEInstrumentId") or 0))
            segment, instrument = (1, nse) if nse else (11, int(h["ExchangeBSEInstrumentId"]))
            quote = http.post(
                f"{prefix}/instruments/quotes",
                headers={"Authorization": md_token},
                json={
                    "instruments": [
                        {"exchangeSegment": segment, "exchangeInstrumentID": instrument}
                    ],
                    "xtsMessageCode": 1502,
                    "publishFormat": "JSON",
                },
            ).json()
            ltp = number(
                json.loads(quote["result"]["listQuotes"][0])["Touchline"]["LastTradedPrice"]
            )
            qty = number(h["HoldingQuantity"])
            total += qty * ltp - qty * number(h["BuyAvgPrice"])
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(
    ("profile", "prefixes"),
    [
        ("investor", ("/apibinarymarketdata",)),
        ("dealer", ("/apibinarymarketdata",)),
        ("investor", ("/apimarketdata",)),
    ],
)
def test_run_states_the_exact_total_pnl(
    profile: str, prefixes: tuple[str, ...], isolated_environment: Path
) -> None:
    with Simulator(SimConfig(profile=profile, md_prefixes=prefixes)) as simulator:
        env = {"JAINAM_BASE_URL": simulator.base_url, **creds_env(DEMO_CREDENTIALS)}
        result = cli("run", env=env)
        assert result.code == 0, result.output
        expected = hand_total(simulator, profile == "dealer", prefixes[0])
    (folder,) = run_folders(isolated_environment / "evidence")
    m = manifest(folder)
    check = m["checks"]["holdings_pnl"]
    assert check["status"] == "pass"
    assert check["total_pnl"] == str(expected)
    assert expected != 0
    assert m["target"]["market_data_prefix"] == prefixes[0]
    report = (folder / "report.md").read_text()
    assert f"**{expected}**" in report and "Holdings P&L from live quotes (AC3) | pass" in report
    rows = json.loads((folder / "samples" / "holdings.json").read_text())["rows"]
    assert all(Decimal(r["ltp"]) > 0 and r["pnl"] is not None for r in rows)
    assert any(r["quote_instrument"][0] == 11 for r in rows)  # the BSE-only holding was priced


def test_120_holdings_are_quoted_in_three_calls(isolated_environment: Path) -> None:
    with Simulator(SimConfig(n_holdings=120)) as simulator:
        env = {"JAINAM_BASE_URL": simulator.base_url, **creds_env(DEMO_CREDENTIALS)}
        result = cli("run", "--json", env=env)
        assert result.code == 0, result.output
        quote_calls = [r for r in simulator.request_log if r.path.endswith("/instruments/quotes")]
        expected = hand_total(simulator, False, "/apibinarymarketdata")
    assert len(quote_calls) == 3 and all(r.status == 200 for r in quote_calls)
    data = json.loads(result.stdout)
    assert data["checks"]["holdings_pnl"]["total_pnl"] == str(expected)
    (folder,) = run_folders(isolated_environment / "evidence")
    assert [r["sample"] for r in timings(folder) if r["flow"] == "quotes"] == [1, 2, 3]


def test_no_holdings_leaves_pnl_not_proven_exit_5_unless_waived(
    isolated_environment: Path,
) -> None:
    """Nothing to price means AC3 was never exercised: INCONCLUSIVE; waiving the empty
    holdings book waives the P&L check it prevents too."""
    with Simulator(SimConfig(empty_flows=frozenset({"holdings"}))) as simulator:
        env = {"JAINAM_BASE_URL": simulator.base_url, **creds_env(DEMO_CREDENTIALS)}
        result = cli("run", env=env)
        waived = cli("run", "--allow-empty", "holdings", env=env)
    assert result.code == 5, result.output
    assert waived.code == 0, waived.output
    first, second = sorted(
        run_folders(isolated_environment / "evidence"), key=lambda f: manifest(f)["started_at"]
    )
    pnl = manifest(first)["checks"]["holdings_pnl"]
    assert pnl["status"] == "not_proven" and pnl["total_pnl"] == "0.00"
    assert manifest(first)["checks"]["flow:holdings"]["status"] == "not_proven"
    assert manifest(second)["checks"]["holdings_pnl"]["status"] == "waived"
    assert manifest(second)["verdict"] == "PASS"
    assert "**PASS** with 3 waivers" in (second / "report.md").read_text()


def test_quotes_failing_fails_pnl_by_name_and_exit_1(isolated_environment: Path) -> None:
    with Simulator(SimConfig(faults={"quotes": "nginx502"})) as simulator:
        env = {"JAINAM_BASE_URL": simulator.base_url, **creds_env(DEMO_CREDENTIALS)}
        result = cli("run", env=env)
    assert result.code == 1, result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    check = manifest(folder)["checks"]["holdings_pnl"]
    assert check["status"] == "fail" and check["total_pnl"] is None
    assert any(p.startswith("TCS:") for p in check["problems"])
    assert manifest(folder)["checks"]["flow:holdings"]["status"] == "pass"


def test_market_data_unavailable_under_both_prefixes_is_exit_1_with_the_reason(
    isolated_environment: Path,
) -> None:
    with Simulator(SimConfig(md_prefixes=("/marketdata",))) as simulator:
        env = {"JAINAM_BASE_URL": simulator.base_url, **creds_env(DEMO_CREDENTIALS)}
        result = cli("run", env=env)
    assert result.code == 1, result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    checks = manifest(folder)["checks"]
    assert checks["session:market"]["status"] == "fail"
    assert "JAINAM_MARKET_DATA_PREFIX" in checks["session:market"]["detail"]
    assert checks["holdings_pnl"]["status"] == "fail"
    assert checks["flow:positions"]["status"] == "pass"
