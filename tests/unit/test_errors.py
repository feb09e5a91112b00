from __future__ import annotations

import re
from pathlib import Path

from jainam_validate import errors
from jainam_validate.errors import ExitCode, worst_exit


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out


def test_every_error_class_is_drawn_in_the_tree_with_its_exit_code() -> None:
    doc = errors.__doc__ or ""
    for cls in _subclasses(errors.JainamError):
        match = re.search(rf"{cls.__name__} \((\d+)\)", doc)
        assert match, f"{cls.__name__} missing from the errors.py tree"
        assert int(match.group(1)) == cls.exit_code


def test_every_exit_code_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \|", readme, re.MULTILINE), f"exit {int(code)}"


def test_precedence_is_contract_order() -> None:
    assert worst_exit([ExitCode.CHECKS_FAILED, ExitCode.AUTH]) is ExitCode.AUTH
    assert worst_exit([ExitCode.UNREACHABLE, ExitCode.USAGE]) is ExitCode.USAGE
    assert (
        worst_exit([ExitCode.CHECKS_FAILED, ExitCode.LEAK, ExitCode.INTERRUPTED])
        is ExitCode.INTERRUPTED
    )
    assert worst_exit([]) is ExitCode.OK
