"""Seeded payload generation for the XTS simulator: the fake accounts of each profile, the
instrument universe (NSE cash, NSE F&O and BSE cash, with deterministic last traded prices),
and the positions, holdings, trade-book and 1502 quote rows, each with the field names and type
quirks of real XTS payloads (string quantities, thousands separators, mixed key casing, "NaN").
Everything is a pure function of ``SimConfig.seed`` and the account, so equal configs give
byte-identical books. Identifiers are fake but shaped like real ones and at least 5 characters.
The ``unreadable_rows`` and ``missing_fields`` faults get their fixed, id-free results from
``unreadable_result`` and ``missing_fields_result``. When a fault that echoes an account's
trading account id is configured (``TRADING_ACCOUNT_FAULTS``), trade-book rows carry that id
(``trading_account_id``) as ``AccountID``: a normal pass meets it in the trade book only."""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jainam_validate.simulator.scenario import PRO_CLIENT_ID, SimConfig

JsonObj = dict[str, Any]

SEGMENT_CODES = {"NSECM": 1, "NSEFO": 2, "BSECM": 11}
TRADE_DATE_ISO = "2026-11-27"
TRADE_DATE_API = "27-11-2026"
# XTS market-data timestamps count seconds from 1980-01-01; this is 2026-11-27 15:29:59 IST.
QUOTE_TIME_1980 = 1480240799
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


@dataclass(frozen=True)
class Equity:
    symbol: str
    isin: str
    nse_id: int  # 0 = not listed on NSE
    bse_id: int
    base_paise: int


@dataclass(frozen=True)
class Contract:
    """Something positions and trades can reference (NSE cash or NSE F&O)."""

    symbol: str
    segment: str
    instrument_id: int
    lot: int


_ISIN_DIGITS = str.maketrans({ch: str(int(ch, 36)) for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # digit sum of 2*d


def _luhn_total(reversed_digits: str) -> int:
    doubled = reversed_digits[0::2].translate(_LUHN_DOUBLED)
    return sum(map(int, doubled)) + sum(map(int, reversed_digits[1::2]))


def isin_check_digit(body: str) -> str:
    return str(-_luhn_total(body.translate(_ISIN_DIGITS)[::-1]) % 10)


def make_isin(body11: str) -> str:
    return body11 + isin_check_digit(body11)


# Synthetic ISINs are "INEZ" + 7 digits + check; the Luhn sum splits into a constant for the
# prefix plus table lookups for the two halves of the number, so huge books stay fast.
_SYNTH_PREFIX_TOTAL = _luhn_total("INEZ0000000".translate(_ISIN_DIGITS)[::-1])


@functools.cache
def _luhn_4() -> tuple[int, ...]:
    return tuple(_luhn_total(f"{x:04d}"[::-1]) for x in range(10_000))


def synthetic_isin(k: int) -> str:
    k %= 10_000_000
    table = _luhn_4()
    total = _SYNTH_PREFIX_TOTAL + table[k % 10_000] + table[k // 10_000]
    return f"INEZ{k:07d}{-total % 10}"


# (symbol, ISIN without check digit, NSE id, BSE id, price in rupees)
_EQUITIES: tuple[tuple[str, str, int, int, int], ...] = (
    ("RELIANCE", "INE002A0101", 2885, 500325, 2905),
    ("TCS", "INE467B0102", 11536, 532540, 3920),
    ("HDFCBANK", "INE040A0103", 1333, 500180, 1655),
    ("INFY", "INE009A0102", 1594, 500209, 1810),
    ("ICICIBANK", "INE090A0102", 4963, 532174, 1262),
    ("SBIN", "INE062A0102", 3045, 500112, 812),
    ("ITC", "INE154A0102", 1660, 500875, 463),
    ("LT", "INE018A0103", 11483, 500510, 3610),
    ("AXISBANK", "INE238A0103", 5900, 532215, 1149),
    ("BHARTIARTL", "INE397D0102", 10604, 532454, 1604),
    ("TATAMOTORS", "INE155A0102", 3456, 500570, 748),
    ("WIPRO", "INE075A0102", 3787, 507685, 291),
    ("HINDUNILVR", "INE030A0102", 1394, 500696, 2398),
    ("SUNPHARMA", "INE044A0103", 3351, 524715, 1752),
    ("NTPC", "INE733E0101", 11630, 532555, 362),
    ("ONGC", "INE213A0102", 2475, 500312, 259),
)
# quirk: some holdings are BSE-only (ExchangeNSEInstrumentId 0); fake SME scrip.
_BSE_ONLY = ("KRSNAORG", "INE0RK50101", 0, 543877, 146)
# (trading symbol, NSEFO id, lot, price in rupees)
_FO_CONTRACTS: tuple[tuple[str, int, int, float], ...] = (
    ("NIFTY26NOVFUT", 52175, 75, 24150.0),
    ("BANKNIFTY26NOVFUT", 52170, 35, 52310.0),
    ("RELIANCE26NOVFUT", 52220, 500, 2912.0),
    ("NIFTY26NOV24000CE", 41320, 75, 185.5),
    ("NIFTY26NOV23800PE", 41301, 75, 92.3),
    ("BANKNIFTY26NOV52000PE", 41655, 35, 410.0),
)


def money(paise: int) -> str:
    """Rupees with thousands separators, as XTS writes amounts: ``-1,015.00``."""
    sign = "-" if paise < 0 else ""
    rupees, frac = divmod(abs(paise), 100)
    return f"{sign}{rupees:,}.{frac:02d}"


def plain(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    rupees, frac = divmod(abs(paise), 100)
    return f"{sign}{rupees}.{frac:02d}"


def _tick(paise: float) -> int:
    return max(5, int(round(paise / 5.0)) * 5)


def _clock(us_of_day: int) -> tuple[str, int]:
    secs, micros = divmod(us_of_day, 1_000_000)
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}", micros


class Book:
    """All payloads of one SimConfig; rows are generated on demand (callers cache bytes)."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.dealer = config.profile == "dealer"
        self.user_id = DEALER_USER_ID if self.dealer else INVESTOR_USER_ID
        self.trading_accounts = any(k in TRADING_ACCOUNT_FAULTS for k in config.faults.values())
        self.equities: list[Equity] = [
            Equity(sym, make_isin(body), nse, bse, rupees * 100)
            for sym, body, nse, bse, rupees in _EQUITIES
        ]
        sym, body, nse, bse, rupees = _BSE_ONLY
        self.bse_only = Equity(sym, make_isin(body), nse, bse, rupees * 100)
        self.synthetic: list[Equity] = []
        extra = config.n_holdings - (len(self.equities) + 1)
        synth_rng = random.Random(f"{self.seed}|synth")
        for k in range(max(0, extra)):
            base = synth_rng.randint(40, 4000) * 100
            self.synthetic.append(
                Equity(f"JVSYN{k:05d}", synthetic_isin(k), 60000 + k, 900000 + k, base)
            )
        self.contracts: list[Contract] = [
            Contract(f"{e.symbol}-EQ", "NSECM", e.nse_id, 1) for e in self.equities
        ] + [Contract(sym, "NSEFO", iid, lot) for sym, iid, lot, _ in _FO_CONTRACTS]
        self._ltp: dict[tuple[int, int], int] = {}
        self._close: dict[tuple[int, int], int] = {}
        for eq in [*self.equities, self.bse_only]:
            self._add_equity(eq, random.Random(f"{self.seed}|ltp|{eq.isin}"))
        for eq in self.synthetic:  # one stream: seeding a Random per row is slow at 100 000
            self._add_equity(eq, synth_rng)
        for _symbol, fo_id, _lot, fo_price in _FO_CONTRACTS:
            self._add_price(2, fo_id, fo_price * 100, random.Random(f"{self.seed}|ltp|{fo_id}"))

    # -- instruments and prices -------------------------------------------------------------

    def _add_price(self, seg: int, iid: int, base_paise: float, rng: random.Random) -> int:
        ltp = _tick(base_paise * (1 + rng.uniform(-0.03, 0.03)))
        close = _tick(ltp * (1 + rng.uniform(-0.02, 0.02)))
        self._ltp[(seg, iid)] = ltp
        self._close[(seg, iid)] = close
        return ltp

    def _add_equity(self, eq: Equity, rng: random.Random) -> None:
        if eq.nse_id:
            ltp = self._add_price(1, eq.nse_id, eq.base_paise, rng)
            self._add_price(11, eq.bse_id, ltp + 5 * ((eq.bse_id % 5) - 2), rng)
        else:
            self._add_price(11, eq.bse_id, eq.base_paise, rng)

    def ltp_paise(self, segment: int, instrument_id: int) -> int | None:
        return self._ltp.get((segment, instrument_id))

    def quotable(self) -> list[tuple[int, int]]:
        return sorted(self._ltp)

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
        picks = rng.sample(self.contracts, min(n, len(self.contracts)))
        picks += [rng.choice(self.contracts) for _ in range(n - len(picks))]
        closed_row = min(2, n - 1)
        rows: list[JsonObj] = []
        for i, c in enumerate(picks):
            seg = SEGMENT_CODES[c.segment]
            ltp = self._ltp[(seg, c.instrument_id)]
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
            buy_avg = _tick(ltp * (1 + rng.uniform(-0.025, 0.025))) if buy else 0
            sell_avg = _tick(ltp * (1 + rng.uniform(-0.025, 0.025))) if sell else 0
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
        pricey = [e for e in self.equities if e.base_paise >= 200_000]
        first = rng.choice(pricey)
        rest = [e for e in self.equities if e is not first]
        rng.shuffle(rest)
        return ([first, self.bse_only, *rest, *self.synthetic])[:n]

    def holdings(self, account: Account) -> list[JsonObj]:
        """Holding rows with the older list-schema fields too; ``holdings_result`` trims them."""
        rng = random.Random(f"{self.seed}|holdings|{account.code}")
        rows: list[JsonObj] = []
        for i, eq in enumerate(self.holding_equities()):
            seg, iid = (1, eq.nse_id) if eq.nse_id else (11, eq.bse_id)
            ltp = self._ltp[(seg, iid)]
            factor = rng.uniform(0.75, 0.95) if rng.random() < 0.5 else rng.uniform(1.05, 1.25)
            avg = int(round(ltp * factor))
            if avg == ltp:
                avg += 5
            qty = 1200 if eq is self.bse_only else rng.randint(1, 400)
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

    def trades(self, account: Account) -> list[JsonObj]:
        return [json.loads(text) for text, _ids in self.iter_trade_json(account)]

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
                self._ltp[(SEGMENT_CODES[c.segment], c.instrument_id)],
            )
            for c in self.contracts
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
            order_price = repr(_tick(ltp * (1.004 if buy else 0.996)) / 100) if limit else "0"
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
                price = _tick(ltp * (0.996 + rand() * 0.008))
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

    # -- quotes ------------------------------------------------------------------------------

    def quote(self, segment: int, instrument_id: int, message_code: int) -> JsonObj | None:
        """The parsed 1502 (market depth) or 1501 (touchline) object, or None if unknown."""
        key = (segment, instrument_id)
        ltp = self._ltp.get(key)
        if ltp is None:
            return None
        close = self._close[key]
        rng = random.Random(f"{self.seed}|quote|{segment}|{instrument_id}")
        open_ = _tick(close * (1 + rng.uniform(-0.01, 0.01)))
        high = max(open_, ltp, close) + 5 * rng.randint(0, 20)
        low = max(5, min(open_, ltp, close) - 5 * rng.randint(0, 20))
        bids = [
            {
                "Size": rng.randint(1, 900),
                "Price": max(5, ltp - 5 * (i + 1)) / 100,
                "TotalOrders": rng.randint(1, 12),
                "BuyBackMarketMaker": 0,
            }
            for i in range(5)
        ]
        asks = [
            {
                "Size": rng.randint(1, 900),
                "Price": (ltp + 5 * (i + 1)) / 100,
                "TotalOrders": rng.randint(1, 12),
                "BuyBackMarketMaker": 0,
            }
            for i in range(5)
        ]
        traded = rng.randint(10_000, 9_000_000)
        touchline: JsonObj = {
            "BidInfo": {**bids[0], "BuyBackMarketMaker": 0},
            "AskInfo": {**asks[0], "BuyBackMarketMaker": 0},
            "LastTradedPrice": ltp / 100,
            "LastTradedQunatity": rng.randint(1, 500),  # quirk: sic, XTS spells it this way
            "TotalBuyQuantity": rng.randint(1_000, 900_000),
            "TotalSellQuantity": rng.randint(1_000, 900_000),
            "TotalTradedQuantity": traded,
            "AverageTradedPrice": round((low + high) / 200, 2),
            "LastTradedTime": QUOTE_TIME_1980 - rng.randint(0, 30),
            "LastUpdateTime": QUOTE_TIME_1980,
            "PercentChange": (ltp - close) * 100 / close,
            "Open": open_ / 100,
            "High": high / 100,
            "Low": low / 100,
            "Close": close / 100,
            # quirk: TotalValueTraded may be null
            "TotalValueTraded": None if instrument_id % 3 == 0 else traded * ltp // 100,
            "BuyBackTotalBuy": 0,
            "BuyBackTotalSell": 0,
        }
        obj: JsonObj = {
            "MessageCode": message_code,
            "MessageVersion": 4,
            "ApplicationType": 0,
            "TokenID": 0,
            "ExchangeSegment": segment,
            "ExchangeInstrumentID": instrument_id,
            "ExchangeTimeStamp": QUOTE_TIME_1980,
        }
        if message_code == 1502:
            obj.update(
                {
                    "Bids": bids,
                    "Asks": asks,
                    "Touchline": touchline,
                    "BookType": 1,
                    "XMarketType": 1,
                    "SequenceNumber": 1_733_000_000,
                }
            )
        else:
            obj.update(
                {
                    "Touchline": touchline,
                    "BookType": 1,
                    "XMarketType": 1,
                    "SequenceNumber": 1_733_000_000,
                }
            )
        return obj


# -- the unreadable_rows and missing_fields faults --------------------------------------------
# invented: both are fixed payloads with no client, account or order identifiers.


def unreadable_result(flow: str, holdings_shape: str) -> Any:
    """The ``result`` of a book whose rows are not records: scalars, nulls, booleans, lists."""
    rows: list[Any] = ["AppOrderID=1", 42, None, True, [1, 2], "x"]
    if flow == "tradebook":
        return rows
    if flow == "positions":
        return {"positionList": rows}
    if holdings_shape == "list":
        return {"RMSHoldingList": rows}
    values: list[Any] = ["HoldingQuantity=10", 42, None, 3.5, "x"]
    isins = [make_isin(body) for _sym, body, *_ in _EQUITIES[: len(values)]]
    return {"RMSHoldings": {"Holdings": dict(zip(isins, values, strict=True))}}


def missing_fields_result(flow: str, holdings_shape: str) -> Any:
    """The ``result`` of a book whose rows are objects without the fields a row needs: trades
    without AppOrderID, TradingSymbol, ExchangeInstrumentID or any quantity; positions without
    instrument id, TradingSymbol or quantity; holdings without HoldingQuantity."""
    if flow == "tradebook":
        return [
            {
                "ExchangeSegment": segment,
                "OrderSide": side.title(),
                "OrderSideAPI": side,
                "OrderType": "Market",
                "ProductType": product,
                "TimeInForce": "DAY",
                "OrderStatus": "Filled",
                "ExchangeTransactTime": f"{TRADE_DATE_ISO}T10:1{k}:00+05:30",
                "MessageCode": 9005,
            }
            for k, (segment, side, product) in enumerate(
                (("NSECM", "BUY", "CNC"), ("NSEFO", "SELL", "NRML"), ("NSECM", "SELL", "MIS"))
            )
        ]
    if flow == "positions":
        rows = [
            {
                "ExchangeSegment": segment,
                "ProductType": product,
                "BuyAveragePrice": "0.00",
                "SellAveragePrice": "0.00",
                "MTM": "0",
                "statisticsLevel": "ParentLevel",
                "MessageCode": 9002,
            }
            for segment, product in (("NSECM", "MIS"), ("NSEFO", "NRML"), ("NSECM", "CNC"))
        ]
        return {"positionList": rows}
    holdings = [
        {
            "ISIN": make_isin(body),
            "Symbol": symbol,
            "ExchangeNSEInstrumentId": nse,
            "ExchangeBSEInstrumentId": bse,
            "BuyAvgPrice": float(rupees),
            "IsBuyAvgPriceProvided": True,
        }
        for symbol, body, nse, bse, rupees in _EQUITIES[:3]
    ]
    if holdings_shape == "list":
        return {"RMSHoldingList": holdings}
    return {"RMSHoldings": {"Holdings": {row["ISIN"]: row for row in holdings}}}
