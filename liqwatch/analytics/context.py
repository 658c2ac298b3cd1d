"""Price context from stored candles: the price at a time, moves over 1h/24h/7d/YTD, the window's
high and low, new highs, round-number crossings and realized volatility.

Pure: functions of candles (liqwatch.model.Candle) and times. Nothing here invents a price: a
question whose candles are missing or stale gets None, and the report then says nothing about it.

Conventions. A candle covers [open_ts, open_ts + interval_ms); its close is the price at its end.
The price "at" t is the close of the latest candle that ended at or before t, provided it ended
no more than `max_age_ms` (default: one interval) before t. Candles of one source (venue and
symbol) are used together, never mixed: `pick_source` chooses it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Literal

import msgspec

from liqwatch.model import Candle

HOUR_MS = 3_600_000
DAY_MS = 86_400_000

# Preferred price sources: the deepest USD-margined perpetual of each coin.
SOURCE_ORDER = ("binance_usdm", "bybit", "okx")


def _symbol_rank(venue: str, symbol: str, coin: str) -> int:
    preferred = {
        "binance_usdm": f"{coin}USDT",
        "bybit": f"{coin}USDT",
        "okx": f"{coin}-USDT-SWAP",
    }.get(venue)
    return 0 if symbol == preferred else 1


def pick_source(candles: Iterable[Candle]) -> tuple[str, str] | None:
    """The (venue, symbol) to read a coin's prices from: preferred venue, then its USDT perpetual,
    then the one with the most candles."""
    counts: dict[tuple[str, str, str], int] = {}
    for c in candles:
        key = (c.venue, c.symbol, c.coin)
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return None

    def rank(key: tuple[str, str, str]) -> tuple[int, int, int, str, str]:
        venue, symbol, coin = key
        order = SOURCE_ORDER.index(venue) if venue in SOURCE_ORDER else len(SOURCE_ORDER)
        return (order, _symbol_rank(venue, symbol, coin), -counts[key], venue, symbol)

    venue, symbol, _ = min(counts, key=rank)
    return venue, symbol


def of_source(candles: Iterable[Candle], source: tuple[str, str], interval_ms: int) -> list[Candle]:
    """The source's candles of one interval, ordered by open_ts, one per open_ts."""
    venue, symbol = source
    picked = {c.open_ts: c for c in candles if c.venue == venue and c.symbol == symbol and c.interval_ms == interval_ms}
    return [picked[k] for k in sorted(picked)]


class PricePoint(msgspec.Struct, frozen=True):
    price: float
    ts: int  # the candle's end (its close time)
    venue: str
    symbol: str
    interval_ms: int
    open_ts: int  # identifies the candle


def price_at(candles: Sequence[Candle], t: int, max_age_ms: int | None = None) -> PricePoint | None:
    """Close of the latest candle ending at or before t (candles of one source, ordered by open_ts)."""
    best: Candle | None = None
    lo, hi = 0, len(candles)
    while lo < hi:  # first candle ending after t
        mid = (lo + hi) // 2
        if candles[mid].open_ts + candles[mid].interval_ms <= t:
            lo = mid + 1
        else:
            hi = mid
    if lo == 0:
        return None
    best = candles[lo - 1]
    end = best.open_ts + best.interval_ms
    if t - end > (best.interval_ms if max_age_ms is None else max_age_ms):
        return None
    return PricePoint(best.close, end, best.venue, best.symbol, best.interval_ms, best.open_ts)


class Move(msgspec.Struct, frozen=True):
    label: str  # "1h", "24h", "7d", "ytd"
    start: PricePoint
    end: PricePoint

    @property
    def change(self) -> float:
        """Relative change: end / start − 1."""
        return self.end.price / self.start.price - 1.0

    @property
    def log_return(self) -> float:
        return math.log(self.end.price / self.start.price)


def year_start(ms: int) -> int:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return int(datetime(moment.year, 1, 1, tzinfo=UTC).timestamp() * 1000)


def moves(hourly: Sequence[Candle], daily: Sequence[Candle], at: int) -> list[Move]:
    """1h, 24h and 7d moves from hourly candles, YTD from daily candles (else hourly), ending at `at`."""
    out: list[Move] = []
    end = price_at(hourly, at)
    if end is None:
        return out
    for label, length in (("1h", HOUR_MS), ("24h", DAY_MS), ("7d", 7 * DAY_MS)):
        start = price_at(hourly, at - length)
        if start is not None and start.price > 0:
            out.append(Move(label, start, end))
    jan1 = year_start(at)
    if jan1 < at - DAY_MS:
        start = price_at(daily, jan1) or price_at(hourly, jan1)
        if start is not None and start.price > 0:
            out.append(Move("ytd", start, end))
    return out


class Extreme(msgspec.Struct, frozen=True):
    price: float
    open_ts: int  # the candle that reached it
    interval_ms: int


def window_extremes(candles: Sequence[Candle], start: int, end: int) -> tuple[Extreme, Extreme] | None:
    """Highest high and lowest low of the candles lying inside [start, end) (earliest first on ties)."""
    inside = [c for c in candles if c.open_ts >= start and c.open_ts + c.interval_ms <= end]
    if not inside:
        return None
    high = min(inside, key=lambda c: (-c.high, c.open_ts))
    low = min(inside, key=lambda c: (c.low, c.open_ts))
    return Extreme(high.high, high.open_ts, high.interval_ms), Extreme(low.low, low.open_ts, low.interval_ms)


class HighRecord(msgspec.Struct, frozen=True):
    """How the window's high compares with every stored candle before the window."""

    high: Extreme
    history_start: int  # open_ts of the first stored candle of the source
    previous_higher: Extreme | None  # the most recent earlier candle with a high >= the window's high

    @property
    def is_new_high(self) -> bool:
        return self.previous_higher is None


def high_record(candles: Sequence[Candle], window_high: Extreme, window_start: int) -> HighRecord | None:
    """The window's high against every earlier candle (any interval of the same source)."""
    before = [c for c in candles if c.open_ts + c.interval_ms <= window_start]
    if not before:
        return None
    higher = [c for c in before if c.high >= window_high.price]
    previous = max(higher, key=lambda c: (c.open_ts + c.interval_ms, -c.interval_ms), default=None)
    return HighRecord(
        high=window_high,
        history_start=min(c.open_ts for c in before),
        previous_higher=None if previous is None else Extreme(previous.high, previous.open_ts, previous.interval_ms),
    )


# --- round numbers ------------------------------------------------------------------------------


def round_step(price: float) -> float:
    """The spacing of "round" levels near a price: the largest 1, 2 or 5 × 10^k ≤ 10% of it.

    BTC at 120,000 → 10,000; ETH at 3,000 → 200; SOL at 180 → 10; XRP at 2.4 → 0.2.
    """
    if price <= 0 or not math.isfinite(price):
        raise ValueError(f"price must be positive, not {price!r}")
    target = price * 0.1
    exponent = math.floor(math.log10(target))
    best = 10.0**exponent
    for mult in (1.0, 2.0, 5.0, 10.0):
        candidate = mult * 10.0**exponent
        if candidate <= target * (1 + 1e-12):
            best = candidate
    return best


def _roundness(level: float) -> int:
    """Fewer significant digits = rounder: 100,000 → 1; 120,000 → 2; 125,000 → 3."""
    text = f"{level:.10g}".replace(".", "").rstrip("0").lstrip("0")
    return max(len(text), 1)


class Crossing(msgspec.Struct, frozen=True):
    level: float
    direction: Literal["up", "down"]
    start: PricePoint  # price at the window start
    end: PricePoint  # price at the window end (still beyond the level)
    reclaimed: bool  # up: a close above the level in the week before the window (down: below it)


def crossing(hourly: Sequence[Candle], start: int, end: int) -> Crossing | None:
    """The most notable round level the price crossed between `start` and `end` and held at `end`.

    Up: levels in (p_start, p_end]; down: levels in [p_end, p_start). The notable one is the
    roundest (fewest significant digits), then the farthest from the start price.
    """
    p0 = price_at(hourly, start)
    p1 = price_at(hourly, end)
    if p0 is None or p1 is None or p0.price <= 0 or p1.price <= 0 or p0.price == p1.price:
        return None
    step = round_step(max(p0.price, p1.price))
    lo, hi = sorted((p0.price, p1.price))
    first = math.floor(lo / step) + 1
    last = math.floor(hi / step)
    up = p1.price > p0.price
    levels = []
    for k in range(first, last + 1):
        level = round(k * step, 10)
        if (up and p0.price < level <= p1.price) or (not up and p1.price <= level < p0.price):
            levels.append(level)
    if not levels:
        return None
    level = min(levels, key=lambda v: (_roundness(v), -abs(v - p0.price)))
    week = [c for c in hourly if start - 7 * DAY_MS <= c.open_ts and c.open_ts + c.interval_ms <= start]
    reclaimed = any(c.close > level for c in week) if up else any(c.close < level for c in week)
    return Crossing(level, "up" if up else "down", p0, p1, reclaimed)


def floor_clean(price: float) -> float:
    """A clean figure not above the price: 123,456 → 123,000; 3,456.7 → 3,450; 0.5678 → 0.567."""
    if price <= 0:
        return price
    step = 10.0 ** (math.floor(math.log10(price)) - 2)
    return math.floor(price / step + 1e-9) * step


# --- volatility ---------------------------------------------------------------------------------


class Volatility(msgspec.Struct, frozen=True):
    """Standard deviation of the log returns of n consecutive `length` periods ending at `end`."""

    length: int
    end: int  # the last period ends here
    returns: list[float]

    @property
    def sigma(self) -> float | None:
        n = len(self.returns)
        if n < 2:
            return None
        mean = sum(self.returns) / n
        return math.sqrt(sum((r - mean) ** 2 for r in self.returns) / (n - 1))


def realized_volatility(hourly: Sequence[Candle], end: int, length: int, periods: int = 30) -> Volatility:
    """Log returns over the `periods` periods (end − (k+1)·length, end − k·length], k = 0…periods−1
    (skipping any without prices)."""
    returns = []
    for k in range(periods):
        a = price_at(hourly, end - (k + 1) * length)
        b = price_at(hourly, end - k * length)
        if a is not None and b is not None and a.price > 0 and b.price > 0:
            returns.append(math.log(b.price / a.price))
    return Volatility(length, end, returns)
