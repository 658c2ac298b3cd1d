"""The PostgreSQL store's reads: the DuckDB store's queries (duckdb.py) in PostgreSQL's dialect.

Same plan, same answers: summaries and series read `rollup_hour` for whole hours and `events`
only at the partial hours at the edges (partition pruning on ts keeps those reads small).
Dialect differences: %s parameters, `= ANY(%s)` for lists, no GROUP BY ALL, integer `/` (it
truncates like DuckDB's `//`), sums of BIGINT are NUMERIC (exact; turned into int here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from liqwatch.model import Candle, Liquidation, MarketStat
from liqwatch.store import schema
from liqwatch.store.base import EventFilter, VenueSpan
from liqwatch.store.common import ceil_div

H = schema.BUCKET_MS
COLUMNS = ", ".join(schema.EVENT_COLUMNS)
PAGE = 10_000
PARTITIONS = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass"
)

Fetch = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


def where_sql(where: EventFilter) -> tuple[str, list[Any]]:
    """SQL conditions (joined with AND, "TRUE" when none) and their parameters."""
    conds: list[str] = []
    params: list[Any] = []
    if where.since is not None:
        conds.append("ts > %s")
        params.append(where.since)
    if where.until is not None:
        conds.append("ts <= %s")
        params.append(where.until)
    if where.venues:
        conds.append("venue = ANY(%s)")
        params.append(list(where.venues))
    if where.coins:
        conds.append("coin = ANY(%s)")
        params.append(list(where.coins))
    if where.side is not None:
        conds.append("side = %s")
        params.append(where.side)
    if where.min_usd is not None:
        conds.append("usd >= %s")
        params.append(where.min_usd)
    return (" AND ".join(conds) or "TRUE"), params


def events(fetch: Fetch, where: EventFilter, limit: int | None) -> Iterator[Liquidation]:
    """Matching events by (ts, id), a page at a time: no connection is held between pages."""
    cond, params = where_sql(where)
    remaining = None if limit is None else max(limit, 0)
    after: tuple[int, str] | None = None
    while remaining is None or remaining > 0:
        page = PAGE if remaining is None else min(PAGE, remaining)
        keyset = "" if after is None else " AND (ts, id) > (%s, %s)"
        rows = fetch(
            f"SELECT {COLUMNS} FROM events WHERE {cond}{keyset} ORDER BY ts, id LIMIT %s",
            [*params, *(after or ()), page],
        )
        for row in rows:
            yield Liquidation(*row)
        if len(rows) < page:
            return
        after = (rows[-1][7], rows[-1][10])
        if remaining is not None:
            remaining -= len(rows)


def gaps_sql(venue: str | None, since: int | None, until: int | None) -> tuple[str, list[Any]]:
    conds = ["TRUE"]
    params: list[Any] = []
    if venue is not None:
        conds.append("venue = %s")
        params.append(venue)
    if since is not None:
        conds.append("end_ts > %s")
        params.append(since)
    if until is not None:
        conds.append("start_ts < %s")
        params.append(until)
    sql = f"SELECT venue, start_ts, end_ts, reason FROM gaps WHERE {' AND '.join(conds)} "
    return sql + "ORDER BY start_ts, venue, end_ts, reason", params


def activity_sql(since: int) -> tuple[str, list[Any]]:
    """Per venue: events with ts > since (whole hours from the rollup), newest ts and recv_ts."""
    first = ceil_div(since, H)  # buckets >= first lie entirely after `since`
    sql = """
        WITH whole AS (
            SELECT venue, sum(n) FILTER (WHERE bucket >= %s) AS n,
                   max(max_ts) AS last_ts, max(max_recv_ts) AS last_recv_ts
            FROM rollup_hour GROUP BY venue),
        edge AS (SELECT venue, count(*) AS n FROM events WHERE ts > %s AND ts <= %s GROUP BY venue)
        SELECT venue, coalesce(whole.n, 0) + coalesce(edge.n, 0), last_ts, last_recv_ts
        FROM whole LEFT JOIN edge USING (venue) ORDER BY venue
    """
    return sql, [first, since, first * H]


def venue_spans(fetch: Fetch) -> list[VenueSpan]:
    """Per venue: first and last event ts and the number of events (the rollup, then one hour)."""
    rows = fetch("SELECT venue, min(bucket), max(max_ts), sum(n) FROM rollup_hour GROUP BY venue ORDER BY venue", [])
    if not rows:
        return []
    sql = " UNION ALL ".join(
        f"(SELECT {i}, min(ts) FROM events WHERE venue = %s AND ts > %s AND ts <= %s)" for i in range(len(rows))
    )
    params: list[Any] = []
    for venue, bucket, _, _ in rows:
        params += [venue, int(bucket) * H, (int(bucket) + 1) * H]
    first = {int(i): ts for i, ts in fetch(sql, params)}
    return [
        VenueSpan(venue, int(first[i]), int(last), int(n))
        for i, (venue, _, last, n) in enumerate(rows)
        if first.get(i) is not None
    ]


def candles_sql(
    coin: str, interval_ms: int, since: int | None, until: int | None, venue: str | None
) -> tuple[str, list[Any]]:
    conds = ["coin = %s", "interval_ms = %s"]
    params: list[Any] = [coin, interval_ms]
    if since is not None:
        conds.append("open_ts >= %s")
        params.append(since)
    if until is not None:
        conds.append("open_ts < %s")
        params.append(until)
    if venue is not None:
        conds.append("venue = %s")
        params.append(venue)
    fields = ", ".join(Candle.__struct_fields__)
    return f"SELECT {fields} FROM candles WHERE {' AND '.join(conds)} ORDER BY venue, symbol, open_ts", params


def stats_sql(coin: str, kind: str, since: int | None, until: int | None) -> tuple[str, list[Any]]:
    conds = ["coin = %s", "kind = %s"]
    params: list[Any] = [coin, kind]
    if since is not None:
        conds.append("ts >= %s")
        params.append(since)
    if until is not None:
        conds.append("ts <= %s")
        params.append(until)
    fields = ", ".join(MarketStat.__struct_fields__)
    return f"SELECT {fields} FROM market_stats WHERE {' AND '.join(conds)} ORDER BY venue, symbol, ts", params
