"""Outputs of the liquidation levels model: the time × price heatmap, the current map, and the
measured layer from watched Hyperliquid wallets. Pure; msgspec Structs, served as JSON as they are.

Map (§4.4 step 6), from the current price P0: long fuel sits below it, short fuel above;
cumulative curves run outward from P0 — C^S(P*) = Σ_{P0 < p_j ≤ P*} H^S_j and
C^L(P*) = Σ_{P* ≤ p_j < P0} H^L_j — so "if BTC breaks $X, about $Y of short exposure is in the
way" reads straight off it. Peaks ("max pain", defined): per side, the bin within ±range with the
most fuel, and the price where the cumulative fuel reaches half of that side's total in range.
Liq ratio (Kingfisher-style): short fuel / (short + long fuel) within ±range.

The measured layer (§4.4 step 8) is never mixed into the model: positions' own `liquidationPx`
from watched wallets, binned the same way and labelled as measured.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol

import msgspec

from liqwatch.analytics.levels import DEFAULT, MODEL_VERSION, Fuel, LevelsModel, Params, bin_of
from liqwatch.model import Candle, MarketStat

MEASURED_LABEL = "measured (watched Hyperliquid wallets)"
MODELLED_LABEL = "modelled (open-interest changes, liqwatch levels model)"


class MeasuredPosition(Protocol):
    """A watched wallet's position with the venue's own liquidation price (liqwatch.wallets)."""

    @property
    def coin(self) -> str: ...
    @property
    def side(self) -> str: ...  # "long" | "short"
    @property
    def liquidation_px(self) -> float | None: ...
    @property
    def position_usd(self) -> float: ...


class MeasuredRow(msgspec.Struct, frozen=True):
    """A plain MeasuredPosition, for callers (and tests) that have none of their own."""

    coin: str
    side: str
    liquidation_px: float | None
    position_usd: float


class MapBin(msgspec.Struct, frozen=True):
    price: float  # the bin's lower edge; the bin is [price, price + bin_size)
    long_usd: float
    short_usd: float
    cum_usd: float  # cumulative same-side fuel from the current price out to this bin (inclusive)


class Peak(msgspec.Struct, frozen=True):
    price: float  # lower edge of the bin
    usd: float


class SideSummary(msgspec.Struct, frozen=True):
    total_usd: float  # fuel of the side within ±range of the price
    peak: Peak | None  # the bin with the most fuel
    half_price: float | None  # where the cumulative fuel from the price reaches half of total_usd


class MeasuredLayer(msgspec.Struct, frozen=True):
    label: str
    positions: int  # positions of the coin with a liquidation price
    long_usd: float
    short_usd: float
    bins: list[MapBin]


class LevelsMap(msgspec.Struct, frozen=True):
    model_version: str
    label: str
    coin: str
    at: int  # ms: the end of the last bar applied
    price: float  # that bar's close
    source: str  # "venue symbol" of the price path
    venues: list[str]  # venues whose open interest fed the model
    bin_size: float
    range_pct: float
    bins: list[MapBin]  # ascending price, within ±range, bins with fuel only
    longs: SideSummary  # below the price
    shorts: SideSummary  # above the price
    liq_ratio: float | None  # short / (short + long) fuel within ±range
    measured: MeasuredLayer | None
    params: Params


class Heatmap(msgspec.Struct, frozen=True):
    model_version: str
    label: str
    coin: str
    source: str
    venues: list[str]
    bin_size: float
    prices: list[float]  # bin lower edges, ascending (the rows)
    times: list[int]  # ms: end of each time bucket (the columns)
    closes: list[float]  # the price at each time
    long_usd: list[list[float]]  # [time][price]: live long fuel at that time
    short_usd: list[list[float]]
    params: Params


def _side_cells(fuel: Fuel, lo: int, hi: int) -> Fuel:
    return {b: usd for b, usd in fuel.items() if lo <= b <= hi}


def _summary(cells: Fuel, order: Sequence[int], bin_size: float) -> tuple[SideSummary, dict[int, float]]:
    """Totals, peak, half-way price and the cumulative curve along `order` (outward from the price)."""
    total = math.fsum(cells.values())
    cumulative: dict[int, float] = {}
    running = 0.0
    half: float | None = None
    for b in order:
        running += cells.get(b, 0.0)
        cumulative[b] = running
        if half is None and total > 0 and running >= total / 2:
            half = b * bin_size
    peak = None
    if cells:
        best = max(cells, key=lambda b: (cells[b], -abs(b)))
        peak = Peak(best * bin_size, cells[best])
    return SideSummary(total, peak, half), cumulative


def _map_bins(long: Fuel, short: Fuel, price_bin: int, lo: int, hi: int, bin_size: float) -> list[MapBin]:
    longs = _side_cells(long, lo, hi)
    shorts = _side_cells(short, lo, hi)
    _, cum_long = _summary(longs, range(price_bin, lo - 1, -1), bin_size)
    _, cum_short = _summary(shorts, range(price_bin, hi + 1), bin_size)
    out = []
    for b in sorted(set(longs) | set(shorts)):
        cum = cum_short.get(b, 0.0) if b >= price_bin and b in shorts else cum_long.get(b, 0.0)
        out.append(MapBin(b * bin_size, longs.get(b, 0.0), shorts.get(b, 0.0), cum))
    return out


def measured_layer(positions: Iterable[MeasuredPosition], coin: str, price: float, bin_size: float) -> MeasuredLayer:
    """Watched positions' own liquidation prices, binned like the model (kept apart from it)."""
    long: Fuel = {}
    short: Fuel = {}
    count = 0
    for p in positions:
        px = p.liquidation_px
        if p.coin != coin or px is None or px <= 0 or not math.isfinite(px) or p.position_usd <= 0:
            continue
        count += 1
        target = long if p.side == "long" else short
        b = bin_of(px, bin_size)
        target[b] = target.get(b, 0.0) + abs(p.position_usd)
    price_bin = bin_of(price, bin_size)
    lo = min([price_bin, *long, *short])
    hi = max([price_bin, *long, *short])
    bins = _map_bins(long, short, price_bin, lo, hi, bin_size)
    return MeasuredLayer(MEASURED_LABEL, count, math.fsum(long.values()), math.fsum(short.values()), bins)


def current_map(
    candles: Iterable[Candle],
    open_interest: Iterable[MarketStat],
    params: Params = DEFAULT,
    *,
    at: int | None = None,
    range_pct: float = 0.10,
    measured: Iterable[MeasuredPosition] | None = None,
) -> LevelsMap | None:
    """The map after the last bar ending at or before `at` (the latest without it); None without bars."""
    model = LevelsModel(candles, open_interest, params)
    model.run(at)
    if model.next_bar == 0:
        return None
    last = model.path[model.next_bar - 1]
    size = model.bin_size
    long, short = model.live()
    price_bin = bin_of(last.close, size)
    lo, hi = bin_of(last.close * (1 - range_pct), size), bin_of(last.close * (1 + range_pct), size)
    longs = _side_cells(long, lo, hi)
    shorts = _side_cells(short, lo, hi)
    long_summary, _ = _summary(longs, range(price_bin, lo - 1, -1), size)
    short_summary, _ = _summary(shorts, range(price_bin, hi + 1), size)
    both = long_summary.total_usd + short_summary.total_usd
    return LevelsMap(
        model_version=MODEL_VERSION,
        label=MODELLED_LABEL,
        coin=model.coin,
        at=model.bar_end(model.next_bar - 1),
        price=last.close,
        source=model.source,
        venues=model.venues,
        bin_size=size,
        range_pct=range_pct,
        bins=_map_bins(long, short, price_bin, lo, hi, size),
        longs=long_summary,
        shorts=short_summary,
        liq_ratio=short_summary.total_usd / both if both > 0 else None,
        measured=None if measured is None else measured_layer(measured, model.coin, last.close, size),
        params=params,
    )


def heatmap(
    candles: Iterable[Candle],
    open_interest: Iterable[MarketStat],
    params: Params = DEFAULT,
    *,
    since: int | None = None,
    until: int | None = None,
    every_bars: int = 1,
    range_pct: float = 0.15,
) -> Heatmap | None:
    """Live fuel per (time, price bin): one column per `every_bars` bars ending in (since, until].

    The model runs from the first bar (levels opened before `since` stay on the map); rows span the
    shown path's low/high widened by `range_pct`. None when no bar ends in the range.
    """
    if every_bars < 1:
        raise ValueError(f"every_bars must be >= 1, not {every_bars}")
    model = LevelsModel(candles, open_interest, params)
    shown = [
        i
        for i in range(len(model.path))
        if (since is None or model.bar_end(i) > since) and (until is None or model.bar_end(i) <= until)
    ]
    if not shown:
        return None
    size = model.bin_size
    low = min(model.path[i].low for i in shown) * (1 - range_pct)
    high = max(model.path[i].high for i in shown) * (1 + range_pct)
    lo, hi = bin_of(low, size), bin_of(high, size)
    times: list[int] = []
    closes: list[float] = []
    long_rows: list[list[float]] = []
    short_rows: list[list[float]] = []
    for k, i in enumerate(shown):
        model.run(model.bar_end(i))
        if (k + 1) % every_bars and i != shown[-1]:
            continue
        long, short = model.live()
        times.append(model.bar_end(i))
        closes.append(model.path[i].close)
        long_rows.append([round(long.get(b, 0.0), 2) for b in range(lo, hi + 1)])
        short_rows.append([round(short.get(b, 0.0), 2) for b in range(lo, hi + 1)])
    return Heatmap(
        model_version=MODEL_VERSION,
        label=MODELLED_LABEL,
        coin=model.coin,
        source=model.source,
        venues=model.venues,
        bin_size=size,
        prices=[float(f"{b * size:.12g}") for b in range(lo, hi + 1)],
        times=times,
        closes=closes,
        long_usd=long_rows,
        short_usd=short_rows,
        params=params,
    )
