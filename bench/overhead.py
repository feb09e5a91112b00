"""Overhead: what the harness adds to each call outside the network, for a typical account (50
positions, 20 holdings, 200 trades). From the CLI's own records: ``transform_ms`` (redact,
normalise; note it starts after the JSON parse), ``total_ms - api_ms`` (JSON parse, classify,
redact, normalise, building the record; the record is written after ``total_ms`` is stamped),
and the per-sample time no record covers (from one request's ``requested_at`` to the next,
minus the first one's ``sample_ms``: writing the record and the sample file, the loop). The
baseline is a bare pooled httpx client on the same URL: the whole GET and ``.json()`` alone.
Where the CLI has a request-rate cap (``--rate``), it is turned off here: its waits are idle
time, not overhead (the fidelity section shows where they land). Targets, median
``total_ms - api_ms`` per flow: tradebook (200 rows) <= 1.5 ms, positions (50 rows) <= 1 ms,
holdings (20 rows) <= 1 ms."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import (
    Budget,
    Figure,
    bare_fetch,
    fetch_cli,
    fetch_supports,
    fmt_ms,
    login_token,
    median,
    prime,
    print_table,
    require_loopback,
)

SECTION = "overhead"
#: Target for the median ``total_ms - api_ms`` of each flow, ms.
TARGET_MS = {"positions": 1.0, "holdings": 1.0, "tradebook": 1.5}
#: Rows of each book in the typical account below.
ROWS = {"positions": 50, "holdings": 20, "tradebook": 200}
ROUTES = {
    "positions": "/interactive/portfolio/positions?dayOrNet=NetWise",
    "holdings": "/interactive/portfolio/holdings",
    "tradebook": "/interactive/orders/trades",
}


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000.0


def untimed_gaps(records: list[dict[str, Any]]) -> list[float]:
    """Per consecutive pair of samples: wall time between their requests minus the first one's
    ``sample_ms`` (ms resolution: the wall-clock stamps are rounded to the millisecond)."""
    ordered = sorted(records, key=lambda r: (r["sample"], r["attempt"]))
    return [
        _stamp(b["requested_at"]) - _stamp(a["requested_at"]) - a["sample_ms"]
        for a, b in zip(ordered, ordered[1:], strict=False)
    ]


def measure_flow(
    flow: str, samples: int, *, base: str, workdir: Path, budget: Budget
) -> dict[str, Any]:
    url = base + ROUTES[flow]
    token = login_token(base)
    prime(url, token, timeout=budget.timeout(30))
    # the rate cap's deliberate waits are not overhead; they would blur the untimed gaps
    extra = ["--rate", "0"] if fetch_supports("--rate", workdir) else []
    proc, records = fetch_cli(
        flow,
        samples,
        workdir=workdir,
        base_url=base,
        label=f"overhead-{flow}",
        timeout=budget.timeout(30 + samples * 2.0),
        extra=extra,
    )
    proc.check(f"fetch {flow}")
    ok = [r for r in records if r["outcome"] == "ok"]
    if not ok:
        raise RuntimeError(f"fetch {flow} recorded no ok sample")
    _, bare = bare_fetch(url, token, samples, workdir=workdir, timeout=budget.timeout(60))
    return {
        "flow": flow,
        "samples": len(ok),
        "bytes": ok[0]["bytes"],
        "api": median(r["api_ms"] for r in ok),
        "total": median(r["total_ms"] for r in ok),
        "transform": median(r["transform_ms"] for r in ok),
        "outside": median(r["total_ms"] - r["api_ms"] for r in ok),
        "untimed": median(untimed_gaps(ok)),
        "bare_get": median(bare["get_ms"]),
        "bare_json": median(bare["json_ms"]),
    }


def run(samples: int, *, workdir: Path, budget: Budget) -> list[Figure]:
    from jainam_validate.simulator import SimConfig, Simulator

    config = SimConfig(
        n_positions=ROWS["positions"], n_holdings=ROWS["holdings"], n_trades=ROWS["tradebook"]
    )
    with Simulator(config) as sim:
        base = require_loopback(sim.base_url)
        results = [
            measure_flow(flow, samples, base=base, workdir=workdir, budget=budget)
            for flow in ROUTES
        ]
    print_table(
        [
            "flow",
            "n",
            "bytes",
            "api_ms",
            "transform_ms",
            "total-api",
            "target",
            "untimed/sample",
            "total_ms",
            "bare get",
            "bare .json()",
        ],
        [
            [
                r["flow"],
                str(r["samples"]),
                str(r["bytes"]),
                fmt_ms(r["api"], 2),
                fmt_ms(r["transform"], 2),
                fmt_ms(r["outside"], 2),
                f"<= {TARGET_MS[r['flow']]:g} ms",
                fmt_ms(r["untimed"], 0),
                fmt_ms(r["total"], 2),
                fmt_ms(r["bare_get"], 2),
                fmt_ms(r["bare_json"], 2),
            ]
            for r in results
        ],
        title=(
            f"overhead per call (medians over {samples} samples; 50 positions, 20 holdings, "
            "200 trades)"
        ),
    )
    return [
        Figure(
            SECTION,
            f"{r['flow']} ({ROWS[r['flow']]} rows): median total_ms - api_ms (transform_ms)",
            f"<= {TARGET_MS[r['flow']]:g} ms",
            f"{r['outside']:.2f} ms ({r['transform']:.2f} ms); bare .json() "
            f"{r['bare_json']:.2f} ms",
            r["outside"] <= TARGET_MS[r["flow"]],
            r["outside"],
        )
        for r in results
    ]
