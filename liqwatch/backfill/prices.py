"""Backfill candles (daily and hourly) from the venues' REST klines (liqwatch.prices), so price
context ("highest since …", YTD) can use the whole record. The first venue that answers for a coin
gives its candles; a mark per (coin, interval) lets a second run start where the first stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from liqwatch import prices
from liqwatch.backfill.common import BackfillError, BackfillReport, Sleep, Steps, fetch
from liqwatch.backfill.sources import DAY_MS, HOUR_MS, windows
from liqwatch.feed.rest import RestClient
from liqwatch.model import Candle
from liqwatch.store.base import Store
from liqwatch.venues.base import RestRequest

PAGE_SPAN = {DAY_MS: 500 * DAY_MS, HOUR_MS: 90 * 24 * HOUR_MS}  # at most a few pages per window


async def prices_backfill(
    store: Store,
    client: RestClient,
    *,
    coins: Sequence[str],
    since_daily: int,
    since_hourly: int,
    now: int,
    venues: Sequence[str] = prices.VENUES,
    rest_urls: Mapping[str, str] | None = None,
    pace: float = 0.2,
    sleep: Sleep = asyncio.sleep,
    progress: bool = False,
) -> BackfillReport:
    report = BackfillReport("prices")
    bases = dict(prices.REST_BASES) | dict(rest_urls or {})
    with Steps("prices", len(coins) * 2, progress) as bar:
        for coin in coins:
            for interval, since in ((DAY_MS, since_daily), (HOUR_MS, since_hourly)):
                task = f"prices:{coin}:{interval}"
                start = max(since, store.mark(task) or since) // interval * interval
                report.resumed = report.resumed or start > since
                end = now // interval * interval
                problems = []
                for venue in venues:
                    try:
                        got = await _candles(
                            client,
                            bases[venue],
                            venue,
                            coin,
                            interval,
                            (start, end, now),
                            report,
                            sleep,
                            pace,
                            store,
                            task,
                        )
                    except (BackfillError, prices.PriceError) as exc:
                        problems.append(f"{venue}: {exc}")
                        continue
                    report.candles += got
                    break
                else:
                    report.notes.append(f"{coin} {'daily' if interval == DAY_MS else 'hourly'}: " + "; ".join(problems))
                bar.step(f"prices {coin}")
    return report


async def _candles(
    client: RestClient,
    base: str,
    venue: str,
    coin: str,
    interval: int,
    span: tuple[int, int, int],
    report: BackfillReport,
    sleep: Sleep,
    pace: float,
    store: Store,
    task: str,
) -> int:
    start, end, now = span
    symbol = prices.symbol_for(venue, coin)

    def parse(body: bytes) -> list[Candle]:
        return prices.parse_klines(venue, symbol, coin, interval, body, now)

    written = 0
    for lo, hi in windows(start, end, PAGE_SPAN[interval]):
        found: dict[int, Candle] = {}
        request: RestRequest | None = prices.kline_request(venue, symbol, interval, lo, hi)
        pages = 0
        while request is not None and pages < 40:
            pages += 1
            if report.requests:
                await sleep(pace)
            page = await fetch(
                client,
                base,
                request,
                report,
                lambda body: prices.parse_klines(venue, symbol, coin, interval, body, now),
            )
            found.update({c.open_ts: c for c in page if lo <= c.open_ts < hi})
            request = prices.next_kline_request(venue, request, page, lo, hi)
        if not found and not written:
            raise BackfillError(f"no {symbol} candles")
        written += store.write_candles([found[k] for k in sorted(found)])
        store.write_mark(task, hi, now)
    return written
