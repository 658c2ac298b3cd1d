""" "Price broke through a major liquidation level": detection with its evidence. Pure.

Definition (research/analytics.md §4.4): a bin j is *major* if its fuel H_j is at least the
`percentile` of the live same-side bins within ±`window_pct` of the price before the bar, and at
least `min_fuel_usd`. An event is emitted when a bar's high reaches a major short bin (its centre)
or its low a major long bin, and the realized same-side liquidations from the bar's open until
`follow_ms` after its end reach `min_realized_usd` (when no liquidations are given the check is
unavailable: the event is kept, realized is None).

Each event reports the level (the furthest major bin the bar reached), the modelled fuel the bar
cleared on that side (all bins, major or not), the realized liquidations that followed, and the
residual fuel up to the next major level beyond the bar's extreme.

The next level is judged in the map the bar LEFT, where a trader stands after it: a live
same-side bin beyond the level is major when its fuel reaches the `percentile` of the live
same-side bins within ±`window_pct` of the bar's close, and the search goes on to the map's edge,
not to the window's. (Judged in the map before the bar, as the level itself is, the floor is set
by the very bins the bar cleared, and the window cuts off the low-leverage tiers ~10–20 % away: on
real data a fifth of the events, and most in a trend, had "no next level" with fuel beyond.) So
there is no next level only when the map holds no live same-side fuel beyond the level at all.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence

import msgspec

from liqwatch.analytics.levels import DEFAULT, MODEL_VERSION, Fuel, LevelsModel, Params
from liqwatch.model import Candle, Liquidation, MarketStat, Side


class EventParams(msgspec.Struct, frozen=True):
    percentile: float = 0.90
    window_pct: float = 0.10
    min_fuel_usd: float = 0.0
    follow_ms: int = 30 * 60_000
    min_realized_usd: float = 0.0


DEFAULT_EVENTS = EventParams()


class BreakThrough(msgspec.Struct, frozen=True):
    model_version: str
    coin: str
    side: Side  # side of the positions whose levels were broken (short: price went up through them)
    ts: int  # the bar's open (ms)
    bar_end: int
    level_price: float  # lower edge of the furthest major bin reached
    level_fuel_usd: float  # that bin's modelled fuel
    fuel_cleared_usd: float  # all modelled same-side fuel the bar consumed
    majors_cleared: int  # major bins the bar reached
    realized_usd: float | None  # same-side liquidations in [open, end + follow_ms); None: not given
    realized_count: int | None
    next_level_price: float | None  # next major same-side bin beyond the bar's extreme
    fuel_to_next_usd: float | None  # live fuel between the extreme and that bin (inclusive)
    # the bar's high (shorts) or low (longs): without a next level, the map holds no live same-side
    # fuel beyond the level, so none above (below) this price
    extreme_price: float | None = None


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default) of a non-empty sequence."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _window(price: float, bin_size: float, params: EventParams) -> tuple[int, int]:
    low, high = price * (1 - params.window_pct), price * (1 + params.window_pct)
    return math.floor(low / bin_size), math.floor(high / bin_size)


def major_floor(fuel: Fuel, price: float, bin_size: float, params: EventParams = DEFAULT_EVENTS) -> float | None:
    """The fuel a bin needs to be major near `price`; None when no live bin is within the window."""
    lo, hi = _window(price, bin_size, params)
    near = [usd for b, usd in fuel.items() if lo <= b <= hi and usd > 0]
    return max(percentile(near, params.percentile), params.min_fuel_usd) if near else None


def major_bins(fuel: Fuel, price: float, bin_size: float, params: EventParams = DEFAULT_EVENTS) -> set[int]:
    floor = major_floor(fuel, price, bin_size, params)
    if floor is None:
        return set()
    lo, hi = _window(price, bin_size, params)
    return {b for b, usd in fuel.items() if lo <= b <= hi and usd >= floor and usd > 0}


def next_major(
    after: Fuel, side: Side, level: int, close: float, bin_size: float, params: EventParams = DEFAULT_EVENTS
) -> int | None:
    """The nearest live `side` bin beyond `level` that is major in the map `after` a bar closing at
    `close` (see the module docstring); None only when no live fuel lies beyond `level`."""
    beyond = sorted((b for b, usd in after.items() if usd > 0 and (b > level if side == "short" else b < level)))
    if side == "long":
        beyond.reverse()
    if not beyond:
        return None
    floor = major_floor(after, close, bin_size, params)
    if floor is None:  # nothing live near the close: the biggest bins beyond set the bar
        floor = max(percentile([after[b] for b in beyond], params.percentile), params.min_fuel_usd)
    return next((b for b in beyond if after[b] >= floor), None)


def _realized(
    liquidations: Sequence[Liquidation] | None, coin: str, side: Side, start: int, end: int
) -> tuple[float | None, int | None]:
    """USD and count of the coin's `side` liquidations with start <= ts < end (sorted by ts)."""
    if liquidations is None:
        return None, None
    first = bisect.bisect_left(liquidations, start, key=lambda e: e.ts)
    hits: list[float] = []
    for e in liquidations[first:]:
        if e.ts >= end:
            break
        if e.coin == coin and e.side == side and e.usd:
            hits.append(e.usd)
    return math.fsum(hits), len(hits)


def break_throughs(
    candles: Iterable[Candle],
    open_interest: Iterable[MarketStat],
    liquidations: Iterable[Liquidation] | None = None,
    params: Params = DEFAULT,
    events: EventParams = DEFAULT_EVENTS,
    *,
    since: int | None = None,
    until: int | None = None,
    recorded_since: int | None = None,
) -> list[BreakThrough]:
    """Break-through events of bars ending in (since, until], oldest first. `recorded_since`: when the
    liquidation record begins (the first stored event); a bar that opened before it has realized
    None, never a $0 nobody recorded."""
    liqs = None if liquidations is None else sorted(liquidations, key=lambda e: (e.ts, e.id))
    model = LevelsModel(candles, open_interest, params)
    size = model.bin_size

    def recorded(bar: Candle) -> Sequence[Liquidation] | None:
        return liqs if recorded_since is None or bar.open_ts >= recorded_since else None

    out: list[BreakThrough] = []
    for i, bar in enumerate(model.path):
        end = model.bar_end(i)
        if until is not None and end > until:
            break
        consumed = model.cross(i)
        if (since is None or end > since) and i > 0 and (consumed.long or consumed.short):
            before_price = model.path[i - 1].close
            after_long, after_short = model.live()
            sides: tuple[tuple[Side, Fuel, Fuel], ...] = (
                ("long", consumed.long, after_long),
                ("short", consumed.short, after_short),
            )
            for side, hit, after in sides:
                event = (
                    _event(model.coin, side, bar, end, hit, after, before_price, size, events, recorded(bar))
                    if hit
                    else None
                )
                if event is not None:
                    out.append(event)
        model.open(i)
    return out


def _event(
    coin: str,
    side: Side,
    bar: Candle,
    end: int,
    hit: Fuel,
    after: Fuel,
    before_price: float,
    size: float,
    events: EventParams,
    liqs: Sequence[Liquidation] | None,
) -> BreakThrough | None:
    before = after | hit  # a reached bin is removed whole: the two are disjoint
    majors = major_bins(before, before_price, size, events)
    reached = sorted(b for b in hit if b in majors)
    if not reached:
        return None
    level = reached[-1] if side == "short" else reached[0]  # the furthest one from where price came from
    realized, count = _realized(liqs, coin, side, bar.open_ts, end + events.follow_ms)
    if realized is not None and realized < events.min_realized_usd:
        return None
    next_level = next_major(after, side, level, bar.close, size, events)
    to_next = None
    if next_level is not None:
        lo, hi = (level, next_level) if side == "short" else (next_level, level)
        to_next = math.fsum(usd for b, usd in after.items() if lo <= b <= hi)
    return BreakThrough(
        model_version=MODEL_VERSION,
        coin=coin,
        side=side,
        ts=bar.open_ts,
        bar_end=end,
        level_price=level * size,
        level_fuel_usd=hit[level],
        fuel_cleared_usd=math.fsum(hit.values()),
        majors_cleared=len(reached),
        realized_usd=realized,
        realized_count=count,
        next_level_price=None if next_level is None else next_level * size,
        fuel_to_next_usd=to_next,
        extreme_price=bar.high if side == "short" else bar.low,
    )
