"""Liquidation levels under /api/levels: the current map, the time × price heatmap, break-throughs.

Every number comes from liqwatch.queries (the `liqwatch levels` CLI reads the same functions). No
data is never an error: the answer is 200 with `null` or `[]` and a `reason` saying what is missing.
"""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Query, Response

from liqwatch import queries
from liqwatch.analytics.levels import MODEL_VERSION
from liqwatch.analytics.levels_grid import MEASURED_LABEL, MODELLED_LABEL, Heatmap
from liqwatch.timeparse import iso
from liqwatch.web import params
from liqwatch.web.api import json_response
from liqwatch.web.context import WebContext
from liqwatch.web.errors import BAD_PARAMETER, COIN_PATTERN, TIME_PATTERN
from liqwatch.web.params import ParamError

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
MAX_SPAN_MS = 31 * DAY_MS
HEATMAP_DEFAULT_MS = 72 * HOUR_MS
FIVE_MIN_MS = 300_000
# The model runs on hourly bars, so its price can be up to an hour old; the newest 5-minute close
# (no older than this) is shown beside it as the price now.
PRICE_NOW_MAX_AGE_MS = 15 * 60_000


def price_now(ctx: WebContext, coin: str, moment: int) -> tuple[float, int] | None:
    """(close, close time) of the newest 5-minute candle of `coin` ending at or before `moment`, if recent."""
    bars = queries.candles(ctx.store, coin, FIVE_MIN_MS, moment - PRICE_NOW_MAX_AGE_MS, moment + 1)
    if not bars:
        return None
    newest = max(bars, key=lambda bar: bar.open_ts)
    return newest.close, min(newest.open_ts + FIVE_MIN_MS, moment)


EVENTS_DEFAULT_MS = 7 * DAY_MS
# A browser draws the grid on a canvas: a few hundred columns and rows are more than its pixels show,
# and keep the JSON well under a megabyte even for a month of hourly bars.
MAX_HEATMAP_TIMES = 400
MAX_HEATMAP_PRICES = 240

LevelsCoin = Query("BTC", description="One coin, e.g. BTC.", pattern=COIN_PATTERN)


def _span(ctx: WebContext, since: str | None, until: str | None, default_ms: int) -> tuple[int, int]:
    """(since, until] with defaults (until: now; since: until − default_ms), at most 31 days long."""
    lo, hi = params.time_range(since, until)
    hi = ctx.clock() if hi is None else hi
    lo = max(0, hi - default_ms) if lo is None else lo
    if lo >= hi:
        raise ParamError("since", "must be before until")
    if hi - lo > MAX_SPAN_MS:
        raise ParamError("since", "at most 31 days between since and until; narrow the range")
    return lo, hi


def thin_heatmap(grid: Heatmap, max_times: int, max_prices: int) -> tuple[Heatmap, int, int]:
    """The grid with at most `max_times` columns (every k-th, always ending at the last) and at most
    `max_prices` rows (m adjacent bins summed into one m times as wide); returns (grid, k, m). Pure."""
    k = -(-len(grid.times) // max_times) if grid.times else 1
    m = -(-len(grid.prices) // max_prices) if grid.prices else 1
    if k == 1 and m == 1:
        return grid, 1, 1
    columns = sorted(range(len(grid.times) - 1, -1, -k))

    def rows_of(cells: list[float]) -> list[float]:
        return [round(sum(cells[r : r + m]), 2) for r in range(0, len(cells), m)]

    thinned = msgspec.structs.replace(
        grid,
        bin_size=grid.bin_size * m,
        prices=grid.prices[::m],
        times=[grid.times[c] for c in columns],
        closes=[grid.closes[c] for c in columns],
        long_usd=[rows_of(grid.long_usd[c]) for c in columns],
        short_usd=[rows_of(grid.short_usd[c]) for c in columns],
    )
    return thinned, k, m


def levels_router(ctx: WebContext) -> APIRouter:
    router = APIRouter(prefix="/api/levels", tags=["liquidation levels"], responses=BAD_PARAMETER)

    def no_bars(coin: str, until: int) -> str:
        return f"no hourly candles of {coin} stored before {iso(until)} (liqwatch run polls them)"

    @router.get(
        "/map",
        summary="The current liquidation map of one coin (modelled), with the measured layer apart",
        description=(
            "Modelled long fuel below the price and short fuel above it, per price bin, cumulative "
            "outward from the price, with each side's peak. `map.measured` holds the watched Hyperliquid "
            "wallets' own liquidation prices, binned alike and labelled as measured; it is never mixed "
            "into the model. `map` is null (with a `reason`) when no candles are stored."
        ),
    )
    def levels_map(
        coin: str = LevelsCoin,
        at: str | None = Query(
            None, description="The map as of this time: ISO 8601 or epoch ms (default: now).", pattern=TIME_PATTERN
        ),
    ) -> Response:
        name = params.coin_param("coin", coin)
        found_at = params.time_param("at", at)
        moment = ctx.clock() if found_at is None else found_at
        measured = queries.wallet_levels(ctx.store, moment, coins=(name,))
        levels = queries.levels_map(ctx.store, name, moment, measured=measured)
        reason = None
        if levels is None:
            reason = no_bars(name, moment)
        elif not levels.venues:
            reason = f"no open interest of {name} stored: the modelled map is empty"
        measured_reason: str | None
        if levels is None and measured:
            measured_reason = f"no modelled map of {name} to lay the measured layer beside"
        elif not measured:
            measured_reason = f"no watched Hyperliquid position in {name} polled within a day before {iso(moment)}"
        else:
            measured_reason = None
        now = price_now(ctx, name, moment)
        doc = {
            "coin": name,
            "at": moment,
            "price_now": None if now is None else now[0],
            "price_now_at": None if now is None else now[1],
            "model_version": MODEL_VERSION,
            "label": MODELLED_LABEL,
            "measured_label": MEASURED_LABEL,
            "map": levels,
            "reason": reason,
            "measured_reason": measured_reason,
        }
        return json_response(doc)

    @router.get(
        "/heatmap",
        summary="Modelled fuel per (time, price bin) of one coin: the heatmap",
        description=(
            "One column per hourly bar ending in (since, until] (default: the last 72 hours; at most 31 "
            f"days), rows span the path's low/high ±15 %. Grids wider than {MAX_HEATMAP_TIMES} columns keep "
            f"every k-th column; taller than {MAX_HEATMAP_PRICES} rows, adjacent bins are summed "
            "(`every_bars`, `bins_merged` say by how much)."
        ),
    )
    def levels_heatmap(
        coin: str = LevelsCoin,
        since: str | None = Query(
            None, description="Start (exclusive): ISO 8601 or epoch ms (default: until − 72h).", pattern=TIME_PATTERN
        ),
        until: str | None = Query(None, description="End: ISO 8601 or epoch ms (default: now).", pattern=TIME_PATTERN),
    ) -> Response:
        name = params.coin_param("coin", coin)
        lo, hi = _span(ctx, since, until, HEATMAP_DEFAULT_MS)
        grid = queries.levels_heatmap(ctx.store, name, lo, hi)
        every, merged = 1, 1
        if grid is not None:
            grid, every, merged = thin_heatmap(grid, MAX_HEATMAP_TIMES, MAX_HEATMAP_PRICES)
        doc = {
            "coin": name,
            "since": lo,
            "until": hi,
            "model_version": MODEL_VERSION,
            "heatmap": grid,
            "every_bars": every,
            "bins_merged": merged,
            "reason": None if grid is not None else f"no hourly candles of {name} ending in {iso(lo)} … {iso(hi)}",
        }
        return json_response(doc)

    @router.get(
        "/events",
        summary="'Broke through a major liquidation level' events of one coin, oldest first",
        description=(
            "Per event: the level (the furthest major bin the bar reached), the modelled fuel the bar "
            "cleared, and the realized same-side liquidations from the bar's open until 30 minutes after "
            "it (stored events). Default range: the last 7 days; at most 31 days."
        ),
    )
    def levels_events(
        coin: str = LevelsCoin,
        since: str | None = Query(
            None, description="Start (exclusive): ISO 8601 or epoch ms (default: until − 7d).", pattern=TIME_PATTERN
        ),
        until: str | None = Query(None, description="End: ISO 8601 or epoch ms (default: now).", pattern=TIME_PATTERN),
    ) -> Response:
        name = params.coin_param("coin", coin)
        lo, hi = _span(ctx, since, until, EVENTS_DEFAULT_MS)
        found = queries.levels_events(ctx.store, name, lo, hi)
        reason = None
        if not found:
            bars = queries.candles(ctx.store, name, HOUR_MS, lo - queries.LEVELS_LOOKBACK_MS, hi + 1)
            reason = f"no break-through in {iso(lo)} … {iso(hi)}" if bars else no_bars(name, hi)
        doc = {
            "coin": name,
            "since": lo,
            "until": hi,
            "model_version": MODEL_VERSION,
            "events": found,
            "reason": reason,
        }
        return json_response(doc)

    return router
