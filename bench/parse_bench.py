"""Parse benchmark: liqwatch's venue parsers vs raw msgspec decoding vs the peers' own parse paths.

For every venue in `liqwatch.venues.REGISTRY` (whatever is registered when this runs) it
generates N distinct, realistic liquidation frames of that venue's documented wire format
(compact JSON text, as a WebSocket text frame arrives), then measures on one core:

- liqwatch      `spec.parse(frame, recv_ts, catalogue)` (decode + validate + normalize to events)
- msgspec raw   `msgspec.json.decode(frame)` into plain Python objects: a ceiling, not a parser
- cryptofeed    the feed's own message handler (its JSON decode included), where one exists
- ccxt          `ccxt.pro` Client decode (orjson) + `exchange.handle_message`, where one exists

It also checks that liqwatch's events have the side, USD notional, symbol and venue the generator
put in each frame: a benchmark that measures wrong output is useless.

    python bench/parse_bench.py                       # every registered venue, 20,000 frames each
    python bench/parse_bench.py --venues binance_usdm,okx --frames 50000
    python bench/parse_bench.py --json out.json       # also write the results as JSON ('-': stdout)
    python bench/parse_bench.py --baseline main --real --no-peers   # old (git main) vs new parsers,
                                                      # generated and real recorded frames, same run

Progress and notes go to stderr; the Markdown table goes to stdout. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.metadata
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import baseline_parsers, real_frames  # bench/baseline.py

from liqwatch.instruments import Catalogue, Instrument, Kind, bundled
from liqwatch.venues import REGISTRY
from liqwatch.venues.ids import canonical_id

# Budget (design.md "Performance budget"; the current target for Binance is 750k frames/s).
BINANCE_BUDGET_FPS = 750_000
RAW_DECODE_FACTOR = 4.0  # stay within 4x of raw msgspec decode
PEER_FACTOR = 3.0  # >= 3x the peers' own parse paths on the same frames

RECV_TS = 1_767_225_600_000  # 2026-01-01T00:00:00Z, ms
T0 = 1_767_225_600_000


CLOCK_NAMES = {"wall": "time.perf_counter", "cpu": "time.process_time"}


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Markets and the generator
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Market:
    """One instrument the generator draws from.

    `size` is what one unit of the wire size field is worth: linear → price units (so usd =
    units × size × price), inverse → USD (usd = units × size), quote → the size field is the
    quote notional itself (usd = amount).
    """

    symbol: str  # venue-native id
    base: str  # base coin as the venue spells it (peers' symbol maps)
    quote: str
    kind: str  # linear | inverse | quote
    size: str  # see docstring (decimal text)
    price: float  # typical price, per quoted unit
    tick: int  # price decimals
    step: int  # size decimals (0: whole contracts)
    weight: float
    expiry: str = ""  # YYMMDD for dated futures
    catalogued: bool = False  # size only known from the instruments endpoint: put it in the catalogue


@dataclass
class Workload:
    venue: str
    frames: list[str]
    expected: list[list[tuple[str, str, float | None]]]  # per frame: (symbol, side, usd) per event
    markets: list[Market]
    notes: list[str] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(len(e) for e in self.expected)


class Gen:
    """Shared random draws: instrument, side, notional, price, time."""

    def __init__(self, seed: int, markets: Sequence[Market]) -> None:
        self.rng = random.Random(seed)
        self.markets = list(markets)
        self.weights = [m.weight for m in markets]
        self.t = T0

    def market(self) -> Market:
        return self.rng.choices(self.markets, self.weights)[0]

    def tick_time(self) -> int:
        self.t += 1 + int(self.rng.expovariate(1 / 40))
        return self.t

    def long(self) -> bool:
        return self.rng.random() < 0.5

    def notional(self) -> float:
        # Heavy-tailed: median ~$2.5k, a few in the millions (the "largest single liquidation").
        return min(max(math.exp(self.rng.gauss(math.log(2500), 1.7)), 5.0), 8e6)

    def price(self, m: Market) -> str:
        return f"{m.price * (1 + self.rng.uniform(-0.06, 0.06)):.{m.tick}f}"

    def units(self, m: Market, usd: float, price: str) -> str:
        """Wire size for about `usd` of notional, rounded to the market's step (at least one step)."""
        n = usd / float(m.size) if m.kind == "inverse" else usd / (float(price) * float(m.size))
        q = round(n, m.step)
        smallest = 10.0**-m.step
        if q < smallest:
            q = smallest
        return f"{q:.{m.step}f}"


def usd_of(m: Market, units: str, price: str, size: Decimal | None) -> float | None:
    """The exact USD notional of a generated liquidation (Decimal arithmetic, then one rounding)."""
    if size is None:
        return None
    if m.kind == "quote":
        return float(Decimal(units))
    if m.kind == "inverse":
        return float(Decimal(units) * size)
    return float(Decimal(units) * size * Decimal(price))


def enc(obj: Any) -> str:
    return msgspec.json.encode(obj).decode()


def num(text: str) -> int | float:
    """A JSON number as the venue writes it (BitMEX/Deribit: integral values without '.0')."""
    value = float(text)
    return int(value) if value.is_integer() else value


# ---- per-venue markets (realistic symbol lists, prices and lot sizes) -----------------------------

USDM_MARKETS = [
    Market("BTCUSDT", "BTC", "USDT", "linear", "1", 95000, 1, 3, 30),
    Market("ETHUSDT", "ETH", "USDT", "linear", "1", 3300, 2, 3, 18),
    Market("SOLUSDT", "SOL", "USDT", "linear", "1", 180, 2, 0, 9),
    Market("XRPUSDT", "XRP", "USDT", "linear", "1", 2.3, 4, 1, 6),
    Market("DOGEUSDT", "DOGE", "USDT", "linear", "1", 0.25, 5, 0, 6),
    Market("1000PEPEUSDT", "1000PEPE", "USDT", "linear", "1", 0.012, 7, 0, 5),
    Market("BNBUSDT", "BNB", "USDT", "linear", "1", 650, 2, 2, 3),
    Market("SUIUSDT", "SUI", "USDT", "linear", "1", 3.5, 4, 1, 3),
    Market("WIFUSDT", "WIF", "USDT", "linear", "1", 1.5, 4, 0, 3),
    Market("LINKUSDT", "LINK", "USDT", "linear", "1", 20, 3, 2, 2),
    Market("ADAUSDT", "ADA", "USDT", "linear", "1", 0.8, 4, 0, 2),
    Market("1000SHIBUSDT", "1000SHIB", "USDT", "linear", "1", 0.015, 6, 0, 2),
    Market("AVAXUSDT", "AVAX", "USDT", "linear", "1", 30, 3, 0, 2),
    Market("BTCUSDC", "BTC", "USDC", "linear", "1", 95000, 1, 3, 3),
    Market("ETHUSDC", "ETH", "USDC", "linear", "1", 3300, 2, 3, 2),
    Market("BTCUSDT_260327", "BTC", "USDT", "linear", "1", 96000, 1, 3, 1, expiry="260327"),
]

COINM_MARKETS = [
    Market("BTCUSD_PERP", "BTC", "USD", "inverse", "100", 95000, 1, 0, 35),
    Market("ETHUSD_PERP", "ETH", "USD", "inverse", "10", 3300, 2, 0, 25),
    Market("SOLUSD_PERP", "SOL", "USD", "inverse", "10", 180, 3, 0, 8),
    Market("XRPUSD_PERP", "XRP", "USD", "inverse", "10", 2.3, 4, 0, 6),
    Market("DOGEUSD_PERP", "DOGE", "USD", "inverse", "10", 0.25, 6, 0, 5),
    Market("BNBUSD_PERP", "BNB", "USD", "inverse", "10", 650, 3, 0, 5),
    Market("ADAUSD_PERP", "ADA", "USD", "inverse", "10", 0.8, 5, 0, 3),
    Market("LINKUSD_PERP", "LINK", "USD", "inverse", "10", 20, 3, 0, 3),
    Market("BTCUSD_260327", "BTC", "USD", "inverse", "100", 96000, 1, 0, 6, expiry="260327"),
    Market("ETHUSD_260327", "ETH", "USD", "inverse", "10", 3330, 2, 0, 4, expiry="260327"),
]

BYBIT_MARKETS = [
    Market("BTCUSDT", "BTC", "USDT", "linear", "1", 95000, 2, 3, 28),
    Market("ETHUSDT", "ETH", "USDT", "linear", "1", 3300, 2, 2, 16),
    Market("SOLUSDT", "SOL", "USDT", "linear", "1", 180, 3, 1, 10),
    Market("XRPUSDT", "XRP", "USDT", "linear", "1", 2.3, 4, 0, 7),
    Market("DOGEUSDT", "DOGE", "USDT", "linear", "1", 0.25, 5, 0, 7),
    Market("1000PEPEUSDT", "1000PEPE", "USDT", "linear", "1", 0.012, 7, 0, 5),
    Market("SUIUSDT", "SUI", "USDT", "linear", "1", 3.5, 5, 1, 4),
    Market("WIFUSDT", "WIF", "USDT", "linear", "1", 1.5, 4, 0, 4),
    Market("PIPPINUSDT", "PIPPIN", "USDT", "linear", "1", 0.025, 5, 0, 2),
    Market("ROSEUSDT", "ROSE", "USDT", "linear", "1", 0.045, 5, 0, 2),
    Market("BTCUSD", "BTC", "USD", "inverse", "1", 95000, 2, 0, 10),
    Market("ETHUSD", "ETH", "USD", "inverse", "1", 3300, 2, 0, 5),
]

OKX_MARKETS = [
    Market("BTC-USDT-SWAP", "BTC", "USDT", "linear", "0.01", 95000, 1, 0, 30, catalogued=True),
    Market("ETH-USDT-SWAP", "ETH", "USDT", "linear", "0.1", 3300, 2, 0, 20, catalogued=True),
    Market("SOL-USDT-SWAP", "SOL", "USDT", "linear", "1", 180, 2, 0, 10, catalogued=True),
    Market("XRP-USDT-SWAP", "XRP", "USDT", "linear", "100", 2.3, 4, 0, 7, catalogued=True),
    Market("DOGE-USDT-SWAP", "DOGE", "USDT", "linear", "1000", 0.25, 5, 0, 7, catalogued=True),
    Market("PEPE-USDT-SWAP", "PEPE", "USDT", "linear", "10000000", 0.000012, 9, 0, 4, catalogued=True),
    Market("BTC-USD-SWAP", "BTC", "USD", "inverse", "100", 95000, 1, 0, 12, catalogued=True),
    Market("ETH-USD-SWAP", "ETH", "USD", "inverse", "10", 3300, 2, 0, 10, catalogued=True),
]

BITMEX_MARKETS = [
    Market("XBTUSD", "XBT", "USD", "inverse", "1", 95000, 1, 0, 60, catalogued=True),
    Market("XBTUSDT", "XBT", "USDT", "linear", "0.000001", 95000, 1, 0, 20, catalogued=True),
    Market("ETHUSDT", "ETH", "USDT", "linear", "0.00001", 3300, 2, 0, 10, catalogued=True),
    Market("ETHUSD", "ETH", "USD", "quanto", "100", 3300, 2, 0, 10, catalogued=True),
]

DERIBIT_MARKETS = [
    Market("BTC-PERPETUAL", "BTC", "USD", "inverse", "1", 95000, 1, 0, 50),
    Market("ETH-PERPETUAL", "ETH", "USD", "inverse", "1", 3300, 2, 0, 30),
    Market("BTC-27MAR26", "BTC", "USD", "inverse", "1", 96500, 1, 0, 8, expiry="260327"),
    Market("BTC_USDC-PERPETUAL", "BTC", "USDC", "linear", "1", 95000, 0, 4, 7),
    Market("ETH_USDC-PERPETUAL", "ETH", "USDC", "linear", "1", 3300, 1, 3, 5),
]

BITGET_MARKETS = [
    Market("BTCUSDT", "BTC", "USDT", "quote", "1", 95000, 1, 4, 30),
    Market("ETHUSDT", "ETH", "USDT", "quote", "1", 3300, 2, 2, 20),
    Market("SOLUSDT", "SOL", "USDT", "quote", "1", 180, 3, 1, 10),
    Market("XRPUSDT", "XRP", "USDT", "quote", "1", 2.3, 4, 0, 8),
    Market("DOGEUSDT", "DOGE", "USDT", "quote", "1", 0.25, 5, 0, 8),
    Market("APEUSDT", "APE", "USDT", "quote", "1", 0.165, 4, 0, 4),
    Market("IPUSDT", "IP", "USDT", "quote", "1", 0.5, 4, 1, 4),
    Market("SUIUSDT", "SUI", "USDT", "quote", "1", 3.5, 4, 1, 6),
    Market("PEPEUSDT", "PEPE", "USDT", "quote", "1", 0.000012, 9, 0, 4),
    Market("LINKUSDT", "LINK", "USDT", "quote", "1", 20, 3, 1, 6),
]

GATE_MARKETS = [
    Market("BTC_USDT", "BTC", "USDT", "linear", "0.0001", 95000, 1, 0, 30, catalogued=True),
    Market("ETH_USDT", "ETH", "USDT", "linear", "0.01", 3300, 2, 0, 20, catalogued=True),
    Market("SOL_USDT", "SOL", "USDT", "linear", "1", 180, 3, 0, 10, catalogued=True),
    Market("XRP_USDT", "XRP", "USDT", "linear", "10", 2.3, 4, 0, 8, catalogued=True),
    Market("DOGE_USDT", "DOGE", "USDT", "linear", "10", 0.25, 6, 0, 8, catalogued=True),
    Market("PEPE_USDT", "PEPE", "USDT", "linear", "10000000", 0.000012, 9, 0, 5, catalogued=True),
    Market("SUI_USDT", "SUI", "USDT", "linear", "1", 3.5, 4, 0, 5, catalogued=True),
]

DYDX_MARKETS = [
    Market("BTC-USD", "BTC", "USD", "linear", "1", 95000, 0, 4, 40, catalogued=True),
    Market("ETH-USD", "ETH", "USD", "linear", "1", 3300, 1, 3, 25, catalogued=True),
    Market("SOL-USD", "SOL", "USD", "linear", "1", 180, 2, 1, 12, catalogued=True),
    Market("DOGE-USD", "DOGE", "USD", "linear", "1", 0.25, 5, 0, 8, catalogued=True),
    Market("XRP-USD", "XRP", "USD", "linear", "1", 2.3, 4, 0, 8, catalogued=True),
    Market("LINK-USD", "LINK", "USD", "linear", "1", 20, 3, 1, 4, catalogued=True),
    Market("SUI-USD", "SUI", "USD", "linear", "1", 3.5, 4, 0, 3, catalogued=True),
]

# Lighter names markets by number (0 ETH, 1 BTC as the bundled snapshot; the others as its REST would).
LIGHTER_MARKETS = [
    Market("1", "BTC", "USDC", "linear", "1", 95000, 1, 5, 40, catalogued=True),
    Market("0", "ETH", "USDC", "linear", "1", 3300, 2, 4, 30, catalogued=True),
    Market("2", "SOL", "USDC", "linear", "1", 180, 3, 3, 15, catalogued=True),
    Market("3", "DOGE", "USDC", "linear", "1", 0.25, 6, 0, 8, catalogued=True),
    Market("7", "XRP", "USDC", "linear", "1", 2.3, 6, 0, 7, catalogued=True),
]


def contract_sizes(venue: str, markets: Sequence[Market], cat: Catalogue) -> dict[str, Decimal | None]:
    """Per symbol: what one wire size unit is worth, for the expected USD.

    For venues whose sizes are contracts known only from the instruments endpoint (OKX, BitMEX,
    Gate) the catalogue's value wins (the bundled snapshot, as liqwatch runs offline); a symbol the
    snapshot lacks is added from the table above, as the instruments endpoint would. A quanto
    contract has no USD without the settlement coin's price: expected None.
    Other venues' sizes follow documented rules (base coin, USD or quote), independent of the catalogue.
    """
    out: dict[str, Decimal | None] = {}
    added = []
    for m in markets:
        if not m.catalogued:
            out[m.symbol] = Decimal(m.size)
            continue
        inst = cat.get(venue, m.symbol)
        if inst is None:
            kind: Kind = "quanto" if m.kind == "quanto" else "inverse" if m.kind == "inverse" else "linear"
            inst = Instrument(venue, m.symbol, normalize_base(m.base), kind, float(m.size), m.quote, 1.0, "rest")
            added.append(inst)
        if inst.kind == "quanto" or not inst.usd_quoted:
            out[m.symbol] = None
        elif inst.kind == "linear":
            out[m.symbol] = Decimal(repr(inst.contract_size)) / Decimal(repr(inst.price_unit))
        else:
            out[m.symbol] = Decimal(repr(inst.contract_size))
    if added:
        cat.update(added)
    return out


def normalize_base(base: str) -> str:
    return "BTC" if base == "XBT" else base


# ---- per-venue frame builders -------------------------------------------------------------------


def gen_binance(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`!forceOrder@arr` raw payloads (the doc form; COIN-M carries `ps` inside `o`)."""
    g = Gen(seed, markets)
    sizes = contract_sizes(venue, markets, cat)
    frames, expected = [], []
    for _ in range(n):
        m = g.market()
        long = g.long()
        ap = g.price(m)
        usd = g.notional()
        z = g.units(m, usd, ap)
        # The order (limit) price sits beyond the average fill: a SELL closes a long below ap.
        slip = g.rng.uniform(0.001, 0.012)
        p = f"{float(ap) * (1 - slip if long else 1 + slip):.{m.tick}f}"
        status = "FILLED"
        q = z
        if g.rng.random() < 0.03 and (float(z) > 10.0**-m.step * 2):  # partially filled, then expired
            status = "EXPIRED"
            q = f"{float(z) * 2:.{m.step}f}"
        t = g.tick_time()
        o: dict[str, Any] = {"s": m.symbol}
        if venue == "binance_coinm":
            o["ps"] = m.symbol.split("_")[0]
        o.update(
            {
                "S": "SELL" if long else "BUY",
                "o": "LIMIT",
                "f": "IOC",
                "q": q,
                "p": p,
                "ap": ap,
                "X": status,
                "l": z,
                "z": z,
                "T": t,
            }
        )
        frames.append(enc({"e": "forceOrder", "E": t + g.rng.randint(0, 4), "o": o}))
        expected.append([(m.symbol, "long" if long else "short", usd_of(m, z, ap, sizes[m.symbol]))])
    return Workload(venue, frames, expected, markets)


def gen_bybit(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`allLiquidation.{symbol}` pushes (500 ms batches: usually one entry, sometimes several)."""
    g = Gen(seed, markets)
    sizes = contract_sizes(venue, markets, cat)
    frames, expected = [], []
    for _ in range(n):
        m = g.market()
        k = g.rng.choices((1, 2, 3), (85, 11, 4))[0]
        data, exp = [], []
        for _ in range(k):
            long = g.long()
            p = g.price(m)
            v = g.units(m, g.notional(), p)
            data.append({"T": g.tick_time(), "s": m.symbol, "S": "Buy" if long else "Sell", "v": v, "p": p})
            exp.append((m.symbol, "long" if long else "short", usd_of(m, v, p, sizes[m.symbol])))
        frames.append(
            enc(
                {
                    "topic": f"allLiquidation.{m.symbol}",
                    "type": "snapshot",
                    "ts": g.t + g.rng.randint(100, 500),
                    "data": data,
                }
            )
        )
        expected.append(exp)
    return Workload(venue, frames, expected, markets)


def gen_okx(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`liquidation-orders` (instType SWAP) pushes; hedge-mode (posSide long/short) and one-way (net)."""
    g = Gen(seed, markets)
    sizes = contract_sizes(venue, markets, cat)
    frames, expected = [], []
    for _ in range(n):
        m = g.market()
        k = g.rng.choices((1, 2), (90, 10))[0]
        details, exp = [], []
        for _ in range(k):
            long = g.long()
            px = g.price(m)
            sz = g.units(m, g.notional(), px)
            pos = ("long" if long else "short") if g.rng.random() < 0.5 else "net"
            details.append(
                {
                    "bkLoss": "0",
                    "bkPx": px,
                    "ccy": "",
                    "posSide": pos,
                    "side": "sell" if long else "buy",
                    "sz": sz,
                    "ts": str(g.tick_time()),
                }
            )
            exp.append((m.symbol, "long" if long else "short", usd_of(m, sz, px, sizes[m.symbol])))
        family = m.symbol.rsplit("-", 1)[0]
        frames.append(
            enc(
                {
                    "arg": {"channel": "liquidation-orders", "instType": "SWAP"},
                    "data": [
                        {
                            "details": details,
                            "instFamily": family,
                            "instId": m.symbol,
                            "instType": "SWAP",
                            "uly": family,
                        }
                    ],
                }
            )
        )
        expected.append(exp)
    return Workload(venue, frames, expected, markets)


def gen_bitmex(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`liquidation` table `insert` rows (JSON numbers; no timestamp on the wire)."""
    g = Gen(seed, markets)
    sizes = contract_sizes(venue, markets, cat)
    frames, expected = [], []
    for _ in range(n):
        k = g.rng.choices((1, 2), (92, 8))[0]
        data, exp = [], []
        for _ in range(k):
            m = g.market()
            long = g.long()  # the liquidation ORDER side: Sell closes a long
            px = f"{round(float(g.price(m)) * 2) / 2:.1f}" if m.tick <= 1 else g.price(m)
            lot = 100 if m.kind == "inverse" else (1000 if m.symbol.startswith("XBT") else 1)
            qty = max(lot, round(int(float(g.units(m, g.notional(), px))) / lot) * lot)
            oid = "-".join(f"{g.rng.getrandbits(4 * d):0{d}x}" for d in (8, 4, 4, 4, 12))
            data.append(
                {
                    "orderID": oid,
                    "symbol": m.symbol,
                    "side": "Sell" if long else "Buy",
                    "price": num(px),
                    "leavesQty": qty,
                }
            )
            exp.append((m.symbol, "long" if long else "short", usd_of(m, str(qty), px, sizes[m.symbol])))
        frames.append(enc({"table": "liquidation", "action": "insert", "data": data}))
        expected.append(exp)
    return Workload(
        venue,
        frames,
        expected,
        markets,
        notes=[
            "bitmex: insert rows only (the ones that carry a liquidation); "
            "a live stream also has partial/update/delete rows"
        ],
    )


def gen_deribit(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`trades.{instrument}.100ms` notifications whose trades carry `liquidation` M / T / MT."""
    g = Gen(seed, markets)
    sizes = contract_sizes(venue, markets, cat)
    frames, expected = [], []
    seq = 40_781_986
    tid = 266_460_463
    for _ in range(n):
        m = g.market()
        taker_buys = g.long()
        px = g.price(m)
        if m.kind == "inverse":
            unit = 10 if m.base == "BTC" else 1
            amount = str(max(unit, round(g.notional() / unit) * unit))
            contracts = float(amount) / unit
        else:
            amount = g.units(m, g.notional(), px)
            contracts = float(amount) * (1000 if m.base == "BTC" else 100)
        flag = g.rng.choices(("T", "M", "MT"), (60, 35, 5))[0]
        seq += 1
        tid += g.rng.randint(1, 40)
        trade = {
            "trade_seq": seq,
            "trade_id": str(tid),
            "timestamp": g.tick_time(),
            "tick_direction": g.rng.randint(0, 3),
            "price": num(px),
            "mark_price": round(float(px) * (1 + g.rng.uniform(-0.001, 0.001)), 2),
            "instrument_name": m.symbol,
            "index_price": round(float(px) * (1 + g.rng.uniform(-0.002, 0.002)), 2),
            "direction": "buy" if taker_buys else "sell",
            "contracts": contracts,
            "amount": num(amount),
            "liquidation": flag,
        }
        usd = usd_of(m, amount, px, sizes[m.symbol])
        # T: the taker was liquidated (taker sells → long). M: the maker (taker buys → maker sold → long).
        if flag == "T":
            sides = ["short" if taker_buys else "long"]
        elif flag == "M":
            sides = ["long" if taker_buys else "short"]
        else:
            sides = ["long", "short"]
        channel = f"trades.{m.symbol}.100ms"
        frames.append(
            enc({"jsonrpc": "2.0", "method": "subscription", "params": {"channel": channel, "data": [trade]}})
        )
        expected.append([(m.symbol, s, usd) for s in sides])
    return Workload(venue, frames, expected, markets)


def gen_bitget(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """UTA v3 `liquidation` (instType usdt-futures) pushes: amount in quote, side = position side."""
    g = Gen(seed, markets)
    frames: list[str] = []
    expected: list[list[tuple[str, str, float | None]]] = []
    for _ in range(n):
        k = g.rng.choices((1, 2, 3, 4), (70, 18, 8, 4))[0]
        data: list[dict[str, Any]] = []
        exp: list[tuple[str, str, float | None]] = []
        for _ in range(k):
            m = g.market()
            long = g.long()
            px = g.price(m)
            qty = g.units(
                Market(m.symbol, m.base, m.quote, "linear", "1", m.price, m.tick, m.step, 1), g.notional(), px
            )
            amount = str(Decimal(qty) * Decimal(px))
            data.append(
                {
                    "symbol": m.symbol,
                    "side": "buy" if long else "sell",
                    "price": px,
                    "amount": amount,
                    "ts": str(g.tick_time()),
                }
            )
            exp.append((m.symbol, "long" if long else "short", float(Decimal(amount))))
        frames.append(
            enc(
                {
                    "action": "update",
                    "arg": {"instType": "usdt-futures", "topic": "liquidation"},
                    "data": data,
                    "ts": g.t + g.rng.randint(50, 900),
                }
            )
        )
        expected.append(exp)
    return Workload(venue, frames, expected, markets)


def gen_gate(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`futures.public_liquidates` (USDT-settled, integer signed size, ms `time`: the 2026-08-20 form)."""
    g = Gen(seed, markets)
    sizes = contract_sizes(venue, markets, cat)
    frames, expected = [], []
    for _ in range(n):
        m = g.market()
        k = g.rng.choices((1, 2, 3), (80, 15, 5))[0]
        result, exp = [], []
        for _ in range(k):
            long = g.long()  # negative size: a sell order closed a long
            px = g.price(m)
            contracts = int(float(g.units(m, g.notional(), px)))
            contracts = max(contracts, 1)
            result.append(
                {"price": px, "size": -contracts if long else contracts, "time": g.tick_time(), "contract": m.symbol}
            )
            exp.append((m.symbol, "long" if long else "short", usd_of(m, str(contracts), px, sizes[m.symbol])))
        now = g.t + g.rng.randint(5, 900)
        frames.append(
            enc(
                {
                    "channel": "futures.public_liquidates",
                    "event": "update",
                    "time": now // 1000,
                    "time_ms": now,
                    "result": result,
                }
            )
        )
        expected.append(exp)
    return Workload(venue, frames, expected, markets)


def gen_dydx(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`v4_trades` `channel_batch_data` of one market: LIQUIDATED fills (taker SELL closes a long)
    among ordinary LIMIT fills and the odd DELEVERAGED (ADL) fill, which are not events."""
    g = Gen(seed, markets)
    sizes = contract_sizes(venue, markets, cat)
    frames, expected = [], []
    for i in range(n):
        m = g.market()
        batches, exp = [], []
        for _ in range(g.rng.choices((1, 2), (85, 15))[0]):
            trades = []
            for _ in range(g.rng.choices((1, 2, 3), (75, 18, 7))[0]):
                long = g.long()
                px = g.price(m)
                size = g.units(m, g.notional(), px)
                when = datetime.fromtimestamp(g.tick_time() / 1000, tz=UTC)
                created = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
                fill = {"id": f"{g.rng.getrandbits(96):024x}", "side": "SELL" if long else "BUY", "size": size}
                fill |= {"price": px, "createdAt": created, "createdAtHeight": str(60_000_000 + i)}
                trades.append(fill | {"type": "LIQUIDATED"})
                exp.append((m.symbol, "long" if long else "short", usd_of(m, size, px, sizes[m.symbol])))
                if g.rng.random() < 0.3:
                    trades.append(fill | {"id": f"{g.rng.getrandbits(96):024x}", "type": "LIMIT"})
                if g.rng.random() < 0.03:
                    trades.append(fill | {"id": f"{g.rng.getrandbits(96):024x}", "type": "DELEVERAGED"})
            batches.append({"trades": trades})
        head = {"type": "channel_batch_data", "connection_id": "3a2e4c0c-7579-4bf6-a570-e0979418bbe9"}
        head |= {"message_id": i + 2, "id": m.symbol, "channel": "v4_trades", "version": "2.1.0"}
        frames.append(enc(head | {"contents": batches}))
        expected.append(exp)
    return Workload(venue, frames, expected, markets)


def gen_lighter(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`update/trade` of one market: `liquidation_trades` (the taker is liquidated: is_maker_ask → a
    short) beside a few ordinary `trades`; usd_amount is size × price."""
    g = Gen(seed, markets)
    contract_sizes(venue, markets, cat)  # market ids the bundled snapshot lacks, as its REST lists them
    frames, expected = [], []
    trade_id = 18_240_000_000
    for i in range(n):
        m = g.market()
        plain, liqs, exp = [], [], []
        for kind in ["trade"] * g.rng.choices((0, 1, 2), (50, 35, 15))[0] + ["liquidation"] * g.rng.choices(
            (1, 2, 3), (80, 15, 5)
        )[0]:
            trade_id += g.rng.randint(1, 50)
            long = g.long()
            px = g.price(m)
            size = g.units(m, g.notional(), px)
            usd = Decimal(size) * Decimal(px)
            ts = g.tick_time()
            trade = {"trade_id": trade_id, "trade_id_str": str(trade_id), "tx_hash": f"{trade_id:064x}", "type": kind}
            trade |= {"market_id": int(m.symbol), "size": size, "price": px, "usd_amount": format(usd, "f")}
            trade |= {"ask_account_id": 281474976626509, "bid_account_id": 281474976600615, "is_maker_ask": not long}
            trade |= {"block_height": 218829719 + i, "timestamp": ts, "taker_fee": 10000, "transaction_time": ts * 1000}
            if kind == "trade":
                plain.append(trade)
            else:
                liqs.append(trade)
                exp.append((m.symbol, "long" if long else "short", float(usd)))
        message = {"type": "update/trade", "channel": f"trade:{m.symbol}", "nonce": 10380968790 + i}
        frames.append(enc(message | {"trades": plain, "liquidation_trades": liqs}))
        expected.append(exp)
    return Workload(venue, frames, expected, markets)


KRAKEN_FUTURES_MARKETS = [
    Market("PF_XBTUSD", "XBT", "USD", "linear", "1", 95000, 0, 4, 40, catalogued=True),
    Market("PF_ETHUSD", "ETH", "USD", "linear", "1", 3300, 1, 3, 20, catalogued=True),
    Market("PF_SOLUSD", "SOL", "USD", "linear", "1", 180, 2, 2, 10, catalogued=True),
    Market("PI_XBTUSD", "XBT", "USD", "inverse", "1", 95000, 1, 0, 20),
    Market("PI_ETHUSD", "ETH", "USD", "inverse", "1", 3300, 2, 0, 10),
]

BITFINEX_MARKETS = [
    Market("tBTCF0:USTF0", "BTC", "USDT", "linear", "1", 95000, 0, 4, 45),
    Market("tETHF0:USTF0", "ETH", "USDT", "linear", "1", 3300, 2, 3, 25),
    Market("tBTCUSD", "BTC", "USD", "linear", "1", 95000, 0, 4, 20),
    Market("tETHUSD", "ETH", "USD", "linear", "1", 3300, 2, 3, 10),
]

HTX_MARKETS = [
    Market("BTC-USDT", "BTC", "USDT", "linear", "0.001", 95000, 1, 0, 35, catalogued=True),
    Market("ETH-USDT", "ETH", "USDT", "linear", "0.01", 3300, 2, 0, 25, catalogued=True),
    Market("BTC-USD", "BTC", "USD", "inverse", "100", 95000, 1, 0, 25, catalogued=True),
    Market("ETH-USD", "ETH", "USD", "inverse", "10", 3300, 2, 0, 15, catalogued=True),
]


def gen_kraken_futures(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """The v1 `trade` feed: half the frames are ordinary fills (most of the real feed is), half liquidations."""
    g = Gen(seed, markets)
    sizes = contract_sizes(venue, markets, cat)
    frames, expected = [], []
    for i in range(n):
        m = g.market()
        long = g.long()  # the taker (liquidation order) sells when a long is liquidated
        px = g.price(m)
        qty = g.units(m, g.notional(), px)
        liquidation = g.rng.random() < 0.5
        trade = {"feed": "trade", "product_id": m.symbol, "uid": f"{seed:08x}-{i:04x}-4c38-9f6e-{g.t:012x}"}
        trade |= {"side": "sell" if long else "buy", "type": "liquidation" if liquidation else "fill", "seq": i}
        trade |= {"time": g.tick_time(), "qty": num(qty), "price": num(px)}
        frames.append(enc(trade))
        usd = usd_of(m, qty, px, sizes[m.symbol])
        expected.append([(m.symbol, "long" if long else "short", usd)] if liquidation else [])
    return Workload(venue, frames, expected, markets, ["half the frames are ordinary fills (type fill)"])


def gen_bitfinex(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`[CHAN_ID, [["pos", …], …]]` of `liq:global`: 1–3 triggers, a fifth followed by their match rows."""
    g = Gen(seed, markets)
    frames, expected = [], []
    for i in range(n):
        rows: list[list[Any]] = []
        exp = []
        for j in range(g.rng.choices((1, 2, 3), (80, 15, 5))[0]):
            m = g.market()
            long = g.long()  # AMOUNT is the position: > 0 a long
            px = g.price(m)
            amount = g.units(m, g.notional(), px)
            signed = num(amount) if long else -num(amount)
            mts = g.tick_time()
            row = ["pos", 150_000_000 + 4 * i + j, mts, None, m.symbol, signed, num(px), None, 0, 1, None, num(px)]
            rows.append(row)
            if g.rng.random() < 0.2:
                rows.append([*row[:8], 1, *row[9:]])  # a match: not a liquidation of its own
            exp.append((m.symbol, "long" if long else "short", usd_of(m, amount, px, Decimal(m.size))))
        frames.append(enc([91684, rows]))
        expected.append(exp)
    return Workload(venue, frames, expected, markets)


def gen_htx(venue: str, markets: list[Market], n: int, seed: int, cat: Catalogue) -> Workload:
    """`public.*.liquidation_orders` notify frames (already inflated: the connection gunzips), 1–2 orders."""
    g = Gen(seed, markets)
    sizes = contract_sizes(venue, markets, cat)
    frames, expected = [], []
    for _ in range(n):
        m = g.market()
        data, exp = [], []
        for _ in range(g.rng.choices((1, 2), (85, 15))[0]):
            long = g.long()  # direction is the order side: sell closes a long
            px = g.price(m)
            volume = max(int(float(g.units(m, g.notional(), px))), 1)
            order = {
                "symbol": normalize_base(m.base),
                "contract_code": m.symbol,
                "direction": "sell" if long else "buy",
            }
            order |= {"offset": "close", "volume": volume, "price": num(px), "created_at": g.tick_time()}
            data.append(order)
            exp.append((m.symbol, "long" if long else "short", usd_of(m, str(volume), px, sizes[m.symbol])))
        topic = f"public.{m.symbol}.liquidation_orders"
        frames.append(enc({"op": "notify", "topic": topic, "ts": g.t + 5, "data": data}))
        expected.append(exp)
    return Workload(venue, frames, expected, markets)


Generator = Callable[[str, list[Market], int, int, Catalogue], Workload]

GENERATORS: dict[str, tuple[Generator, list[Market]]] = {
    "binance_usdm": (gen_binance, USDM_MARKETS),
    "binance_coinm": (gen_binance, COINM_MARKETS),
    "bybit": (gen_bybit, BYBIT_MARKETS),
    "okx": (gen_okx, OKX_MARKETS),
    "bitmex": (gen_bitmex, BITMEX_MARKETS),
    "deribit": (gen_deribit, DERIBIT_MARKETS),
    "bitget": (gen_bitget, BITGET_MARKETS),
    "gate": (gen_gate, GATE_MARKETS),
    "kraken_futures": (gen_kraken_futures, KRAKEN_FUTURES_MARKETS),
    "bitfinex": (gen_bitfinex, BITFINEX_MARKETS),
    "htx": (gen_htx, HTX_MARKETS),
    "dydx": (gen_dydx, DYDX_MARKETS),
    "lighter": (gen_lighter, LIGHTER_MARKETS),
    "aster": (gen_binance, [m for m in USDM_MARKETS if m.quote == "USDT" and not m.expiry]),  # Binance's shape
}
NO_GENERATOR = {
    "hyperliquid": "no public market-wide liquidation channel (per-wallet fills only): no wire format to generate",
}


def stream_wrapped(w: Workload) -> Workload:
    """The same Binance events in the combined-stream wrapper (`/market/stream`, cryptofeed's path)."""
    frames = ['{"stream":"!forceOrder@arr","data":' + f + "}" for f in w.frames]
    return Workload(w.venue, frames, w.expected, w.markets)


# --------------------------------------------------------------------------------------------------
# Correctness
# --------------------------------------------------------------------------------------------------


@dataclass
class Check:
    frames: int = 0
    events: int = 0
    ok: int = 0
    errors: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.errors == 0 and self.ok == self.frames


def usd_equal(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def verify(parse: Callable[..., Any], w: Workload, cat: Catalogue, venue: str) -> Check:
    chk = Check(frames=len(w.frames))
    for i, (frame, want) in enumerate(zip(w.frames, w.expected, strict=True)):
        try:
            events = parse(frame, RECV_TS, cat)
        except Exception as exc:  # a parser bug or a generator the parser disagrees with: report it
            chk.errors += 1
            if len(chk.mismatches) < 8:
                chk.mismatches.append(f"frame {i}: {type(exc).__name__}: {exc}\n      {frame[:220]}")
            continue
        chk.events += len(events)
        got = sorted(((e.symbol, e.side, e.usd) for e in events), key=_key)
        exp = sorted(want, key=_key)
        wrong_venue = [e.venue for e in events if e.venue != venue]
        same = (
            len(got) == len(exp)
            and not wrong_venue
            and all(g[0] == x[0] and g[1] == x[1] and usd_equal(g[2], x[2]) for g, x in zip(got, exp, strict=True))
        )
        if same:
            chk.ok += 1
        elif len(chk.mismatches) < 8:
            extra = f" venue {wrong_venue[0]!r}" if wrong_venue else ""
            chk.mismatches.append(f"frame {i}: got {got}{extra}\n      want {exp}\n      {frame[:220]}")
    return chk


def _key(t: tuple[str, str, float | None]) -> tuple[str, str, float]:
    return (t[0], t[1], -1.0 if t[2] is None else t[2])


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------


@dataclass
class Rate:
    best: float  # frames/s, best pass, by the clock the table uses
    median: float
    reps: int
    wall_best: float  # time.perf_counter
    cpu_best: float  # time.process_time: this process's CPU time, blind to time spent descheduled

    def as_dict(self) -> dict[str, float | int]:
        return {
            "best_fps": round(self.best),
            "median_fps": round(self.median),
            "reps": self.reps,
            "wall_best_fps": round(self.wall_best),
            "cpu_best_fps": round(self.cpu_best),
        }


Seconds = tuple[float, float]  # (wall, cpu) seconds of one pass
Run = Callable[[], Seconds]


def clocks() -> Seconds:
    return time.perf_counter(), time.process_time()


def since(t: Seconds) -> Seconds:
    return time.perf_counter() - t[0], time.process_time() - t[1]


def measure(runs: dict[str, Run], n: int, reps: int, budget_s: float, clock: str) -> dict[str, Rate]:
    """Time every contender on the same frames, round-robin so a change in machine load hits all alike.

    Each `run()` processes all n frames once and returns its (wall, CPU) seconds. One warm-up
    pass each, then up to `reps` passes each; stop early once a round-robin has used `budget_s`
    seconds per contender on average (after at least 3 passes). `clock` picks the figure the table
    shows: "wall" (time.perf_counter) or "cpu" (time.process_time, for a busy machine).
    """
    for run in runs.values():
        run()
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    spent = 0.0
    for i in range(reps):
        for name, run in runs.items():
            gc.collect()
            wall, cpu = run()
            spent += wall
            walls[name].append(n / wall)
            cpus[name].append(n / max(cpu, 1e-9))
        if i >= 2 and spent > budget_s * len(runs):
            break
    out = {}
    for name in runs:
        shown = cpus[name] if clock == "cpu" else walls[name]
        out[name] = Rate(max(shown), statistics.median(shown), len(shown), max(walls[name]), max(cpus[name]))
    return out


def timed(loop: Callable[[], None]) -> Run:
    def run() -> Seconds:
        t = clocks()
        loop()
        return since(t)

    return run


def bench_liqwatch(parse: Callable[..., Any], frames: list[str], cat: Catalogue) -> Run:
    def loop() -> None:
        p, c, r = parse, cat, RECV_TS
        for f in frames:
            p(f, r, c)

    return timed(loop)


def bench_msgspec(frames: list[str]) -> Run:
    decode = msgspec.json.decode

    def loop() -> None:
        d = decode
        for f in frames:
            d(f)

    return timed(loop)


# --------------------------------------------------------------------------------------------------
# Peers: their own parse paths, called offline on the same frames
# --------------------------------------------------------------------------------------------------


@dataclass
class PeerRun:
    run: Run  # (wall, cpu) seconds for all frames
    call: str  # the exact function(s) called
    produced: Callable[[], int]  # liquidations the peer emitted during the last pass


class Unavailable(Exception):
    pass


def version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


# ---- cryptofeed ----

CRYPTOFEED_CLASSES = {
    "binance_usdm": "BinanceFutures",
    "binance_coinm": "BinanceDelivery",
    "bitmex": "Bitmex",
    "deribit": "Deribit",
}
CRYPTOFEED_NONE = {
    "bybit": "cryptofeed 2.4.1 Bybit._liquidation handles only the deprecated `liquidation.{symbol}` topic; "
    "its message_handler logs 'Unhandled message type' for `allLiquidation.*` frames and emits nothing",
    "okx": "cryptofeed 2.4.1 has no WebSocket liquidation handler for OKX: OKX._liquidations polls "
    "REST /api/v5/public/liquidation-orders in a while-True task (no per-frame parse path to call)",
    "kraken_futures": "cryptofeed 2.4.1 KrakenFutures has no liquidation channel (trades only)",
    "bitfinex": "cryptofeed 2.4.1 has no Bitfinex liquidation channel",
    "htx": "cryptofeed 2.4.1 has no HTX liquidation channel",
    "bitget": "cryptofeed 2.4.1 has no Bitget liquidation channel",
    "gate": "cryptofeed 2.4.1 has no Gate futures liquidation channel",
    "dydx": "cryptofeed 2.4.1 has no dYdX v4 liquidation channel",
    "lighter": "cryptofeed 2.4.1 has no Lighter exchange",
}


def cryptofeed_std(m: Market) -> str:
    base = normalize_base(m.base)
    return f"{base}-{m.quote}-{m.expiry}" if m.expiry else f"{base}-{m.quote}-PERP"


def cryptofeed_peer(venue: str, w: Workload, wrapped: bool) -> PeerRun:
    if venue in CRYPTOFEED_NONE:
        raise Unavailable(CRYPTOFEED_NONE[venue])
    if venue not in CRYPTOFEED_CLASSES:
        raise Unavailable(f"no cryptofeed liquidation feed known for {venue}")
    if version("cryptofeed") is None:
        raise Unavailable("cryptofeed is not installed (pip install -e '.[bench]')")
    import cryptofeed.exchanges as cfx
    from cryptofeed.defines import LIQUIDATIONS
    from cryptofeed.symbols import Symbols

    cls = getattr(cfx, CRYPTOFEED_CLASSES[venue])
    mapping = {cryptofeed_std(m): m.symbol for m in w.markets}
    # Offline: seed the symbol table the constructor would otherwise fetch from the venue's REST API.
    Symbols.set(cls.id, mapping, {"instrument_type": {}, "tick_size": {}})
    count = [0]

    async def on_liquidation(_liq: Any, _ts: float) -> None:
        count[0] += 1

    feed = cls(symbols=list(mapping), channels=[LIQUIDATIONS], callbacks={LIQUIDATIONS: on_liquidation})
    conn = SimpleNamespace(uuid="bench", address=getattr(feed, "address", "wss://bench"))
    frames = w.frames
    loop = asyncio.new_event_loop()

    if venue.startswith("binance") and not wrapped:
        # The raw `!forceOrder@arr` payload: cryptofeed's message_handler needs the combined-stream
        # wrapper (it reads msg['stream']), so call its decode and its liquidation handler directly.
        from cryptofeed.exchanges import binance as cf_binance

        loads = cf_binance.json.loads
        handler = feed._liquidations
        call = (
            f"yapic json.loads(frame, parse_float=Decimal) + await {cls.__name__}._liquidations(msg, ts) "
            "(cryptofeed/exchanges/binance.py)"
        )

        async def go() -> Seconds:
            t = clocks()
            for f in frames:
                await handler(loads(f, parse_float=Decimal), 1.0)
            return since(t)
    else:
        mh = feed.message_handler
        where = {
            "Bitmex": "bitmex.py",
            "Deribit": "deribit.py",
            "BinanceFutures": "binance_futures.py; _liquidations in binance.py",
            "BinanceDelivery": "binance_delivery.py; _liquidations in binance.py",
        }[cls.__name__]
        call = f"await {cls.__name__}.message_handler(frame, conn, ts) (cryptofeed/exchanges/{where})"
        if venue == "deribit":
            call += " → _trade (emits a Trade and a Liquidation per flagged trade)"
        elif venue == "bitmex":
            call += " → _liquidation"
        else:
            call += " → _liquidations"

        async def go() -> Seconds:
            t = clocks()
            for f in frames:
                await mh(f, conn, 1.0)
            return since(t)

    def run() -> Seconds:
        count[0] = 0
        return loop.run_until_complete(go())

    return PeerRun(run, call, lambda: count[0])


# ---- ccxt ----

CCXT_CLASSES = {"binance_usdm": "binanceusdm", "binance_coinm": "binancecoinm", "bybit": "bybit", "okx": "okx"}
CCXT_NONE = {
    "bitmex": "ccxt.pro bitmex has no watchLiquidations (no public liquidation handler)",
    "deribit": "ccxt has deribit fetchLiquidations (REST) only; ccxt.pro deribit has no liquidation handler",
    "bitget": "ccxt.pro bitget has no watchLiquidations",
    "kraken_futures": "ccxt.pro krakenfutures has no watchLiquidations",
    "bitfinex": "ccxt has bitfinex fetchLiquidations (REST) only",
    "htx": "ccxt has htx fetchLiquidations (REST) only",
    "gate": "ccxt.pro gate has watchMyLiquidations (private `futures.liquidates`) only, "
    "nothing for the public `futures.public_liquidates`",
    "dydx": "ccxt.pro dydx has watchTrades only (no liquidation flag handled)",
    "lighter": "ccxt.pro lighter watchLiquidations is not wired into this bench yet",
}


def ccxt_market(venue: str, m: Market) -> dict[str, Any]:
    base = normalize_base(m.base)
    inverse = m.kind == "inverse"
    settle = base if inverse else m.quote
    symbol = f"{base}/{m.quote}:{settle}" + (f"-{m.expiry}" if m.expiry else "")
    return {
        "id": m.symbol,
        "symbol": symbol,
        "base": base,
        "quote": m.quote,
        "settle": settle,
        "baseId": m.base,
        "quoteId": m.quote,
        "settleId": settle,
        "type": "future" if m.expiry else "swap",
        "spot": False,
        "margin": False,
        "swap": not m.expiry,
        "future": bool(m.expiry),
        "option": False,
        "contract": True,
        "linear": not inverse,
        "inverse": inverse,
        "contractSize": float(m.size),
        "active": True,
        "expiry": None,
        "expiryDatetime": None,
        "strike": None,
        "optionType": None,
        "precision": {"amount": 10.0**-m.step, "price": 10.0**-m.tick},
    }


class CcxtClient:
    """Stands in for ccxt's WebSocket Client: what handle_message touches (subscriptions, resolve)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.subscriptions: dict[str, Any] = {}
        self.futures: dict[str, Any] = {}
        self.rejections: dict[str, Any] = {}
        self.resolved = 0  # liquidations delivered (each is resolved once under 'liquidations')

    def resolve(self, result: Any, message_hash: str) -> Any:
        if message_hash == "liquidations":
            self.resolved += 1
        if message_hash in self.futures:  # as Client.resolve: no one is awaiting in a benchmark
            del self.futures[message_hash]
        return result


def ccxt_peer(venue: str, w: Workload) -> PeerRun:
    if venue in CCXT_NONE:
        raise Unavailable(CCXT_NONE[venue])
    if venue not in CCXT_CLASSES:
        raise Unavailable(f"no ccxt liquidation handler known for {venue}")
    if version("ccxt") is None:
        raise Unavailable("ccxt is not installed (pip install -e '.[bench]')")
    import ccxt.pro
    from ccxt.async_support.base.ws import client as ccxt_ws
    from ccxt.async_support.base.ws.functions import is_json_encoded_object

    cls = getattr(ccxt.pro, CCXT_CLASSES[venue])
    ex = cls()
    # Offline market load: the unified markets load_markets() would build from the REST listing.
    ex.set_markets([ccxt_market(venue, m) for m in w.markets])
    client = CcxtClient("wss://bench")
    loads = ccxt_ws.json_parser.loads  # what ccxt's Client decodes text frames with (orjson if importable)
    handle = ex.handle_message
    frames = w.frames
    parser = getattr(ccxt_ws.json_parser, "__name__", "json")
    module = cls.__name__.removesuffix("usdm").removesuffix("coinm")
    call = (
        f"ccxt Client decode ({parser}.loads) + ccxt.pro.{cls.__name__}.handle_message(client, msg) "
        f"→ handle_liquidation → parse_ws_liquidation (ccxt/pro/{module}.py)"
    )

    def loop() -> None:
        for f in frames:
            handle(client, loads(f) if is_json_encoded_object(f) else f)

    def run() -> Seconds:
        client.resolved = 0
        t = clocks()
        loop()
        return since(t)

    return PeerRun(run, call, lambda: client.resolved)


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "pinned_cpu": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "versions": {d: version(d) for d in ("liqwatch", "msgspec", "cryptofeed", "ccxt", "orjson", "yapic.json")},
    }


def fmt_rate(r: float | None) -> str:
    if r is None:
        return "n/a"
    if r >= 1e6:
        return f"{r / 1e6:.2f}M"
    return f"{r / 1e3:.0f}k" if r >= 1e4 else f"{r / 1e3:.1f}k"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=20_000, help="distinct frames per venue (default 20000)")
    ap.add_argument("--venues", default="", help="comma-separated venue ids (default: every registered venue)")
    ap.add_argument("--reps", type=int, default=7, help="timed repetitions per measurement (default 7)")
    ap.add_argument(
        "--budget",
        type=float,
        default=2.5,
        help="stop repeating a measurement after this many seconds (at least 3 reps; default 2.5)",
    )
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: time.perf_counter (default); cpu: time.process_time, steadier on a busy machine",
    )
    ap.add_argument("--no-peers", action="store_true", help="skip cryptofeed and ccxt")
    ap.add_argument("--no-stream", action="store_true", help="skip the Binance combined-stream rows")
    ap.add_argument(
        "--baseline",
        default=None,
        metavar="REF",
        help="also time the venue parsers of git revision REF (e.g. main) on the same frames, round-robin",
    )
    ap.add_argument(
        "--real",
        action="store_true",
        help="add rows of the real recorded frames ../shared holds per venue (cycled to --frames)",
    )
    ap.add_argument("--cpu", type=int, default=None, help="pin to this CPU (default: the last one; -1: don't pin)")
    ap.add_argument(
        "--json",
        nargs="?",
        const="-",
        default=None,
        metavar="FILE",
        help="write the results as JSON to FILE ('-' or no value: stdout, table to stderr)",
    )
    args = ap.parse_args(argv)

    if hasattr(os, "sched_setaffinity") and args.cpu != -1:
        cpus = sorted(os.sched_getaffinity(0))
        cpu = cpus[-1] if args.cpu is None else args.cpu
        os.sched_setaffinity(0, {cpu})

    registered = list(REGISTRY)
    wanted = [v.strip() for v in args.venues.split(",") if v.strip()] or registered
    unknown = [v for v in wanted if v not in REGISTRY]
    for v in unknown:
        log(f"! {v}: not registered (registered: {', '.join(registered)})")
    venues = [v for v in wanted if v in REGISTRY]

    cat = bundled()
    baseline = baseline_parsers(args.baseline) if args.baseline else {}
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    calls: dict[str, str] = {}
    info = machine()
    log(f"# liqwatch parse benchmark: {len(venues)} venue(s) registered and selected: {', '.join(venues)}")
    log(f"# {info['cpu']}, Python {info['python']}, pinned to CPU {info['pinned_cpu']}, load {info['loadavg']}")
    started = time.perf_counter()

    for venue in venues:
        spec = REGISTRY[venue]
        if venue not in GENERATORS:
            reason = NO_GENERATOR.get(venue, "no frame generator for this venue yet (add one to bench/parse_bench.py)")
            log(f"! {venue}: skipped: {reason}")
            problems.append(f"{venue}: skipped: {reason}")
            continue
        gen, markets = GENERATORS[venue]
        w = gen(venue, markets, args.frames, args.seed, cat)
        problems.extend(w.notes)
        workloads = [("", w)]
        if venue.startswith("binance") and not args.no_stream:
            workloads.append((" (combined stream)", stream_wrapped(w)))
        if args.real:
            recorded = real_frames(venue, spec.parse, cat)
            if recorded:
                cycled = [recorded[i % len(recorded)] for i in range(args.frames)]
                expected = [[(e.symbol, e.side, e.usd) for e in spec.parse(f, RECV_TS, cat)] for f in cycled]
                label = f" (recorded: {len(recorded)} real frames)"
                workloads.append((label, Workload(venue, cycled, expected, [])))
            else:
                log(f"- {venue}: no recorded frames in ../shared")
        for suffix, wl in workloads:
            label = venue + suffix
            chk = verify(spec.parse, wl, cat, venue)
            status = "ok" if chk.passed else f"{chk.frames - chk.ok} bad"
            log(
                f"- {label}: {len(wl.frames)} frames, {wl.events} expected events; "
                f"liqwatch produced {chk.events}; check {status}"
            )
            if not chk.passed:
                problems.append(f"{label}: {chk.frames - chk.ok} of {chk.frames} frames wrong ({chk.errors} raised)")
                for msg in chk.mismatches:
                    log(f"    MISMATCH {msg}")
            n = len(wl.frames)
            runs: dict[str, Run] = {
                "liqwatch": bench_liqwatch(spec.parse, wl.frames, cat),
                "msgspec_raw": bench_msgspec(wl.frames),
            }
            if venue in baseline:
                # a catalogue of its own: the old and new modules memoize routes of other shapes in it
                old_cat = Catalogue(cat.instruments())
                runs["baseline"] = bench_liqwatch(baseline[venue], wl.frames, old_cat)
                differ = differs_from_baseline(spec.parse, cat, baseline[venue], old_cat, wl.frames)
                if differ:
                    problems.append(f"{label}: {differ} frames give other events than {args.baseline}")
            peer_runs: dict[str, PeerRun] = {}
            peer_info: dict[str, dict[str, Any]] = {}
            for peer in () if args.no_peers else ("cryptofeed", "ccxt"):
                try:
                    pr = cryptofeed_peer(venue, wl, bool(suffix)) if peer == "cryptofeed" else ccxt_peer(venue, wl)
                    pr.run()  # a peer that breaks on these frames is caught here, not mid-measurement
                except Unavailable as exc:
                    peer_info[peer] = {"available": False, "reason": str(exc)}
                    log(f"    {peer}: n/a: {exc}")
                    continue
                except Exception as exc:  # a peer that breaks offline: say why, carry on
                    reason = f"{type(exc).__name__}: {exc}"
                    peer_info[peer] = {"available": False, "reason": reason}
                    problems.append(f"{label}: {peer} failed: {reason}")
                    log(f"    {peer}: FAILED: {reason}")
                    continue
                peer_runs[peer] = pr
                runs[peer] = pr.run
            rates = measure(runs, n, args.reps, args.budget, args.clock)
            for peer, pr in peer_runs.items():
                calls[f"{peer} {label}"] = pr.call
                peer_info[peer] = {
                    "available": True,
                    **rates[peer].as_dict(),
                    "call": pr.call,
                    "liquidations_emitted": pr.produced(),
                }
            row: dict[str, Any] = {
                "venue": label,
                "frames": n,
                "events": wl.events,
                "bytes_per_frame": round(sum(len(f) for f in wl.frames) / n, 1),
                "liqwatch": rates["liqwatch"].as_dict(),
                "msgspec_raw": rates["msgspec_raw"].as_dict(),
                "check": {
                    "ok": chk.passed,
                    "frames_ok": chk.ok,
                    "errors": chk.errors,
                    "events": chk.events,
                    "mismatches": chk.mismatches,
                },
                "peers": {p: peer_info[p] for p in ("cryptofeed", "ccxt") if p in peer_info},
            }
            if "baseline" in rates:
                row["baseline"] = {"ref": args.baseline, **rates["baseline"].as_dict()}
            log("    " + "  ".join(f"{name} {fmt_rate(r.best)}/s" for name, r in rates.items()))
            for peer in peer_runs:
                emitted = peer_info[peer]["liquidations_emitted"]
                if emitted != wl.events:
                    log(f"    {peer} emitted {emitted} liquidations for {wl.events} in the frames")
            rows.append(row)

    elapsed = time.perf_counter() - started
    busy = busy_note(rows)
    if busy:
        problems.append(busy)
    table = render(rows, args)
    budget = budget_lines(rows)
    result = {
        "machine": info,
        "settings": {
            "frames": args.frames,
            "reps": args.reps,
            "seed": args.seed,
            "timing": f"best of reps, frames/s, {CLOCK_NAMES[args.clock]}",
        },
        "rows": rows,
        "peer_calls": calls,
        "budget": budget,
        "problems": problems,
        "elapsed_s": round(elapsed, 1),
    }
    if args.json:
        text = json.dumps(result, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    out = sys.stderr if args.json == "-" else sys.stdout
    print(table, file=out)
    print("", file=out)
    if baseline:
        print(baseline_table(rows, args.baseline), file=out)
        print("", file=out)
    for line in budget:
        print(f"- {line}", file=out)
    if problems:
        print("\nProblems / notes:", file=out)
        for p in problems:
            print(f"- {p}", file=out)
    print(
        f"\n({info['cpu']}; Python {info['python']}; msgspec {info['versions']['msgspec']}, "
        f"cryptofeed {info['versions']['cryptofeed']}, ccxt {info['versions']['ccxt']}; "
        f"pinned to CPU {info['pinned_cpu']}; {elapsed:.0f} s)",
        file=out,
    )
    bad = [r for r in rows if not r["check"]["ok"]]
    return 1 if bad else 0


def differs_from_baseline(
    new: Callable[..., Any], cat: Catalogue, old: Callable[..., Any], old_cat: Catalogue, frames: list[str]
) -> int:
    """Frames whose events differ between the two parsers, ids compared after `canonical_id`
    (the id form changed on purpose, venues/ids.py); a refusal must be a refusal in both."""
    bad = 0
    for frame in frames:
        try:
            got = new(frame, RECV_TS, cat)
        except ValueError:
            got = None
        try:
            want = old(frame, RECV_TS, old_cat)
        except ValueError:
            want = None
        if got is None or want is None:
            bad += got is not want
            continue
        want = [msgspec.structs.replace(e, id=canonical_id(e.venue, e.id, e.side)) for e in want]
        bad += got != want
    return bad


def baseline_table(rows: list[dict[str, Any]], ref: str) -> str:
    lines = [f"| venue (workload) | liqwatch frames/s | {ref} frames/s | new ÷ {ref} |", "|---|---|---|---|"]
    for r in rows:
        if "baseline" not in r:
            continue
        new, old = r["liqwatch"]["best_fps"], r["baseline"]["best_fps"]
        lines.append(f"| {r['venue']} | {fmt_rate(new)} | {fmt_rate(old)} | {new / old:.2f}× |")
    lines.append(f"\n(new ÷ {ref}: this checkout's parser against {ref}'s, timed round-robin in this run.)")
    return "\n".join(lines)


def busy_note(rows: list[dict[str, Any]]) -> str | None:
    """Wall-clock figures below CPU-time ones mean the process was descheduled: a busy machine."""
    worst = (0.0, "")
    for r in rows:
        contenders = {"liqwatch": r["liqwatch"], "msgspec raw": r["msgspec_raw"]}
        contenders.update({k: v for k, v in r["peers"].items() if v.get("available")})
        for name, rate in contenders.items():
            gap = 1 - rate["wall_best_fps"] / rate["cpu_best_fps"]
            if gap > worst[0]:
                worst = (gap, f"{r['venue']} / {name}")
    if worst[0] <= 0.10:
        return None
    return (
        f"the machine was busy: a wall-clock figure is {worst[0]:.0%} below its CPU-time figure "
        f"({worst[1]}); rerun on a quiet machine, or with --clock cpu (both are in --json)"
    )


def peer_rate(row: dict[str, Any], peer: str) -> float | None:
    p = row["peers"].get(peer)
    return p["best_fps"] if p and p.get("available") else None


def peer_cell(row: dict[str, Any], peer: str) -> str:
    p = row["peers"].get(peer)
    if not p or not p.get("available"):
        return "n/a"
    cell = fmt_rate(p["best_fps"])
    if p["liquidations_emitted"] != row["events"]:
        cell += f" (emits {p['liquidations_emitted']:,}/{row['events']:,})"
    return cell


def render(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    head = (
        "| venue | frames (events) | liqwatch frames/s | msgspec raw decode | raw ÷ liqwatch | cryptofeed | "
        "ccxt | liqwatch ÷ best peer | output check |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        lw = r["liqwatch"]["best_fps"]
        raw = r["msgspec_raw"]["best_fps"]
        peers = [x for x in (peer_rate(r, "cryptofeed"), peer_rate(r, "ccxt")) if x]
        best = max(peers) if peers else None
        ratio = f"{lw / best:.1f}×" if best else "n/a"
        c = r["check"]
        check = f"✓ {c['events']:,} events" if c["ok"] else f"✗ {r['frames'] - c['frames_ok']:,} frames wrong"
        lines.append(
            f"| {r['venue']} | {r['frames']:,} ({r['events']:,}) | {fmt_rate(lw)} | {fmt_rate(raw)} | "
            f"{raw / lw:.2f}× | {peer_cell(r, 'cryptofeed')} | {peer_cell(r, 'ccxt')} | {ratio} | {check} |"
        )
    lines.append("")
    lines.append(
        f"frames/s: best of up to {args.reps} passes over the same distinct frames, one core, "
        f"{CLOCK_NAMES[args.clock]}. "
        "n/a: the peer has no parse path for this feed (reasons above and in --json). "
        "(emits a/b): the peer emitted a liquidations where the frames hold b."
    )
    return "\n".join(lines)


def budget_lines(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for r in rows:
        lw = r["liqwatch"]["best_fps"]
        raw = r["msgspec_raw"]["best_fps"]
        verdicts = []
        if r["venue"].startswith("binance"):
            verdicts.append(
                f"≥ {BINANCE_BUDGET_FPS // 1000}k frames/s: "
                f"{'PASS' if lw >= BINANCE_BUDGET_FPS else 'MISS'} ({fmt_rate(lw)})"
            )
        if r["venue"].startswith("binance"):  # design.md: the raw-decode bound is for Binance-style frames
            verdicts.append(
                f"within {RAW_DECODE_FACTOR:.0f}× of raw decode: "
                f"{'PASS' if lw * RAW_DECODE_FACTOR >= raw else 'MISS'} ({raw / lw:.2f}×)"
            )
        peers = [x for x in (peer_rate(r, "cryptofeed"), peer_rate(r, "ccxt")) if x]
        if peers:
            ratio = lw / max(peers)
            verdicts.append(
                f"≥ {PEER_FACTOR:.0f}× best peer: {'PASS' if ratio >= PEER_FACTOR else 'MISS'} ({ratio:.1f}×)"
            )
        out.append(f"{r['venue']}: " + ("; ".join(verdicts) or "no budget line applies (no peer parses this feed)"))
    return out


if __name__ == "__main__":
    sys.exit(main())
