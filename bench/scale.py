"""Scale: trade books of 1k, 10k and 100k rows. Per size, the simulator is primed (it builds and
caches the book on the first GET), then pairs of whole processes run side by side in the same
run: ``jainam-validate fetch tradebook --iterations 1`` and ``bench/bare_process.py`` (log in
with httpx, GET the same URL on a pooled client, ``json.loads``, ``json.dump(indent=2)`` to a
file), each measured from start to exit by the parent (``os.wait4``: wall time, the child's own
peak RSS). Below 100k rows ``--scale-iterations`` pairs run (in alternating order) and walls are
medians, RSS the highest; at 100k one pair. From the CLI's records: ``total_ms - api_ms``
(median over the ok records: what the harness adds to the call outside the network). A bare
pooled httpx GET + ``.json()`` (``bench/bare_fetch.py``) is shown beside them for reference.
Growth per 1k rows (of ``total_ms - api_ms``, of the wall and of the RSS above the smallest
size, per size and between sizes) lets a reader judge linearity. A fetch that outlives
``--scale-cap`` is killed and its figures are lower bounds (its peak RSS up to the kill still
counts; a record it already flushed still counts). Targets at 100k rows: whole-process wall <=
3x the bare process's, peak RSS <= 400 MB, median ``total_ms - api_ms`` <= 2,000 ms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import (
    Budget,
    Figure,
    bare_fetch,
    bare_process,
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
TARGET_WALL_RATIO = 3.0
TARGET_RSS_MB = 400.0
TARGET_OUTSIDE_MS = 2000.0
TARGET_ROWS = 100_000


def measure_size(
    rows: int, pairs: int, cap_s: float, *, workdir: Path, budget: Budget
) -> dict[str, Any]:
    """``pairs`` runs of the CLI and the bare process on a book of ``rows`` trades."""
    from jainam_validate.simulator import SimConfig, Simulator

    walls: list[float] = []
    rss: list[float] = []
    bare_walls: list[float] = []
    bare_rss: list[float] = []
    phases: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    timed_out = False
    with Simulator(SimConfig(n_trades=rows)) as sim:
        base = require_loopback(sim.base_url)
        url = base + TRADES
        token = login_token(base)
        size = prime(url, token, timeout=budget.timeout(120))

        def cli(i: int) -> bool:
            proc, recs = fetch_cli(
                "tradebook",
                1,
                workdir=workdir,
                base_url=base,
                label=f"scale-{rows}-{i}",
                timeout=budget.timeout(cap_s),
            )
            if not proc.timed_out:
                proc.check(f"fetch tradebook ({rows} rows)")
            walls.append(proc.wall_s)
            rss.append(proc.maxrss_mb)
            records.extend(recs)
            return proc.timed_out

        def bare(i: int) -> None:
            proc, own = bare_process(
                url, workdir=workdir, label=f"{rows}-{i}", timeout=budget.timeout(cap_s)
            )
            bare_walls.append(proc.wall_s)
            bare_rss.append(proc.maxrss_mb)
            phases.append(own)

        for i in range(pairs):
            if i % 2:  # alternate the order, so neither always runs on a warmer machine
                bare(i)
                timed_out = cli(i)
            else:
                timed_out = cli(i)
                bare(i)
            if timed_out:  # another killed run would say nothing new
                break
        _, get = bare_fetch(url, token, pairs, workdir=workdir, timeout=budget.timeout(cap_s))
    ok = [r for r in records if r["outcome"] == "ok"]
    return {
        "rows": rows,
        "bytes": size,
        "pairs": len(walls),
        "samples": len(ok),
        "timed_out": timed_out,
        "wall": median(walls),
        "rss": max(rss),
        "bare_wall": median(bare_walls),
        "bare_rss": max(bare_rss),
        "outside": median(r["total_ms"] - r["api_ms"] for r in ok),
        "total": median(r["total_ms"] for r in ok),
        "api": median(r["api_ms"] for r in ok),
        "phases": {
            key: median(p[key] for p in phases)
            for key in ("import_ms", "login_ms", "get_ms", "parse_ms", "write_ms")
        },
        "get_json": median(g + j for g, j in zip(get["get_ms"], get["json_ms"], strict=True)),
    }


def _lower(r: dict[str, Any]) -> str:
    """``>= `` before a figure of a killed process (it is a lower bound)."""
    return ">= " if r["timed_out"] else ""


def _outside_text(r: dict[str, Any]) -> str:
    if r["outside"] is None:
        return f"no record (killed at the cap after {r['wall']:.1f} s)"
    return fmt_ms(r["outside"], 0)


def _per_k(value: float | None, rows: int) -> float | None:
    return None if value is None else value / (rows / 1000)


def _slope(r: dict[str, Any], p: dict[str, Any] | None, key: str, scale: float = 1.0) -> str:
    """Growth of ``key`` per 1k rows from ``p`` to ``r`` ("-" when either is missing)."""
    if p is None or r[key] is None or p[key] is None:
        return "-"
    return f"{(r[key] - p[key]) * scale / ((r['rows'] - p['rows']) / 1000):.2f}"


def _phases_text(r: dict[str, Any]) -> str:
    ph = r["phases"]
    parts = (ph["import_ms"], ph["login_ms"], ph["get_ms"], ph["parse_ms"], ph["write_ms"])
    return " / ".join(f"{v:.0f}" for v in parts)


def _print_tables(results: list[dict[str, Any]]) -> None:
    table = []
    for r in results:
        ratio = r["wall"] / r["bare_wall"]
        table.append(
            [
                f"{r['rows']:,}",
                f"{r['bytes'] / 1e6:.1f} MB",
                f"{r['pairs']} / {r['samples']}",
                f"{_lower(r)}{r['wall']:.2f} s",
                f"{r['bare_wall']:.2f} s",
                f"{_lower(r)}{ratio:.2f}x",
                _outside_text(r),
                fmt_ms(r["total"], 0),
                fmt_ms(r["api"], 0),
                f"{_lower(r)}{r['rss']:.0f} MB",
                f"{r['bare_rss']:.0f} MB",
                _phases_text(r),
                fmt_ms(r["get_json"], 0),
            ]
        )
    print_table(
        [
            "rows",
            "body",
            "pairs/ok",
            "wall",
            "bare wall",
            "ratio",
            "total-api p50",
            "total_ms",
            "api_ms",
            "peak RSS",
            "bare RSS",
            "bare import/login/get/parse/write ms",
            "bare GET+.json()",
        ],
        table,
        title=(
            "scale: fetch tradebook --iterations 1 vs bench/bare_process.py, whole processes "
            "(wall p50, RSS max)"
        ),
    )
    growth = []
    first = results[0]
    previous: dict[str, Any] | None = None
    for r in results:
        above = r["rss"] - first["rss"]
        growth.append(
            [
                f"{r['rows']:,}",
                _outside_text(r),
                fmt_ms(_per_k(r["outside"], r["rows"]), 2),
                _slope(r, previous, "outside"),
                f"{_lower(r)}{r['wall']:.2f} s",
                _slope(r, previous, "wall", 1000.0),
                f"{_lower(r)}{r['rss']:.0f} MB",
                "-" if r is first else f"{above:+.0f} MB",
                _slope(r, first if r is not first else None, "rss"),
                _slope(r, previous, "rss"),
            ]
        )
        previous = r
    print_table(
        [
            "rows",
            "total-api",
            "per 1k rows",
            "marginal ms/1k",
            "wall",
            "marginal wall ms/1k",
            "peak RSS",
            f"RSS above {first['rows']:,}",
            f"MB/1k above {first['rows']:,}",
            "marginal MB/1k",
        ],
        growth,
        title="scale: growth (marginal = from the previous size; linear growth keeps it flat)",
    )


def _target_figures(r: dict[str, Any]) -> list[Figure]:
    label = f"{r['rows'] // 1000}k rows"
    killed = r["timed_out"]
    ratio = r["wall"] / r["bare_wall"]
    ratio_met = ratio <= TARGET_WALL_RATIO
    rss_met = r["rss"] <= TARGET_RSS_MB
    outside_met = None if r["outside"] is None else r["outside"] <= TARGET_OUTSIDE_MS
    return [
        Figure(
            SECTION,
            f"{label}: whole-process wall of fetch tradebook / bare process",
            f"<= {TARGET_WALL_RATIO:g}x",
            f"{_lower(r)}{ratio:.2f}x ({_lower(r)}{r['wall']:.2f} s vs bare "
            f"{r['bare_wall']:.2f} s)",
            None if killed and ratio_met else ratio_met,  # a killed run's ratio only grows
            ratio,
        ),
        Figure(
            SECTION,
            f"{label}: peak RSS of the fetch process",
            f"<= {TARGET_RSS_MB:g} MB",
            f"{_lower(r)}{r['rss']:.0f} MB (bare process {r['bare_rss']:.0f} MB)",
            None if killed and rss_met else rss_met,
            r["rss"],
        ),
        Figure(
            SECTION,
            f"{label}: median total_ms - api_ms of fetch tradebook",
            f"<= {TARGET_OUTSIDE_MS:,.0f} ms",
            _outside_text(r)
            + (
                ""
                if r["outside"] is None
                else f" (total_ms {r['total']:.0f}, api_ms {r['api']:.0f}; n={r['samples']})"
            ),
            outside_met,
            r["outside"],
        ),
    ]


def run(
    sizes: list[int], iterations: int, cap_s: float, *, workdir: Path, budget: Budget
) -> list[Figure]:
    if not sizes:
        return [Figure(SECTION, "scale (not measured)", "-", "no size in --sizes", None)]
    results = []
    for rows in sorted(sizes):
        # one pair at the largest size keeps the default run bounded
        n = iterations if rows < TARGET_ROWS else 1
        results.append(measure_size(rows, n, cap_s, workdir=workdir, budget=budget))
    _print_tables(results)
    figures = []
    first = results[0]
    for r in results:
        per_k = _per_k(r["outside"], r["rows"])
        mb = "" if r is first else f", {_slope(r, first, 'rss')} MB/1k above {first['rows']:,}"
        figures.append(
            Figure(
                SECTION,
                f"{r['rows'] // 1000}k rows: total_ms - api_ms; whole wall; peak RSS",
                "linear",
                f"{_outside_text(r)} ({fmt_ms(per_k, 2)}/1k rows); {_lower(r)}"
                f"{r['wall']:.2f} s; {_lower(r)}{r['rss']:.0f} MB{mb}",
                None,
                r["outside"],
            )
        )
    big = [r for r in results if r["rows"] == TARGET_ROWS]
    if big:
        figures += _target_figures(big[0])
    else:
        figures.append(
            Figure(
                SECTION,
                f"{TARGET_ROWS // 1000}k-row targets (wall <= {TARGET_WALL_RATIO:g}x bare, "
                f"RSS <= {TARGET_RSS_MB:g} MB, total-api <= {TARGET_OUTSIDE_MS:,.0f} ms)",
                "-",
                f"not measured: {TARGET_ROWS:,} rows not in --sizes",
                None,
            )
        )
    return figures
