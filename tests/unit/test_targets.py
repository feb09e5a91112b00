"""Broker options once: every broker command takes every BrokerOptions field, with its default."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import typer

from jainam_validate import errors
from jainam_validate.cli import app
from jainam_validate.targets import DEFAULTS, BrokerOptions, check_record_folder


def command(name: str) -> typer.models.CommandInfo:
    (found,) = [c for c in app.registered_commands if (c.name or c.callback.__name__) == name]  # type: ignore[union-attr]
    return found


@pytest.mark.parametrize("name", ["login", "fetch", "run"])
def test_each_broker_command_takes_every_option_with_its_default(name: str) -> None:
    import inspect

    callback = command(name).callback
    assert callback is not None
    parameters = inspect.signature(callback).parameters
    for field in fields(BrokerOptions):
        assert field.name in parameters, f"{name} lacks --{field.name}"
        assert parameters[field.name].default == getattr(DEFAULTS, field.name), field.name


def test_options_are_taken_by_name_from_parsed_parameters() -> None:
    options = BrokerOptions.from_params({"retries": 0, "sim": True, "label": "not a field"})
    assert options.retries == 0 and options.sim and options.rate == DEFAULTS.rate
    base = options.pass_options("run")
    assert base.resilience.retry.retries == 0 and not base.reuse_session


def test_a_record_folder_that_is_not_a_cassette_is_refused(tmp_path: object) -> None:
    from pathlib import Path

    from jainam_validate import errors

    folder = Path(str(tmp_path)) / "notes"
    folder.mkdir()
    (folder / "mine.txt").write_text("x")
    with pytest.raises(errors.UsageError, match="not a cassette"):
        check_record_folder(folder)
    assert check_record_folder(Path(str(tmp_path)) / "new") is not None


def test_recording_over_a_cassette_needs_force(tmp_path: Path) -> None:
    """A recorded cassette is a fixture someone relies on: re-recording into its folder is
    refused unless --force says to replace it (a new or empty folder needs nothing)."""
    from jainam_validate.cassette import INDEX

    folder = Path(str(tmp_path)) / "cassette"
    folder.mkdir()
    (folder / INDEX).write_text("{}")
    with pytest.raises(errors.UsageError, match="holds a cassette already; add --force"):
        check_record_folder(folder)
    assert check_record_folder(folder, force=True) == folder
    empty = Path(str(tmp_path)) / "empty"
    empty.mkdir()
    assert check_record_folder(empty) == empty


def test_force_reaches_the_check_from_the_flags(tmp_path: Path) -> None:
    from jainam_validate.cassette import INDEX

    folder = Path(str(tmp_path)) / "cassette"
    folder.mkdir()
    (folder / INDEX).write_text("{}")
    with pytest.raises(errors.UsageError):
        BrokerOptions(record=folder).pass_options("run")
    assert BrokerOptions(record=folder, force=True).pass_options("run").record == folder
