from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

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


def test_a_missing_credential_says_where_to_put_it() -> None:
    error = errors.MissingCredential.for_variable("JAINAM_INTERACTIVE_API_KEY")
    assert str(error) == (
        "JAINAM_INTERACTIVE_API_KEY is not set: put it in the environment or .env, or run "
        "`jainam-validate store-creds`; or use --sim to run against the built-in simulator"
    )
    assert error.exit_code is ExitCode.USAGE


def test_a_leak_names_the_artifact_rule_and_offset_never_the_value() -> None:
    leak = errors.LeakDetected.at("timings.jsonl", "known:token", 1234)
    assert str(leak) == (
        "leak guard: timings.jsonl was not written: rule 'known:token' matched at offset 1234; "
        "the run stopped (report this as a redaction bug)"
    )
    assert leak.artifact == "timings.jsonl" and leak.exit_code is ExitCode.LEAK


INTERNAL_TAIL = (
    "; details are not shown because they could hold broker data; please report it with this line"
)


def test_an_internal_error_without_a_traceback_names_only_the_type() -> None:
    original = ValueError("client JT777001 said no")  # never raised: no frames
    error = errors.InternalError.from_exception(original)
    assert str(error) == "internal error: ValueError" + INTERNAL_TAIL
    assert error.original is original and error.exit_code is ExitCode.CHECKS_FAILED


def _outer() -> None:
    _inner()


def _inner() -> None:
    line = sys._getframe().f_lineno + 1
    raise KeyError(f"JT777001 at {line}")


def test_an_internal_error_names_the_innermost_frame_where_it_was_raised() -> None:
    with pytest.raises(KeyError) as caught:
        _outer()
    raised_at = int(str(caught.value.args[0]).rsplit(" ", 1)[1])
    error = errors.InternalError.from_exception(caught.value)
    assert str(error) == f"internal error: KeyError in test_errors.py:{raised_at}" + INTERNAL_TAIL
    assert "JT777001" not in str(error)
