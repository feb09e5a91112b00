"""Help that teaches (issue 14 item 5): every command's ``--help`` names its values readably,
ends with examples that really parse, fits 80 columns, and ``simulate --help`` lists exactly the
fault kinds and flows the simulator knows. Completion scripts come from the flags without
costing ``--help`` its start-up (the launcher answers them; ``bench/startup.py`` measures)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from jainam_validate import completion
from jainam_validate.cli import app
from jainam_validate.options import EXAMPLES
from jainam_validate.simulator import FAULT_KINDS, FLOWS

COMMANDS = sorted(EXAMPLES)
# Typer's machine-looking placeholders: <int range>, <list[str]>, <path>, {flow}, <bool>
UNREADABLE = re.compile(r"<[a-z][\w\[\]| ,.]*>|\{[a-z_]+\}")


def help_of(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_has_examples_and_they_are_all_registered() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    assert set(EXAMPLES) == set(group.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_every_value_readably_and_fits_80_columns(command: str) -> None:
    text = help_of(command)
    assert not UNREADABLE.findall(text), UNREADABLE.findall(text)
    assert all(len(line) <= 80 for line in text.splitlines()), [
        line for line in text.splitlines() if len(line) > 80
    ]
    assert "…" not in text


@pytest.mark.parametrize("command", COMMANDS)
def test_help_ends_with_examples_that_parse(command: str) -> None:
    text = help_of(command)
    tail = text[text.index("Examples:") :]
    shown = [line.strip() for line in tail.splitlines() if line.strip().startswith("jainam-")]
    assert len(shown) >= 2
    assert shown == [f"jainam-validate {line}" for _, line in EXAMPLES[command]]
    group = typer.main.get_command(app)
    for line in shown:
        name, *args = shlex.split(line)[1:]
        assert name == command
        # make_context parses and validates every flag and value, and runs nothing
        group.commands[name].make_context(name, list(args), parent=None)


def test_an_example_that_would_not_parse_is_caught() -> None:
    # the check above is not vacuous: a misspelled flag fails make_context
    group = typer.main.get_command(app)
    with pytest.raises(Exception, match="--iteratons"):
        group.commands["run"].make_context("run", ["--iteratons", "2"], parent=None)


def test_the_root_help_offers_completion() -> None:
    text = help_of()
    assert "--show-completion [SHELL]" in text
    assert "--install-completion [SHELL]" in text


def test_simulate_help_lists_every_fault_kind_and_flow_it_accepts() -> None:
    text = " ".join(help_of("simulate").split())
    listed = set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*\b", text))
    assert set(FAULT_KINDS) <= listed, set(FAULT_KINDS) - listed
    assert set(FLOWS) <= listed, set(FLOWS) - listed
    for word in (
        "investor",
        "dealer",
        "clientID=*****",
        "--md-prefix",
        "JAINAM_MARKET_DATA_PREFIX",
    ):
        assert word in text
    # and nothing that looks like a fault kind that the simulator does not know
    fault_text = text[text.index("KIND, transport") : text.index("--delay")]
    named = set(re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b[a-z]+\d{3}\b", fault_text))
    assert named <= set(FAULT_KINDS) | set(FLOWS), named - set(FAULT_KINDS) - set(FLOWS)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "jainam_validate", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_show_completion_prints_a_script_that_asks_us(shell: str) -> None:
    done = _cli("--show-completion", shell)
    assert done.returncode == 0, done.stderr
    assert completion.COMPLETE_VAR in done.stdout
    assert "jainam-validate" in done.stdout


def test_show_completion_without_a_shell_detects_or_says_how_to_name_it() -> None:
    done = _cli("--show-completion")
    if done.returncode == 0:  # shellingham found the shell this test runs under
        assert completion.COMPLETE_VAR in done.stdout
    else:
        assert done.returncode == 2
        assert "--show-completion {bash|zsh|fish|powershell|pwsh}" in done.stderr


def test_an_unknown_shell_is_a_usage_error_naming_the_known_ones() -> None:
    done = _cli("--show-completion", "tcsh")
    assert done.returncode == 2
    assert "tcsh" in done.stderr and "bash, zsh, fish" in done.stderr
    assert "Traceback" not in done.stderr


def test_install_completion_writes_the_script_where_the_shell_reads_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _cli("--install-completion", "bash", env={"HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "bash completion installed" in done.stderr
    bashrc = (tmp_path / ".bashrc").read_text()
    script = next(tmp_path.glob(".bash_completions/jainam-validate.sh")).read_text()
    assert "jainam-validate.sh" in bashrc and completion.COMPLETE_VAR in script


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("jainam-validate fe", 1, {"fetch"}),
        ("jainam-validate fetch ho", 2, {"holdings"}),
        ("jainam-validate simulate --profile ", 3, {"investor", "dealer"}),
    ],
)
def test_the_shell_gets_completions_from_the_app(
    words: str, cword: int, expected: set[str]
) -> None:
    done = _cli(
        env={
            completion.COMPLETE_VAR: "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(cword),
        }
    )
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == expected


def test_help_registers_no_completion_classes_and_loads_no_simulator() -> None:
    # the start-up budget: --help does only what it shows
    code = (
        "import sys; sys.argv=['jainam-validate','--help']\n"
        "from jainam_validate.launcher import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "from typer._click import shell_completion as s\n"
        "print('zsh' in s._available_shells, 'jainam_validate.simulator' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip().splitlines()[-1] == "False False"
