from __future__ import annotations

import io
import tomllib
from pathlib import Path
from typing import Any

import pytest

from jainam_validate import errors
from jainam_validate.policy import (
    DEFAULT_THRESHOLDS_MS,
    Policy,
    parse_threshold,
    read_policy_file,
    resolve_policy,
)


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
        # no policy anywhere in it: never read as "no policy" in silence
        "",
        "[project]\nname = 'app'\n[tool.ruff]\nline-length = 100\n",
        "[thresholds_typo]\npositions = 3000\n",
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


# -- every error is one line that says what to do -----------------------------------------------
FLOWS = (
    "login_interactive, login_market, positions, holdings, tradebook, quotes, "
    "app_positions, app_holdings, app_tradebook"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("positions=3000", ("positions", 3000.0)),
        (" quotes = 800 ", ("quotes", 800.0)),
        ("login_market=0.5", ("login_market", 0.5)),  # any positive number, under 1 ms too
        ("holdings=1e3", ("holdings", 1000.0)),
    ],
)
def test_parse_threshold(text: str, expected: tuple[str, float]) -> None:
    assert parse_threshold(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("positions", "--threshold 'positions': write FLOW=MS, e.g. positions=3000"),
        ("orders=100", f"--threshold orders=100: unknown flow 'orders'; use one of {FLOWS}"),
        ("=100", f"--threshold =100: unknown flow ''; use one of {FLOWS}"),
        ("positions=", "--threshold positions=: positions needs a number of milliseconds"),
        ("positions=abc", "--threshold positions=abc: positions needs a number of milliseconds"),
        # the first "=" splits: the rest is the value
        ("positions=1=2", "--threshold positions=1=2: positions needs a number of milliseconds"),
        ("positions=0", "--threshold positions=0: positions threshold must be a positive number "
                        "of ms"),
        ("positions=-1", "--threshold positions=-1: positions threshold must be a positive number "
                         "of ms"),
        ("quotes=nan", "--threshold quotes=nan: quotes threshold must be a positive number of ms"),
        ("quotes=inf", "--threshold quotes=inf: quotes threshold must be a positive number of ms"),
        ("quotes=INF", "--threshold quotes=INF: quotes threshold must be a positive number of ms"),
    ],
)  # fmt: skip
def test_bad_threshold_messages(text: str, message: str) -> None:
    with pytest.raises(errors.UsageError) as caught:
        parse_threshold(text)
    assert str(caught.value) == message


def policy_from(tmp_path: Path, content: str | bytes, **flags: Any) -> Policy:
    path = tmp_path / "policy.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    options: dict[str, Any] = {"thresholds": [], "iterations": None, "warmup": None, **flags}
    return resolve_policy(policy_file=path, **options)


TABLE = "[tool.jainam-validate]\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[tool]\njainam-validate = 5\n", "[tool.jainam-validate] must be a table"),
        (f"{TABLE}surprise = 1\nalso = 2\n", "unknown keys also, surprise"),
        (f"{TABLE}thresholds = 5\n", "thresholds must be a table of FLOW = MS"),
        (f"{TABLE}[tool.jainam-validate.thresholds]\nlogin = 10\n",
         f"unknown flow 'login'; use one of {FLOWS}"),
        ("[thresholds]\norders = 10\n", f"unknown flow 'orders'; use one of {FLOWS}"),
        ("[thresholds]\npositions = 'fast'\n", "positions needs a number of milliseconds"),
        ("[thresholds]\npositions = [3000]\n", "positions needs a number of milliseconds"),
        ("[thresholds]\npositions = 0\n", "positions threshold must be a positive number of ms"),
        (f"{TABLE}iterations = 0\n", "iterations must be a whole number >= 1"),
        (f"{TABLE}iterations = 2.5\n", "iterations must be a whole number >= 1"),
        (f"{TABLE}iterations = 3.0\n", "iterations must be a whole number >= 1"),
        (f"{TABLE}iterations = true\n", "iterations must be a whole number >= 1"),
        (f"{TABLE}iterations = '3'\n", "iterations must be a whole number >= 1"),
        (f"{TABLE}iterations = 3\nwarmup = -1\n", "warmup must be a whole number >= 0"),
        (f"{TABLE}iterations = 3\nwarmup = 1.0\n", "warmup must be a whole number >= 0"),
        (f"{TABLE}iterations = 3\nwarmup = false\n", "warmup must be a whole number >= 0"),
        ("iterations = 0\n", "iterations must be a whole number >= 1"),  # top-level keys too
    ],
)  # fmt: skip
def test_bad_policy_file_messages_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(errors.UsageError) as caught:
        policy_from(tmp_path, content)
    assert str(caught.value) == f"policy file {tmp_path / 'policy.toml'}: {message}"


def test_unreadable_policy_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(errors.UsageError) as caught:
        resolve_policy(policy_file=missing, thresholds=[], iterations=None, warmup=None)
    assert str(caught.value) == f"cannot read policy file {missing}: No such file or directory"
    path = tmp_path / "policy.toml"
    for content in (b"not = [valid", b"iterations = 3\n\xff\n"):
        try:
            tomllib.loads(content.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            why = str(exc)
        with pytest.raises(errors.UsageError) as caught:
            policy_from(tmp_path, content)
        assert str(caught.value) == f"policy file {path} is not valid TOML: {why}"


def test_a_policy_file_is_utf_8_whatever_the_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a machine whose locale encoding is ASCII: only an explicit encoding reads the file
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "ascii")
    content = "# p95 \N{LESS-THAN OR EQUAL TO} 3 s \N{EM DASH} agreed\n[thresholds]\nquotes = 800\n"
    assert policy_from(tmp_path, content).thresholds_ms["quotes"] == 800.0


def test_warmup_message_names_both_counts(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError) as caught:
        policy_from(tmp_path, f"{TABLE}iterations = 2\nwarmup = 2\n")
    assert str(caught.value) == "--warmup 2 leaves no sample out of --iterations 2"
    with pytest.raises(errors.UsageError) as caught:
        resolve_policy(policy_file=None, thresholds=[], iterations=3, warmup=5)
    assert str(caught.value) == "--warmup 5 leaves no sample out of --iterations 3"


# -- what a policy file may leave out -----------------------------------------------------------
DEFAULTS = {"holdings": 5000.0, "positions": 5000.0, "tradebook": 5000.0}


@pytest.mark.parametrize(
    ("content", "thresholds", "counts"),
    [
        (TABLE, DEFAULTS, (1, 0)),
        (f"{TABLE}iterations = 4\n", DEFAULTS, (4, 0)),
        (f"{TABLE}iterations = 1\nwarmup = 0\n", DEFAULTS, (1, 0)),
        (f"{TABLE}iterations = 3\nwarmup = 1\n", DEFAULTS, (3, 1)),
        ("[tool.jainam-validate.thresholds]\nquotes = 800\n", {**DEFAULTS, "quotes": 800.0},
         (1, 0)),
        # a file whose top level holds the keys
        ("iterations = 3\nwarmup = 1\n[thresholds]\npositions = 3000\n",
         {**DEFAULTS, "positions": 3000.0}, (3, 1)),
        ("[tool.other]\nx = 1\n[thresholds]\nlogin_market = 900.5\n",
         {**DEFAULTS, "login_market": 900.5}, (1, 0)),
    ],
)  # fmt: skip
def test_policy_file_defaults(
    tmp_path: Path, content: str, thresholds: dict[str, float], counts: tuple[int, int]
) -> None:
    policy = policy_from(tmp_path, content)
    assert policy.thresholds_ms == thresholds
    assert list(policy.thresholds_ms) == sorted(thresholds)
    assert (policy.iterations, policy.warmup) == counts


def test_flags_win_over_every_key_of_the_file(tmp_path: Path) -> None:
    content = (
        f"{TABLE}iterations = 10\nwarmup = 2\n[tool.jainam-validate.thresholds]\nquotes = 800\n"
    )
    policy = policy_from(
        tmp_path, content, thresholds=["quotes=300", "quotes=200", "login_interactive=900"],
        iterations=2, warmup=0,
    )  # fmt: skip
    assert policy == Policy(
        thresholds_ms={**DEFAULTS, "login_interactive": 900.0, "quotes": 200.0},
        iterations=2,
        warmup=0,
    )
    assert list(policy.thresholds_ms) == [
        "holdings", "login_interactive", "positions", "quotes", "tradebook",
    ]  # fmt: skip


def test_a_tool_key_that_is_not_a_table_is_a_usage_error(tmp_path: Path) -> None:
    # once a crash (internal error, exit 1): every bad policy file is a usage error before a call
    path = tmp_path / "policy.toml"
    path.write_text("tool = 1\n")
    with pytest.raises(errors.UsageError, match=r"'tool' must be a table"):
        read_policy_file(path)


def test_a_file_without_our_table_says_what_it_holds_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'app'\n[tool.ruff]\nline-length = 100\n")
    with pytest.raises(errors.UsageError) as caught:
        resolve_policy(policy_file=path, thresholds=[], iterations=None, warmup=None)
    message = str(caught.value)
    assert "has no [tool.jainam-validate] table (it holds project, tool)" in message
    assert "add one with thresholds, iterations or warmup" in message
