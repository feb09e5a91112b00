from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from jainam_validate import cassette, drift, errors
from jainam_validate.classify import classify
from jainam_validate.client import RawExchange
from jainam_validate.redact import Redactor
from jainam_validate.replay import ReplayApp, request_key
from jainam_validate.scanner import Scanner
from jainam_validate.simulator.app import Request
from tests.support.xts_fakes import envelope

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cassettes"


def test_shipped_cassettes_load_and_hold_no_token() -> None:
    for name in ("investor", "dealer"):
        loaded = cassette.load(FIXTURES / name)
        assert loaded.index["account_type"] == name
        flows = [e["flow"] for e in loaded.exchanges]
        assert flows[:2] == ["login_interactive", "login_market"]
        assert {"positions", "holdings", "tradebook", "quotes"} <= set(flows)
        login = loaded.exchanges[0]["response"]["json"]["result"]
        assert login["token"] == "[redacted]" and login["userID"].startswith("user_")


def test_unknown_version_is_a_clear_usage_error(tmp_path: Path) -> None:
    copy = tmp_path / "c"
    shutil.copytree(FIXTURES / "investor", copy)
    index = json.loads((copy / "cassette.json").read_text())
    index["version"] = 99
    (copy / "cassette.json").write_text(json.dumps(index))
    with pytest.raises(errors.UsageError, match="version 99 is not supported"):
        cassette.load(copy)
    with pytest.raises(errors.UsageError, match="not a cassette"):
        cassette.load(tmp_path)


def replay(name: str = "investor") -> ReplayApp:
    return ReplayApp(cassette.load(FIXTURES / name), lambda _s: None)


def login(app: ReplayApp, path: str = "/interactive/user/session") -> str:
    reply = app.handle(Request("POST", path, {}, {}, b"{}"))
    assert reply.response is not None and reply.response.status == 200
    return str(json.loads(reply.response.body)["result"]["token"])


def test_replay_issues_its_own_tokens_and_checks_them() -> None:
    app = replay()
    token = login(app)
    assert token.count(".") == 2 and token in app.sensitive_values()
    ok = app.handle(Request("GET", "/interactive/orders/trades", {}, {"authorization": token}, b""))
    assert ok.response is not None and ok.response.status == 200
    bad = app.handle(Request("GET", "/interactive/orders/trades", {}, {"authorization": "x"}, b""))
    assert bad.response is not None and bad.response.status == 400
    assert json.loads(bad.response.body)["code"] == "e-session-0007"


def test_replay_is_strict_and_names_the_missing_route() -> None:
    app = replay()
    token = login(app)
    reply = app.handle(
        Request("GET", "/interactive/orders", {"clientID": "X"}, {"authorization": token}, b"")
    )
    assert reply.response is not None and reply.response.status == 501
    text = reply.response.body.decode()
    assert "GET /interactive/orders?clientID=…" in text and "X" not in text.split("?")[1]


def test_dealer_client_id_matches_by_presence_not_value() -> None:
    assert request_key("GET", "/r", {"clientID": "*****", "dayOrNet": "NetWise"}) == request_key(
        "GET", "/r", {"clientID": "client_1234abcd", "dayOrNet": "NetWise"}
    )
    assert request_key("GET", "/r", {"dayOrNet": "DayWise"}) != request_key(
        "GET", "/r", {"dayOrNet": "NetWise"}
    )


def test_drift_reports_exactly_the_changed_field(tmp_path: Path) -> None:
    base = cassette.load(FIXTURES / "investor")
    assert drift.compare(base, base) == ([], [])
    copy = tmp_path / "c"
    shutil.copytree(FIXTURES / "investor", copy)
    path = next((copy / "exchanges").glob("*-tradebook.json"))
    data = json.loads(path.read_text())
    for row in data["response"]["json"]["result"]:
        row["OrderAverageTradedPrice"] = 123.5  # was a string with separators
    path.write_text(json.dumps(data))
    found, unmatched = drift.compare(base, cassette.load(copy))
    assert [(d.flow, d.kind, d.path, d.before, d.after) for d in found] == [
        ("tradebook", "retyped", "$.result[].OrderAverageTradedPrice", "string", "number")
    ]
    assert unmatched == []


def test_shapes_fold_isin_keys_and_open_json_strings() -> None:
    shapes = drift.shapes(cassette.load(FIXTURES / "investor"))
    holdings = shapes["holdings"].paths
    assert "$.result.RMSHoldings.Holdings.{*}.HoldingQuantity" in holdings
    assert not any("INE" in p for p in holdings)
    assert "$.result.listQuotes[]<json>.Touchline.LastTradedPrice" in shapes["quotes"].paths
    assert shapes["quotes"].codes == {"s-quotes-0001"}


def test_nothing_is_written_when_the_guard_finds_a_leak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jainam_validate.classify import classify
    from jainam_validate.client import RawExchange
    from jainam_validate.redact import Redactor
    from jainam_validate.scanner import Scanner

    redactor = Redactor(b"k" * 32)
    redactor.add_secret("S3cretValue-XYZ")
    recorder = cassette.Recorder(Scanner(redactor))
    raw = RawExchange(
        flow="positions",
        method="GET",
        route="/interactive/portfolio/positions",
        query_keys=[],
        requested_at="t",
        started=0.0,
        status=500,
        content_type="text/plain",
        body=b"oops S3cretValue-XYZ",
    )
    monkeypatch.setattr(Redactor, "scrub", lambda self, text: text)  # a redaction bug
    recorder(raw, classify(raw))
    target = tmp_path / "out" / "cassette"
    with pytest.raises(errors.LeakDetected):
        recorder.save(target)
    assert not (tmp_path / "out").exists()  # nothing, not even a staging folder


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
