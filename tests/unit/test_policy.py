from __future__ import annotations

from pathlib import Path

import pytest

from jainam_validate import errors
from jainam_validate.policy import DEFAULT_THRESHOLDS_MS, parse_threshold, resolve_policy


def test_defaults_gate_the_three_books_at_5000_ms() -> None:
    policy = resolve_policy(policy_file=None, thresholds=[], iterations=None, warmup=None)
    assert policy.thresholds_ms == {"holdings": 5000.0, "positions": 5000.0, "tradebook": 5000.0}
    assert (policy.iterations, policy.warmup) == (1, 0)
    assert dict(DEFAULT_THRESHOLDS_MS) == policy.thresholds_ms


@pytest.mark.parametrize(
    "text",
    [
        "positions",
        "positions=",
        "positions=-1",
        "positions=abc",
        "orders=100",
        "positions=nan",
        "positions=inf",
    ],
)
def test_bad_thresholds_are_usage_errors(text: str) -> None:
    with pytest.raises(errors.UsageError):
        parse_threshold(text)


def test_flags_override_the_policy_file_which_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        "[tool.jainam-validate]\niterations = 10\nwarmup = 2\n"
        "[tool.jainam-validate.thresholds]\npositions = 3000\nquotes = 800\n"
    )
    policy = resolve_policy(
        policy_file=path, thresholds=["positions=2500"], iterations=None, warmup=None
    )
    assert policy.thresholds_ms["positions"] == 2500.0
    assert policy.thresholds_ms["quotes"] == 800.0
    assert policy.thresholds_ms["holdings"] == 5000.0
    assert (policy.iterations, policy.warmup) == (10, 2)
    assert resolve_policy(policy_file=path, thresholds=[], iterations=3, warmup=0).iterations == 3


@pytest.mark.parametrize(
    "content",
    [
        "not = [valid",
        "[tool.jainam-validate]\nthresholds = 5\n",
        "[tool.jainam-validate]\niterations = 0\n",
        "[tool.jainam-validate]\nsurprise = 1\n",
        "[tool.jainam-validate.thresholds]\nlogin = 10\n",
    ],
)
def test_bad_policy_files_are_usage_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(content)
    with pytest.raises(errors.UsageError):
        resolve_policy(policy_file=path, thresholds=[], iterations=None, warmup=None)


def test_warmup_must_leave_samples() -> None:
    with pytest.raises(errors.UsageError, match="warmup"):
        resolve_policy(policy_file=None, thresholds=[], iterations=2, warmup=2)
