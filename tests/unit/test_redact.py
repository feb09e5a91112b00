from __future__ import annotations

import base64
import json
from urllib.parse import quote

from jainam_validate.redact import REDACTED, Redactor, normalise_key, pseudonym

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
