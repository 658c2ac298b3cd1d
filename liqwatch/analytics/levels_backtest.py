"""How good is the levels model? Scored against realized liquidations. Pure and reproducible.

At evaluation times T (every `horizon_ms`, after `warmup_ms`), the model's live fuel after the last
bar ending at or before T predicts where the next `horizon_ms` of liquidations will happen:
per side, the top `top_share` of the bins with fuel within ±`window_pct` of the price (by fuel),
widened by `tolerance_bins` either side. Then, over (T, T + horizon]:

- captured: realized liquidation USD of that side whose price falls in the side's predicted bins;
- coverage: the share of the price-time the path visited that those bins cover (each bar visits
  the bins from its low to its high). A placement that knew nothing — uniform over where price
  went — would capture this share, so it is the baseline.

Summed over windows (coverage weighted by each window-side's realized USD):
capture_share = captured / realized, coverage_share = expected-by-chance / realized,
lift = capture_share / coverage_share (> 1: the model beats the uniform baseline).
Realized liquidations should come from a complete feed (Bybit allLiquidation, Hyperliquid, a
generated tape): sampled feeds bias the score toward where the sampling happened.
The same inputs give the same numbers to the last digit (fixed summation order, math.fsum).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable

import msgspec

from liqwatch.analytics.levels import DEFAULT, MODEL_VERSION, Fuel, LevelsModel, Params, bin_of
from liqwatch.model import Candle, Liquidation, MarketStat, Side

HOUR_MS = 3_600_000


class BacktestParams(msgspec.Struct, frozen=True):
    horizon_ms: int = 4 * HOUR_MS
    warmup_ms: int = 24 * HOUR_MS
    top_share: float = 0.25
    window_pct: float = 0.10
    tolerance_bins: int = 1

    def check(self) -> None:
        if self.horizon_ms <= 0 or self.warmup_ms < 0:
            raise ValueError("backtest: horizon_ms must be positive and warmup_ms >= 0")
        if not 0 < self.top_share <= 1 or not self.window_pct > 0 or self.tolerance_bins < 0:
            raise ValueError("backtest: need 0 < top_share <= 1, window_pct > 0, tolerance_bins >= 0")


DEFAULT_BACKTEST = BacktestParams()


class BacktestScore(msgspec.Struct, frozen=True):
    model_version: str
    source: str  # what was scored, e.g. "generated tape seed 1" or a store path
    coin: str
    bars: int
    evaluations: int  # windows with realized liquidations
    realized_usd: float
    captured_usd: float
    capture_share: float | None  # captured / realized
    coverage_share: float | None  # what uniform placement over the visited price-time would capture
    lift: float | None  # capture_share / coverage_share
    params: Params
    backtest: BacktestParams

    def describe(self) -> str:
        if self.capture_share is None or self.coverage_share is None:
            return f"{self.coin} levels model {self.model_version}: no realized liquidations to score ({self.source})"
        lift = "n/a" if self.lift is None else f"{self.lift:.2f}"
        return (
            f"{self.coin} levels model {self.model_version}: top {self.backtest.top_share:.0%} bins captured "
            f"{self.capture_share:.1%} of ${self.realized_usd:,.0f} realized liquidations while covering "
            f"{self.coverage_share:.1%} of the visited price-time (lift {lift}) — "
            f"{self.evaluations} windows, {self.bars} bars, {self.source}"
        )


def top_bins(fuel: Fuel, price: float, bin_size: float, bt: BacktestParams) -> set[int]:
    """The top `top_share` bins with fuel within ±window of the price, widened by the tolerance."""
    lo, hi = bin_of(price * (1 - bt.window_pct), bin_size), bin_of(price * (1 + bt.window_pct), bin_size)
    near = sorted(((usd, b) for b, usd in fuel.items() if lo <= b <= hi and usd > 0), key=lambda x: (-x[0], x[1]))
    chosen = near[: math.ceil(len(near) * bt.top_share)]
    return {b + d for _, b in chosen for d in range(-bt.tolerance_bins, bt.tolerance_bins + 1)}


def backtest(
    candles: Iterable[Candle],
    open_interest: Iterable[MarketStat],
    liquidations: Iterable[Liquidation],
    params: Params = DEFAULT,
    bt: BacktestParams = DEFAULT_BACKTEST,
    *,
    source: str = "",
) -> BacktestScore:
    bt.check()
    model = LevelsModel(candles, open_interest, params)
    coin = model.coin
    liqs = sorted((e for e in liquidations if e.coin == coin and e.usd), key=lambda e: (e.ts, e.id))
    times = [e.ts for e in liqs]
    size = model.bin_size
    path = model.path
    realized_parts: list[float] = []
    captured_parts: list[float] = []
    expected_parts: list[float] = []
    evaluations = 0
    if path:
        start = path[0].open_ts + bt.warmup_ms
        t = start
        last_end = model.bar_end(len(path) - 1)
        while t + bt.horizon_ms <= last_end:
            model.run(t)
            if model.next_bar > 0:
                long, short = model.live()
                price = path[model.next_bar - 1].close
                window = [i for i in range(model.next_bar, len(path)) if model.bar_end(i) <= t + bt.horizon_ms]
                visited = [b for i in window for b in range(bin_of(path[i].low, size), bin_of(path[i].high, size) + 1)]
                first, stop = bisect.bisect_right(times, t), bisect.bisect_right(times, t + bt.horizon_ms)
                scored = False
                sides: tuple[tuple[Side, Fuel], ...] = (("long", long), ("short", short))
                for side, fuel in sides:
                    usd = [e.usd for e in liqs[first:stop] if e.side == side and e.usd]
                    if not usd or not visited:
                        continue
                    chosen = top_bins(fuel, price, size, bt)
                    in_bins = [
                        e.usd for e in liqs[first:stop] if e.side == side and e.usd and bin_of(e.price, size) in chosen
                    ]
                    realized = math.fsum(usd)
                    realized_parts.append(realized)
                    captured_parts.append(math.fsum(u for u in in_bins if u is not None))
                    expected_parts.append(realized * sum(1 for b in visited if b in chosen) / len(visited))
                    scored = True
                evaluations += scored
            t += bt.horizon_ms
    realized = math.fsum(realized_parts)
    captured = math.fsum(captured_parts)
    expected = math.fsum(expected_parts)
    capture = captured / realized if realized > 0 else None
    coverage = expected / realized if realized > 0 else None
    lift = capture / coverage if capture is not None and coverage else None
    return BacktestScore(
        model_version=MODEL_VERSION,
        source=source,
        coin=coin,
        bars=len(path),
        evaluations=evaluations,
        realized_usd=realized,
        captured_usd=captured,
        capture_share=capture,
        coverage_share=coverage,
        lift=lift,
        params=params,
        backtest=bt,
    )
