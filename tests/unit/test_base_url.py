"""JAINAM_BASE_URL has one gate, ``validate_base_url``: whatever it accepts httpx can use, and
whatever it rejects is a one-line ConfigError (exit 2) naming the variable and the expected
form, never an "internal error" from deep inside httpx, and never an echo of a credential."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jainam_validate import errors
from jainam_validate.client import XtsClient
from jainam_validate.credentials import KeyringStore
from jainam_validate.settings import BASE_URL_EXAMPLE, Layers, Settings, validate_base_url
from jainam_validate.xts import LOGIN_INTERACTIVE

ACCEPTED: list[tuple[str, str]] = [
    ("https://smpb.jainam.in:4143", "https://smpb.jainam.in:4143"),
    ("https://smpb.jainam.in:4143/", "https://smpb.jainam.in:4143"),
    ("HTTPS://smpb.jainam.in:4143", "https://smpb.jainam.in:4143"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://localhost", "http://localhost"),
    ("https://h:1", "https://h:1"),
    ("https://h:65535", "https://h:65535"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("http://[::1]/", "http://[::1]"),
    ("https://jtrade.example.", "https://jtrade.example."),
    ("https://my_host.internal:5000", "https://my_host.internal:5000"),
    ("https://bücher.example", "https://bücher.example"),
    ("  https://smpb.jainam.in:4143  ", "https://smpb.jainam.in:4143"),  # as Layers.plain
]

#: (value, a fragment of the message that says what is wrong)
REJECTED: list[tuple[str, str]] = [
    ("smpb.jainam.in:4143", "must start with https://"),
    ("ftp://smpb.jainam.in", "must start with https://"),
    ("https:/smpb.jainam.in", "must start with https://"),
    ("https://", "has no host"),
    ("https://:4143", "has no host"),
    ("https://host:4143a", "port that is not a number"),
    ("https://host:-1", "port that is not a number"),
    ("https://host:1:2", "port that is not a number"),
    ("https://host:", "no port number after it"),
    ("http://127.0.0.1:0", "outside 1-65535"),
    ("https://host:65536", "outside 1-65535"),
    ("https://smpb .jainam.in", "space or control character"),
    ("https://smpb.jainam.in :4143", "space or control character"),
    ("https://smpb\tjainam.in", "space or control character"),
    ("https://smpb.jainam.in\x00", "space or control character"),
    ("https://smpb\u200bjainam.in", "space or control character"),
    ("https://user:pass@smpb.jainam.in:4143", "user or password"),
    ("https://h:4143?x=1", "query"),
    ("https://h:4143#top", "fragment"),
    ("https://h:4143?", "query"),
    ("https://h:4143/x", "without a path"),
    ("https://h:4143//", "without a path"),
    ("https://h:4143/interactive", "drop the path (/interactive"),
    ("https://h/interactive/user/session", "drop the path (/interactive"),
    ("https://h/apibinarymarketdata/", "drop the path (/apibinarymarketdata"),
    ("https://h/apimarketdata", "drop the path (/apimarketdata"),
    ("https://h;x", "malformed host name"),
    ("https://h\\x", "malformed host name"),
    ("https://h%41", "malformed host name"),
    ("https://h..x", "malformed host name"),
    ("http://[::1", "cannot be parsed"),
    ("http://[zz]:80", "cannot be parsed"),
    ("http://[::1]x", "after the ]"),
    ("https://999.1.1.1", "cannot be used (InvalidURL)"),
    ("https://xn--zz", "cannot be used (IDNAError)"),
]


@pytest.mark.parametrize(("url", "root"), ACCEPTED)
def test_accepted_urls_are_normalised_and_usable_by_httpx(url: str, root: str) -> None:
    assert validate_base_url(url) == root

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"type": "success"})

    with XtsClient(root, transport=httpx.MockTransport(handler)) as client:
        raw = client.exchange("login_interactive", "POST", LOGIN_INTERACTIVE, json_body={})
    assert raw.status == 200 and raw.error_class is None


@pytest.mark.parametrize(("url", "problem"), REJECTED)
def test_rejected_urls_name_the_variable_the_problem_and_the_form(url: str, problem: str) -> None:
    with pytest.raises(errors.ConfigError) as caught:
        validate_base_url(url)
    message = str(caught.value)
    assert message.startswith("JAINAM_BASE_URL ") and problem in message
    assert caught.value.exit_code == errors.ExitCode.USAGE
    assert "\n" not in message
    # the expected form: the example, or the root to use instead of a URL with a path
    assert BASE_URL_EXAMPLE in message or "set it to http" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://jdoe:Hunter2pw@smpb.jainam.in:4143",
        "https://jdoe:Hunter2pw@smpb.jainam.in:4143/interactive",
        "https://jdoe:Hunter2pw@smpb .jainam.in",
        "https://jdoe:Hunter2pw",  # no @: parses as host "jdoe", port "Hunter2pw"
        "https://smpb.jainam.in:Hunter2pw",
    ],
)
def test_messages_never_echo_credentials(url: str) -> None:
    with pytest.raises(errors.ConfigError) as caught:
        validate_base_url(url)
    assert "Hunter2pw" not in str(caught.value) and "jdoe" not in str(caught.value)


def layers(env: dict[str, str], dotenv: dict[str, str] | None = None) -> Layers:
    return Layers(env, dotenv or {}, KeyringStore(object()))


@pytest.mark.parametrize(
    "url", ["https://host:4143a", "https://host:0", "https://h/x", "https://h ost", "https://[::1"]
)
def test_the_cli_path_stops_a_bad_url_before_httpx(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every broker command resolves Settings before it builds a client: a bad URL, from the
    environment or from .env, ends there as exit 2 and httpx never sees it."""

    def no_client(*args: object, **kwargs: object) -> None:
        raise AssertionError("an httpx client was built with a URL the gate should refuse")

    monkeypatch.setattr(httpx.Client, "__init__", no_client)
    for lay in (layers({"JAINAM_BASE_URL": url}), layers({}, {"JAINAM_BASE_URL": url})):
        with pytest.raises(errors.ConfigError, match="JAINAM_BASE_URL") as caught:
            Settings.resolve(lay)
        assert caught.value.exit_code == errors.ExitCode.USAGE


_URLISH = st.text(alphabet="hH:/@?#[]%.-_ 0123456789\t\x00ü", max_size=24)


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "", "https:/"]),
    rest=_URLISH,
)
def test_whatever_the_gate_accepts_httpx_can_send(scheme: str, rest: str) -> None:
    """By construction, not by a list: any value either fails as ConfigError or gives a root
    that httpx turns into a request without complaint."""
    try:
        root = validate_base_url(scheme + rest)
    except errors.ConfigError as exc:
        assert str(exc).startswith("JAINAM_BASE_URL ")
        return
    request = httpx.Request("POST", root + LOGIN_INTERACTIVE)
    assert request.url.host and request.url.path == LOGIN_INTERACTIVE
    assert not root.endswith("/")
