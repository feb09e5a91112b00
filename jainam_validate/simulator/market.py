"""The simulator's market: the instrument universe (NSE cash, NSE F&O and BSE cash, a BSE-only
scrip, and synthetic equities when a book asks for more holdings than there are real names),
ISIN construction with a valid check digit, deterministic last traded and close prices, and the
1502 (market depth) and 1501 (touchline) quote objects with the field names and quirks of real
XTS market data. A ``Market`` is a pure function of the seed and the holdings count, so equal
configs quote byte-identical prices; the books in ``book`` price their rows from it."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from jainam_validate.simulator.responses import JsonObj

SEGMENT_CODES = {"NSECM": 1, "NSEFO": 2, "BSECM": 11}
# XTS market-data timestamps count seconds from 1980-01-01; this is 2026-11-27 15:29:59 IST.
QUOTE_TIME_1980 = 1480240799


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
EQUITIES: tuple[tuple[str, str, int, int, int], ...] = (
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


def tick(paise: float) -> int:
    """A price in paise on the 5-paise tick, never under one tick."""
    return max(5, int(round(paise / 5.0)) * 5)


class Market:
    """The instruments and prices of one seed; quotes are generated on demand."""

    def __init__(self, seed: int, n_holdings: int) -> None:
        self.seed = seed
        self.equities: list[Equity] = [
            Equity(sym, make_isin(body), nse, bse, rupees * 100)
            for sym, body, nse, bse, rupees in EQUITIES
        ]
        sym, body, nse, bse, rupees = _BSE_ONLY
        self.bse_only = Equity(sym, make_isin(body), nse, bse, rupees * 100)
        self.synthetic: list[Equity] = []
        extra = n_holdings - (len(self.equities) + 1)
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

    def _add_price(self, seg: int, iid: int, base_paise: float, rng: random.Random) -> int:
        ltp = tick(base_paise * (1 + rng.uniform(-0.03, 0.03)))
        close = tick(ltp * (1 + rng.uniform(-0.02, 0.02)))
        self._ltp[(seg, iid)] = ltp
        self._close[(seg, iid)] = close
        return ltp

    def _add_equity(self, eq: Equity, rng: random.Random) -> None:
        if eq.nse_id:
            ltp = self._add_price(1, eq.nse_id, eq.base_paise, rng)
            self._add_price(11, eq.bse_id, ltp + 5 * ((eq.bse_id % 5) - 2), rng)
        else:
            self._add_price(11, eq.bse_id, eq.base_paise, rng)

    def ltp(self, segment: int, instrument_id: int) -> int:
        """The last traded price in paise of a known instrument (KeyError if unknown)."""
        return self._ltp[(segment, instrument_id)]

    def quote(self, segment: int, instrument_id: int, message_code: int) -> JsonObj | None:
        """The parsed 1502 (market depth) or 1501 (touchline) object, or None if unknown."""
        key = (segment, instrument_id)
        ltp = self._ltp.get(key)
        if ltp is None:
            return None
        close = self._close[key]
        rng = random.Random(f"{self.seed}|quote|{segment}|{instrument_id}")
        open_ = tick(close * (1 + rng.uniform(-0.01, 0.01)))
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
