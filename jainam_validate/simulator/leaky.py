"""Payloads of the simulator's leaky fault kinds: answers that echo the simulator's own
identifiers where a harness might not look for them, so an end-to-end test can check that none
of them lands raw in anything the harness writes. Every value echoed here is also in
``XtsApp.sensitive_values()`` (``fault_values`` lists the made-up ones).

* ``header_echo``: the answer's own body, plus ``X-Account`` (the account's trading account id,
  ``book.trading_account_id``), ``X-Client-Code`` (the client code) and ``acct=<trading account
  id>`` in ``Content-Type`` (see ``echo_headers``).
* ``leaky_utf8``, ``leaky_cut``, ``leaky_text``: a body that names the account's first
  AppOrderID and its trading account id as ``ClientID`` first, then cannot be parsed: one
  invalid UTF-8 byte, JSON cut short, or a ``text/plain`` HTTP 500 (``leaky_answer``).
* ``odd_id_keys``: each row gains made-up ids under keys outside the usual set
  (``ODD_ID_KEYS``; values from ``personal_ids`` and ``row_order_ids``).
* ``nested_ids``: each trade row gains its ids inside JSON-in-a-string, base64, URL-encoded,
  zero-padded and glued-on text (``NESTED_ID_KEYS``), and every third row is served as the JSON
  text of the row instead of an object.
* ``deep_json``: the success envelope with a ``result`` nested ``DEEP_JSON_LEVELS`` objects deep
  whose innermost object names the client code.
* ``userid_list``: the login's ``userID`` is a list: the user id and a made-up second one.
* ``huge_numbers``: two more holdings whose quantity and price have 21 digits
  (``HUGE_QUANTITY``, ``HUGE_PRICE``), one as JSON numbers and one as strings.
* ``long_symbol``: the first row's symbol is ``LONG_SYMBOL`` (150 000 characters, ``@`` in the
  middle).

Everything is invented and a pure function of the seed, the account and the normal answer."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jainam_validate.simulator import responses as r
from jainam_validate.simulator.book import Account, Book, trading_account_id
from jainam_validate.simulator.market import make_isin, synthetic_isin
from jainam_validate.simulator.responses import JsonObj, Response

LEAKY_BODY_FAULTS = frozenset({"leaky_utf8", "leaky_cut", "leaky_text"})
ROW_FAULTS = frozenset({"odd_id_keys", "nested_ids", "huge_numbers", "long_symbol"})
DEEP_JSON_LEVELS = 2000
LONG_SYMBOL = "A" * 75_000 + "@" + "b" * 74_999
HUGE_QUANTITY = 123456789012345678901
HUGE_PRICE = "999999999999999999999.99"
ODD_ID_KEYS = (
    "BoEntryOrderId",
    "ParentOrderID",
    "MobileNumber",
    "DealerCode",
    "UCC",
    "Client ID",
    "userIds",
    "EmailID",
    "PANNumber",
)
NESTED_ID_KEYS = ("Remarks", "Ctx", "CtxPadded", "Url", "Ref", "Tag", "Note")
LEAKY_TEXT_TYPE = "text/plain; charset=utf-8"
_BAD_BYTE = b"\xff"  # never valid anywhere in UTF-8
_MARK = "\u2063bad\u2063"  # stands for the invalid byte until the body is bytes
_HUGE_PRICE_MARK = "\u2063huge-price\u2063"  # stands for HUGE_PRICE as a bare JSON number
_EXPRESS = (("X-Powered-By", "Express"),)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# -- made-up identifiers ----------------------------------------------------------------------


@dataclass(frozen=True)
class PersonalIds:
    """Made-up ids of one account for ``odd_id_keys`` and ``userid_list``; per seed."""

    mobile: str  # 10 digits, starts with 6-9 like an Indian mobile number
    email: str
    pan: str  # ABCDE1234F
    ucc: str
    spaced_client_id: str  # served under "Client ID"
    dealer_code: str
    user_ids: tuple[str, str]
    order_base: int  # BoEntryOrderId of row i is order_base + 7 * i
    parent_base: int  # ParentOrderID of row i is parent_base + 11 * i

    def values(self) -> tuple[str, ...]:
        return (
            self.mobile,
            self.email,
            self.pan,
            self.ucc,
            self.spaced_client_id,
            self.dealer_code,
            *self.user_ids,
        )


def personal_ids(seed: int, account: Account) -> PersonalIds:
    rng = random.Random(f"{seed}|personal|{account.code}")
    mobile = f"{rng.choice('6789')}{rng.randint(0, 999_999_999):09d}"
    pan = (
        "".join(rng.choice(_LETTERS) for _ in range(3))
        + "P"  # fourth letter P: an individual
        + rng.choice(_LETTERS)
        + f"{rng.randint(0, 9999):04d}"
        + rng.choice(_LETTERS)
    )
    first, second = rng.sample(range(10_000, 100_000), 2)
    return PersonalIds(
        mobile=mobile,
        email=f"jv.client{rng.randint(1000, 9999)}@mail.example.in",
        pan=pan,
        ucc=f"UCC{rng.randint(100_000, 999_999)}",
        spaced_client_id=f"JK{rng.randint(10_000, 99_999)}",
        dealer_code=f"DLR{rng.randint(10_000, 99_999)}",
        user_ids=(f"JVU{first}", f"JVU{second}"),
        order_base=3_100_000_000 + rng.randint(0, 80_000_000),
        parent_base=4_100_000_000 + rng.randint(0, 80_000_000),
    )


def row_order_ids(ids: PersonalIds, index: int) -> tuple[int, int]:
    """BoEntryOrderId and ParentOrderID of row ``index`` under ``odd_id_keys``."""
    return ids.order_base + 7 * index, ids.parent_base + 11 * index


def fault_values(book: Book) -> set[str]:
    """The identifiers the configured leaky faults echo that no normal answer serves (the
    trading account ids, the first AppOrderIDs, the made-up ids)."""
    config = book.config
    kinds = set(config.faults.values())
    sizes = {
        "positions": config.n_positions,
        "holdings": config.n_holdings,
        "tradebook": config.n_trades,
    }
    odd_rows = max((sizes[f] for f, k in config.faults.items() if k == "odd_id_keys"), default=0)
    values: set[str] = set()
    for account in {a.code: a for a in [*book.accounts(), book.account_for(None)]}.values():
        if book.trading_accounts:
            values.add(trading_account_id(book.seed, account))
        if kinds & LEAKY_BODY_FAULTS:
            values.add(book.first_order_id(account))
        ids = personal_ids(book.seed, account)
        if "userid_list" in kinds:
            values.add(ids.user_ids[0])
        if "odd_id_keys" in kinds:
            values.update(ids.values())
            for i in range(odd_rows):
                values.update(map(str, row_order_ids(ids, i)))
    return values


# -- header_echo --------------------------------------------------------------------------------


def echo_headers(book: Book, account: Account, resp: Response) -> Response:
    acct = trading_account_id(book.seed, account)
    headers = (*resp.headers, ("X-Account", acct), ("X-Client-Code", account.code))
    return Response(resp.status, resp.body, f"{resp.content_type}; acct={acct}", headers)


# -- leaky bodies -------------------------------------------------------------------------------


def _wrap(flow: str, rows: list[JsonObj], holdings_shape: str) -> Any:
    if flow == "tradebook":
        return rows
    if flow == "positions":
        return {"positionList": rows}
    if holdings_shape == "list":
        return {"ClientId": rows[0]["ClientID"], "RMSHoldingList": rows}
    return {"RMSHoldings": {"Holdings": {str(row["ISIN"]): row for row in rows}}}


def _leaky_row(flow: str, client_id: str, order_id: int, symbol: str) -> JsonObj:
    ids: JsonObj = {"ClientID": client_id, "AppOrderID": order_id}
    if flow == "holdings":
        return {
            **ids,
            "ISIN": make_isin("INE062A0102"),  # SBIN
            "Symbol": symbol,
            "ExchangeNSEInstrumentId": 3045,
            "HoldingQuantity": 10,
        }
    return {
        **ids,
        "TradingSymbol": f"{symbol}-EQ",
        "ExchangeSegment": "NSECM",
        "ExchangeInstrumentID": 3045,
        "ProductType": "MIS",
        "Quantity": "10",
    }


def leaky_answer(
    kind: str, flow: str, head: JsonObj, book: Book, account: Account, status: int
) -> Response:
    """The answer of ``leaky_utf8``, ``leaky_cut`` or ``leaky_text`` for a book whose success
    envelope starts with ``head`` (type, code, description)."""
    client_id = trading_account_id(book.seed, account)
    order_id = book.first_order_id(account)
    if kind == "leaky_text":
        text = f"order {order_id} for client {client_id} failed"
        return Response(500, text.encode("utf-8"), LEAKY_TEXT_TYPE, _EXPRESS)
    symbol = f"SBIN{_MARK}" if kind == "leaky_utf8" else "SBIN"
    row = _leaky_row(flow, client_id, int(order_id), symbol)
    result = _wrap(flow, [row], book.config.holdings_shape)
    envelope = r.envelope(str(head["type"]), str(head["code"]), str(head["description"]), result)
    body = r.dumps(envelope)
    if kind == "leaky_utf8":
        mark = _MARK.encode("utf-8")
        assert body.count(mark) == 1
        body = body.replace(mark, _BAD_BYTE)
    else:
        after_ids = body.index(f'"AppOrderID":{order_id},'.encode("ascii"))
        cut = after_ids + len(f'"AppOrderID":{order_id},"'.encode("ascii")) + 5
        body = body[:cut]  # mid-way through the key after the ids
    return Response(status, body, r.JSON_TYPE, _EXPRESS)


# -- rows -----------------------------------------------------------------------------------------


def _map_rows(result: Any, fn: Callable[[int, JsonObj], JsonObj]) -> Any:
    """``result`` with every object row of a book (trade list, positionList, Holdings map or
    RMSHoldingList) replaced by ``fn(index, row)``."""

    def rows(items: list[Any]) -> list[Any]:
        return [fn(i, row) if isinstance(row, dict) else row for i, row in enumerate(items)]

    if isinstance(result, list):
        return rows(result)
    if not isinstance(result, dict):
        return result
    if isinstance(result.get("positionList"), list):
        return {**result, "positionList": rows(result["positionList"])}
    if isinstance(result.get("RMSHoldingList"), list):
        return {**result, "RMSHoldingList": rows(result["RMSHoldingList"])}
    holdings = result.get("RMSHoldings", {}).get("Holdings")
    if isinstance(holdings, dict):
        mapped = rows(list(holdings.values()))
        return {**result, "RMSHoldings": {"Holdings": dict(zip(holdings, mapped, strict=True))}}
    return result


def odd_id_keys(result: Any, ids: PersonalIds) -> Any:
    def add(i: int, row: JsonObj) -> JsonObj:
        bo_entry, parent = row_order_ids(ids, i)
        return {
            **row,
            "BoEntryOrderId": bo_entry,
            "ParentOrderID": parent,
            "MobileNumber": ids.mobile,
            "DealerCode": ids.dealer_code,
            "UCC": ids.ucc,
            "Client ID": ids.spaced_client_id,
            "userIds": list(ids.user_ids),
            "EmailID": ids.email,
            "PANNumber": ids.pan,
        }

    return _map_rows(result, add)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def nested_ids(result: Any) -> Any:
    """Trade rows with their ids hidden in text; every third row (index 2, 5, ...) is served
    as the JSON text of the row."""

    def hide(_i: int, row: JsonObj) -> JsonObj:
        client, login, order = str(row["ClientID"]), str(row["LoginID"]), row["AppOrderID"]
        return {
            **row,
            # JSON inside a string, written with json.dumps's default ", " and ": "
            "Remarks": json.dumps({"AppOrderID": order, "ClientID": client}),
            "Ctx": f"ctx={_b64(client).rstrip('=')}",
            # the login id: a user id's base64 always ends in padding (7 or 8 characters)
            "CtxPadded": f"ctx={_b64(login)}",
            "Url": f"%3FclientID%3D{client}",
            "Ref": f"000{order}",
            "Tag": f"{client}NSE",
            "Note": f"ORD{order}X",
        }

    rows = _map_rows(result, hide)
    if not isinstance(rows, list):
        return rows
    return [r.dumps(row).decode("utf-8") if i % 3 == 2 else row for i, row in enumerate(rows)]


def long_symbol(result: Any, flow: str) -> Any:
    key = "Symbol" if flow == "holdings" else "TradingSymbol"
    return _map_rows(result, lambda i, row: {**row, key: LONG_SYMBOL} if i == 0 else row)


def huge_numbers(result: Any, book: Book, account: Account) -> Any:
    """Holdings plus two rows of unheld equities (synthetic ones if every equity is held) with
    21-digit quantity and price: numbers in the first, strings in the second (the bare-number
    price is ``_HUGE_PRICE_MARK`` until ``huge_numbers_bytes``)."""
    held = {e.isin for e in book.holding_equities()}
    equities = book.market.equities
    spare = [(e.isin, e.symbol, e.nse_id, e.bse_id) for e in equities if e.isin not in held]
    spare += [(synthetic_isin(9_999_000 + k), f"JVHUGE{k}", 0, 990_000 + k) for k in range(2)]
    rows: list[JsonObj] = []
    for k, (isin, symbol, nse, bse) in enumerate(spare[:2]):
        rows.append(
            {
                "ISIN": isin,
                "Symbol": symbol,
                "ExchangeNSEInstrumentId": nse,
                "ExchangeBSEInstrumentId": bse,
                "HoldingQuantity": HUGE_QUANTITY if k == 0 else str(HUGE_QUANTITY),
                "BuyAvgPrice": HUGE_PRICE if k == 0 else _HUGE_PRICE_MARK,
                "CollateralQuantity": 0,
                "UsedQuantity": 0,
                "PledgeQuantity": 0,
                "IsBuyAvgPriceProvided": True,
                "ClientId": account.code,
            }
        )
    if isinstance(result, dict) and isinstance(result.get("RMSHoldingList"), list):
        listed = result["RMSHoldingList"]
        template: JsonObj = listed[0] if listed and isinstance(listed[0], dict) else {}
        full = [{**template, **row, "RMSHoldingId": 799_990 + k} for k, row in enumerate(rows)]
        return {**result, "RMSHoldingList": [*listed, *full]}
    holdings = dict(result["RMSHoldings"]["Holdings"])
    holdings.update({row["ISIN"]: row for row in rows})
    return {**result, "RMSHoldings": {"Holdings": holdings}}


def huge_numbers_bytes(body: bytes) -> bytes:
    """A dumped ``huge_numbers`` envelope with the price placeholder as a bare JSON number."""
    return body.replace(r.dumps(_HUGE_PRICE_MARK), HUGE_PRICE.encode("ascii"))


def rewrite_answer(flow: str, fault: str, book: Book, account: Account, body: bytes) -> bytes:
    """A successful answer's ``body`` with its ``result`` rewritten by ``userid_list`` or one of
    the ``ROW_FAULTS``."""
    payload = json.loads(body)
    result = payload.get("result")
    if fault == "userid_list":
        # invented: a login whose userID is a list of the user id and another one
        second = personal_ids(book.seed, account).user_ids[0]
        result = {**result, "userID": [book.user_id, second]}
    elif fault == "odd_id_keys":
        result = odd_id_keys(result, personal_ids(book.seed, account))
    elif fault == "nested_ids":
        result = nested_ids(result)
    elif fault == "long_symbol":
        result = long_symbol(result, flow)
    elif fault == "huge_numbers":
        result = huge_numbers(result, book, account)
    out = r.dumps({**payload, "result": result})
    return huge_numbers_bytes(out) if fault == "huge_numbers" else out


# -- deep_json ------------------------------------------------------------------------------------


def deep_json(head: JsonObj, client_code: str) -> bytes:
    """A success envelope (``head``'s type, code, description) whose ``result`` is
    ``{"a":{"a":...{"ClientID":"<client code>"}...}}``, ``DEEP_JSON_LEVELS`` objects deep,
    written without recursion."""
    prefix = r.dumps(r.envelope(str(head["type"]), str(head["code"]), str(head["description"]), 0))
    assert prefix.endswith(b',"result":0}')
    inner = r.dumps({"ClientID": client_code})
    levels = DEEP_JSON_LEVELS - 1
    return b"".join((prefix[: -len(b"0}")], b'{"a":' * levels, inner, b"}" * levels, b"}"))
