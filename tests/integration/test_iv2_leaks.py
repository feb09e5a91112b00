"""The application's key never reaches the evidence, whatever the application echoes. A hostile
application (served on loopback next to the simulator's broker) puts the key, in plain and
encoded forms, everywhere an answer can hold text: the ping and analyzer data, a header, the
book rows (symbol, order id, unknown keys), a 500 page, a 403 message, the symbol lookup. A run
with ``--record`` must write none of it: not in the run folder, the cassette, the terminal."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from jainam_validate.cli import app
from jainam_validate.simulator import DEMO_CREDENTIALS, Simulator
from jainam_validate.simulator import responses as r
from jainam_validate.simulator.app import Reply, Request
from jainam_validate.simulator.responses import Response

KEY = "oa-key-Zq8$u1-5f7e2b9c0d4a"
FORMS = (
    KEY,
    quote(KEY, safe=""),
    base64.b64encode(KEY.encode()).decode(),
    json.dumps(KEY)[1:-1],
)
NAMES = (
    "JAINAM_INTERACTIVE_API_KEY", "JAINAM_INTERACTIVE_API_SECRET",
    "JAINAM_MARKET_API_KEY", "JAINAM_MARKET_API_SECRET",
)  # fmt: skip


class EchoingApplication:
    """Answers every application route with the key echoed in it (``mode`` picks how)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def sensitive_values(self) -> list[str]:
        return [KEY]

    def handle(self, req: Request) -> Reply:
        flow = {
            "/api/v1/ping": "app_ping", "/api/v1/analyzer": "app_analyzer",
            "/api/v1/positionbook": "app_positions", "/api/v1/holdings": "app_holdings",
            "/api/v1/tradebook": "app_tradebook", "/api/v1/symbol": "app_symbol",
        }.get(req.path)  # fmt: skip
        echo = (("X-Echo", KEY), ("X-Echo-B64", FORMS[2]))
        if self.mode == "rejected":
            body = {"status": "error", "message": f"Invalid openalgo apikey {KEY} ({FORMS[1]})"}
            return Reply(flow, r.json_response(403, body, echo))
        if flow == "app_ping":
            data = {"message": f"pong {KEY}", "broker": "jainamxts", "apikey": KEY}
            return Reply(flow, r.json_response(200, {"status": "success", "data": data}, echo))
        if flow == "app_analyzer":
            data = {"analyze_mode": False, "mode": "live", "note": FORMS[2], "key": KEY}
            return Reply(flow, r.json_response(200, {"status": "success", "data": data}, echo))
        if flow == "app_positions" and self.mode == "broken":
            page = f"<html><body>AttributeError for apikey={FORMS[1]} {KEY}</body></html>"
            return Reply(flow, Response(500, page.encode(), "text/html; charset=utf-8", echo))
        if flow == "app_symbol":
            body = {"status": "error", "message": f"Symbol not found for {KEY}"}
            return Reply(flow, r.json_response(404, body, echo))
        row = {
            "symbol": f"SYM{KEY}", "exchange": "NSE", "product": "CNC", "quantity": "1",
            "average_price": "1.00", "orderid": KEY, "action": "BUY", "comment": FORMS[3],
            "extra": {"nested": f"see {FORMS[1]}"},
        }  # fmt: skip
        data: object = [row]
        if flow == "app_holdings":
            data = {"holdings": [row], "statistics": {"totalinvvalue": 1, "note": KEY}}
        body = {"status": "success", "data": data, "message": KEY}
        return Reply(flow, r.json_response(200, body, echo))


@pytest.mark.parametrize("mode", ["echo", "broken", "rejected"])
def test_the_application_key_is_nowhere_in_what_a_run_writes(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        Simulator() as broker,
        Simulator(app=lambda _sleep: EchoingApplication(mode)) as application,
    ):
        monkeypatch.setenv("JAINAM_BASE_URL", broker.base_url)
        monkeypatch.setenv("JAINAM_APP_URL", application.base_url)
        monkeypatch.setenv("JAINAM_APP_API_KEY", KEY)
        for name, value in zip(NAMES, DEMO_CREDENTIALS.values(), strict=True):
            monkeypatch.setenv(name, value)
        args = ["run", "--evidence-dir", str(tmp_path / "ev"), "--record", str(tmp_path / "cas")]
        result = CliRunner().invoke(app, [*args, "-v"], env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    written = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert written and any("iv2:positions" in text for text in written)
    for text in [*written, result.stdout, result.stderr]:
        for form in FORMS:
            assert form not in text
    run_json = json.loads(next((tmp_path / "ev").glob("*/run.json")).read_text())
    statuses = {run_json["checks"][f"iv2:{b}"]["status"] for b in ("positions", "holdings")}
    assert statuses == {"fail"}  # whatever it echoes, an echoing application never passes
    audit = CliRunner().invoke(app, ["audit", str(tmp_path / "ev"), str(tmp_path / "cas")])
    assert audit.exit_code == 0, audit.output
