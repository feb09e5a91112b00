"""The benchmark suite's driver: parses the flags (sections, sample counts, ``--quick``, the time
budget), prints the machine it runs on, runs each selected section in a private temporary
directory against simulators on 127.0.0.1, and ends with one table of figure, target, measured
and met/missed (also as Markdown with ``--markdown``, and as JSON with ``--json FILE``). A
section that fails or runs out of budget is reported as not measured and the others still run.
Exit 0 when every selected section was measured (missed targets included), 1 otherwise."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import fidelity, overhead, regex_linear, scale, startup
from bench.common import ROOT, Budget, BudgetExceeded, Figure, print_table, skipped

SECTIONS: tuple[str, ...] = ("fidelity", "overhead", "scale", "startup", "pass", "regex")


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Benchmarks for jainam-validate (fidelity, overhead, scale, start-up, pass, "
        "regex linear time).",
    )
    p.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only this section (repeatable)"
    )
    p.add_argument("--quick", action="store_true", help="fewer samples and sizes (~25 s)")
    p.add_argument("--delays", type=_ints, default=None, help="fidelity delays, ms (0,50,200,1000)")
    p.add_argument("--fidelity-samples", type=int, default=None, help="per delay (20)")
    p.add_argument("--overhead-samples", type=int, default=None, help="per flow (30)")
    p.add_argument("--sizes", type=_ints, default=None, help="trade-book rows (1000,10000,100000)")
    p.add_argument(
        "--scale-iterations",
        type=int,
        default=None,
        help="whole-process pairs (fetch, bare process) per size below 100k rows (2)",
    )
    p.add_argument(
        "--scale-cap", type=float, default=75.0, help="seconds before a fetch is killed (75)"
    )
    p.add_argument("--startup-runs", type=int, default=None, help="per command (15)")
    p.add_argument("--pass-runs", type=int, default=None, help="run --sim passes (7)")
    p.add_argument(
        "--budget", type=float, default=360.0, help="hard cap for the whole suite, s (360)"
    )
    p.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    p.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    p.add_argument(
        "--src",
        type=Path,
        default=None,
        help="benchmark the jainam_validate package under this directory instead (e.g. an "
        "export of another commit); the CLI and the simulator are imported from it",
    )
    args = p.parse_args(argv)
    q = args.quick
    defaults = {
        "delays": [0, 50, 200] if q else [0, 50, 200, 1000],
        "fidelity_samples": 5 if q else 20,
        "overhead_samples": 10 if q else 30,
        "sizes": [1000, 10000] if q else [1000, 10000, 100000],
        "scale_iterations": 2,
        "startup_runs": 5 if q else 15,
        "pass_runs": 3 if q else 7,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    # bounded work whatever the flags say
    args.fidelity_samples = max(1, min(args.fidelity_samples, 200))
    args.overhead_samples = max(2, min(args.overhead_samples, 500))
    args.scale_iterations = max(1, min(args.scale_iterations, 20))
    args.startup_runs = max(1, min(args.startup_runs, 100))
    args.pass_runs = max(1, min(args.pass_runs, 50))
    args.delays = [d for d in args.delays if 0 <= d <= 5000]
    args.sizes = [n for n in args.sizes if 0 < n <= 200_000]
    args.budget = max(10.0, min(args.budget, 3600.0))
    return args


def _first_line(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "-"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "-"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    info: dict[str, str] = {}
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 0
    info["nproc"] = str(cpus)
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    info["python"] = platform.python_version()
    info["os"] = platform.platform()
    osrel = Path("/etc/os-release")
    if osrel.exists():
        for line in osrel.read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                info["os"] += f" ({line.split('=', 1)[1].strip(chr(34))})"
    info["curl"] = " ".join(_first_line(["curl", "--version"]).split()[:2])
    import jainam_validate

    info["jainam-validate"] = jainam_validate.__version__
    info["package"] = str(Path(jainam_validate.__file__).resolve().parent)
    if not Path(jainam_validate.__file__).resolve().is_relative_to(ROOT):
        info["tree"] = "outside this repository (--src)"
    elif shutil.which("git"):
        head = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
        dirty = _first_line(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "jainam_validate"]
        )
        changed = " + uncommitted changes in jainam_validate/" if dirty != "-" else ""
        info["tree"] = head + changed
    return info


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    chosen = args.only or list(SECTIONS)
    if args.src is not None:
        src = str(args.src.resolve())
        if not (args.src / "jainam_validate" / "__init__.py").is_file():
            print(f"--src {args.src}: no jainam_validate package there", file=sys.stderr)
            return 2
        sys.path.insert(0, src)  # before anything imports jainam_validate
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (src, os.environ.get("PYTHONPATH")) if p
        )
    budget = Budget(args.budget)
    info = machine()
    print("jainam-validate benchmarks")
    for key, value in info.items():
        print(f"  {key:16} {value}")
    print(f"  {'sections':16} {', '.join(chosen)} (budget {args.budget:.0f} s)")
    sys.stdout.flush()

    workdir = Path(tempfile.mkdtemp(prefix="jv-bench-"))
    figures: list[Figure] = []
    failed = False
    plan: dict[str, Callable[[], list[Figure]]] = {
        "fidelity": lambda: fidelity.run(
            args.delays, args.fidelity_samples, workdir=workdir, budget=budget
        ),
        "overhead": lambda: overhead.run(args.overhead_samples, workdir=workdir, budget=budget),
        "scale": lambda: scale.run(
            args.sizes, args.scale_iterations, args.scale_cap, workdir=workdir, budget=budget
        ),
        "startup": lambda: startup.run_startup(args.startup_runs, workdir=workdir, budget=budget),
        "pass": lambda: startup.run_pass(args.pass_runs, workdir=workdir, budget=budget),
        "regex": lambda: regex_linear.run(
            workdir=workdir, budget=budget, only=("rules",) if args.quick else ("rules", "entries")
        ),
    }
    timings: dict[str, float] = {}
    try:
        for name in SECTIONS:
            if name not in chosen:
                continue
            started = time.monotonic()
            try:
                figures += plan[name]()
            except (BudgetExceeded, RuntimeError, OSError, subprocess.SubprocessError) as exc:
                failed = True
                figures.append(skipped(name, f"{type(exc).__name__}: {exc}"))
                print(f"\n{name}: not measured: {exc}", file=sys.stderr)
            timings[name] = time.monotonic() - started
    finally:
        if args.keep:
            print(f"\nwork directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    rows = [[f.section, f.name, f.target, f.measured, f.verdict] for f in figures]
    spent = ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    print_table(
        ["section", "figure", "target", "measured", "result"],
        rows,
        title=f"summary ({budget.elapsed():.0f} s: {spent})",
    )
    missed = [f for f in figures if f.met is False]
    print(f"\n{len(missed)} of {sum(f.met is not None for f in figures)} targets missed")
    if args.markdown:
        print("\n| section | figure | target | measured | result |\n|---|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    if args.json is not None:
        data = {
            "machine": info,
            "seconds": round(budget.elapsed(), 1),
            "figures": [
                {
                    "section": f.section,
                    "figure": f.name,
                    "target": f.target,
                    "measured": f.measured,
                    "met": f.met,
                    "value": f.value,
                }
                for f in figures
            ],
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0
