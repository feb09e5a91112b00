"""The one key rule (keys.py): identifiers by principle, market fields by an explicit list."""

from __future__ import annotations

import pytest

from jainam_validate.keys import PLAIN, SECRET, is_identifier_key, key_action, normalise_key

IDENTIFIERS = [
    # the report's examples, and more of their kind
    ("BoEntryOrderId", "order"),
    ("ParentOrderID", "order"),
    ("MobileNumber", "phone"),
    ("DealerCode", "dealer"),
    ("UCC", "client"),
    ("Client ID", "client"),
    ("userIds", "user"),
    ("EmailID", "email"),
    ("PANNumber", "pan"),
    ("pan_no", "pan"),
    ("AppOrderID", "order"),
    ("ExchangeOrderID", "xorder"),
    ("ExecutionID", "exec"),
    ("ExchangeTradeID", "trade"),
    ("TradeNo", "trade"),
    ("OrderNumber", "order"),
    ("ContractNo", "id"),
    ("AccountNumber", "acct"),
    ("beneficiary_account", "acct"),
    ("LoginId", "login"),
    ("login_user", "user"),
    ("BranchCode", "id"),
    ("ClientName", "name"),
    ("HolderName", "name"),
    ("FirstName", "name"),
    ("DateOfBirth", "dob"),
    ("ResidentialAddress", "addr"),
    ("AadhaarNumber", "aadhaar"),
    ("phone_no", "phone"),
    ("MessageSynchronizeUniqueKey", "msk"),
    ("RequestId", "id"),
    ("uuid", "id"),
    ("id", "id"),
]
MARKET = [
    "ExchangeInstrumentID", "ExchangeInstrumentId", "ExchangeNSEInstrumentId",
    "ExchangeBSEInstrumentId", "ExchangeSegment", "ISIN", "TradingSymbol", "Symbol",
    "SymbolName", "Series", "ProductType", "OrderType", "OrderSide", "OrderSideAPI",
    "OrderStatus", "OrderAverageTradedPrice", "OrderAverageTradedPriceAPI", "LastTradedPrice",
    "LastTradedQuantity", "CumulativeQuantity", "HoldingQuantity", "BuyAvgPrice", "NetAmount",
    "MTM", "RealizedMTM", "ExchangeTransactTime", "OrderGeneratedDateTime", "TimeInForce",
    "MessageCode", "code", "type", "description", "result", "Bid", "isValid", "TokenID",
    "SequenceNumber", "NetPosition", "positionList", "RMSHoldings", "enums", "key",
    "traded_at", "tradebook", "run_id", "exit_code", "login_interactive", "CompanyName",
]  # fmt: skip
SECRETS = [
    "token", "Authorization", "appKey", "secretKey", "x-api-key", "api_secret", "Password",
    "TransactionPassword", "session_token", "Tpin", "otp", "Cookie", "privateKey", "signature",
]  # fmt: skip


@pytest.mark.parametrize(("key", "kind"), IDENTIFIERS)
def test_identifier_names_by_principle(key: str, kind: str) -> None:
    assert key_action(key) == kind
    assert is_identifier_key(key)


@pytest.mark.parametrize("key", MARKET)
def test_market_and_protocol_fields_are_plain(key: str) -> None:
    assert key_action(key) == PLAIN, key
    assert not is_identifier_key(key)


@pytest.mark.parametrize("key", SECRETS)
def test_secret_names(key: str) -> None:
    assert key_action(key) == SECRET


@pytest.mark.parametrize(
    "spelling", ["AppOrderID", "app_order_id", "appOrderId", "App Order Id", "APP-ORDER-ID"]
)
def test_spellings_normalise_to_one_name(spelling: str) -> None:
    assert normalise_key(spelling) == "apporderid"
    assert key_action(spelling) == "order"


@pytest.mark.parametrize(
    "key",
    [
        # words that end like a non-id word, counters, suffixes after "ID", punctuation
        "SystemId", "ItemId", "MemberFirmId", "PlatformId", "TermId", "SubId", "SolId",
        "OrderId1", "order_id2", "orderIds2", "TradeIDList", "AppOrderIDOld", "uid1",
        "Order ID\u00a0", "Order ID:", "OrderId#", "Order\u200bId",
        # an order id named with market words in it
        "ProductOrderId", "OrderStatusId", "InstrumentOrderId", "TimeOrderId", "SubscriptionId",
        # a holder or an account without an id suffix
        "Holder", "Beneficiary", "Nominee", "Demat", "Customer", "Investor", "Owner", "Trader",
        "acc", "BOAcc", "OrderRef", "OrderReference", "TradeRef", "OrderNbr", "Kunden-Nr",
        "numeroCuenta", "Terminal", "CTCL",
    ],
)  # fmt: skip
def test_names_a_reviewer_found_are_identifiers(key: str) -> None:
    assert is_identifier_key(key), key


@pytest.mark.parametrize(
    "key",
    [
        "instrument_token", "SymbolToken", "TokenNumber", "SecurityId", "SecurityCode",
        "NseCode", "BseCode", "UnderlyingName", "IsinNo", "SeqNo",
    ],
)  # fmt: skip
def test_market_names_with_token_or_id_words_stay_plain(key: str) -> None:
    assert key_action(key) == PLAIN, key


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        # the kind of a name the suffix rule caught: a PAN by its start or its end, a name
        ("PanCardId", "pan"),
        ("ApplicantPanNo", "pan"),
        ("ApplicantPanNumber", "pan"),
        ("FirstNames", "name"),
        ("GuardianName", "name"),
        ("ContractNo", "id"),
    ],
)
def test_kind_of_a_grammar_caught_name(key: str, kind: str) -> None:
    assert key_action(key) == kind
