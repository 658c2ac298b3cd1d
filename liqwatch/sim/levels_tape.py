"""A generated market with known positions, for scoring the liquidation levels model. Pure, seeded.

Every 30 s tick the price moves (a random walk whose drift and volatility switch between calm,
trend and shock regimes); traders open position pairs — each new unit of open interest is one long
and one short of the same notional, each at its own leverage drawn from LEVERAGE_MIX (which is NOT
the model's mix: the model has to cope with that); every position has an exponential lifetime after
which it is closed voluntarily; a position whose liquidation price the tick reaches is liquidated at
that price. Liquidation prices use Binance's isolated formula with its first maintenance tier
(levels.isolated_liq_price with m = 0.4 %), the venue the tape claims to be.

The model then sees only what a venue publishes — 5-minute candles and USD open interest at each
bar's end — and the realized liquidations are a complete feed to score it against. The same seed
gives the same tape, to the last digit.
"""

from __future__ import annotations

import heapq
import math
import random

import msgspec

from liqwatch.analytics.levels import isolated_liq_price, maintenance_rate
from liqwatch.model import COMPLETE, Candle, Liquidation, MarketStat, Side

TICK_MS = 30_000
BAR_MS = 300_000
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z

# Leverage of new positions (truth): many barely leveraged, a fat tail of high leverage.
LEVERAGE_MIX: tuple[tuple[float, float], ...] = (
    (2.0, 0.20),
    (3.0, 0.10),
    (5.0, 0.15),
    (10.0, 0.20),
    (20.0, 0.15),
    (25.0, 0.08),
    (50.0, 0.08),
    (100.0, 0.04),
)

# Regimes: (per-tick log-return drift, per-tick σ, mean ticks in the regime, new pairs per tick).
REGIMES: tuple[tuple[float, float, float, float], ...] = (
    (0.0, 0.00045, 240.0, 1.5),  # calm
    (0.00012, 0.0006, 120.0, 2.5),  # up trend
    (-0.00012, 0.0006, 120.0, 2.5),  # down trend
    (0.0, 0.0015, 20.0, 4.0),  # shock
)
REGIME_ODDS = (0.55, 0.18, 0.18, 0.09)


class TapePosition(msgspec.Struct):
    side: Side
    entry: float
    leverage: float
    notional: float  # USD at entry
    liq_price: float
    opened_ts: int
    closes_ts: int  # the voluntary close, if not liquidated first
    liquidated_ts: int | None = None


class LevelsTape(msgspec.Struct, frozen=True):
    seed: int
    coin: str
    venue: str
    candles: list[Candle]
    open_interest: list[MarketStat]
    liquidations: list[Liquidation]
    positions: list[TapePosition]


def _leverage(rng: random.Random) -> float:
    x = rng.random()
    for leverage, weight in LEVERAGE_MIX:
        x -= weight
        if x < 0:
            return leverage
    return LEVERAGE_MIX[-1][0]


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def generate(
    seed: int = 1,
    *,
    days: float = 10.0,
    coin: str = "BTC",
    venue: str = "binance_usdm",
    start_price: float = 95_000.0,
    start_ms: int = START_MS,
    mean_life_hours: float = 18.0,
) -> LevelsTape:
    rng = random.Random(f"liqwatch-levels-tape/{seed}")
    mmr = maintenance_rate(venue, coin)
    symbol = f"{coin}USDT"
    ticks_per_bar = BAR_MS // TICK_MS
    bars = int(days * 86_400_000 // BAR_MS)
    price = start_price
    regime, regime_left = 0, rng.expovariate(1 / REGIMES[0][2])
    positions: list[TapePosition] = []
    longs: list[tuple[float, int]] = []  # (−liq price, index): highest liquidation price first
    shorts: list[tuple[float, int]] = []  # (liq price, index): lowest first
    closing: list[tuple[int, int]] = []  # (close ts, index)
    live_usd = 0.0  # Σ notional of live positions (both sides)
    candles: list[Candle] = []
    stats: list[MarketStat] = []
    liquidations: list[Liquidation] = []

    def liquidate(index: int, ts: int) -> None:
        nonlocal live_usd
        p = positions[index]
        p.liquidated_ts = ts
        live_usd -= p.notional
        qty = p.notional / p.entry
        usd = qty * p.liq_price
        liquidations.append(
            Liquidation(venue, symbol, coin, p.side, p.liq_price, qty, usd, ts, ts, COMPLETE, f"tape-{seed}-{index}")
        )

    for bar in range(bars):
        bar_open = start_ms + bar * BAR_MS
        o = h = lo = price
        for k in range(ticks_per_bar):
            ts = bar_open + (k + 1) * TICK_MS
            regime_left -= 1
            if regime_left <= 0:
                regime = rng.choices(range(len(REGIMES)), REGIME_ODDS)[0]
                regime_left = rng.expovariate(1 / REGIMES[regime][2])
            drift, sigma, _, pairs = REGIMES[regime]
            price *= math.exp(drift + rng.gauss(0.0, sigma))
            h, lo = max(h, price), min(lo, price)
            while longs and -longs[0][0] >= price:
                index = heapq.heappop(longs)[1]
                if positions[index].liquidated_ts is None and positions[index].closes_ts > ts:
                    liquidate(index, ts)
            while shorts and shorts[0][0] <= price:
                index = heapq.heappop(shorts)[1]
                if positions[index].liquidated_ts is None and positions[index].closes_ts > ts:
                    liquidate(index, ts)
            while closing and closing[0][0] <= ts:
                index = heapq.heappop(closing)[1]
                if positions[index].liquidated_ts is None:
                    live_usd -= positions[index].notional
            for _ in range(_poisson(rng, pairs)):
                notional = 2_000.0 * math.exp(rng.gauss(0.0, 1.2))
                entry = price * (1 + rng.uniform(-0.0003, 0.0003))
                sides: tuple[Side, Side] = ("long", "short")
                for side in sides:
                    leverage = _leverage(rng)
                    life = int(rng.expovariate(1 / (mean_life_hours * 3_600_000)))
                    liq = isolated_liq_price(entry, leverage, side, mmr)
                    index = len(positions)
                    positions.append(TapePosition(side, entry, leverage, notional, liq, ts, ts + max(life, TICK_MS)))
                    heapq.heappush(longs if side == "long" else shorts, (-liq if side == "long" else liq, index))
                    heapq.heappush(closing, (ts + max(life, TICK_MS), index))
                    live_usd += notional
        candles.append(Candle(venue, symbol, coin, BAR_MS, bar_open, o, h, lo, price, "rest"))
        stats.append(MarketStat(venue, symbol, coin, "open_interest_usd", bar_open + BAR_MS, live_usd / 2))
    return LevelsTape(seed, coin, venue, candles, stats, liquidations, positions)
