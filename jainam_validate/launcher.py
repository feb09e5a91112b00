"""Process entry point of ``jainam-validate`` and ``python -m jainam_validate``.

It answers ``--version`` without importing the CLI (start-up is a benchmark target), makes
SIGTERM end a pass like Ctrl-C (evidence finished, exit 130), then runs the Typer app.
"""

from __future__ import annotations

import signal
import sys

from jainam_validate import __version__


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(f"jainam-validate {__version__}\n")
        return
    signal.signal(signal.SIGTERM, _terminate)
    from jainam_validate.cli import app

    app()
