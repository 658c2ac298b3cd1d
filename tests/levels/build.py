"""Hand-built inputs for the levels tests: flat bars and an open-interest series."""

from __future__ import annotations

from collections.abc import Sequence

from liqwatch.analytics.levels import Params
from liqwatch.model import Candle, MarketStat

H = 3_600_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
ONE_TIER = Params(leverages=(10.0,), weights=(1.0,), tilt=0.0, bin_pct=0.001)  # bins of 100 at 100,000


def bar(
    i: int, close: float = 100_000.0, *, low: float | None = None, high: float | None = None, open_: float | None = None
) -> Candle:
    o = close if open_ is None else open_
    lo = min(o, close) if low is None else low
    hi = max(o, close) if high is None else high
    return Candle("binance_usdm", "BTCUSDT", "BTC", H, T0 + i * H, o, hi, lo, close)


def oi(values: Sequence[float], venue: str = "binance_usdm") -> list[MarketStat]:
    """One USD open-interest sample at the end of each bar."""
    return [MarketStat(venue, "BTCUSDT", "BTC", "open_interest_usd", T0 + (i + 1) * H, v) for i, v in enumerate(values)]
