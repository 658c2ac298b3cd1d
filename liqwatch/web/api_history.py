"""Ranks of calendar periods on a named basis under /api/history/rank (the `liqwatch history rank`
CLI reads the same liqwatch.queries function). Nothing comparable is not an error: 200 with
`best: null` and a sentence saying so."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response

from liqwatch import queries
from liqwatch.analytics.basis import last_complete, period_at
from liqwatch.analytics.history import DAY_MS
from liqwatch.web import params
from liqwatch.web.api import json_response
from liqwatch.web.context import WebContext
from liqwatch.web.errors import BAD_PARAMETER, COIN_PATTERN, TIME_PATTERN
from liqwatch.web.params import ParamError


def history_router(ctx: WebContext) -> APIRouter:
    router = APIRouter(prefix="/api/history", tags=["history"], responses=BAD_PARAMETER)

    @router.get(
        "/rank",
        summary="Where a UTC day, weekend, week or month stands among earlier periods of its kind",
        description=(
            "Ranked on the longest comparable series: liqwatch's own events where they cover the period, "
            "otherwise an imported aggregate series of the same coin (Coinalyze, CoinGlass). `best.basis` names "
            "it; `best.unknown` counts earlier periods left out for missing data; `sentence` says it in words."
        ),
    )
    def rank(
        period: Literal["day", "weekend", "week", "month"] = Query("day"),
        on: str | None = Query(None, description="A time inside the period.", pattern=TIME_PATTERN),
        at: str | None = Query(
            None, description="Rank the last whole period ended by this time (default: now).", pattern=TIME_PATTERN
        ),
        coin: str | None = Query(None, description="One coin (default: all coins).", pattern=COIN_PATTERN),
        side: Literal["long", "short", "total"] = Query("total"),
    ) -> Response:
        if on is not None and at is not None:
            raise ParamError("on", "give on or at, not both")
        inside = params.time_param("on", on)
        end = params.time_param("at", at)
        try:
            span = period_at(period, inside) if inside is not None else last_complete(period, end or ctx.clock())
        except (ValueError, OverflowError):  # a month past year 9999
            raise ParamError("on" if inside is not None else "at", "is out of range") from None
        if span[1] > ctx.clock():
            raise ParamError("on", f"that {period} has not ended yet: rank a whole one")
        name = params.coin_param("coin", coin) if coin else None
        ranks = queries.history_ranks(ctx.store, period, span, side, name)
        return json_response(queries.history_ranks_json(ranks))

    @router.get(
        "/imported",
        summary="Imported aggregate history of one coin by UTC day, on one named basis (the daily chart)",
        description=(
            "From the aggregate series `liqwatch import`/`backfill` stored (Coinalyze, CoinGlass), kept apart "
            "from liqwatch's own events: the series knowing the most whole days in [since, until), with "
            "`basis` naming it. Without `coin`: `coins` lists the coins that have such history."
        ),
    )
    def imported(
        coin: str | None = Query(None, description="One coin, e.g. BTC.", pattern=COIN_PATTERN),
        since: str | None = Query(
            None, description="Start: ISO 8601 or epoch ms (default: until − 365d).", pattern=TIME_PATTERN
        ),
        until: str | None = Query(
            None, description="End (exclusive): ISO 8601 or epoch ms (default: now).", pattern=TIME_PATTERN
        ),
    ) -> Response:
        if coin is None:
            return json_response({"coins": queries.imported_coins(ctx.store)})
        name = params.coin_param("coin", coin)
        lo, hi = params.time_range(since, until)
        hi = ctx.clock() if hi is None else hi
        lo = hi - 365 * DAY_MS if lo is None else lo
        if lo >= hi:
            raise ParamError("since", "must be before until")
        found = queries.imported_days(ctx.store, name, lo, hi)
        points = [] if found is None else [{"ts": d, "long_usd": lu, "short_usd": su} for d, lu, su in found.days]
        return json_response({"coin": name, "basis": None if found is None else found.basis, "points": points})

    return router
