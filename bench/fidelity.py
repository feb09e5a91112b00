"""Fidelity: does the harness report what the wire shows? For each injected server delay D on
positions, the real CLI (``fetch positions --iterations N``) and curl hit the same simulator URL
with a session token, in the same run. curl runs as one process with the URL repeated N + 1
times, so after the first (cold, dropped) transfer it reuses one keep-alive connection, as the
harness does after its login; each transfer's ``-w`` line gives ``time_starttransfer`` and
``time_total``. Samples are paired by index: harness ``api_ms`` with curl total, harness
``phases.ttfb_ms`` with curl start-transfer. Targets: median |harness - curl| <= 2 ms, and no
``api_ms`` below D. One more check: on a sample of one attempt, ``sample_ms`` (what thresholds
gate) should exceed ``total_ms`` only by building the request, never by idle waiting."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from bench.common import (
    Budget,
    Figure,
    fetch_cli,
    fmt_ms,
    login_token,
    median,
    print_table,
    require_loopback,
)

SECTION = "fidelity"
POSITIONS_URL = "/interactive/portfolio/positions?dayOrNet=NetWise"
TARGET_DIFF_MS = 2.0
WRITE_OUT = r"%{time_starttransfer} %{time_total} %{num_connects} %{http_code}\n"


def curl_samples(
    url: str, token: str, samples: int, *, workdir: Path, timeout: float
) -> list[dict[str, float]]:
    """``samples`` warm transfers from one curl process (one extra cold one first, dropped)."""
    header = workdir / "curl-auth-header"
    header.write_text(f"Authorization: {token}\n", encoding="utf-8")
    os.chmod(header, 0o600)
    cmd = ["curl", "--silent", "--show-error", "--max-time", f"{timeout:.0f}"]
    cmd += ["--header", f"@{header}", "--write-out", WRITE_OUT]
    for _ in range(samples + 1):
        cmd += ["--output", "/dev/null", require_loopback(url)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 5, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"curl exit {done.returncode}: {done.stderr.strip()[:200]}")
    rows = []
    for line in done.stdout.splitlines():
        start, total, connects, status = line.split()
        if status != "200":
            raise RuntimeError(f"curl got HTTP {status}")
        rows.append(
            {
                "starttransfer_ms": float(start) * 1000.0,
                "total_ms": float(total) * 1000.0,
                "connects": float(connects),
            }
        )
    if len(rows) != samples + 1:
        raise RuntimeError(f"curl reported {len(rows)} transfers, expected {samples + 1}")
    return rows[1:]


def paired_abs_diff(a: list[float | None], b: list[float]) -> float | None:
    return median(abs(x - y) for x, y in zip(a, b, strict=False) if x is not None)


def measure_delay(delay_ms: int, samples: int, *, workdir: Path, budget: Budget) -> dict[str, Any]:
    from jainam_validate.simulator import SimConfig, Simulator

    per_sample_s = delay_ms / 1000.0 + 0.5
    with Simulator(SimConfig(delays_ms={"positions": delay_ms})) as sim:
        base = require_loopback(sim.base_url)
        proc, records = fetch_cli(
            "positions",
            samples,
            workdir=workdir,
            base_url=base,
            label=f"fidelity-{delay_ms}",
            timeout=budget.timeout(30 + samples * per_sample_s),
        )
        proc.check(f"fetch positions (D={delay_ms} ms)")
        token = login_token(base)
        curl = curl_samples(
            base + POSITIONS_URL,
            token,
            samples,
            workdir=workdir,
            timeout=budget.timeout(10 + (samples + 1) * per_sample_s),
        )
    ok = [r for r in records if r["outcome"] == "ok"]
    if not ok:
        raise RuntimeError(f"fetch positions (D={delay_ms} ms) recorded no ok sample")
    api = [r["api_ms"] for r in ok]
    ttfb = [r["phases"]["ttfb_ms"] for r in ok]
    return {
        "delay_ms": delay_ms,
        "samples": len(ok),
        "reused": sum(1 for r in ok if r["conn_reused"]),
        "api_median": median(api),
        "ttfb_median": median(ttfb),
        "curl_total_median": median(c["total_ms"] for c in curl),
        "curl_start_median": median(c["starttransfer_ms"] for c in curl),
        "curl_reused": sum(1 for c in curl if c["connects"] == 0),
        "diff_total": paired_abs_diff(api, [c["total_ms"] for c in curl]),
        "diff_ttfb": paired_abs_diff(ttfb, [c["starttransfer_ms"] for c in curl]),
        "api_min": min(api) if api else None,
        # one attempt per sample: sample_ms should be total_ms plus building the request
        "idle": [r["sample_ms"] - r["total_ms"] for r in ok if r["attempt"] == 1],
    }


def run(delays: list[int], samples: int, *, workdir: Path, budget: Budget) -> list[Figure]:
    results = [measure_delay(d, samples, workdir=workdir, budget=budget) for d in delays]
    print_table(
        [
            "D",
            "n (reused)",
            "api_ms p50",
            "ttfb p50",
            "curl total p50",
            "curl start p50",
            "p50 |api-total|",
            "p50 |ttfb-start|",
            "min api_ms",
        ],
        [
            [
                f"{r['delay_ms']} ms",
                f"{r['samples']} ({r['reused']}) / curl {r['curl_reused']}",
                fmt_ms(r["api_median"], 2),
                fmt_ms(r["ttfb_median"], 2),
                fmt_ms(r["curl_total_median"], 2),
                fmt_ms(r["curl_start_median"], 2),
                fmt_ms(r["diff_total"], 2),
                fmt_ms(r["diff_ttfb"], 2),
                fmt_ms(r["api_min"], 2),
            ]
            for r in results
        ],
        title=f"fidelity: harness vs curl on positions, {samples} warm samples each",
    )
    figures = []
    for r in results:
        d = r["delay_ms"]
        worst = max(r["diff_total"] or 0.0, r["diff_ttfb"] or 0.0)
        figures.append(
            Figure(
                SECTION,
                f"D={d} ms: median |harness - curl| (api vs total; ttfb vs start)",
                f"<= {TARGET_DIFF_MS:g} ms",
                f"{r['diff_total']:.2f} ms; {r['diff_ttfb']:.2f} ms "
                f"(api p50 {r['api_median']:.2f}, curl p50 {r['curl_total_median']:.2f})",
                worst <= TARGET_DIFF_MS,
                worst,
            )
        )
        figures.append(
            Figure(
                SECTION,
                f"D={d} ms: min api_ms",
                f">= {d} ms",
                fmt_ms(r["api_min"], 2),
                r["api_min"] is not None and r["api_min"] >= d,
                r["api_min"],
            )
        )
    idle = [v for r in results for v in r["idle"]]
    if idle:
        worst_idle = max(idle)
        over = sum(1 for v in idle if v > TARGET_DIFF_MS)
        figures.append(
            Figure(
                SECTION,
                "sample_ms - total_ms on single-attempt samples (sample latency is what "
                "thresholds gate)",
                f"max <= {TARGET_DIFF_MS:g} ms",
                f"max {worst_idle:.2f} ms, median {median(idle):.2f} ms; "
                f"{over} of {len(idle)} samples > {TARGET_DIFF_MS:g} ms",
                worst_idle <= TARGET_DIFF_MS,
                worst_idle,
            )
        )
    return figures
