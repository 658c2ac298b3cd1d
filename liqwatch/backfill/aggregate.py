"""Backfill aggregate history from Coinalyze and CoinGlass into the store's `aggregates` table.

Only whole buckets are stored (a bucket still running is left for the next run); a bucket the
provider does not return stays unknown. Each (coin, interval, symbols) task records the end of
the last window written, so a second run starts there: resumable, and idempotent by key.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

from liqwatch import aggregates
from liqwatch.backfill import sources as src
from liqwatch.backfill.common import BackfillError, BackfillReport, Sleep, Steps, fetch_json, headers_of
from liqwatch.feed.rest import RestClient
from liqwatch.store.base import Store


def _whole(rows: list[aggregates.AggregateRow], lo: int, hi: int, step: int) -> list[aggregates.AggregateRow]:
    return [r for r in rows if lo <= r.start_ts and r.start_ts + step <= hi]


async def coinalyze(
    store: Store,
    client: RestClient,
    *,
    key: str,
    coin: str,
    interval: str,
    since: int,
    now: int,
    base: str = src.COINALYZE_URL,
    exchanges: Sequence[str] = (),
    pace: float = src.COINALYZE_PACE_S,
    sleep: Sleep = asyncio.sleep,
    progress: bool = False,
) -> BackfillReport:
    """Liquidation history of `coin`'s perpetuals, per exchange, `interval` "daily" or "1hour"."""
    report = BackfillReport("coinalyze")
    headers = headers_of(key, "api_key")
    step = src.COINALYZE_INTERVALS[interval]
    until = now // step * step
    if interval == "1hour" and since < until - src.COINALYZE_HOURLY_KEEPS_MS:
        since = until - src.COINALYZE_HOURLY_KEEPS_MS
        report.notes.append("Coinalyze keeps only ~80 days of hourly history")
    markets = await fetch_json(client, base, src.coinalyze_markets_request(), report, headers=headers, sleep=sleep)
    try:
        symbols = src.coinalyze_symbols(markets, coin, exchanges)
    except ValueError as exc:
        raise BackfillError(str(exc)) from None
    if not symbols:
        raise BackfillError(f"Coinalyze lists no perpetual of {coin}; check --coin")
    per_call = src.COINALYZE_SYMBOLS_PER_CALL
    chunks = [symbols[i : i + per_call] for i in range(0, len(symbols), per_call)]
    plan = []
    for chunk in chunks:
        task = f"coinalyze:{coin}:{interval}:{hashlib.sha1(','.join(chunk).encode()).hexdigest()[:12]}"
        start = report.resume(since, store.mark(task)) // step * step
        plan.append((task, chunk, list(src.windows(start, until, src.COINALYZE_WINDOW_MS[interval]))))
    with Steps(f"Coinalyze {coin} {interval}", sum(len(w) for _, _, w in plan), progress) as bar:
        for task, chunk, spans in plan:
            for lo, hi in spans:
                if report.requests:
                    await sleep(pace)  # its rate limit: 40 calls a minute
                request = src.coinalyze_history_request(chunk, interval, lo, hi)
                doc = await fetch_json(client, base, request, report, headers=headers, sleep=sleep)
                if not isinstance(doc, list):
                    raise BackfillError(f"Coinalyze liquidation-history: unexpected reply {str(doc)[:120]}")
                try:
                    rows = aggregates.read_coinalyze_json(doc, "Coinalyze reply", interval_ms=step, coin=coin)
                except aggregates.BadAggregate as exc:
                    raise BackfillError(str(exc)) from None
                report.aggregates += store.write_aggregates(_whole(rows, lo, hi, step))
                store.write_mark(task, hi, now)
                bar.step()
    return report


async def coinglass(
    store: Store,
    client: RestClient,
    *,
    key: str,
    coin: str,
    interval: str,
    since: int,
    now: int,
    base: str = src.COINGLASS_URL,
    exchanges: str = src.COINGLASS_EXCHANGES,
    sleep: Sleep = asyncio.sleep,
    progress: bool = False,
) -> BackfillReport:
    """Aggregated liquidation history of `coin` over `exchanges`, `interval` 1h, 4h, 12h or 1d."""
    report = BackfillReport("coinglass")
    headers = headers_of(key, "CG-API-KEY")
    step = src.COINGLASS_INTERVALS[interval]
    until = now // step * step
    venues = ",".join(x.strip() for x in exchanges.split(",") if x.strip())
    task = f"coinglass:{coin}:{interval}:{venues}"
    start = report.resume(since, store.mark(task)) // step * step
    spans = list(src.windows(start, until, src.COINGLASS_LIMIT * step))
    with Steps(f"CoinGlass {coin} {interval}", len(spans), progress) as bar:
        for lo, hi in spans:
            request = src.coinglass_request(coin, venues, interval, lo, hi)
            doc = await fetch_json(client, base, request, report, headers=headers, sleep=sleep)
            if not isinstance(doc, dict):
                raise BackfillError(f"CoinGlass: unexpected reply {str(doc)[:120]}")
            try:
                rows = aggregates.read_coinglass_json(doc, coin, "CoinGlass reply", venues=venues, interval_ms=step)
            except aggregates.BadAggregate as exc:
                raise BackfillError(
                    f"{exc} (check --api-key and that your plan allows --interval {interval})"
                ) from None
            report.aggregates += store.write_aggregates(_whole(rows, lo, hi, step))
            store.write_mark(task, hi, now)
            bar.step()
    return report
