"""Start-up and a whole pass: wall time of ``jainam-validate --help``, ``run --help`` (the
largest command's help, examples included) and ``--version`` next to
``python -c pass`` (the interpreter's floor), and of ``jainam-validate run --sim`` (a complete
validation pass against the in-process simulator, evidence folder and report included). Each
command gets one untimed warm-up run (page cache), then the timed runs are interleaved
round-robin so a burst of noise on the shared machine hits all of them alike. Wall time is from
``Popen`` to ``os.wait4`` returning. Targets: start-up <= 120 ms median, whole pass <= 1.5 s
median."""

from __future__ import annotations

import os
from pathlib import Path

from bench.common import (
    CLI,
    PYTHON,
    Budget,
    Figure,
    base_env,
    median,
    print_table,
    run_measured,
)

TARGET_STARTUP_MS = 120.0
TARGET_PASS_S = 1.5


def _timed(
    commands: dict[str, list[str | os.PathLike[str]]],
    runs: int,
    *,
    workdir: Path,
    budget: Budget,
    cap_s: float,
) -> dict[str, list[float]]:
    env = base_env(workdir)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(runs + 1):
        for name, cmd in commands.items():
            proc = run_measured(cmd, env=env, timeout=budget.timeout(cap_s), cwd=workdir)
            proc.check(name)
            if i:  # run 0 warms the page cache
                walls[name].append(proc.wall_s * 1000.0)
    return walls


def run_startup(runs: int, *, workdir: Path, budget: Budget) -> list[Figure]:
    commands: dict[str, list[str | os.PathLike[str]]] = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "jainam-validate --version": [CLI, "--version"],
        "jainam-validate --help": [CLI, "--help"],
        "jainam-validate run --help": [CLI, "run", "--help"],
    }
    walls = _timed(commands, runs, workdir=workdir, budget=budget, cap_s=30)
    rows = []
    for name, values in walls.items():
        rows.append(
            [name, str(len(values)), f"{median(values):.0f} ms", f"{min(values):.0f} ms",
             f"{max(values):.0f} ms"]
        )  # fmt: skip
    print_table(["command", "n", "median", "min", "max"], rows, title="start-up (wall time)")
    floor = median(walls["python -c pass"]) or 0.0
    figures = [Figure("startup", "python -c pass (floor)", "-", f"{floor:.0f} ms", None, floor)]
    for name in (
        "jainam-validate --help",
        "jainam-validate run --help",
        "jainam-validate --version",
    ):
        value = median(walls[name]) or 0.0
        figures.append(
            Figure(
                "startup",
                f"{name}: median wall",
                f"<= {TARGET_STARTUP_MS:g} ms",
                f"{value:.0f} ms (floor + {value - floor:.0f} ms)",
                value <= TARGET_STARTUP_MS,
                value,
            )
        )
    return figures


def run_pass(runs: int, *, workdir: Path, budget: Budget) -> list[Figure]:
    evidence = workdir / "evidence-pass"
    cmd: list[str | os.PathLike[str]] = [CLI, "run", "--sim", "--evidence-dir", evidence]
    walls = _timed({"run --sim": cmd}, runs, workdir=workdir, budget=budget, cap_s=60)["run --sim"]
    value = median(walls) or 0.0
    print_table(
        ["command", "n", "median", "min", "max"],
        [
            [
                "run --sim",
                str(len(walls)),
                f"{value:.0f} ms",
                f"{min(walls):.0f} ms",
                f"{max(walls):.0f} ms",
            ]
        ],
        title="whole pass (wall time)",
    )
    return [
        Figure(
            "whole pass",
            "jainam-validate run --sim: median wall",
            f"<= {TARGET_PASS_S:g} s",
            f"{value / 1000:.2f} s",
            value <= TARGET_PASS_S * 1000,
            value,
        )
    ]
