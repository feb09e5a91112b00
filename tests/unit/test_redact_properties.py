"""Property-based tests: random payloads with secrets and ids planted anywhere leak nothing.

Each example builds a random nested payload, plants sensitive values under sensitive keys (in
random casing and spelling) at random depths, and plants the same values again inside free
text and URLs elsewhere. After redaction, no output form (JSON text, the scrubbed text, its
URL-encoded form, case-folded) may contain any of them, and the scanner must find nothing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jainam_validate.redact import IDENTIFIER_KINDS, SECRET_KEYS, Redactor
from jainam_validate.scanner import Scanner

EXAMPLES = 1000

ID_KEYS = [
    "AppOrderID",
    "ExchangeOrderID",
    "ExecutionID",
    "ClientID",
    "AccountID",
    "LoginID",
    "userID",
    "OrderUniqueIdentifier",
    "MessageSynchronizeUniqueKey",
    "ClientId",
    "clientCodes",
]
SECRET_KEY_NAMES = ["token", "appKey", "secretKey", "Authorization", "accessToken"]
assert all(k.lower().replace("_", "") in IDENTIFIER_KINDS for k in ID_KEYS)
assert all(k.lower() in SECRET_KEYS for k in SECRET_KEY_NAMES)

# Identifiers: 6-16 chars, letters and digits mixed, so they cannot be ordinary words or numbers
# the payload holds for other reasons.
identifier = st.builds(
    lambda head, digits, tail: head + digits + tail,
    st.text("ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=2, max_size=5),
    st.text("0123456789", min_size=3, max_size=8),
    st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=3),
)
#: The text the mentions below are written in: a secret that is a piece of it (say
#: "CLIENTID%3", a piece of the URL-encoded "clientID=") would be "found" in our own words.
TEMPLATE = "see https://h.example/x?clientID=&n=1 or ()"
TEMPLATE_FORMS = (TEMPLATE.casefold(), quote(TEMPLATE, safe="").casefold())
secret = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters='"\\'),
    min_size=10,
    max_size=24,
).filter(
    lambda s: (
        any(c.isalpha() for c in s)
        and any(c.isdigit() for c in s)
        and not any(s.casefold()[:6] in form for form in TEMPLATE_FORMS)
    )
)
plain_key = st.sampled_from(
    [
        "TradingSymbol",
        "ExchangeSegment",
        "OrderStatus",
        "note",
        "Remarks",
        "CancelRejectReason",
        "url",
        "description",
        "LastTradedPrice",
    ]
)
plain_value = st.one_of(
    st.integers(-(10**6), 10**6),
    st.sampled_from(["NSECM", "Buy", "Filled", ""]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
    st.booleans(),
)


def recase(key: str, flips: list[bool]) -> str:
    return "".join(
        c.swapcase() if flip else c
        for c, flip in zip(key, flips + [False] * len(key), strict=False)
    )


@st.composite
def payloads(draw: st.DrawFn) -> tuple[Any, list[str]]:
    ids = draw(st.lists(identifier, min_size=1, max_size=4, unique=True))
    secrets = draw(st.lists(secret, min_size=0, max_size=2, unique=True))
    planted: list[tuple[str, Any]] = []
    for value in ids:
        key = draw(st.sampled_from(ID_KEYS))
        key = recase(key, draw(st.lists(st.booleans(), max_size=len(key))))
        if draw(st.booleans()):
            key = key.replace("ID", "_ID").replace("Id", "_id")
        planted.append((key, [value] if key.lower() == "clientcodes" else value))
    planted.extend((draw(st.sampled_from(SECRET_KEY_NAMES)), value) for value in secrets)
    # The same values again in free text and URLs, in random casing and URL-encoded.
    mentions = []
    for value in ids + secrets:
        form = draw(st.sampled_from(["plain", "upper", "lower", "url"]))
        text = {
            "plain": value,
            "upper": value.upper(),
            "lower": value.lower(),
            "url": quote(value, safe=""),
        }[form]
        mentions.append(
            (draw(plain_key), f"see https://h.example/x?clientID={text}&n=1 or ({text})")
        )
    leaves = planted + mentions + draw(st.lists(st.tuples(plain_key, plain_value), max_size=6))
    order = draw(st.permutations(leaves))
    # Spread the leaves over a random tree of dicts and lists.
    root: dict[str, Any] = {}
    containers: list[Any] = [root]
    for key, value in order:
        target = draw(st.sampled_from(containers))
        if draw(st.integers(0, 3)) == 0 or key in target:  # never overwrite a planted value
            child: dict[str, Any] = {}
            node: Any = [child] if draw(st.booleans()) else child
            if isinstance(target, dict):
                target[f"n{len(containers)}"] = node
            containers.append(child)
            target = child
        target[key] = value
    return root, ids + secrets


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads())
def test_no_planted_value_survives_in_any_output_form(case: tuple[Any, list[str]]) -> None:
    payload, sensitive = case
    redactor = Redactor(b"k" * 32)
    out = json.dumps(redactor.redact(payload), ensure_ascii=False)
    forms = [out, out.casefold(), quote(out, safe="")]
    for value in sensitive:
        for form in forms:
            assert value.casefold() not in form.casefold()
            assert quote(value, safe="").casefold() not in form.casefold()
    assert list(Scanner(redactor).findings(out)) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(identifier, min_size=1, max_size=5, unique=True), st.text(max_size=40))
def test_scrubbing_text_removes_every_known_id_and_keeps_the_rest(
    ids: list[str], filler: str
) -> None:
    redactor = Redactor(b"k" * 32)
    for value in ids:
        redactor.add_identifier(value, "order")
    text = " | ".join(f"{filler} {v} {v.lower()}" for v in ids)
    scrubbed = redactor.scrub(text)
    for value in ids:
        assert value.casefold() not in scrubbed.casefold()
    assert scrubbed.count("order_") == 2 * len(ids)
