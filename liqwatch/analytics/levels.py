"""Liquidation levels: where forced flow would be if price went there. Pure and versioned.

The model of research/analytics.md §4.4, written down so that it can be tested and scored
(`liqwatch levels backtest`). Nobody publishes where positions really sit, so this estimates it
from what venues do publish — the price path and open interest — like the commercial heatmaps
(§1.5), but with every step stated:

1. New exposure. Per bar t and venue, ΔOI_t = OI_t − OI_{t−1} (OI: the venue's last USD open
   interest sample at or before the bar's end). When ΔOI_t > 0 it is split into new longs
   a_t·ΔOI_t and new shorts (1 − a_t)·ΔOI_t, where a_t = clip(0.5 + tilt·(C − O)/(H − L), 0, 1):
   the candle body stands in for the taker buy share β_t (not stored), so a bar that closed on
   its high credits the buyers.
2. Leverage mix. The new exposure is spread over leverage tiers L_k with weights w_k (Σ w = 1);
   on Hyperliquid tiers above the coin's max leverage are folded into the max.
3. Liquidation price per tier at the bar's typical price p_t = (H + L + C)/3, with the venue's
   first-tier maintenance rate m (`maintenance_rate`): long p(1 − 1/L)/(1 − m), short
   p(1 + 1/L)/(1 + m) (§4.1; the exact venue formulas are below, for checks and measured rows).
4. Accumulate fuel (USD notional at entry) in price bins of width `bin_size` (a round number near
   `bin_pct` of the first price); bin j covers [j·Δ, (j + 1)·Δ).
5. Remove. A long bin is consumed when a later bar's low reaches its centre, a short bin when a
   later bar's high does. When ΔOI_t < 0 every live lot of the venue loses the share of open
   interest that closed, |ΔOI_t| / OI_{t−1} (pro rata). Optional exponential decay (half-life).
6. Venues are modelled apart (their OI, their maintenance rates) and summed per absolute bin.

Fuel is a relative intensity, as on every heatmap: it counts exposure that *could* be liquidated,
not a forecast that it will be. Change MODEL_VERSION with any change to the numbers it produces;
the backtest score is published with the version.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import msgspec

from liqwatch.analytics.context import of_source, pick_source
from liqwatch.model import Candle, MarketStat, Side

MODEL_VERSION = "levels-1"

LONG_SIDE: Side = "long"
SHORT_SIDE: Side = "short"


# ── liquidation-price formulas (§4.1–4.3) ──────────────────────────────────────────────────────


def _sign(side: Side) -> int:
    return 1 if side == "long" else -1


def isolated_liq_price(entry: float, leverage: float, side: Side, mmr: float) -> float:
    """Generic isolated linear perp (§4.1): long E(1 − 1/L)/(1 − m), short E(1 + 1/L)/(1 + m)."""
    if entry <= 0 or leverage <= 0 or not 0 <= mmr < 1:
        raise ValueError(f"need entry > 0, leverage > 0 and 0 <= mmr < 1 (got {entry}, {leverage}, {mmr})")
    if side == "long":
        return entry * (1 - 1 / leverage) / (1 - mmr)
    return entry * (1 + 1 / leverage) / (1 + mmr)


def tiered_liq_price(entry: float, qty: float, side: Side, wallet_balance: float, mmr: float, cum: float) -> float:
    """§4.1/§4.2 with a maintenance amount: P = (WB + cum − s·Q·E) / (Q·m − s·Q).

    Binance's one-way isolated formula (TMM1 = UPNL1 = 0): WB is the isolated wallet balance,
    `cum` the bracket's maintenance amount.
    """
    s = _sign(side)
    return (wallet_balance + cum - s * qty * entry) / (qty * mmr - s * qty)


class Bracket(msgspec.Struct, frozen=True):
    """A Binance maintenance bracket: positions of notional up to `cap` (USDT) use `mmr` and `cum`."""

    cap: float
    mmr: float
    cum: float


# §4.2: Binance BTCUSDT brackets (the illustrative 2021 table: dated, the live one is signed-only).
# cum_n = cum_{n−1} + floor_n·(MMR_n − MMR_{n−1}).
BINANCE_BTCUSDT_2021: tuple[Bracket, ...] = (
    Bracket(50_000, 0.004, 0),
    Bracket(250_000, 0.005, 50),
    Bracket(1_000_000, 0.01, 1_300),
    Bracket(10_000_000, 0.025, 16_300),
    Bracket(20_000_000, 0.05, 266_300),
    Bracket(50_000_000, 0.10, 1_266_300),
    Bracket(100_000_000, 0.125, 2_516_300),
    Bracket(200_000_000, 0.15, 5_016_300),
    Bracket(300_000_000, 0.25, 25_016_300),
    Bracket(500_000_000, 0.50, 100_016_300),
)


def bracket_for(brackets: Sequence[Bracket], notional: float) -> Bracket:
    """The bracket holding `notional` (the last one beyond the table)."""
    for bracket in brackets:
        if notional <= bracket.cap:
            return bracket
    return brackets[-1]


def binance_isolated_liq_price(
    entry: float, qty: float, side: Side, leverage: float, brackets: Sequence[Bracket] = BINANCE_BTCUSDT_2021
) -> float:
    """Binance USDⓈ-M one-way isolated position with initial margin WB = Q·E/L (§4.2).

    The bracket is the one of the notional *at the liquidation price*: start from the entry
    notional's bracket and recompute while the result lands in another one.
    """
    if entry <= 0 or qty <= 0 or leverage <= 0:
        raise ValueError(f"need entry, qty and leverage > 0 (got {entry}, {qty}, {leverage})")
    wallet_balance = qty * entry / leverage
    bracket = bracket_for(brackets, qty * entry)
    price = entry
    for _ in range(len(brackets)):
        price = tiered_liq_price(entry, qty, side, wallet_balance, bracket.mmr, bracket.cum)
        at_liq = bracket_for(brackets, qty * max(price, 0.0))
        if at_liq == bracket:
            break
        bracket = at_liq
    return price


# §4.3: Hyperliquid max leverage of the first margin tier (May-2026 snapshot); others 10x (or less).
HYPERLIQUID_MAX_LEVERAGE: dict[str, int] = {"BTC": 40, "ETH": 25, "SOL": 20, "XRP": 20}
HYPERLIQUID_DEFAULT_MAX_LEVERAGE = 10


def hyperliquid_max_leverage(coin: str) -> int:
    return HYPERLIQUID_MAX_LEVERAGE.get(coin, HYPERLIQUID_DEFAULT_MAX_LEVERAGE)


def hyperliquid_liq_price(price: float, size: float, side: Side, isolated_margin: float, max_leverage: float) -> float:
    """Hyperliquid's documented formula (§4.3), isolated margin:

    liq = price − side·margin_available/|size|/(1 − l·side), l = 1/(2·max leverage),
    margin_available = isolated_margin − |size|·price·l.
    """
    if price <= 0 or size == 0 or max_leverage <= 0:
        raise ValueError(f"need price > 0, size != 0 and max_leverage > 0 (got {price}, {size}, {max_leverage})")
    s = _sign(side)
    rate = 1 / (2 * max_leverage)
    margin_available = isolated_margin - abs(size) * price * rate
    return price - s * margin_available / abs(size) / (1 - rate * s)


# First-tier maintenance rates used for the model's lots. Binance: the first bracket of §4.2
# (applied to every coin: per-coin tables need a signed request). Hyperliquid: 1/(2·max leverage).
# Venues without a table in the research: 0.5 %, a typical first tier.
FIRST_TIER_MMR: dict[str, float] = {"binance_usdm": BINANCE_BTCUSDT_2021[0].mmr}
DEFAULT_MMR = 0.005


def maintenance_rate(venue: str, coin: str) -> float:
    if venue == "hyperliquid":
        return 1 / (2 * hyperliquid_max_leverage(coin))
    return FIRST_TIER_MMR.get(venue, DEFAULT_MMR)


def max_leverage(venue: str, coin: str) -> float:
    return float(hyperliquid_max_leverage(coin)) if venue == "hyperliquid" else math.inf


# ── parameters ────────────────────────────────────────────────────────────────────────────────


class Params(msgspec.Struct, frozen=True):
    """What the model assumes (§4.4 steps 1–5). Published with every output."""

    leverages: tuple[float, ...] = (5.0, 10.0, 20.0, 25.0, 50.0, 100.0)
    weights: tuple[float, ...] = (0.15, 0.30, 0.20, 0.15, 0.12, 0.08)
    tilt: float = 0.25  # aggressor attribution from the candle body (0: even split)
    bin_pct: float = 0.0025  # bin width as a share of the first price, rounded to 1/2/2.5/5·10^n
    half_life_hours: float = 0.0  # decay of untracked voluntary closes; 0: none

    def check(self) -> None:
        if len(self.leverages) != len(self.weights) or not self.leverages:
            raise ValueError("levels: leverages and weights must be non-empty and of the same length")
        if any(lev < 1 for lev in self.leverages) or any(w < 0 for w in self.weights):
            raise ValueError("levels: leverages must be >= 1 and weights >= 0")
        if abs(sum(self.weights) - 1) > 1e-9:
            raise ValueError(f"levels: weights must sum to 1, not {sum(self.weights):g}")
        if not 0 < self.bin_pct < 0.1 or not 0 <= self.tilt <= 0.5 or self.half_life_hours < 0:
            raise ValueError("levels: need 0 < bin_pct < 0.1, 0 <= tilt <= 0.5 and half_life_hours >= 0")


DEFAULT = Params()


def nice_step(raw: float) -> float:
    """The round number (1, 2, 2.5 or 5 × 10^n) nearest above `raw`."""
    if raw <= 0 or not math.isfinite(raw):
        raise ValueError(f"bin width must be positive, not {raw}")
    exponent = math.floor(math.log10(raw))
    for mantissa in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = mantissa * 10.0**exponent
        if step >= raw * (1 - 1e-9):
            return float(f"{step:.12g}")
    return 10.0 ** (exponent + 1)


def bin_of(price: float, bin_size: float) -> int:
    return math.floor(price / bin_size + 1e-9)


# ── the model ─────────────────────────────────────────────────────────────────────────────────

Fuel = dict[int, float]  # bin index → USD


class _SideBook:
    """Live fuel of one side of one venue: raw values times a common scale (pro-rata removal in O(1))."""

    __slots__ = ("raw", "scale")

    def __init__(self) -> None:
        self.raw: Fuel = {}
        self.scale = 1.0

    def add(self, bin_index: int, usd: float) -> None:
        self.raw[bin_index] = self.raw.get(bin_index, 0.0) + usd / self.scale

    def shrink(self, factor: float) -> None:
        if factor <= 0:
            self.raw.clear()
            self.scale = 1.0
            return
        self.scale *= factor
        if self.scale < 1e-100:  # renormalise long before floats underflow
            self.raw = {b: v * self.scale for b, v in self.raw.items()}
            self.scale = 1.0

    def take_from(self, first: int, upward: bool) -> Fuel:
        """Remove and return the bins at or above (`upward`) / at or below `first`."""
        hit = [b for b in self.raw if (b >= first if upward else b <= first)]
        return {b: self.raw.pop(b) * self.scale for b in hit}

    def live(self) -> Fuel:
        return {b: v * self.scale for b, v in self.raw.items() if v > 0}


class Consumed(msgspec.Struct, frozen=True):
    """Fuel the bar's range reached (all venues): bin → USD per side."""

    long: Fuel
    short: Fuel


class LevelsModel:
    """The §4.4 model over one coin's price path and its venues' open interest.

    Drive it bar by bar: `cross(i)` (the bar's range consumes reached levels) then `open(i)` (the
    bar's OI change adds or removes exposure); `live()` is the fuel after what was applied.
    `run(until)` does both up to a time. No I/O: a deterministic function of its inputs.
    """

    def __init__(self, candles: Iterable[Candle], open_interest: Iterable[MarketStat], params: Params = DEFAULT):
        params.check()
        self.params = params
        all_candles = list(candles)
        interval = _common_interval(all_candles)
        same_interval = [c for c in all_candles if c.interval_ms == interval]
        source = pick_source(same_interval)
        self.path: list[Candle] = of_source(same_interval, source, interval) if source else []
        self.coin = self.path[0].coin if self.path else ""
        self.source = f"{source[0]} {source[1]}" if source else ""
        self.interval_ms = interval
        first = self.path[0] if self.path else None
        self.bin_size = nice_step((first.close if first else 1.0) * params.bin_pct)
        self._oi = _oi_per_bar(self.path, open_interest)
        self.venues = sorted(self._oi)
        self._books = {v: (_SideBook(), _SideBook()) for v in self.venues}
        self._previous_oi: dict[str, float | None] = {v: None for v in self.venues}
        self.next_bar = 0
        lev_rate = [(lev, w) for lev, w in zip(params.leverages, params.weights, strict=True) if w > 0]
        self._tiers = {v: _tiers(lev_rate, v, self.coin) for v in self.venues}

    def bar_end(self, i: int) -> int:
        return self.path[i].open_ts + self.interval_ms

    def cross(self, i: int) -> Consumed:
        bar = self.path[i]
        low_first = math.ceil(bar.low / self.bin_size - 0.5 - 1e-9)  # centre (j + ½)Δ >= low
        high_last = math.floor(bar.high / self.bin_size - 0.5 + 1e-9)  # centre <= high
        long: Fuel = {}
        short: Fuel = {}
        for longs, shorts in self._books.values():
            for b, usd in longs.take_from(low_first, upward=True).items():
                long[b] = long.get(b, 0.0) + usd
            for b, usd in shorts.take_from(high_last, upward=False).items():
                short[b] = short.get(b, 0.0) + usd
        return Consumed(long, short)

    def open(self, i: int) -> None:
        bar = self.path[i]
        self.next_bar = i + 1
        params = self.params
        if params.half_life_hours > 0:
            factor = 0.5 ** (self.interval_ms / (params.half_life_hours * 3_600_000))
            for longs, shorts in self._books.values():
                longs.shrink(factor)
                shorts.shrink(factor)
        typical = (bar.high + bar.low + bar.close) / 3
        span = bar.high - bar.low
        long_share = 0.5 if span <= 0 else min(1.0, max(0.0, 0.5 + params.tilt * (bar.close - bar.open) / span))
        for venue in self.venues:
            oi = self._oi[venue][i]
            previous = self._previous_oi[venue]
            if oi is None:
                continue
            self._previous_oi[venue] = oi
            if previous is None or oi == previous:
                continue
            longs, shorts = self._books[venue]
            delta = oi - previous
            if delta < 0:
                closed = -delta / previous if previous > 0 else 1.0
                longs.shrink(1 - closed)
                shorts.shrink(1 - closed)
                continue
            for leverage, weight, rate in self._tiers[venue]:
                long_px = typical * (1 - 1 / leverage) / (1 - rate)
                short_px = typical * (1 + 1 / leverage) / (1 + rate)
                longs.add(bin_of(long_px, self.bin_size), weight * delta * long_share)
                shorts.add(bin_of(short_px, self.bin_size), weight * delta * (1 - long_share))

    def run(self, until: int | None = None) -> None:
        """Apply every remaining bar that ended at or before `until` (all of them without one)."""
        while self.next_bar < len(self.path) and (until is None or self.bar_end(self.next_bar) <= until):
            self.cross(self.next_bar)
            self.open(self.next_bar)

    def live(self) -> tuple[Fuel, Fuel]:
        """Live (long, short) fuel summed over venues, per bin."""
        long: Fuel = {}
        short: Fuel = {}
        for longs, shorts in self._books.values():
            for b, usd in longs.live().items():
                long[b] = long.get(b, 0.0) + usd
            for b, usd in shorts.live().items():
                short[b] = short.get(b, 0.0) + usd
        return long, short


def _common_interval(candles: Sequence[Candle]) -> int:
    """The bar interval the model runs on: the most common one (the shortest on a tie)."""
    counts: dict[int, int] = {}
    for c in candles:
        counts[c.interval_ms] = counts.get(c.interval_ms, 0) + 1
    if not counts:
        return 3_600_000
    return min(counts, key=lambda interval: (-counts[interval], interval))


def _tiers(lev_weight: Sequence[tuple[float, float]], venue: str, coin: str) -> list[tuple[float, float, float]]:
    """(leverage, weight, maintenance rate) per tier; tiers above the venue's max folded into it."""
    cap = max_leverage(venue, coin)
    merged: dict[float, float] = {}
    for leverage, weight in lev_weight:
        capped = min(leverage, cap)
        merged[capped] = merged.get(capped, 0.0) + weight
    rate = maintenance_rate(venue, coin)
    return [(lev, w, rate) for lev, w in sorted(merged.items())]


def _oi_per_bar(path: Sequence[Candle], stats: Iterable[MarketStat]) -> dict[str, list[float | None]]:
    """Per venue: the last USD open interest sample at or before each bar's end (None before any)."""
    per_venue: dict[str, list[MarketStat]] = {}
    for s in stats:
        if s.kind == "open_interest_usd" and s.value > 0 and math.isfinite(s.value):
            per_venue.setdefault(s.venue, []).append(s)
    out: dict[str, list[float | None]] = {}
    for venue, samples in per_venue.items():
        samples.sort(key=lambda s: (s.ts, s.symbol))
        values: list[float | None] = []
        k = 0
        current: float | None = None
        for bar in path:
            end = bar.open_ts + bar.interval_ms
            while k < len(samples) and samples[k].ts <= end:
                current = samples[k].value
                k += 1
            values.append(current)
        out[venue] = values
    return out
