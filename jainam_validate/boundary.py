"""Where the command line meets the core: the one place core errors become exit codes and a
single line on stderr (:func:`boundary`, no traceback, no locals), the hidden ``--traceback``
switch for the person debugging, and the flags of a command line as the evidence records them
(:func:`invocation`). Every command module uses these; none translates errors itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from typer.exceptions import TyperException

from jainam_validate.terminal import Io, fail


@dataclass
class Debug:
    traceback: bool = False


#: Hidden ``--traceback``: a bug shows its real traceback instead of "internal error: type in
#: file:line" (which is all anyone else ever sees, since a message could quote broker data).
DEBUG = Debug()


def invocation(ctx: typer.Context) -> dict[str, Any]:
    """The command and the flags given on its command line, for the evidence. Secrets are
    never command-line arguments, so names and values are safe to record (and leak-guarded
    with the rest of run.json all the same)."""
    flags: dict[str, Any] = {}
    for param in ctx.command.params:
        name = param.name or ""
        source = ctx.get_parameter_source(name)
        # by name: typer vendors click, and its ParameterSource is not public API
        if param.param_type_name == "argument" or getattr(source, "name", "") != "COMMANDLINE":
            continue
        value = ctx.params.get(name)
        flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        if name == "sign_key":
            flags[flag] = True  # that a key signed, never where it lives (a home folder)
            continue
        if isinstance(value, list | tuple):
            flags[flag] = [str(getattr(v, "value", v)) for v in value]
        elif isinstance(value, bool):
            flags[flag] = value
        else:
            flags[flag] = str(getattr(value, "value", value))
    return {"flags": flags}


@contextmanager
def boundary(io: Io) -> Iterator[None]:
    """The one place core errors become exit codes and a single line on stderr."""
    from jainam_validate import errors

    try:
        yield
    except errors.JainamError as exc:
        if DEBUG.traceback and isinstance(exc, errors.InternalError) and exc.original:
            raise exc.original from None  # --traceback: the bug itself, for the person asking
        fail(io, str(exc), int(exc.exit_code), run_dir=exc.run_dir)
    except KeyboardInterrupt as stop:
        fail(
            io,
            "interrupted; what was written so far stays valid",
            int(errors.ExitCode.INTERRUPTED),
            run_dir=getattr(stop, "run_dir", None),
        )
    except (typer.Exit, typer.Abort, TyperException):
        raise  # Typer's own exits and usage errors
    except Exception as exc:  # never a traceback: its text could quote broker data
        if DEBUG.traceback:
            raise  # --traceback: the person at the keyboard asked to see the bug itself
        failure = errors.InternalError.from_exception(exc)
        fail(io, str(failure), int(failure.exit_code))
