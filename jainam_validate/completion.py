"""Shell completion, loaded only when asked for: ``--show-completion [SHELL]`` prints the
script for bash, zsh, fish or PowerShell, ``--install-completion [SHELL]`` adds it to the
shell's start-up file, and a completion request from the shell (the ``_JAINAM_VALIDATE_COMPLETE``
variable its script sets) is answered by Typer's completion classes. ``--help`` and a pass only
check the command line (``requested``) and one variable (``prepare``); the flags take the shell
name as an optional value, which Typer's own completion options cannot.
"""

from __future__ import annotations

import os
import sys

PROG = "jainam-validate"
#: What the shell scripts set when they ask for completions (Typer's naming).
COMPLETE_VAR = "_JAINAM_VALIDATE_COMPLETE"
SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
FLAGS = ("--show-completion", "--install-completion")


def requested(argv: list[str]) -> bool:
    """Whether this command line is a completion flag, alone or with a shell name."""
    return bool(argv) and argv[0] in FLAGS and len(argv) <= 2


def prepare() -> None:
    """When the shell is asking for completions, register Typer's completion classes (its
    scripts speak their protocol); otherwise do nothing, at no cost."""
    if os.environ.get(COMPLETE_VAR):
        from typer._completion_classes import completion_init

        completion_init()


def answer(flag: str, shell: str | None) -> int:
    """Print or install the completion script for ``shell`` (detected when None); the exit code."""
    # Typer keeps these outside its public names; test_completion holds them to it.
    from typer._completion_classes import completion_init
    from typer._completion_shared import get_completion_script, install

    completion_init()
    if shell is None:
        shell = _detected()
        if shell is None:
            sys.stderr.write(
                f"error: cannot tell which shell this is; name it: {flag} {{{'|'.join(SHELLS)}}}\n"
            )
            return 2
    if shell not in SHELLS:
        sys.stderr.write(
            f"error: {shell!r} is not a shell we complete; use one of {', '.join(SHELLS)}\n"
        )
        return 2
    if flag == "--show-completion":
        script = get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)
        sys.stdout.write(script + "\n")
        return 0
    shell, path = install(shell=shell, prog_name=PROG, complete_var=COMPLETE_VAR)
    sys.stderr.write(f"{shell} completion installed in {path}; it takes effect in a new shell\n")
    return 0


def _detected() -> str | None:
    import shellingham  # Typer's own dependency, for this very purpose

    try:
        name, _ = shellingham.detect_shell()
    except shellingham.ShellDetectionFailure:
        return None
    return str(name).lower()
