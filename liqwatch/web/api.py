"""REST endpoints under /api (read-only). Every read goes through liqwatch.queries.

Endpoints that read the store are plain `def`: FastAPI runs them in its thread pool, and every
store read uses a cursor of its own (safe beside the collector's writer thread).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import msgspec
from fastapi import APIRouter, Query, Response

from liqwatch import queries
from liqwatch.analytics.covers import covers_json
from liqwatch.feed.clock import speed_of
from liqwatch.feed.collector import Status
from liqwatch.model import Liquidation
from liqwatch.store.base import EventFilter
from liqwatch.web import params
from liqwatch.web.context import WebContext
from liqwatch.web.errors import (
    BAD_PARAMETER,
    COIN_PATTERN,
    COINS_PATTERN,
    CURSOR_PATTERN,
    TIME_PATTERN,
    VENUE_PATTERN,
    VENUES_PATTERN,
    WINDOW_PATTERN,
    WINDOWS_PATTERN,
)
from liqwatch.web.params import ParamError
from liqwatch.web.venues import freshest, state_of, venue_rows, write_failures

_encoder = msgspec.json.Encoder()

AtQuery = Query(None, description="End of the windows: ISO 8601 or epoch ms (default: now).", pattern=TIME_PATTERN)
SinceQuery = Query(None, description="Only after this time (exclusive): ISO 8601 or epoch ms.", pattern=TIME_PATTERN)
UntilQuery = Query(None, description="Only at or before this time: ISO 8601 or epoch ms.", pattern=TIME_PATTERN)
VenueQuery = Query(None, description="Venue id(s), comma-separated, e.g. binance_usdm,bybit.", pattern=VENUES_PATTERN)
OneVenueQuery = Query(None, description="One venue id, e.g. okx.", pattern=VENUE_PATTERN)
CoinQuery = Query(None, description="Coin(s), comma-separated, e.g. BTC,ETH.", pattern=COINS_PATTERN)
REPORT_MAX_MS = 31 * 86_400_000
HISTORY_SPAN = {"5m": 288, "15m": 96, "1h": 168, "4h": 180, "1d": 365}  # default number of buckets


def json_response(doc: Any) -> Response:
    return Response(_encoder.encode(doc), media_type="application/json")


def event_filter(
    since: str | None,
    until: str | None,
    venue: str | None,
    coin: str | None,
    side: str | None,
    min_usd: float | None = None,
) -> EventFilter:
    lo, hi = params.time_range(since, until)
    return EventFilter(
        since=lo,
        until=hi,
        venues=params.venues_param("venue", venue),
        coins=params.coins_param("coin", coin),
        side=side,
        min_usd=params.usd_param("min_usd", min_usd),
    )


def api_router(ctx: WebContext) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["api"], responses=BAD_PARAMETER)

    def at_or_now(at: str | None) -> int:
        found = params.time_param("at", at)
        return ctx.clock() if found is None else found

    async def fresh_statuses() -> list[Status]:
        now = ctx.clock()
        return [status for status in await ctx.statuses() if not status.is_stale(now)]

    @router.get("/summary", summary="Totals per window (the `liqwatch summary --json` document)")
    async def summary(
        at: str | None = AtQuery,
        windows: str | None = Query(
            None, description="Windows, e.g. 1h,4h,12h,24h (default: the configured ones).", pattern=WINDOWS_PATTERN
        ),
    ) -> Response:
        spans = params.windows_param("windows", windows) if windows else ctx.windows
        end, statuses = at_or_now(at), await fresh_statuses()
        return json_response(await asyncio.to_thread(queries.summary_json, ctx.store, end, spans, statuses))

    @router.get("/coins", summary="Per coin in one window, biggest total first")
    def coins(
        window: str = Query("24h", description="Window length, e.g. 1h, 4h, 24h, 7d.", pattern=WINDOW_PATTERN),
        at: str | None = AtQuery,
        limit: int = Query(50, ge=1, le=1000),
    ) -> Response:
        span, end = params.window_param("window", window), at_or_now(at)
        rows = queries.breakdowns(ctx.store, end, span, "coin", limit)
        coins = [{"coin": r.name, **_totals(r)} for r in rows]
        return json_response({"window": span[0], "at": end, "coins": coins})

    @router.get("/exchanges", summary="Per venue in one window, biggest total first")
    async def exchanges(
        window: str = Query("24h", description="Window length, e.g. 1h, 4h, 24h, 7d.", pattern=WINDOW_PATTERN),
        at: str | None = AtQuery,
    ) -> Response:
        span, end = params.window_param("window", window), at_or_now(at)
        rows = await asyncio.to_thread(queries.breakdowns, ctx.store, end, span, "venue")
        venues = [{"venue": r.name, **_totals(r), "coverage": r.coverage} for r in rows]
        found = queries.covers_of({r.name: r.coverage for r in rows if r.coverage}, await fresh_statuses())
        return json_response({"window": span[0], "at": end, "exchanges": venues, "covers": covers_json(found)})

    @router.get("/events", summary="Stored liquidations, filtered, in pages ordered by (ts, id)")
    def events(
        since: str | None = SinceQuery,
        until: str | None = UntilQuery,
        venue: str | None = VenueQuery,
        coin: str | None = CoinQuery,
        side: Literal["long", "short"] | None = Query(None, description="The liquidated position's side."),
        min_usd: float | None = Query(None, ge=0, description="Only events of at least this USD value."),
        limit: int = Query(100, ge=1, le=1000),
        order: Literal["asc", "desc"] = Query("asc", description="asc: oldest first; desc: newest first."),
        cursor: str | None = Query(
            None, description="next_cursor of the previous page.", max_length=600, pattern=CURSOR_PATTERN
        ),
    ) -> Response:
        where = event_filter(since, until, venue, coin, side, min_usd)
        descending = order == "desc"
        after = params.decode_cursor(cursor, descending)
        page, key = queries.events_page(ctx.store, where, limit, after, descending=descending)
        next_cursor = None if key is None else params.encode_cursor(key, descending)
        return json_response({"events": page, "next_cursor": next_cursor})

    @router.get("/largest", summary="The largest single liquidations, largest first")
    def largest(
        since: str | None = SinceQuery,
        until: str | None = UntilQuery,
        n: int = Query(10, ge=1, le=1000),
        venue: str | None = VenueQuery,
        coin: str | None = CoinQuery,
        side: Literal["long", "short"] | None = Query(None, description="The liquidated position's side."),
    ) -> Response:
        where = event_filter(since, until, venue, coin, side)
        found: list[Liquidation] = queries.largest(ctx.store, where.since, where.until, n, where)
        return json_response({"events": found})

    @router.get("/gaps", summary="Feed gaps (outages, reconnects, silences), oldest first")
    def gaps(
        venue: str | None = OneVenueQuery, since: str | None = SinceQuery, until: str | None = UntilQuery
    ) -> Response:
        venues = params.venues_param("venue", venue)
        if len(venues) > 1:
            raise ParamError("venue", "one venue at a time")
        lo, hi = params.time_range(since, until)
        found = queries.gaps(ctx.store, venues[0] if venues else None, lo, hi)
        rows = [{"venue": g.venue, "start_ts": g.start, "end_ts": g.end, "reason": g.reason} for g in found]
        return json_response({"gaps": rows})

    @router.get("/history", summary="Long/short USD and counts per bucket (all venues summed)")
    def history(
        interval: Literal["5m", "15m", "1h", "4h", "1d"] = Query("1h"),
        since: str | None = SinceQuery,
        until: str | None = UntilQuery,
        coin: str | None = CoinQuery,
        venue: str | None = VenueQuery,
    ) -> Response:
        step = params.INTERVALS[interval]
        lo, hi = params.time_range(since, until)
        hi = ctx.clock() if hi is None else hi
        lo = hi - HISTORY_SPAN[interval] * step if lo is None else lo
        if lo >= hi:
            raise ParamError("since", "must be before until")
        if (hi - lo) // step + 1 > params.MAX_POINTS:
            raise ParamError("since", f"at most {params.MAX_POINTS} buckets of {interval}; narrow the range")
        points = queries.history(
            ctx.store,
            lo,
            hi,
            step,
            coins=params.coins_param("coin", coin),
            venues=params.venues_param("venue", venue),
        )
        return json_response({"interval": interval, "points": points})

    @router.get("/prices", summary="Stored price candles of one coin")
    def prices(
        coin: str = Query("BTC", description="One coin, e.g. BTC.", pattern=COIN_PATTERN),
        interval: Literal["5m", "1h", "1d"] = Query("1h"),
        since: str | None = SinceQuery,
        until: str | None = UntilQuery,
    ) -> Response:
        name = params.coin_param("coin", coin)
        lo, hi = params.time_range(since, until)
        found = queries.candles(ctx.store, name, params.INTERVALS[interval], lo, hi)
        candles = [
            {"ts": c.open_ts, "open": c.open, "high": c.high, "low": c.low, "close": c.close}
            | {"venue": c.venue, "symbol": c.symbol}
            for c in found
        ]
        return json_response({"coin": name, "interval": interval, "candles": candles})

    @router.get(
        "/report",
        summary="The news-style article (Markdown, HTML or JSON)",
        responses={
            200: {
                "description": "The article in the asked format",
                "content": {"text/markdown": {}, "text/html": {}, "application/json": {}},
            }
        },
    )
    def report(
        at: str | None = AtQuery,
        format: Literal["md", "html", "json"] = Query("md"),
        window: str = Query("24h", description="The article's window, e.g. 24h, 4h, 7d.", pattern=WINDOW_PATTERN),
        period: Literal["day", "weekend", "week", "month"] | None = Query(
            None, description="A calendar period instead of window: the last one ended by `at`."
        ),
    ) -> Response:
        from liqwatch.analytics.basis import period_window
        from liqwatch.report.build import build
        from liqwatch.report.collect import collect
        from liqwatch.report.render import render

        span, end = params.window_param("window", window), at_or_now(at)
        if period is not None:
            try:
                span, end = period_window(period, end)
            except (ValueError, OverflowError):  # a month past year 9999
                raise ParamError("at", "is out of range for a calendar period") from None
        if span[1] > REPORT_MAX_MS:
            raise ParamError("window", "at most 31d for a report")
        text = render(build(collect(ctx.store, end, span, period)), format)
        media = {"md": "text/markdown", "html": "text/html", "json": "application/json"}[format]
        return Response(text, media_type=f"{media}; charset=utf-8")

    @router.get("/venues", summary="Per venue: live status, coverage and stored activity")
    async def venues() -> Response:
        now = ctx.clock()
        statuses = await ctx.statuses()
        activity = await asyncio.to_thread(queries.activity, ctx.store, now)
        rows = venue_rows(statuses, activity, now, speed_of(ctx.clock))
        return json_response({"venues": rows, "writes": write_failures(statuses, now)})

    @router.get(
        "/health",
        summary="Liveness, stored events, and whether a running collector reaches any venue",
        description=(
            "`ok` is false when a collector is running but no venue is connected (the network is down or "
            "every venue refuses): the API answers, but nothing new is being collected. `collector`: "
            "`running` or `none` (a `liqwatch serve` over a store nobody is writing)."
        ),
    )
    async def health() -> Response:
        now = ctx.clock()
        live = freshest(await ctx.statuses(), now)
        running = {venue: state for venue, (state, alive) in live.items() if alive}
        connected = sorted(v for v, state in running.items() if state_of(state, True, now) in ("connected", "silent"))
        events = await asyncio.to_thread(queries.count, ctx.store)
        doc = {
            "ok": not running or bool(connected),
            "store": ctx.store_kind,
            "events": events,
            "collector": "running" if running else "none",
            "venues_connected": connected,
            "venues_down": sorted(set(running) - set(connected)),
        }
        return json_response(doc)

    return router


def _totals(row: queries.Breakdown) -> dict[str, Any]:
    return {
        "total_usd": row.total_usd,
        "long_usd": row.long_usd,
        "short_usd": row.short_usd,
        "count": row.count,
        "long_count": row.long_count,
        "short_count": row.short_count,
        "unpriced_count": row.unpriced_count,
    }
