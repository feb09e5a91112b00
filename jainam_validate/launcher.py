"""Process entry point of ``jainam-validate`` and ``python -m jainam_validate``.

It answers ``--version`` without importing the CLI (start-up is a benchmark target), and
``--show-completion [SHELL]`` / ``--install-completion [SHELL]`` with the shell name optional
(Typer's parser cannot make an option's value optional), makes SIGTERM end a pass like Ctrl-C
(evidence finished, exit 130), then runs the Typer app.
"""

from __future__ import annotations

import signal
import sys

from jainam_validate import __version__, completion


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(f"jainam-validate {__version__}\n")
        return
    if completion.requested(sys.argv[1:]):
        flag, *shell = sys.argv[1:]
        sys.exit(completion.answer(flag, shell[0] if shell else None))
    completion.prepare()
    signal.signal(signal.SIGTERM, _terminate)
    from jainam_validate.cli import app

    # one program name however it was started (script or ``python -m``): the shell's
    # completion scripts call it by this name and variable
    app(prog_name=completion.PROG, complete_var=completion.COMPLETE_VAR)
