"""Fetch candles, open interest and funding over REST into the store (`liqwatch report --fetch-prices`).

The requests and parsers are pure (liqwatch.prices); this performs the GETs with the feed's
RestClient. For each coin a report needs (BTC, ETH and the window's most liquidated coins), the
first venue of `venues` that answers gives its candles: hourly ones back far enough for the
report's volatility baseline, daily ones back to the start of the previous year. A venue that
fails is reported and the next one is tried; nothing fails the report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rich.console import Console

from liqwatch import prices, queries
from liqwatch.analytics.context import year_start
from liqwatch.feed.rest import RestClient, RestError
from liqwatch.model import Candle, MarketStat
from liqwatch.report.build import focus_coins
from liqwatch.report.collect import VOL_PERIODS
from liqwatch.store.base import Store
from liqwatch.venues.base import RestRequest

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
MAX_PAGES = 40


@dataclass
class FetchReport:
    candles: int = 0
    stats: int = 0
    sources: dict[str, str] = field(default_factory=dict)  # coin → "venue symbol"
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = f"fetched {self.candles:,} candles and {self.stats:,} open-interest/funding values"
        if self.sources:
            text += " (" + ", ".join(f"{coin}: {src}" for coin, src in self.sources.items()) + ")"
        if self.problems:
            text += f"; {len(self.problems)} problem(s): " + "; ".join(self.problems[:5])
        return text


def coins_for(store: Store, at: int, window_ms: int) -> list[str]:
    summary = queries.summary(store, at, [("w", window_ms)])
    return list(dict.fromkeys(["BTC", "ETH", *focus_coins(summary.windows[0])]))


async def _pages(
    client: RestClient, base: str, venue: str, symbol: str, coin: str, interval: int, start: int, end: int, now: int
) -> list[Candle]:
    request: RestRequest | None = prices.kline_request(venue, symbol, interval, start, end)
    found: dict[int, Candle] = {}
    pages = 0
    while request is not None and pages < MAX_PAGES:
        pages += 1
        body = await client.get(base, request)
        page = prices.parse_klines(venue, symbol, coin, interval, body, now)
        for c in page:
            if start <= c.open_ts < end:
                found[c.open_ts] = c
        request = prices.next_kline_request(venue, request, page, start, end)
    return [found[k] for k in sorted(found)]


async def fetch(
    store: Store,
    at: int,
    window_ms: int,
    *,
    now: int,
    venues: Sequence[str] = prices.VENUES,
    rest_urls: Mapping[str, str] | None = None,
    client_factory: Callable[[], RestClient] = RestClient,
) -> FetchReport:
    report = FetchReport()
    bases = dict(prices.REST_BASES) | dict(rest_urls or {})
    hourly_start = (at - max(VOL_PERIODS * window_ms, 8 * DAY_MS)) // HOUR_MS * HOUR_MS
    daily_start = year_start(year_start(at) - 1)
    end = min(at, now)
    async with client_factory() as client:
        for coin in coins_for(store, at, window_ms):
            for venue in venues:
                symbol = prices.symbol_for(venue, coin)
                base = bases[venue]
                try:
                    hourly = await _pages(client, base, venue, symbol, coin, HOUR_MS, hourly_start, end, now)
                    daily = await _pages(client, base, venue, symbol, coin, DAY_MS, daily_start, end, now)
                except (RestError, prices.PriceError) as exc:
                    report.problems.append(f"{coin} on {venue}: {exc}")
                    continue
                if not hourly and not daily:
                    report.problems.append(f"{coin} on {venue}: no candles")
                    continue
                report.candles += store.write_candles(hourly + daily)
                report.sources[coin] = f"{venue} {symbol}"
                report.stats += await _stats(client, bases, store, venue, coin, at, window_ms, report)
                break
    return report


async def _stats(
    client: RestClient,
    bases: Mapping[str, str],
    store: Store,
    venue: str,
    coin: str,
    at: int,
    window_ms: int,
    report: FetchReport,
) -> int:
    """Open interest over the window and funding over the day before it, where published."""
    stats: list[MarketStat] = []
    start = at - window_ms - 2 * HOUR_MS
    oi = prices.open_interest_request(venue, coin, start, at)
    try:
        if oi is not None:
            stats += prices.parse_open_interest(venue, coin, await client.get(bases[venue], oi))
        funding = prices.funding_request(venue, coin, at - window_ms - DAY_MS, at)
        stats += prices.parse_funding(venue, coin, await client.get(bases[venue], funding))
    except (RestError, prices.PriceError) as exc:
        report.problems.append(f"{coin} open interest/funding on {venue}: {exc}")
    return store.write_stats(stats)


def fetch_into(
    store: Store,
    at: int,
    window_ms: int,
    *,
    now: int | None = None,
    console: Console | None = None,
    rest_urls: Mapping[str, str] | None = None,
    client_factory: Callable[[], RestClient] = RestClient,
) -> FetchReport:
    """Blocking wrapper for the CLI."""
    import time

    current = int(time.time() * 1000) if now is None else now
    if console is not None:
        console.print("fetching prices from the venues' REST APIs…", highlight=False)
    return asyncio.run(fetch(store, at, window_ms, now=current, rest_urls=rest_urls, client_factory=client_factory))
