"""Generated tapes with known truth for report tests: events, gaps and candles, all deterministic."""

from __future__ import annotations

import itertools
import math
import random
import zlib
from collections.abc import Sequence

from liqwatch.model import Candle, Gap, Liquidation, MarketStat

H = 3_600_000
DAY = 86_400_000
AT = 1_763_683_200_000  # 2025-11-21T00:00:00Z, a midnight
VENUES = ("binance_usdm", "bybit", "okx")
SAMPLED = frozenset({"binance_usdm", "okx"})
COIN_PRICES = {"BTC": 100_000.0, "ETH": 3_000.0, "SOL": 150.0, "XRP": 2.0, "DOGE": 0.2, "PEPE": 0.00001}
COIN_WEIGHTS = {"BTC": 0.5, "ETH": 0.25, "SOL": 0.12, "XRP": 0.08, "DOGE": 0.05}


def event(ts: int, usd: float | None, venue: str, coin: str, side: str, n: int) -> Liquidation:
    price = COIN_PRICES[coin]
    symbol = f"{coin}-USDT-SWAP" if venue == "okx" else f"{coin}USDT"
    return Liquidation(
        venue=venue,
        symbol=symbol,
        coin=coin,
        side=side,  # type: ignore[arg-type]
        price=price,
        qty=None if usd is None else round(usd / price, 8),
        usd=usd,
        ts=ts,
        recv_ts=ts + 150,
        coverage="sampled" if venue in SAMPLED else "complete",  # type: ignore[arg-type]
        id=f"{venue}:{symbol}:{ts}:{side}:{n}",
    )


def spread(
    rng: random.Random,
    start: int,
    end: int,
    n: int,
    usd_total: float,
    short_share: float,
    venues: Sequence[str],
    tag: str,
) -> list[Liquidation]:
    """n events in (start, end] whose USD adds up to about usd_total, with the given short share."""
    out = []
    weights = [rng.paretovariate(1.6) for _ in range(n)]
    scale = usd_total / sum(weights)
    coins = list(COIN_WEIGHTS)
    for i, w in enumerate(weights):
        ts = rng.randint(start + 1, end)
        coin = rng.choices(coins, weights=[COIN_WEIGHTS[c] for c in coins])[0]
        side = "short" if rng.random() < short_share else "long"
        usd = round(w * scale, 2)
        out.append(event(ts, usd, rng.choice(list(venues)), coin, side, zlib.crc32(f"{tag}:{i}".encode()) & 0xFFFFFFF))
    return out


def calm_days(days: int, end: int = AT - DAY, seed: int = 1, venues: Sequence[str] = VENUES) -> list[Liquidation]:
    """`days` ordinary days ending at `end`: $30–70M a day, longs and shorts mixed."""
    rng = random.Random(seed)
    out = []
    for d in range(days):
        lo = end - (d + 1) * DAY
        out += spread(rng, lo, lo + DAY, 400, rng.uniform(30e6, 70e6), rng.uniform(0.35, 0.65), venues, f"calm{d}")
    return out


def squeeze_day(seed: int = 2, venues: Sequence[str] = VENUES) -> list[Liquidation]:
    """The day before AT: about $120M of background and a $600M short burst at 14:00–14:06 UTC."""
    rng = random.Random(seed)
    start = AT - DAY
    out = spread(rng, start, AT, 2000, 120e6, 0.5, venues, "bg")
    burst_start = start + 14 * H
    out += spread(rng, burst_start, burst_start + 6 * 60_000, 1500, 600e6, 1.0, venues, "burst")
    return out


def big_short_days_before(seed: int = 3) -> list[Liquidation]:
    """Two days before AT's day: $1.1B of shorts (a 'follows ... two days earlier' day)."""
    rng = random.Random(seed)
    lo = AT - 3 * DAY
    return spread(rng, lo, lo + DAY, 1000, 1.1e9, 1.0, VENUES, "prior")


def candles(
    coin: str,
    start: int,
    end: int,
    path: Sequence[tuple[int, float]],
    venue: str = "binance_usdm",
    interval: int = H,
) -> list[Candle]:
    """Candles whose closes follow a piecewise-linear path [(ts, price)…], with a small wiggle."""
    out = []
    symbol = f"{coin}USDT"
    t = start
    prev = _interp(path, t)
    while t + interval <= end:
        close = _interp(path, t + interval) * (1 + 0.0005 * math.sin(t / interval))
        high = max(prev, close) * 1.001
        low = min(prev, close) * 0.999
        out.append(Candle(venue, symbol, coin, interval, t, prev, high, low, close))
        prev = close
        t += interval
    return out


def _interp(path: Sequence[tuple[int, float]], t: int) -> float:
    if t <= path[0][0]:
        return path[0][1]
    for (t0, p0), (t1, p1) in itertools.pairwise(path):
        if t0 <= t <= t1:
            return p0 + (p1 - p0) * (t - t0) / (t1 - t0)
    return path[-1][1]


def btc_squeeze_candles(days: int = 40) -> list[Candle]:
    """BTC flat near 112,000, then up to 121,500 over the last day (past 120,000), spiking to ~123,400."""
    start = AT - days * DAY
    path = [
        (start, 110_000.0),
        (AT - DAY, 112_000.0),
        (AT - DAY + 14 * H, 118_000.0),
        (AT - DAY + 15 * H, 123_400.0),
        (AT, 121_500.0),
    ]
    hourly = candles("BTC", start, AT, path)
    daily = candles("BTC", start, AT, path, interval=DAY)
    return hourly + daily


def gap(venue: str, start: int, minutes: int) -> Gap:
    return Gap(venue, start, start + minutes * 60_000, "reconnect")


def cascade_day(seed: int = 4, venues: Sequence[str] = VENUES) -> list[Liquidation]:
    """The day before AT: about $90M of background and a $450M long burst at 03:10–03:18 UTC."""
    rng = random.Random(seed)
    start = AT - DAY
    out = spread(rng, start, AT, 1500, 90e6, 0.5, venues, "cbg")
    burst_start = start + 3 * H + 10 * 60_000
    out += spread(rng, burst_start, burst_start + 8 * 60_000, 1200, 450e6, 0.0, venues, "cburst")
    return out


def btc_cascade_candles(days: int = 40) -> list[Candle]:
    """BTC drifting near 104,000, then falling through 100,000 to about 96,800 on the last day."""
    start = AT - days * DAY
    path = [
        (start, 103_000.0),
        (AT - DAY, 104_000.0),
        (AT - DAY + 3 * H, 103_500.0),
        (AT - DAY + 4 * H, 97_900.0),
        (AT, 96_800.0),
    ]
    return candles("BTC", start, AT, path) + candles("BTC", start, AT, path, interval=DAY)


def open_interest(
    coin: str, start_usd: float, end_usd: float, start: int = AT - DAY, end: int = AT
) -> list[MarketStat]:
    """Hourly open-interest readings moving linearly from start_usd to end_usd (Bybit)."""
    steps = (end - start) // H
    return [
        MarketStat(
            "bybit",
            f"{coin}USDT",
            coin,
            "open_interest_usd",
            start + i * H,
            start_usd + (end_usd - start_usd) * i / steps,
        )
        for i in range(-2, steps + 1)
    ]
