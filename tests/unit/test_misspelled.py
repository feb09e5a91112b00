"""A JAINAM_ name we do not read is named, with the closest one we do, and never its value;
every missing credential is named at once."""

from __future__ import annotations

import pytest

from jainam_validate import errors
from jainam_validate.credentials import CREDENTIAL_NAMES
from jainam_validate.settings import Layers, Settings, misspelled


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("JAINAM_MARKET_API_SECERT", "JAINAM_MARKET_API_SECRET"),
        ("JAINAM_CLIENTID", "JAINAM_CLIENT_ID"),
        ("JAINAM_MARKET_DATA_PREFX", "JAINAM_MARKET_DATA_PREFIX"),
        ("jainam_base_url", "JAINAM_BASE_URL"),
        ("Jainam_Interactive_Api_Key", "JAINAM_INTERACTIVE_API_KEY"),
        ("JAINAM_EVIDENCE_DIRECTORY", "JAINAM_EVIDENCE_DIR"),
    ],
)
def test_a_near_miss_is_named_with_the_name_meant(name: str, meant: str) -> None:
    for environ, dotenv, where in (({name: "s3cr3t-value"}, {}, "the environment"),
                                   ({}, {name: "s3cr3t-value"}, ".env")):  # fmt: skip
        (line,) = misspelled(environ, dotenv)
        assert line.startswith(f"warning: {name} in {where} ")
        assert line.endswith(f"did you mean {meant}?")
        assert "s3cr3t-value" not in line


def test_what_is_ours_or_not_ours_is_left_alone() -> None:
    known = dict.fromkeys(CREDENTIAL_NAMES, "x") | {"JAINAM_BASE_URL": "x"}
    assert misspelled(known | {"PATH": "/bin", "JAINAMX": "1", "MY_JAINAM_KEY": "k"}, {}) == []


def test_a_name_far_from_every_known_one_points_at_the_list() -> None:
    (line,) = misspelled({}, {"JAINAM_QWERTY": "v"})
    assert line.endswith(".env.example lists every name")


def test_a_name_with_control_characters_is_shown_harmlessly() -> None:
    (line,) = misspelled({"JAINAM_BASE_URL\x1b[2J": "v"}, {})
    assert "\x1b" not in line


def test_every_missing_credential_is_named_at_once() -> None:
    present = {CREDENTIAL_NAMES[0]: "a", CREDENTIAL_NAMES[2]: "b"}
    layers = Layers(present, {}, None)
    settings = Settings.resolve(layers)
    with pytest.raises(errors.MissingCredential) as caught:
        settings.with_credentials(layers)
    message = str(caught.value)
    assert CREDENTIAL_NAMES[1] in message and CREDENTIAL_NAMES[3] in message
    assert " and " in message and "are not set: put them" in message
    assert CREDENTIAL_NAMES[0] not in message
