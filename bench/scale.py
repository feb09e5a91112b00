"""Scale: trade books of 1k, 10k and 100k rows. Per size, the simulator is primed (it builds and
caches the book on the first GET), then ``fetch tradebook`` runs in its own process: its
records give ``total_ms`` (median over the samples) and ``os.wait4`` gives the process's peak
RSS and wall time. A bare pooled httpx GET + ``.json()`` of the same URL runs in a separate
process for the ratio and the RSS floor. Growth is reported as ms per 1k rows, per size and
between sizes, to judge linearity. A fetch that outlives its time cap is killed and reported
as at least the cap unless it had already recorded a sample (records are flushed as they
happen); its peak RSS up to the kill still counts. Targets at 100k rows: total_ms
<= 1.5 s, peak RSS <= 250 MB, <= 2x the bare GET + parse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import (
    Budget,
    Figure,
    bare_fetch,
    fetch_cli,
    fmt_ms,
    login_token,
    median,
    prime,
    print_table,
    require_loopback,
)

SECTION = "scale"
TRADES = "/interactive/orders/trades"
TARGET_TOTAL_MS = 1500.0
TARGET_RSS_MB = 250.0
TARGET_RATIO = 2.0
TARGET_ROWS = 100_000


def measure_size(
    rows: int, iterations: int, cap_s: float, *, workdir: Path, budget: Budget
) -> dict[str, Any]:
    from jainam_validate.simulator import SimConfig, Simulator

    with Simulator(SimConfig(n_trades=rows)) as sim:
        base = require_loopback(sim.base_url)
        url = base + TRADES
        token = login_token(base)
        size = prime(url, token, timeout=budget.timeout(120))
        proc, records = fetch_cli(
            "tradebook",
            iterations,
            workdir=workdir,
            base_url=base,
            label=f"scale-{rows}",
            timeout=budget.timeout(cap_s),
        )
        if not proc.timed_out:
            proc.check(f"fetch tradebook ({rows} rows)")
        bare_proc, bare = bare_fetch(
            url, token, iterations, workdir=workdir, timeout=budget.timeout(120)
        )
    ok = [r for r in records if r["outcome"] == "ok"]
    total = median(r["total_ms"] for r in ok)
    bare_ms = median(g + j for g, j in zip(bare["get_ms"], bare["json_ms"], strict=True))
    return {
        "rows": rows,
        "bytes": size,
        "samples": len(ok),
        "timed_out": proc.timed_out,
        "wall_s": proc.wall_s,
        "total": total,
        "api": median(r["api_ms"] for r in ok),
        "transform": median(r["transform_ms"] for r in ok),
        "rss": proc.maxrss_mb,
        "bare_ms": bare_ms,
        "bare_json": median(bare["json_ms"]),
        "bare_rss": bare_proc.maxrss_mb,
    }


def _total_text(r: dict[str, Any]) -> str:
    if r["total"] is None:
        return f">= {r['wall_s'] * 1000:.0f} ms (killed at the cap before a sample was recorded)"
    killed = f" (process killed at the cap after {r['samples']} sample)" if r["timed_out"] else ""
    return fmt_ms(r["total"], 0) + killed


def run(
    sizes: list[int], iterations: int, cap_s: float, *, workdir: Path, budget: Budget
) -> list[Figure]:
    results = []
    for rows in sizes:
        # one sample at the largest size keeps the default run bounded
        n = iterations if rows < TARGET_ROWS else 1
        results.append(measure_size(rows, n, cap_s, workdir=workdir, budget=budget))
    table = []
    previous: dict[str, Any] | None = None
    for r in results:
        per_k = r["total"] / (r["rows"] / 1000) if r["total"] is not None else None
        marginal = "-"
        if previous is not None and previous["total"] is not None and r["total"] is not None:
            slope = (r["total"] - previous["total"]) / ((r["rows"] - previous["rows"]) / 1000)
            marginal = f"{slope:.1f} ms"
        ratio = r["total"] / r["bare_ms"] if r["total"] is not None else None
        table.append(
            [
                f"{r['rows']:,}",
                f"{r['bytes'] / 1e6:.1f} MB",
                str(r["samples"]),
                _total_text(r),
                fmt_ms(r["api"], 0),
                fmt_ms(r["transform"], 0),
                f"{r['rss']:.0f} MB",
                fmt_ms(r["bare_ms"], 0),
                fmt_ms(r["bare_json"], 0),
                f"{r['bare_rss']:.0f} MB",
                "-" if ratio is None else f"{ratio:.1f}x",
                fmt_ms(per_k, 1),
                marginal,
            ]
        )
        previous = r
    print_table(
        [
            "rows",
            "body",
            "n",
            "total_ms p50",
            "api_ms",
            "transform_ms",
            "peak RSS",
            "bare get+json",
            "bare json",
            "bare RSS",
            "ratio",
            "ms/1k rows",
            "marginal ms/1k",
        ],
        table,
        title="scale: fetch tradebook vs a bare httpx GET + .json() of the same URL",
    )
    figures = []
    for r in results:
        big = r["rows"] == TARGET_ROWS
        label = f"{r['rows'] // 1000}k rows"
        total = r["total"] if r["total"] is not None else r["wall_s"] * 1000
        figures.append(
            Figure(
                SECTION,
                f"{label}: total_ms of fetch tradebook",
                f"<= {TARGET_TOTAL_MS:g} ms" if big else "-",
                _total_text(r),
                (r["total"] is not None and total <= TARGET_TOTAL_MS) if big else None,
                total,
            )
        )
        figures.append(
            Figure(
                SECTION,
                f"{label}: peak RSS of the fetch process",
                f"<= {TARGET_RSS_MB:g} MB" if big else "-",
                f"{'>= ' if r['timed_out'] else ''}{r['rss']:.0f} MB (bare {r['bare_rss']:.0f} MB)",
                r["rss"] <= TARGET_RSS_MB if big else None,
                r["rss"],
            )
        )
        ratio = total / r["bare_ms"]
        figures.append(
            Figure(
                SECTION,
                f"{label}: total_ms / bare GET + .json()",
                f"<= {TARGET_RATIO:g}x" if big else "-",
                f"{'>= ' if r['total'] is None else ''}{ratio:.1f}x (bare {r['bare_ms']:.0f} ms)",
                (r["total"] is not None and ratio <= TARGET_RATIO) if big else None,
                ratio,
            )
        )
    return figures
