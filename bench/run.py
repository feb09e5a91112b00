"""Run the jainam-validate benchmarks with one command: ``.venv/bin/python bench/run.py`` (or
``make bench``; ``--help`` for the flags, ``--quick`` for a short pass). It prints figures and
one summary table of figure, target, measured and met/missed; it never asserts timings, talks
to 127.0.0.1 only, and stops by itself within its ``--budget``. See BENCHMARKS.md."""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    # run as a script, sys.path[0] is bench/; the suite imports itself as the package `bench`
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from bench.suite import main as suite_main

    return suite_main()


if __name__ == "__main__":
    sys.exit(main())
