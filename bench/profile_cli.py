"""Where the time goes: profiles the real CLI in a subprocess so the benchmark figures can be
traced to functions. ``fetch`` mode runs ``python -m cProfile -m jainam_validate fetch FLOW``
against a primed simulator on 127.0.0.1 (``--rows`` sizes the book) and prints the functions
with the most own time and the package functions with the most cumulative time. ``startup``
mode runs ``python -X importtime -m jainam_validate --help`` (or ``--version``) and prints the
imports with the largest cumulative time. Usage: ``.venv/bin/python bench/profile_cli.py fetch
--flow tradebook --rows 10000`` or ``.venv/bin/python bench/profile_cli.py startup``.
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import sys
import tempfile
from pathlib import Path

ROUTES = {
    "positions": "/interactive/portfolio/positions?dayOrNet=NetWise",
    "holdings": "/interactive/portfolio/holdings",
    "tradebook": "/interactive/orders/trades",
}


def profile_fetch(flow: str, rows: int, iterations: int, top: int) -> int:
    from bench.common import PYTHON, cli_env, login_token, prime, run_measured
    from jainam_validate.simulator import SimConfig, Simulator

    sizes = {"positions": "n_positions", "holdings": "n_holdings", "tradebook": "n_trades"}
    config = SimConfig(**{sizes[flow]: rows})  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="jv-profile-") as tmp, Simulator(config) as sim:
        work = Path(tmp)
        prime(sim.base_url + ROUTES[flow], login_token(sim.base_url), timeout=120)
        out = work / "fetch.prof"
        cmd: list[str | os.PathLike[str]] = [PYTHON, "-m", "cProfile", "-o", out, "-m"]
        cmd += ["jainam_validate", "fetch", flow]
        cmd += ["--iterations", str(iterations), "--evidence-dir", work / "evidence"]
        proc = run_measured(cmd, env=cli_env(work, sim.base_url), timeout=900, cwd=work)
        proc.check(f"profiled fetch {flow}")
        print(f"fetch {flow}: {rows} rows, {iterations} samples, wall {proc.wall_s:.2f} s")
        text = io.StringIO()
        stats = pstats.Stats(str(out), stream=text)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(r"jainam_validate|pydantic|json", top)
        print(text.getvalue())
    return 0


def profile_startup(flag: str, top: int) -> int:
    from bench.common import PYTHON, base_env, run_measured

    with tempfile.TemporaryDirectory(prefix="jv-profile-") as tmp:
        work = Path(tmp)
        cmd: list[str | os.PathLike[str]] = [PYTHON, "-X", "importtime", "-m", "jainam_validate"]
        cmd.append(flag)
        proc = run_measured(cmd, env=base_env(work), timeout=60, cwd=work).check("importtime")
    rows: list[tuple[int, int, str]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own_us, cumulative_us, name = (part.strip() for part in line[12:].split("|", 2))
        rows.append((int(cumulative_us), int(own_us), name))
    print(f"python -m jainam_validate {flag}: wall {proc.wall_s * 1000:.0f} ms (with importtime)")
    print(f"{'cumulative':>10}  {'own':>7}  module")
    for cumulative, own, name in sorted(rows, reverse=True)[:top]:
        print(f"{cumulative / 1000:8.1f}ms  {own / 1000:5.1f}ms  {name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    parser = argparse.ArgumentParser(description="Profile the jainam-validate CLI.")
    sub = parser.add_subparsers(dest="mode", required=True)
    fetch = sub.add_parser("fetch", help="cProfile a fetch against the simulator")
    fetch.add_argument("--flow", choices=sorted(ROUTES), default="tradebook")
    fetch.add_argument("--rows", type=int, default=200)
    fetch.add_argument("--iterations", type=int, default=5)
    fetch.add_argument("--top", type=int, default=30)
    start = sub.add_parser("startup", help="python -X importtime of --help or --version")
    start.add_argument("--version-cmd", action="store_true", help="profile --version")
    start.add_argument("--top", type=int, default=30)
    for sub_parser in (fetch, start):
        sub_parser.add_argument("--src", type=Path, default=None, help="package dir (as run.py)")
    args = parser.parse_args(argv)
    if args.src is not None:
        src = str(args.src.resolve())
        sys.path.insert(0, src)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (src, os.environ.get("PYTHONPATH")) if p
        )
    if args.mode == "fetch":
        rows = max(0, min(args.rows, 200_000))
        return profile_fetch(args.flow, rows, max(1, min(args.iterations, 100)), args.top)
    return profile_startup("--version" if args.version_cmd else "--help", args.top)


if __name__ == "__main__":
    sys.exit(main())
