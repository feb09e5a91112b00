from __future__ import annotations

import base64
import json
from types import MappingProxyType
from urllib.parse import quote

import pytest

from jainam_validate.redact import (
    MAX_NESTED_JSON_CHARS,
    REDACTED,
    Redactor,
    normalise_key,
    pseudonym,
)

KEY = b"k" * 32
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    + base64.urlsafe_b64encode(b'{"userID":"JVDEMO07_key","exp":1}').decode().rstrip("=")
    + ".c2lnbmF0dXJlLXNpZ25hdHVyZQ"
)


def test_pseudonym_is_stable_keyed_and_kind_prefixed() -> None:
    a = pseudonym(KEY, "order", "1100012345")
    assert a == pseudonym(KEY, "order", "1100012345")
    assert a.startswith("order_") and len(a) == len("order_") + 8
    assert a != pseudonym(b"x" * 32, "order", "1100012345")
    assert a != pseudonym(KEY, "trade", "1100012345")


def test_normalise_key_ignores_case_and_separators() -> None:
    assert normalise_key("AppOrderID") == normalise_key("app_order_id") == "apporderid"


def test_login_result_secrets_and_ids_are_replaced_everywhere() -> None:
    r = Redactor(KEY)
    payload = {
        "type": "success",
        "result": {
            "token": JWT,
            "userID": "JVDEMO07",
            "clientCodes": ["JC4187", "*****"],
            "isInvestorClient": False,
        },
        "note": f"user JVDEMO07 client jc4187 token {JWT}",
    }
    out = r.redact(payload)
    text = json.dumps(out)
    assert "JVDEMO07" not in text.upper() and "JC4187" not in text.upper()
    assert JWT not in text
    assert out["result"]["token"] == REDACTED
    assert out["result"]["userID"] == pseudonym(KEY, "user", "JVDEMO07")
    # The dealer pro-account placeholder identifies nobody and stays.
    assert out["result"]["clientCodes"][1] == "*****"
    assert out["result"]["isInvestorClient"] is False
    assert out["note"].startswith("user user_")
    # input is not mutated
    assert payload["result"]["userID"] == "JVDEMO07"


def test_values_are_scrubbed_inside_urls_and_encoded_forms() -> None:
    r = Redactor(KEY)
    secret = "Ab$c${d}#9"
    r.add_secret(secret)
    r.add_identifier("JC4187", "client")
    b64 = base64.b64encode(secret.encode()).decode()
    url = f"https://h/x?clientID=JC4187&s={quote(secret, safe='')}&b={b64}"
    scrubbed = r.scrub(url)
    assert "JC4187" not in scrubbed
    assert quote(secret, safe="") not in scrubbed
    assert base64.b64encode(secret.encode()).decode().rstrip("=") not in scrubbed
    assert "clientID=client_" in scrubbed


def test_identifiers_match_only_on_word_edges_but_secrets_anywhere() -> None:
    r = Redactor(KEY)
    r.add_identifier("418723", "client")
    assert (
        r.scrub("qty 4187230 and 418723") == f"qty 4187230 and {pseudonym(KEY, 'client', '418723')}"
    )
    r.add_secret("s3cr3tvalue")
    assert "s3cr3tvalue" not in r.scrub("prefixs3cr3tvaluesuffix")


def test_trade_rows_keep_instruments_prices_and_quantities() -> None:
    r = Redactor(KEY)
    row = {
        "LoginID": "JVDEMO07",
        "ClientID": "JC4187",
        "AppOrderID": 1100012345,
        "ExchangeOrderID": "1300000012345678",
        "ExecutionID": "402817",
        "OrderUniqueIdentifier": "jv-ord-0001",
        "MessageSynchronizeUniqueKey": "JC4187",
        "ExchangeInstrumentID": 2885,
        "TradingSymbol": "RELIANCE-EQ",
        "OrderAverageTradedPrice": "2,853.50",
        "LastTradedQuantity": 10,
        "ISIN": "INE002A01018",
    }
    out = r.redact([row])[0]
    assert out["ExchangeInstrumentID"] == 2885
    assert out["TradingSymbol"] == "RELIANCE-EQ"
    assert out["OrderAverageTradedPrice"] == "2,853.50"
    assert out["LastTradedQuantity"] == 10
    assert out["ISIN"] == "INE002A01018"
    assert out["AppOrderID"] == pseudonym(KEY, "order", "1100012345")
    for raw in ("JVDEMO07", "JC4187", "1100012345", "1300000012345678", "402817", "jv-ord-0001"):
        assert raw.lower() not in json.dumps(out).lower()
    # The same order id in free text later becomes the same pseudonym: rows stay joinable.
    assert r.scrub("order 1100012345 filled") == f"order {out['AppOrderID']} filled"


def test_jwt_shaped_strings_are_redacted_even_when_unknown() -> None:
    r = Redactor(KEY)
    assert r.scrub(f"Authorization: {JWT}") == f"Authorization: {REDACTED}"


def test_email_and_pan_are_redacted_by_pattern() -> None:
    r = Redactor(KEY)
    out = r.scrub("mail a.b@example.com pan ABCDE1234F isin INE002A01018")
    assert "example.com" not in out and "ABCDE1234F" not in out
    assert "INE002A01018" in out


def test_matches_report_rule_and_position_for_the_guard() -> None:
    r = Redactor(KEY)
    r.add_identifier("JC4187", "client")
    found = list(r.matches('{"x": "jc4187"}'))
    assert [(m.rule, m.start) for m in found] == [("identifier:client", 7)]


def test_short_numeric_ids_are_pseudonymised_by_key_but_not_hunted_in_text() -> None:
    r = Redactor(KEY)
    out = r.redact({"ClientID": "2026", "note": "on 2026-11-27, 2026 shares"})
    assert out["ClientID"] == pseudonym(KEY, "client", "2026")
    assert out["note"] == "on 2026-11-27, 2026 shares"


def test_echoed_values_are_caught_json_and_html_escaped() -> None:
    r = Redactor(KEY)
    secret = "Xy7'Qp\\9z\"R<&>"
    r.add_secret(secret)
    import html
    import json as _json

    for echoed in (
        _json.dumps(secret)[1:-1],
        html.escape(secret),
        html.escape(secret).replace("&#x27;", "&#39;"),
    ):
        assert secret not in r.scrub(f"parse error near {echoed} here")
        assert echoed not in r.scrub(f"parse error near {echoed} here")


def test_a_known_id_held_as_a_json_number_under_an_unlisted_key_is_pseudonymised() -> None:
    r = Redactor(KEY)
    out = r.redact({"AppOrderID": 1100012345, "ParentAppOrderID": 1100012345, "Quantity": 1100})
    assert out["ParentAppOrderID"] == out["AppOrderID"] == pseudonym(KEY, "order", "1100012345")
    assert out["Quantity"] == 1100


def test_a_short_client_id_is_found_by_its_context() -> None:
    r = Redactor(b"k" * 32)
    alias = r.add_identifier("ABC", "client")
    out = r.scrub(
        'Cannot GET /interactive/portfolio/holdings?clientID=ABC&x=1 {"ClientId":"ABC"} ABCD'
    )
    assert out.count(alias) == 2 and "=ABC" not in out and "ABCD" in out


def test_numbers_under_instrument_keys_are_never_pseudonymised() -> None:
    r = Redactor(b"k" * 32)
    r.add_identifier("500325", "client")
    out = r.redact(
        {"ExchangeInstrumentID": 500325, "HoldingQuantity": 500325, "Extra": 500325, "RefID": 7}
    )
    assert out["ExchangeInstrumentID"] == 500325 and out["HoldingQuantity"] == 500325
    # a known id under a plain key is still found; a name ending in ID is an id by the key rule
    assert out["Extra"] == r.add_identifier("500325", "client")
    assert out["RefID"].startswith("id_")
    rows = r.redact_rows([{"nse_instrument_id": 500325}], {})
    assert rows == [{"nse_instrument_id": 500325}]


# -- exact behaviour the mutation run found unpinned ---------------------------------------------


def _alias(kind: str, value: str) -> str:
    return pseudonym(KEY, kind, value)


def test_add_secret_ignores_missing_values_and_short_payload_values_only() -> None:
    r = Redactor(KEY)
    r.add_secret(None)
    r.add_secret("")
    assert r.known_count == 0
    # learned from a payload: a value under 6 characters is no real token
    r.add_secret("ab3de", "secret:apikey")
    assert r.scrub("x ab3de y") == "x ab3de y"
    # six characters are enough
    r.add_secret("cd4efg", "secret:apikey")
    assert r.scrub("x cd4efg y") == f"x {REDACTED} y"
    # configured by the harness: however short, it is a secret
    r.add_secret("gh5ij", "secret:token")
    assert r.scrub("x gh5ij y") == f"x {REDACTED} y"


def test_seed_counts_every_value_given() -> None:
    r = Redactor(KEY)
    given = r.seed("JC4187", [("s3cr3t-one", "secret:credential"), ("s3cr3t-two", "secret:token")])
    assert given == 3
    assert r.seed(None, [("a1b2c3d4", "secret:token"), ("e5f6g7h8", "secret:token")]) == 2


def test_cut_keeps_a_text_of_exactly_the_limit() -> None:
    r = Redactor(KEY)
    assert r.cut("abcdef", 6) == "abcdef"
    assert r.cut("abcdefg", 6) == "abcdef…"


LEARNED_FROM_TEXT = [
    # key=value and "key":"value": the key rule's kind, the value cut of trailing punctuation
    ("clientID=AB1", "clientID=AB1", f"clientID={_alias('client', 'AB1')}"),
    ('"Client Id":"AB12345"', "see AB12345", f"see {_alias('client', 'AB12345')}"),
    ("acct: AC12345.", "see AC12345 now", f"see {_alias('acct', 'AC12345')} now"),
    ("login=ab@cd", "see ab@cd", f"see {_alias('login', 'ab@cd')}"),
    # secrets under a secret's name, cut of trailing punctuation but not of letters
    ("password=Xy9abcdef.", "p Xy9abcdef q", f"p {REDACTED} q"),
    ("password=ab9cdefX", "p ab9cdefX q", f"p {REDACTED} q"),
    # learned from a payload: a secret this short is not one
    ("password=ab3de", "p ab3de q", "p ab3de q"),
    # prose: an id-like token after a name; a four-character token is enough
    ("UserID(AB12)", "see AB12", f"see {_alias('user', 'AB12')}"),
    ("UserID AB1234X.", "see AB1234X now", f"see {_alias('user', 'AB1234X')} now"),
    # the nearest word names it: "Id" alone is an id, before "Client Id" is looked at
    ("Client Id AB12345 here", "see AB12345", f"see {_alias('id', 'AB12345')}"),
    ("Order No AB12345 here", "see AB12345", f"see {_alias('id', 'AB12345')}"),
    # two words when one is plain data: "Status" alone is not a name, "Dealer Status" is
    ("Dealer Status AB12345", "see AB12345", f"see {_alias('dealer', 'AB12345')}"),
    # two words before three
    ("Client Login Status AB12345", "see AB12345", f"see {_alias('login', 'AB12345')}"),
    # a protocol field is no name, with or without the space
    ("Error Code AB12345", "see AB12345", "see AB12345"),
]


@pytest.mark.parametrize(("text", "later", "expected"), LEARNED_FROM_TEXT)
def test_learn_text_learns_exactly(text: str, later: str, expected: str) -> None:
    r = Redactor(KEY)
    r.learn_text(text)
    assert r.scrub(later) == expected


def test_learn_text_learns_every_id_of_a_text_not_only_the_first() -> None:
    r = Redactor(KEY)
    r.learn_text("UserID AB12345 and LoginID CD67890")
    assert r.scrub("AB12345 CD67890") == f"{_alias('user', 'AB12345')} {_alias('login', 'CD67890')}"


def test_redact_rows_exact() -> None:
    r = Redactor(KEY)
    r.add_identifier("1100012345", "order")
    r.add_identifier("AB12345", "client")
    rows = [
        {
            "order": "OR99887",
            "client": None,
            "note": "by AB12345",
            "status": "rejected for AB12345",
            "ref": "1100012345",
            "price": "1100012345",
            "parent": 1100012345,
            "flag": True,
            "avg": 1.5,
        }
    ]
    out = r.redact_rows(rows, {"order": "order", "client": "client"})
    assert out == [
        {
            "order": _alias("order", "OR99887"),
            "client": None,
            "note": f"by {_alias('client', 'AB12345')}",
            "status": f"rejected for {_alias('client', 'AB12345')}",
            "ref": _alias("order", "1100012345"),
            "price": "1100012345",
            "parent": _alias("order", "1100012345"),
            "flag": True,
            "avg": 1.5,
        }
    ]


def test_known_numeric_ids_from_six_digits_up_are_pseudonymised() -> None:
    r = Redactor(KEY)
    r.add_identifier("100000", "order")
    r.add_identifier("123456", "order")
    out = r.redact({"a": 100000, "b": 123456, "c": 99999})
    assert out == {"a": _alias("order", "100000"), "b": _alias("order", "123456"), "c": 99999}


def test_list_items_and_non_dict_mappings_are_redacted() -> None:
    r = Redactor(KEY)
    r.add_identifier("AB12345", "client")
    a = _alias("client", "AB12345")
    out = r.redact(["see AB12345", MappingProxyType({"ClientID": "AB12345", "n": 1}), 7])
    assert out == [f"see {a}", {"ClientID": a, "n": 1}, 7]


def _nest(levels: int) -> dict:
    node: dict = {"leaf": 1}
    for _ in range(levels):
        node = {"a": node}
    return node


def _depth_kept(tree: object) -> int:
    levels = 0
    while isinstance(tree, dict) and "a" in tree:
        tree, levels = tree["a"], levels + 1
    return levels if tree == {"leaf": 1} else -levels


def test_depth_limit_counts_a_mapping_in_a_list_as_one_level() -> None:
    r = Redactor(KEY)
    # the list is a level, the mapping in it another
    kept = r.redact([MappingProxyType({"a": _nest(197)})])
    assert _depth_kept(kept[0]) == 198
    cut = r.redact([MappingProxyType({"a": _nest(198)})])
    assert _depth_kept(cut[0]) == -199 and json.dumps(cut).count(REDACTED) == 1


def test_depth_limit_counts_json_in_a_string_as_one_level() -> None:
    r = Redactor(KEY)
    kept = json.loads(r.redact(json.dumps(_nest(199))))
    assert _depth_kept(kept) == 199
    cut = json.loads(r.redact(json.dumps(_nest(200))))
    assert _depth_kept(cut) == -200


def test_rescrub_numbers_keep_market_keys_and_list_items_are_checked() -> None:
    r = Redactor(KEY)
    r.add_identifier("123456", "client")
    a = _alias("client", "123456")
    out = r.rescrub({"Quantity": 123456, "Extra": 123456, "list": [123456, "x 123456", 5]})
    assert out == {"Quantity": 123456, "Extra": a, "list": [a, f"x {a}", 5]}


def test_scrub_strings_scrubs_values_and_list_items_only() -> None:
    r = Redactor(KEY)
    r.add_identifier("AB12345", "client")
    a = _alias("client", "AB12345")
    out = r.scrub_strings({"note": "AB12345", "items": ["x AB12345", 123456, None]})
    assert out == {"note": a, "items": [f"x {a}", 123456, None]}


def test_an_at_sign_makes_a_value_under_a_grammar_caught_name_hunted() -> None:
    r = Redactor(KEY)
    out = r.redact({"Nominee": "ab@cd", "note": "to ab@cd"})
    assert out == {"Nominee": _alias("name", "ab@cd"), "note": f"to {_alias('name', 'ab@cd')}"}


def test_json_in_a_string_is_learned_before_it_is_rebuilt_sorted_and_unescaped() -> None:
    r = Redactor(KEY)
    a = _alias("client", "AB12345")
    out = r.redact('{"note": "x AB12345", "ClientID": "AB12345", "city": "Pune é"}')
    assert out == json.dumps(
        {"ClientID": a, "city": "Pune é", "note": f"x {a}"}, ensure_ascii=False, sort_keys=True
    )
    assert r.redact(['{"b": 1, "a": 2}']) == ['{"a": 2, "b": 1}']


def test_only_a_string_that_starts_and_ends_like_json_is_parsed() -> None:
    r = Redactor(KEY)
    assert r.redact([' x{"b": 1, "a": 2}']) == [' x{"b": 1, "a": 2}']
    assert r.redact(["{}", "[]", " ", "{x"]) == ["{}", "[]", " ", "{x"]


@pytest.mark.parametrize(
    "text",
    [
        '{"ClientID": "AB12345"}\n',
        ' {"ClientID": "AB12345"}',
        '\r\n\t[{"ClientID": "AB12345"}]\n',
    ],
)
def test_json_with_whitespace_around_it_is_still_redacted_by_key(text: str) -> None:
    # once a leak: a body echoed with its trailing line break kept the raw id
    r = Redactor(KEY)
    out = r.redact({"data": text, "rows": [text]})
    assert "AB12345" not in json.dumps(out)
    assert "client_" in out["data"] and "client_" in out["rows"][0]


def test_json_up_to_the_size_limit_is_parsed() -> None:
    r = Redactor(KEY)
    head, tail = '{"b": 1, "a": "', '"}'
    text = head + "x" * (MAX_NESTED_JSON_CHARS - len(head) - len(tail)) + tail
    assert len(text) == MAX_NESTED_JSON_CHARS
    out = r.redact([text])
    assert out[0].startswith('{"a": "xxx') and out[0].endswith('", "b": 1}')


def test_an_id_only_in_json_inside_a_tuple_is_learned_before_anything_is_kept() -> None:
    # once stale: learning skipped tuples, so the id was learned halfway through redact and an
    # equal string met earlier in the same call came back raw from the scrub memo
    r = Redactor(KEY)
    tree = {"note": "AC99887766", "rows": ('{"AccountID": "AC99887766"}',)}
    r.learn(tree)
    out = r.redact(tree)
    assert "AC99887766" not in json.dumps(out)
    assert out["note"].startswith("acct_")


@pytest.mark.parametrize(
    ("text", "learned"),
    [
        ("order 1101727760 for client failed", "1101727760"),
        ("Trade 2000123456 rejected", "2000123456"),
        ("execution 987654321 was cancelled", "987654321"),
    ],
)
def test_a_long_number_after_a_bare_order_word_is_an_id(text: str, learned: str) -> None:
    redactor = Redactor(b"k" * 32)
    redactor.learn_text(text)
    assert learned not in redactor.scrub(text)


@pytest.mark.parametrize(
    "text", ["order 500 shares at 2443", "order 1234567 is short", "ordered 1101727760 units"]
)
def test_a_quantity_after_order_is_not_taken_for_an_id(text: str) -> None:
    redactor = Redactor(b"k" * 32)
    redactor.learn_text(text)
    assert redactor.scrub(text) == text
