"""The simulated venues' instrument universe, and what one liquidation on it is worth. Pure.

Every market says what one unit of its wire size field is (the same rules liqwatch's parsers and
`liqwatch.instruments` apply, written down once more here from the venues' docs, so the simulator is
an independent check of them):

- linear:   one size unit is `unit` coins (Binance 1000PEPEUSDT: 1000 PEPE); the price is quoted per
            `bundle` coins. usd = size × unit × price / bundle.
- inverse:  one size unit (a contract) is `unit` USD. usd = size × unit; qty = usd / price.
- quote:    the size field IS the quote notional (Bitget `amount`). usd = amount; qty = amount / price.
- quanto:   settles in another coin (BitMEX ETHUSD): no USD value without that coin's price → None.
- unpriced: the venue publishes no verified contract value (Gate BTC-settled) → None.

The REST instrument responses (`sim/rest/`) describe exactly these markets, so liqwatch's own
`parse_instruments` builds a catalogue that agrees with `expected()`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

SizeKind = Literal["linear", "inverse", "quote", "quanto", "unpriced"]

USD_LIKE = frozenset({"USD", "USDT", "USDC"})

# Starting prices (USD per coin) and how each coin moves with BTC: (beta, idiosyncratic vol × BTC's).
COINS: dict[str, tuple[float, float, float]] = {
    "BTC": (95_000.0, 1.0, 0.0),
    "ETH": (3_300.0, 1.2, 0.6),
    "SOL": (180.0, 1.5, 0.9),
    "XRP": (2.3, 1.3, 0.9),
    "DOGE": (0.25, 1.6, 1.1),
    "PEPE": (0.000012, 1.9, 1.4),
    "BNB": (650.0, 0.8, 0.5),
    "SUI": (3.5, 1.7, 1.2),
    "LINK": (20.0, 1.3, 0.8),
    "SHIB": (0.000015, 1.6, 1.1),
}

# Share of all liquidations per venue (normalized over the selected venues). Binance USD-M and COIN-M
# share one merged universe (both hosts push both, see protocol/).
VENUE_SHARE: dict[str, float] = {
    "binance_usdm": 0.32,
    "binance_coinm": 0.06,
    "bybit": 0.25,
    "okx": 0.12,
    "bitget": 0.08,
    "gate": 0.08,
    "bitmex": 0.03,
    "deribit": 0.04,
    "aster": 0.04,
    "dydx": 0.02,
    "lighter": 0.03,
    "kraken_futures": 0.02,
    "bitfinex": 0.01,
    "htx": 0.03,
    "hyperliquid": 0.10,  # only when the simulator writes a node's fills files (see sim/node_writer.py)
}


@dataclass(frozen=True)
class Market:
    venue: str
    symbol: str
    coin: str
    kind: SizeKind
    unit: str  # see the module docstring (decimal text)
    quote: str  # USDT, USDC, USD
    tick: str  # price increment (decimal text)
    lot: str  # size increment (decimal text)
    weight: float  # share of the venue's liquidations
    conn: str = ""  # connection at the venue when it has several (bybit linear/inverse, gate usdt/btc)
    group: str = ""  # channel group: OKX/Bitget instType, Deribit currency
    bundle: int = 1  # coins per quoted price unit
    expiry: str = ""  # YYMMDD of a dated future
    st: int = 0  # Binance symbol type: 1 USD-M, 2 COIN-M


def _m(
    venue: str,
    symbol: str,
    coin: str,
    kind: SizeKind,
    unit: str,
    quote: str,
    tick: str,
    lot: str,
    weight: float,
    *,
    conn: str = "",
    group: str = "",
    bundle: int = 1,
    expiry: str = "",
    st: int = 0,
) -> Market:
    return Market(venue, symbol, coin, kind, unit, quote, tick, lot, weight, conn, group, bundle, expiry, st)


def _binance() -> list[Market]:
    um = "binance_usdm"
    cm = "binance_coinm"
    u: dict[str, Any] = {"conn": "market", "st": 1}
    c: dict[str, Any] = {"conn": "market", "st": 2}
    return [
        _m(um, "BTCUSDT", "BTC", "linear", "1", "USDT", "0.1", "0.001", 30, **u),
        _m(um, "ETHUSDT", "ETH", "linear", "1", "USDT", "0.01", "0.001", 18, **u),
        _m(um, "SOLUSDT", "SOL", "linear", "1", "USDT", "0.01", "1", 9, **u),
        _m(um, "XRPUSDT", "XRP", "linear", "1", "USDT", "0.0001", "0.1", 6, **u),
        _m(um, "DOGEUSDT", "DOGE", "linear", "1", "USDT", "0.00001", "1", 6, **u),
        _m(um, "1000PEPEUSDT", "PEPE", "linear", "1000", "USDT", "0.0000001", "1", 5, bundle=1000, **u),
        _m(um, "BNBUSDT", "BNB", "linear", "1", "USDT", "0.01", "0.01", 3, **u),
        _m(um, "SUIUSDT", "SUI", "linear", "1", "USDT", "0.0001", "0.1", 3, **u),
        _m(um, "LINKUSDT", "LINK", "linear", "1", "USDT", "0.001", "0.01", 2, **u),
        _m(um, "BTCUSDC", "BTC", "linear", "1", "USDC", "0.1", "0.001", 3, **u),
        _m(um, "ETHUSDC", "ETH", "linear", "1", "USDC", "0.01", "0.001", 2, **u),
        _m(um, "BTCUSDT_261225", "BTC", "linear", "1", "USDT", "0.1", "0.001", 1, expiry="261225", **u),
        _m(cm, "BTCUSD_PERP", "BTC", "inverse", "100", "USD", "0.1", "1", 35, **c),
        _m(cm, "ETHUSD_PERP", "ETH", "inverse", "10", "USD", "0.01", "1", 25, **c),
        _m(cm, "SOLUSD_PERP", "SOL", "inverse", "10", "USD", "0.001", "1", 8, **c),
        _m(cm, "XRPUSD_PERP", "XRP", "inverse", "10", "USD", "0.0001", "1", 6, **c),
        _m(cm, "DOGEUSD_PERP", "DOGE", "inverse", "10", "USD", "0.000001", "1", 5, **c),
        _m(cm, "BNBUSD_PERP", "BNB", "inverse", "10", "USD", "0.001", "1", 5, **c),
        _m(cm, "BTCUSD_261225", "BTC", "inverse", "100", "USD", "0.1", "1", 6, expiry="261225", **c),
    ]


def _bybit() -> list[Market]:
    # Exactly the bundled snapshot's symbols: an offline collector subscribes to every one of them.
    v = "bybit"
    lin: dict[str, Any] = {"conn": "linear"}
    inv: dict[str, Any] = {"conn": "inverse"}
    return [
        _m(v, "BTCUSDT", "BTC", "linear", "1", "USDT", "0.1", "0.001", 28, **lin),
        _m(v, "ETHUSDT", "ETH", "linear", "1", "USDT", "0.01", "0.01", 16, **lin),
        _m(v, "SOLUSDT", "SOL", "linear", "1", "USDT", "0.01", "0.1", 10, **lin),
        _m(v, "XRPUSDT", "XRP", "linear", "1", "USDT", "0.0001", "1", 7, **lin),
        _m(v, "DOGEUSDT", "DOGE", "linear", "1", "USDT", "0.00001", "1", 7, **lin),
        _m(v, "BNBUSDT", "BNB", "linear", "1", "USDT", "0.01", "0.01", 3, **lin),
        _m(v, "1000PEPEUSDT", "PEPE", "linear", "1000", "USDT", "0.0000001", "100", 5, bundle=1000, **lin),
        _m(v, "SHIB1000USDT", "SHIB", "linear", "1000", "USDT", "0.000001", "100", 2, bundle=1000, **lin),
        _m(v, "BTCUSD", "BTC", "inverse", "1", "USD", "0.5", "1", 10, **inv),
        _m(v, "ETHUSD", "ETH", "inverse", "1", "USD", "0.05", "1", 5, **inv),
        _m(v, "XRPUSD", "XRP", "inverse", "1", "USD", "0.0001", "1", 2, **inv),
    ]


def _okx() -> list[Market]:
    v = "okx"
    swap: dict[str, Any] = {"conn": "public", "group": "SWAP"}
    fut: dict[str, Any] = {"conn": "public", "group": "FUTURES", "expiry": "261225"}
    return [
        _m(v, "BTC-USDT-SWAP", "BTC", "linear", "0.01", "USDT", "0.1", "1", 30, **swap),
        _m(v, "ETH-USDT-SWAP", "ETH", "linear", "0.1", "USDT", "0.01", "1", 20, **swap),
        _m(v, "SOL-USDT-SWAP", "SOL", "linear", "1", "USDT", "0.01", "1", 10, **swap),
        _m(v, "XRP-USDT-SWAP", "XRP", "linear", "100", "USDT", "0.0001", "1", 7, **swap),
        _m(v, "DOGE-USDT-SWAP", "DOGE", "linear", "1000", "USDT", "0.00001", "1", 7, **swap),
        _m(v, "PEPE-USDT-SWAP", "PEPE", "linear", "10000000", "USDT", "0.000000001", "1", 4, **swap),
        _m(v, "BTC-USD-SWAP", "BTC", "inverse", "100", "USD", "0.1", "1", 12, **swap),
        _m(v, "ETH-USD-SWAP", "ETH", "inverse", "10", "USD", "0.01", "1", 10, **swap),
        _m(v, "BTC-USDT-261225", "BTC", "linear", "0.01", "USDT", "0.1", "1", 2, **fut),
        _m(v, "BTC-USD-261225", "BTC", "inverse", "100", "USD", "0.1", "1", 2, **fut),
    ]


def _bitmex() -> list[Market]:
    v = "bitmex"
    r: dict[str, Any] = {"conn": "realtime"}
    return [
        _m(v, "XBTUSD", "BTC", "inverse", "1", "USD", "0.5", "100", 60, **r),
        _m(v, "XBTUSDT", "BTC", "linear", "0.000001", "USDT", "0.5", "1000", 20, **r),
        _m(v, "ETHUSDT", "ETH", "linear", "0.00001", "USDT", "0.05", "1000", 10, **r),
        _m(v, "ETHUSD", "ETH", "quanto", "100", "USD", "0.05", "1", 10, **r),
    ]


def _deribit() -> list[Market]:
    v = "deribit"
    return [
        _m(v, "BTC-PERPETUAL", "BTC", "inverse", "1", "USD", "0.5", "10", 50, conn="ws", group="BTC"),
        _m(v, "ETH-PERPETUAL", "ETH", "inverse", "1", "USD", "0.05", "1", 30, conn="ws", group="ETH"),
        _m(v, "BTC-25DEC26", "BTC", "inverse", "1", "USD", "2.5", "10", 8, conn="ws", group="BTC", expiry="261225"),
        _m(v, "BTC_USDC-PERPETUAL", "BTC", "linear", "1", "USDC", "1", "0.0001", 7, conn="ws", group="USDC"),
        _m(v, "ETH_USDC-PERPETUAL", "ETH", "linear", "1", "USDC", "0.1", "0.001", 5, conn="ws", group="USDC"),
    ]


def _bitget() -> list[Market]:
    v = "bitget"
    usdt: dict[str, Any] = {"conn": "public", "group": "usdt-futures"}
    return [
        _m(v, "BTCUSDT", "BTC", "quote", "1", "USDT", "0.1", "0.0001", 30, **usdt),
        _m(v, "ETHUSDT", "ETH", "quote", "1", "USDT", "0.01", "0.01", 20, **usdt),
        _m(v, "SOLUSDT", "SOL", "quote", "1", "USDT", "0.001", "0.1", 10, **usdt),
        _m(v, "XRPUSDT", "XRP", "quote", "1", "USDT", "0.0001", "1", 8, **usdt),
        _m(v, "DOGEUSDT", "DOGE", "quote", "1", "USDT", "0.00001", "1", 8, **usdt),
        _m(v, "PEPEUSDT", "PEPE", "quote", "1", "USDT", "0.000000001", "1", 4, **usdt),
        _m(v, "SUIUSDT", "SUI", "quote", "1", "USDT", "0.0001", "0.1", 5, **usdt),
        _m(v, "LINKUSDT", "LINK", "quote", "1", "USDT", "0.001", "0.1", 4, **usdt),
        _m(v, "BTCUSD", "BTC", "quote", "1", "USD", "0.1", "0.001", 5, conn="public", group="coin-futures"),
        _m(v, "ETHUSD", "ETH", "quote", "1", "USD", "0.01", "0.01", 3, conn="public", group="coin-futures"),
        _m(v, "BTCPERP", "BTC", "quote", "1", "USDC", "0.1", "0.0001", 3, conn="public", group="usdc-futures"),
    ]


def _gate() -> list[Market]:
    v = "gate"
    usdt: dict[str, Any] = {"conn": "usdt"}
    return [
        _m(v, "BTC_USDT", "BTC", "linear", "0.0001", "USDT", "0.1", "1", 30, **usdt),
        _m(v, "ETH_USDT", "ETH", "linear", "0.01", "USDT", "0.01", "1", 20, **usdt),
        _m(v, "SOL_USDT", "SOL", "linear", "1", "USDT", "0.001", "1", 10, **usdt),
        _m(v, "XRP_USDT", "XRP", "linear", "10", "USDT", "0.0001", "1", 8, **usdt),
        _m(v, "DOGE_USDT", "DOGE", "linear", "10", "USDT", "0.000001", "1", 8, **usdt),
        _m(v, "PEPE_USDT", "PEPE", "linear", "10000000", "USDT", "0.000000001", "1", 5, **usdt),
        _m(v, "SUI_USDT", "SUI", "linear", "1", "USDT", "0.0001", "1", 5, **usdt),
        _m(v, "BTC_USD", "BTC", "unpriced", "1", "USD", "0.1", "1", 4, conn="btc"),
    ]


def _aster() -> list[Market]:
    # Binance USD-M's shape on Aster's host: USDT linear perpetuals, no COIN-M, no `st`.
    v = "aster"
    c: dict[str, Any] = {"conn": "market"}
    return [
        _m(v, "BTCUSDT", "BTC", "linear", "1", "USDT", "0.1", "0.001", 30, **c),
        _m(v, "ETHUSDT", "ETH", "linear", "1", "USDT", "0.01", "0.001", 20, **c),
        _m(v, "SOLUSDT", "SOL", "linear", "1", "USDT", "0.01", "0.01", 10, **c),
        _m(v, "BNBUSDT", "BNB", "linear", "1", "USDT", "0.01", "0.01", 8, **c),
        _m(v, "XRPUSDT", "XRP", "linear", "1", "USDT", "0.0001", "0.1", 5, **c),
        _m(v, "DOGEUSDT", "DOGE", "linear", "1", "USDT", "0.00001", "1", 5, **c),
        _m(v, "1000PEPEUSDT", "PEPE", "linear", "1000", "USDT", "0.0000001", "1", 4, bundle=1000, **c),
        _m(v, "SUIUSDT", "SUI", "linear", "1", "USDT", "0.0001", "0.1", 3, **c),
    ]


def _dydx() -> list[Market]:
    # Exactly the bundled snapshot's tickers (an offline collector subscribes to each): size in coins.
    v = "dydx"
    ws: dict[str, Any] = {"conn": "ws"}
    return [
        _m(v, "BTC-USD", "BTC", "linear", "1", "USD", "1", "0.0001", 40, **ws),
        _m(v, "ETH-USD", "ETH", "linear", "1", "USD", "0.1", "0.001", 25, **ws),
        _m(v, "SOL-USD", "SOL", "linear", "1", "USD", "0.01", "0.1", 15, **ws),
        _m(v, "XRP-USD", "XRP", "linear", "1", "USD", "0.0001", "10", 10, **ws),
        _m(v, "DOGE-USD", "DOGE", "linear", "1", "USD", "0.00001", "10", 10, **ws),
    ]


def _lighter() -> list[Market]:
    # Market ids as symbols, exactly the bundled snapshot's; size in coins (1000X markets: bundles
    # of 1000, priced per bundle), USDC quoted.
    v = "lighter"
    s: dict[str, Any] = {"conn": "stream"}
    return [
        _m(v, "1", "BTC", "linear", "1", "USDC", "0.1", "0.00001", 40, **s),
        _m(v, "0", "ETH", "linear", "1", "USDC", "0.01", "0.0001", 30, **s),
        _m(v, "2", "SOL", "linear", "1", "USDC", "0.001", "0.001", 8, **s),
        _m(v, "3", "DOGE", "linear", "1", "USDC", "0.000001", "1", 5, **s),
        _m(v, "4", "PEPE", "linear", "1000", "USDC", "0.000001", "1", 4, bundle=1000, **s),
        _m(v, "7", "XRP", "linear", "1", "USDC", "0.000001", "1", 4, **s),
        _m(v, "8", "LINK", "linear", "1", "USDC", "0.001", "0.1", 2, **s),
        _m(v, "16", "SUI", "linear", "1", "USDC", "0.00001", "0.1", 3, **s),
        _m(v, "17", "SHIB", "linear", "1000", "USDC", "0.000001", "1", 2, bundle=1000, **s),
        _m(v, "25", "BNB", "linear", "1", "USDC", "0.01", "0.01", 2, **s),
    ]


def _kraken_futures() -> list[Market]:
    v = "kraken_futures"
    ws: dict[str, Any] = {"conn": "ws"}
    return [
        _m(v, "PF_XBTUSD", "BTC", "linear", "1", "USD", "1", "0.0001", 40, **ws),
        _m(v, "PF_ETHUSD", "ETH", "linear", "1", "USD", "0.1", "0.001", 20, **ws),
        _m(v, "PF_SOLUSD", "SOL", "linear", "1", "USD", "0.01", "0.01", 10, **ws),
        _m(v, "PF_XRPUSD", "XRP", "linear", "1", "USD", "0.0001", "0.1", 5, **ws),
        _m(v, "PF_DOGEUSD", "DOGE", "linear", "1", "USD", "0.000001", "1", 5, **ws),
        _m(v, "PI_XBTUSD", "BTC", "inverse", "1", "USD", "0.5", "1", 15, **ws),
        _m(v, "PI_ETHUSD", "ETH", "inverse", "1", "USD", "0.05", "1", 5, **ws),
        _m(v, "FI_XBTUSD_261225", "BTC", "inverse", "1", "USD", "0.5", "1", 5, expiry="261225", **ws),
    ]


def _bitfinex() -> list[Market]:
    v = "bitfinex"
    pub: dict[str, Any] = {"conn": "public"}
    return [
        _m(v, "tBTCF0:USTF0", "BTC", "linear", "1", "USDT", "1", "0.0001", 40, **pub),
        _m(v, "tETHF0:USTF0", "ETH", "linear", "1", "USDT", "0.01", "0.001", 25, **pub),
        _m(v, "tSOLF0:USTF0", "SOL", "linear", "1", "USDT", "0.001", "0.01", 10, **pub),
        _m(v, "tBTCUSD", "BTC", "linear", "1", "USD", "1", "0.0001", 15, **pub),
        _m(v, "tETHUSD", "ETH", "linear", "1", "USD", "0.01", "0.001", 10, **pub),
    ]


def _htx() -> list[Market]:
    v = "htx"
    return [
        _m(v, "BTC-USDT", "BTC", "linear", "0.001", "USDT", "0.1", "1", 35, conn="linear"),
        _m(v, "ETH-USDT", "ETH", "linear", "0.01", "USDT", "0.01", "1", 20, conn="linear"),
        _m(v, "SOL-USDT", "SOL", "linear", "1", "USDT", "0.001", "1", 8, conn="linear"),
        _m(v, "DOGE-USDT", "DOGE", "linear", "100", "USDT", "0.000001", "1", 5, conn="linear"),
        _m(v, "BTC-USD", "BTC", "inverse", "100", "USD", "0.1", "1", 15, conn="swap"),
        _m(v, "ETH-USD", "ETH", "inverse", "10", "USD", "0.01", "1", 10, conn="swap"),
        _m(v, "BTC261225", "BTC", "inverse", "100", "USD", "0.01", "1", 5, conn="futures", expiry="261225"),
    ]


def _hyperliquid() -> list[Market]:
    """Main-dex perps in USDC: `sz` in coins (kPEPE: units of 1000 PEPE, price per 1000)."""
    v = "hyperliquid"
    return [
        _m(v, "BTC", "BTC", "linear", "1", "USDC", "1", "0.00001", 35),
        _m(v, "ETH", "ETH", "linear", "1", "USDC", "0.1", "0.0001", 25),
        _m(v, "SOL", "SOL", "linear", "1", "USDC", "0.01", "0.01", 15),
        _m(v, "XRP", "XRP", "linear", "1", "USDC", "0.0001", "1", 8),
        _m(v, "DOGE", "DOGE", "linear", "1", "USDC", "0.00001", "1", 7),
        _m(v, "SUI", "SUI", "linear", "1", "USDC", "0.0001", "0.1", 5),
        _m(v, "kPEPE", "PEPE", "linear", "1000", "USDC", "0.000001", "1", 5, bundle=1000),
    ]


MARKETS: tuple[Market, ...] = (
    *_binance(),
    *_bybit(),
    *_okx(),
    *_bitmex(),
    *_deribit(),
    *_bitget(),
    *_gate(),
    *_aster(),
    *_dydx(),
    *_lighter(),
    *_kraken_futures(),
    *_bitfinex(),
    *_htx(),
    *_hyperliquid(),
)
BY_SYMBOL: dict[tuple[str, str], Market] = {(m.venue, m.symbol): m for m in MARKETS}
LIQUIDATION_VENUES: tuple[str, ...] = tuple(VENUE_SHARE)


def markets(venue: str) -> list[Market]:
    return [m for m in MARKETS if m.venue == venue]


def market(venue: str, symbol: str) -> Market | None:
    return BY_SYMBOL.get((venue, symbol))


def universe(venues: Sequence[str]) -> list[Market]:
    """The markets whose liquidations the selected endpoints publish (Binance: the merged UM + CM universe)."""
    chosen = set(venues)
    if chosen & {"binance_usdm", "binance_coinm"}:
        chosen |= {"binance_usdm", "binance_coinm"}
    return [m for m in MARKETS if m.venue in chosen]


@functools.lru_cache(maxsize=256)
def _step(step: str) -> tuple[Decimal, Decimal]:
    """A step's increment and the quantum its multiples are written with (its decimals)."""
    increment = Decimal(step)
    exponent = increment.as_tuple().exponent
    return increment, increment if isinstance(exponent, int) and exponent < 0 else Decimal(1)


def quantize(value: Decimal, step: str) -> Decimal:
    """`value` rounded to a multiple of `step`, written with the step's decimals."""
    increment, quantum = _step(step)
    return ((value / increment).to_integral_value(ROUND_HALF_EVEN) * increment).quantize(quantum)


def text(value: Decimal) -> str:
    """Plain decimal text (no exponent)."""
    return format(value, "f")


@functools.lru_cache(maxsize=256)
def _grid(step: str) -> tuple[float, int]:
    """A step as a float and its number of decimals."""
    exponent = Decimal(step).as_tuple().exponent
    return float(step), -exponent if isinstance(exponent, int) and exponent < 0 else 0


def on_grid(value: float, step: str) -> str:
    """`value` rounded to a multiple of `step` (at least one step), written with the step's decimals.
    Floats, not Decimals: the tape writes a few hundred thousand of these a simulated day, and any
    multiple of the step is a valid wire value (the truth is computed from the text, exactly)."""
    size, decimals = _grid(step)
    return f"{max(1, round(value / size)) * size:.{decimals}f}"


def price_text(m: Market, coin_price: float) -> str:
    """The venue's quoted price for a coin price: per `bundle` coins, on the tick, at least one tick."""
    return on_grid(coin_price * m.bundle, m.tick)


def size_text(m: Market, usd: float, price: str, btc_price: float) -> str:
    """The wire size of about `usd` of notional at `price`, on the lot, at least one lot."""
    if m.kind == "linear":
        return on_grid(usd * m.bundle / (float(m.unit) * float(price)), m.lot)
    if m.kind == "inverse" or m.kind == "unpriced":
        return on_grid(usd / float(m.unit), m.lot)
    quoted = Decimal(price)
    unit = Decimal(m.unit)
    target = Decimal(repr(usd))
    if m.kind == "quote":
        coins = quantize(target * m.bundle / quoted, m.lot)
        coins = max(coins, Decimal(m.lot))
        return text((coins * quoted / m.bundle).normalize())
    else:  # quanto: value = size × multiplier sat × price; in USD × the BTC price
        units = target / (unit * Decimal("1e-8") * quoted * Decimal(repr(btc_price)))
    return text(max(quantize(units, m.lot), Decimal(m.lot)))


def expected(m: Market, price: str, size: str) -> tuple[float, float | None, float | None]:
    """(price per coin, qty in coins, usd) of a liquidation of `size` at `price`, exactly (Decimal)."""
    quoted = Decimal(price)
    amount = Decimal(size)
    unit = Decimal(m.unit)
    usd_quoted = m.quote in USD_LIKE
    coin_price = float(quoted / m.bundle)
    if m.kind == "linear":
        qty = amount * unit
        return coin_price, float(qty), float(qty * quoted / m.bundle) if usd_quoted else None
    if m.kind == "inverse":
        usd = amount * unit
        return coin_price, float(usd / quoted), float(usd)
    if m.kind == "quote":
        return coin_price, float(amount / quoted * m.bundle), float(amount) if usd_quoted else None
    return coin_price, None, None


def venue_weights(venues: Sequence[str]) -> dict[str, float]:
    """Liquidation share per market venue for the selected endpoints (normalized)."""
    present = {m.venue for m in universe(venues)}
    shares = {v: s for v, s in VENUE_SHARE.items() if v in present}
    total = sum(shares.values())
    return {v: s / total for v, s in shares.items()} if total > 0 else {}


def oi_usd(m: Market) -> float:
    """A plausible open interest (USD) for a market, for the REST context endpoints."""
    base = {"BTC": 6e9, "ETH": 3e9, "SOL": 8e8, "XRP": 6e8, "DOGE": 4e8, "BNB": 2e8}.get(m.coin, 1.2e8)
    return base * m.weight / 30.0 * (0.2 if m.expiry else 1.0)
