"""Poll klines and USD open interest into the store: hourly bars and open interest for the liquidation
levels model, five-minute bars of the last day for the dashboard's price line.

The requests and parsers are liqwatch.prices (pure); this performs the GETs. Per coin and venue
(those of the collected venues that publish klines: Binance USDⓈ-M, Bybit, OKX; open interest in
USD where published: Binance, OKX): the first poll reaches back `first_lookback_ms` (the model needs
history to place levels), later ones `lookback_ms` (writes replace by key, so overlap is harmless).
A venue that fails is logged and skipped until the next poll; nothing stops `liqwatch run`. Store
writes run in a worker thread: the collector shares this event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from liqwatch import prices
from liqwatch.feed.rest import RestClient, RestError
from liqwatch.model import Candle
from liqwatch.store.base import Store, StoreError
from liqwatch.venues.base import RestRequest, VenueSpec

log = logging.getLogger("liqwatch.feed.levels_poll")

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
FIRST_LOOKBACK_MS = 7 * 24 * HOUR_MS
LOOKBACK_MS = 3 * HOUR_MS
MAX_PAGES = 10


@dataclass
class PollReport:
    candles: int = 0
    stats: int = 0
    problems: list[str] = field(default_factory=list)


def venues_of(specs: Sequence[VenueSpec]) -> list[str]:
    """The collected venues that liqwatch.prices can read klines from."""
    ids = {spec.id for spec in specs}
    return [v for v in prices.VENUES if v in ids]


async def _klines(
    client: RestClient, base: str, venue: str, coin: str, interval_ms: int, start: int, end: int, now: int
) -> list[Candle]:
    symbol = prices.symbol_for(venue, coin)
    start -= start % interval_ms
    request: RestRequest | None = prices.kline_request(venue, symbol, interval_ms, start, end)
    found: dict[int, Candle] = {}
    for _ in range(MAX_PAGES):
        if request is None:
            break
        page = prices.parse_klines(venue, symbol, coin, interval_ms, await client.get(base, request), now)
        found.update({c.open_ts: c for c in page if start <= c.open_ts < end})
        request = prices.next_kline_request(venue, request, page, start, end)
    return [found[k] for k in sorted(found)]


async def poll_once(
    store: Store,
    venues: Sequence[str],
    client: RestClient,
    coins: Sequence[str],
    *,
    now: int,
    lookback_ms: int,
    rest_overrides: Mapping[str, str] | None = None,
) -> PollReport:
    report = PollReport()
    bases = dict(prices.REST_BASES) | dict(rest_overrides or {})
    start = (now - lookback_ms) // HOUR_MS * HOUR_MS
    for coin in coins:
        for venue in venues:
            try:
                candles = await _klines(client, bases[venue], venue, coin, HOUR_MS, start, now, now)
                report.candles += await asyncio.to_thread(store.write_candles, candles)
                recent = now - min(lookback_ms, DAY_MS)
                bars = await _klines(client, bases[venue], venue, coin, prices.FIVE_MIN_MS, recent, now, now)
                report.candles += await asyncio.to_thread(store.write_candles, bars)
                oi = prices.open_interest_request(venue, coin, start, now)
                if oi is not None:
                    stats = prices.parse_open_interest(venue, coin, await client.get(bases[venue], oi))
                    report.stats += await asyncio.to_thread(store.write_stats, [s for s in stats if s.ts <= now])
            except (RestError, prices.PriceError, StoreError) as exc:  # a full disk: try again next round
                report.problems.append(f"{coin} on {venue}: {exc}")
    return report


async def poll_market_forever(
    store: Store,
    specs: Sequence[VenueSpec],
    client: RestClient,
    coins: Sequence[str],
    interval_s: float = 300.0,
    rest_overrides: Mapping[str, str] | None = None,
    *,
    clock: Callable[[], int] = lambda: int(time.time() * 1000),
    first_lookback_ms: int = FIRST_LOOKBACK_MS,
    lookback_ms: int = LOOKBACK_MS,
) -> None:
    """Poll every `interval_s` until cancelled (a task of `liqwatch run`)."""
    venues = venues_of(specs)
    if not venues or not coins:
        log.info("levels poll: no venue with klines among the collected ones; not polling")
        return
    reach = first_lookback_ms
    while True:
        report = await poll_once(
            store, venues, client, coins, now=clock(), lookback_ms=reach, rest_overrides=rest_overrides
        )
        if report.problems and not (report.candles or report.stats):
            # nothing reachable: one line, not one per coin and venue (the details at DEBUG)
            log.warning(
                "levels poll: all %d requests failed (first: %s); next try in %g s",
                len(report.problems),
                report.problems[0],
                interval_s,
            )
            for problem in report.problems:
                log.debug("levels poll: %s", problem)
        else:
            for problem in report.problems:
                log.warning("levels poll: %s", problem)
            log.info("levels poll: %d candles, %d open-interest values", report.candles, report.stats)
        reach = lookback_ms
        await asyncio.sleep(interval_s)
