"""The simulator's books: the fake accounts of each profile (an investor, or a dealer with its
own pro account and mapped clients) and their positions, holdings and trade-book rows, each
with the field names and type quirks of real XTS payloads (string quantities, thousands
separators, mixed key casing, "NaN"), priced from the ``market``'s instruments. Everything is a
pure function of ``SimConfig.seed`` and the account, so equal configs give byte-identical
books. Identifiers are fake but shaped like real ones and at least 5 characters. When a fault
that echoes an account's trading account id is configured (``TRADING_ACCOUNT_FAULTS``),
trade-book rows carry that id (``trading_account_id``) as ``AccountID``: a normal pass meets it
in the trade book only."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

from jainam_validate.simulator.market import SEGMENT_CODES, Equity, Market, tick
from jainam_validate.simulator.responses import JsonObj
from jainam_validate.simulator.scenario import PRO_CLIENT_ID, SimConfig

TRADE_DATE_ISO = "2026-11-27"
TRADE_DATE_API = "27-11-2026"
_SESSION_START_US = (9 * 3600 + 15 * 60) * 1_000_000
_SESSION_SPAN_US = (6 * 3600 + 15 * 60) * 1_000_000

INVESTOR_USER_ID = "JVDEMO07"
INVESTOR_CLIENT_CODE = "JC4187"
INVESTOR_CLIENT_NAME = "ANIKA R DEMOPAL"
DEALER_USER_ID = "JVDLR11"
DEALER_PRO_CODE = "JVPRO11"
DEALER_PRO_NAME = "JV PROPRIETARY DESK"
_MAPPED_CLIENT_NAMES = ("RAVI K SIMKAR", "MEERA T FAKEWAL", "ARJUN P MOCKAN", "LEELA S TESTIWAL")
#: Fault kinds whose payloads echo an account's trading account id; with one of them configured
#: on any flow, trade-book rows carry that id as ``AccountID``.
TRADING_ACCOUNT_FAULTS = frozenset({"header_echo", "leaky_utf8", "leaky_cut", "leaky_text"})


@dataclass(frozen=True)
class Account:
    """One trading account as it appears in payloads."""

    login_id: str  # LoginID / userID of whoever logged in
    code: str  # AccountID / ClientID / ClientId
    name: str  # ClientName


def trading_account_id(seed: int, account: Account) -> str:
    """The account's trading account id (invented: a made-up id, ``JT`` + 6 digits, that only
    the trade book serves, and only under ``TRADING_ACCOUNT_FAULTS``)."""
    return f"JT{random.Random(f'{seed}|trading-account|{account.code}').randint(100_000, 999_999)}"


def money(paise: int) -> str:
    """Rupees with thousands separators, as XTS writes amounts: ``-1,015.00``."""
    sign = "-" if paise < 0 else ""
    rupees, frac = divmod(abs(paise), 100)
    return f"{sign}{rupees:,}.{frac:02d}"


def plain(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    rupees, frac = divmod(abs(paise), 100)
    return f"{sign}{rupees}.{frac:02d}"


def _clock(us_of_day: int) -> tuple[str, int]:
    secs, micros = divmod(us_of_day, 1_000_000)
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}", micros


class Book:
    """The accounts and books of one SimConfig; rows are generated on demand (callers cache
    bytes)."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.dealer = config.profile == "dealer"
        self.user_id = DEALER_USER_ID if self.dealer else INVESTOR_USER_ID
        self.trading_accounts = any(k in TRADING_ACCOUNT_FAULTS for k in config.faults.values())
        self.market = Market(config.seed, config.n_holdings)

    # -- accounts ---------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        if not self.dealer:
            return [Account(INVESTOR_USER_ID, INVESTOR_CLIENT_CODE, INVESTOR_CLIENT_NAME)]
        return [self.account_for(cid) for cid in self.config.dealer_client_ids]

    def account_for(self, client_id: str | None) -> Account:
        if not self.dealer:
            return self.accounts()[0]
        if client_id is None or client_id == PRO_CLIENT_ID:
            return Account(DEALER_USER_ID, DEALER_PRO_CODE, DEALER_PRO_NAME)
        name = random.Random(f"{self.seed}|name|{client_id}").choice(_MAPPED_CLIENT_NAMES)
        return Account(DEALER_USER_ID, client_id, name)

    def client_codes(self) -> list[str]:
        if not self.dealer:
            return [INVESTOR_CLIENT_CODE]
        extra = [c for c in self.config.dealer_client_ids if c != PRO_CLIENT_ID]
        return [DEALER_PRO_CODE, *extra]

    # -- positions (result.positionList) ----------------------------------------------------

    def positions(self, account: Account) -> list[JsonObj]:
        n = self.config.n_positions
        rng = random.Random(f"{self.seed}|positions|{account.code}")
        picks = rng.sample(self.market.contracts, min(n, len(self.market.contracts)))
        picks += [rng.choice(self.market.contracts) for _ in range(n - len(picks))]
        closed_row = min(2, n - 1)
        rows: list[JsonObj] = []
        for i, c in enumerate(picks):
            seg = SEGMENT_CODES[c.segment]
            ltp = self.market.ltp(seg, c.instrument_id)
            product = rng.choice(("MIS", "CNC") if c.segment == "NSECM" else ("NRML", "MIS"))
            lots = rng.randint(1, 4) if c.lot > 1 else rng.randint(1, 60)
            shape = "closed" if i == closed_row else rng.choice(("long", "short", "partial"))
            if shape == "long":
                buy, sell = lots * c.lot, 0
            elif shape == "short":
                buy, sell = 0, lots * c.lot
            elif shape == "partial":
                buy, sell = (lots + 1) * c.lot, c.lot
            else:
                buy = sell = lots * c.lot
            buy_avg = tick(ltp * (1 + rng.uniform(-0.025, 0.025))) if buy else 0
            sell_avg = tick(ltp * (1 + rng.uniform(-0.025, 0.025))) if sell else 0
            buy_amt, sell_amt = buy * buy_avg, sell * sell_avg
            net = buy - sell
            realized = min(buy, sell) * (sell_avg - buy_avg)
            open_avg = buy_avg if net > 0 else sell_avg
            unrealized = net * (ltp - open_avg)
            # quirk: MTM arrives as a long float string (float arithmetic on the server).
            mtm = net * (ltp / 100) - net * (open_avg / 100) + realized * 0.01
            bep = plain(round((buy_amt - sell_amt) / net)) if net else "NaN"  # quirk: "NaN"
            id_key = "ExchangeInstrumentId" if i % 2 == 0 else "ExchangeInstrumentID"
            rows.append(
                {
                    "AccountID": account.code,
                    "TradingSymbol": c.symbol,
                    "ExchangeSegment": c.segment,
                    id_key: str(c.instrument_id),  # quirk: key casing varies, value is a string
                    "ProductType": product,
                    "Marketlot": str(c.lot),
                    "Multiplier": "1",
                    "BuyAveragePrice": plain(buy_avg),
                    "SellAveragePrice": plain(sell_avg),
                    "OpenBuyQuantity": str(buy),
                    "OpenSellQuantity": str(sell),
                    "Quantity": str(net),
                    "BuyAmount": money(buy_amt),  # quirk: thousands separators in money strings
                    "SellAmount": money(sell_amt),
                    "NetAmount": money(sell_amt - buy_amt),
                    "UnrealizedMTM": plain(unrealized),
                    "RealizedMTM": plain(realized),
                    "MTM": repr(mtm),
                    "BEP": bep,
                    "SumOfTradedQuantityAndPriceBuy": money(buy_amt),
                    "SumOfTradedQuantityAndPriceSell": money(sell_amt),
                    "statisticsLevel": "ParentLevel",
                    "isInterOpPosition": "true",
                    "childPositions": {},
                    "MessageCode": 9002,
                    "MessageVersion": 1,
                    "TokenID": 0,
                    "ApplicationType": 0,
                    "SequenceNumber": 600_000_000 + i,
                    "LoginID": account.login_id,
                }
            )
        return rows

    # -- holdings ---------------------------------------------------------------------------

    def holding_equities(self) -> list[Equity]:
        n = self.config.n_holdings
        if n == 0:
            return []
        rng = random.Random(f"{self.seed}|holdings")
        pricey = [e for e in self.market.equities if e.base_paise >= 200_000]
        first = rng.choice(pricey)
        rest = [e for e in self.market.equities if e is not first]
        rng.shuffle(rest)
        return ([first, self.market.bse_only, *rest, *self.market.synthetic])[:n]

    def holdings(self, account: Account) -> list[JsonObj]:
        """Holding rows with the older list-schema fields too; ``holdings_result`` trims them."""
        rng = random.Random(f"{self.seed}|holdings|{account.code}")
        rows: list[JsonObj] = []
        for i, eq in enumerate(self.holding_equities()):
            seg, iid = (1, eq.nse_id) if eq.nse_id else (11, eq.bse_id)
            ltp = self.market.ltp(seg, iid)
            factor = rng.uniform(0.75, 0.95) if rng.random() < 0.5 else rng.uniform(1.05, 1.25)
            avg = int(round(ltp * factor))
            if avg == ltp:
                avg += 5
            qty = 1200 if eq is self.market.bse_only else rng.randint(1, 400)
            # quirk: HoldingQuantity and BuyAvgPrice mix numbers and comma-grouped strings.
            if i % 2 == 0:
                qty_value: int | str = qty
                avg_value: float | str = money(avg)
            else:
                qty_value = f"{qty:,}"
                avg_value = avg / 100
            collateral = rng.choice((0, 0, qty // 2))
            rows.append(
                {
                    "RMSHoldingId": 700_000 + i,
                    "ClientId": account.code,
                    "ClientName": account.name,
                    "ISIN": eq.isin,
                    "Symbol": eq.symbol,
                    "ExchangeNSEInstrumentId": eq.nse_id,
                    "ExchangeBSEInstrumentId": eq.bse_id,
                    "ExchangeMSEIInstrumentId": 0,
                    "HoldingType": 1,
                    "HoldingQuantity": qty_value,
                    "ValuationType": 1,
                    "Haircut": 0.125,
                    "CollateralQuantity": collateral,
                    "PledgeQuantity": 0,
                    "TargetProduct": 1,
                    "CreatedOn": f"{TRADE_DATE_ISO}T08:01:12.000Z",
                    "LastUpdatedOn": f"{TRADE_DATE_ISO}T08:01:12.000Z",
                    "UsedQuantity": 0,
                    "BuyAvgPrice": avg_value,
                    "IsBuyAvgPriceProvided": True,
                }
            )
        return rows

    def holdings_result(self, account: Account) -> JsonObj:
        rows = self.holdings(account)
        if self.config.holdings_shape == "list":
            # older schema (JSDK holding/Result.java): result.ClientId + RMSHoldingList[]
            return {"ClientId": account.code, "RMSHoldingList": rows}
        keep = (
            "ISIN",
            "Symbol",
            "ExchangeNSEInstrumentId",
            "ExchangeBSEInstrumentId",
            "HoldingQuantity",
            "BuyAvgPrice",
            "CollateralQuantity",
            "UsedQuantity",
            "PledgeQuantity",
            "IsBuyAvgPriceProvided",
            "ClientId",
        )
        holdings = {row["ISIN"]: {k: row[k] for k in keep} for row in rows}
        return {"RMSHoldings": {"Holdings": holdings}}

    # -- trade book (result[] of 9005 rows) -------------------------------------------------

    def first_order_id(self, account: Account) -> str:
        """The AppOrderID of the account's first trade (the same whatever ``n_trades`` is, even
        0)."""
        for _text, ids in self.iter_trade_json(account, n=1):
            return ids[0]
        raise AssertionError("iter_trade_json(n=1) yields one row")  # pragma: no cover

    def iter_trade_json(
        self, account: Account, n: int | None = None
    ) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Trade rows in time order, each as compact JSON text plus its raw identifiers
        (AppOrderID, ExchangeOrderID, ExecutionID, OrderUniqueIdentifier, OrderReferenceID).
        Several fills may share one order (same AppOrderID). Rows are written from a template
        rather than json.dumps so that 100 000 of them take about a second. ``n`` overrides
        ``n_trades``; the first rows do not depend on it."""
        if n is None:
            n = self.config.n_trades
        rng = random.Random(f"{self.seed}|trades|{account.code}")
        rand = rng.random
        pool = [
            (
                c.symbol,
                c.segment,
                c.instrument_id,
                c.lot,
                self.market.ltp(SEGMENT_CODES[c.segment], c.instrument_id),
            )
            for c in self.market.contracts
        ]
        app_id = 1_100_000_000 + int(rand() * 90_000_000)
        exch_id = 1_000_000_000_000_000 + int(rand() * 90_000_000_000_000)
        exec_id = 2_000_000_000 + int(rand() * 800_000_000)
        uid = 0x10_0000_0000 + int(rand() * 0x70_0000_0000)
        ref = 100_000_000 + int(rand() * 700_000_000)
        nan_row = min(3, n - 1)
        slot = _SESSION_SPAN_US // max(n, 1)
        # the only values not generated here; everything else is plain ASCII without escapes
        login_json = json.dumps(account.login_id, ensure_ascii=False)
        code_json = json.dumps(account.code, ensure_ascii=False)
        account_field = (
            f'"AccountID":"{trading_account_id(self.seed, account)}",'
            if self.trading_accounts
            else ""
        )
        k = 0
        while k < n:
            symbol, segment, iid, lot, ltp = pool[int(rand() * len(pool))]
            buy = rand() < 0.55
            lots = 1 + int(rand() * (4 if lot > 1 else 150))
            qty = lots * lot
            fills = min((1, 1, 1, 2, 2, 3)[int(rand() * 6)], lots, n - k)
            limit = rand() < 0.5
            order_price = repr(tick(ltp * (1.004 if buy else 0.996)) / 100) if limit else "0"
            if segment == "NSECM":
                product = "CNC" if rand() < 0.5 else "MIS"
            else:
                product = "NRML" if rand() < 0.5 else "MIS"
            app_id += 1 + int(rand() * 9)
            exch_id += 1 + int(rand() * 999)
            uid += 1 + int(rand() * 4095)
            ref += 1 + int(rand() * 99)
            t_order = _SESSION_START_US + k * slot + int(rand() * max(slot // 4, 1))
            gen_clock, gen_us = _clock(t_order)
            side = (
                '"OrderSide":"Buy","OrderSideAPI":"BUY"'
                if buy
                else ('"OrderSide":"Sell","OrderSideAPI":"SELL"')
            )
            order_ref = f"REF{ref:09d}"
            exchange_order_id = str(exch_id)
            unique_id = f"jv{uid:010x}"
            head = (
                f'{{"LoginID":{login_json},"ClientID":{code_json},{account_field}'
                f'"AppOrderID":{app_id},'
                f'"OrderReferenceID":"{order_ref}","ExchangeOrderID":"{exchange_order_id}",'
                f'"ExchangeSegment":"{segment}","ExchangeInstrumentID":{iid},'
                f'"TradingSymbol":"{symbol}",{side},'
                f'"OrderType":"{"Limit" if limit else "Market"}","ProductType":"{product}",'
                f'"TimeInForce":"DAY","OrderPrice":{order_price},"OrderQuantity":{qty},'
                '"OrderStatus":"Filled",'
            )
            generated = f'"OrderGeneratedDateTime":"{TRADE_DATE_ISO}T{gen_clock}.{gen_us:06d}",'
            cum = 0
            value = 0
            for f in range(fills):
                fill_qty = qty - cum if f == fills - 1 else lot * max(1, lots // fills)
                price = tick(ltp * (0.996 + rand() * 0.008))
                cum += fill_qty
                value += fill_qty * price
                avg = int(round(value / cum))
                exec_id += 1 + int(rand() * 50)
                fill_clock, fill_us = _clock(t_order + (f + 1) * max(slot // (4 * fills), 1))
                # quirk: OrderAverageTradedPrice is a string with thousands separators from
                # 1,000 up; OrderAverageTradedPriceAPI is a number, or the string "NaN"
                avg_api = '"NaN"' if k == nan_row else repr(avg / 100)
                text = (
                    f'{head}"OrderAverageTradedPrice":"{money(avg)}",'
                    f'"OrderAverageTradedPriceAPI":{avg_api},'
                    f'"LeavesQuantity":{qty - cum},"CumulativeQuantity":{cum},{generated}'
                    f'"ExchangeTransactTime":"{TRADE_DATE_ISO}T{fill_clock}+05:30",'
                    f'"ExchangeTransactTimeAPI":"{TRADE_DATE_API} {fill_clock}",'
                    f'"LastUpdateDateTime":"{TRADE_DATE_ISO}T{fill_clock}.{fill_us:06d}",'
                    f'"LastTradedPrice":{price / 100!r},"LastTradedQuantity":{fill_qty},'
                    f'"ExecutionID":"{exec_id}","OrderUniqueIdentifier":"{unique_id}",'
                    # MessageSynchronizeUniqueKey holds the client code
                    f'"MessageSynchronizeUniqueKey":{code_json},"MessageCode":9005,'
                    f'"SequenceNumber":{1_500_000_000 + k}}}'
                )
                yield text, (str(app_id), exchange_order_id, str(exec_id), unique_id, order_ref)
                k += 1
