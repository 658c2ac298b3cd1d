"""The PostgreSQL store's reads: the DuckDB store's queries (duckdb.py) in PostgreSQL's dialect.

Same plan, same answers: summaries and series read `rollup_hour` for whole hours and `events`
only at the partial hours at the edges (partition pruning on ts keeps those reads small).
Dialect differences: %s parameters, `= ANY(%s)` for lists, no GROUP BY ALL, integer `/` (it
truncates like DuckDB's `//`), sums of BIGINT are NUMERIC (exact; turned into int here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg

from liqwatch.analytics.history import SeriesBuilder, SeriesRow
from liqwatch.analytics.summary import Summary, Window, WindowTally, check_windows
from liqwatch.model import Candle, Liquidation, MarketStat
from liqwatch.store import schema
from liqwatch.store.base import EventFilter, VenueSpan
from liqwatch.store.common import Span, ceil_div

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


def summary(cur: psycopg.Cursor[Any], at: int, windows: Sequence[Window]) -> Summary:
    check_windows(windows)
    spans = [Span(at - length, at) for _, length in windows]
    tallies, best, whole_best = _aggregate(cur, spans)
    largest = _largest_of(cur, spans, best, whole_best)
    return Summary(
        at=at,
        windows=[
            tally.build(label, span.start, span.end, event)
            for (label, _), span, tally, event in zip(windows, spans, tallies, largest, strict=True)
        ],
    )


def _aggregate(
    cur: psycopg.Cursor[Any], spans: list[Span]
) -> tuple[list[WindowTally], list[int | None], list[int | None]]:
    """Per window: the tally, its largest usd_units, and the largest within its whole hours."""
    users: dict[tuple[bool, int, int], list[int]] = {}  # each distinct range is read once
    for i, span in enumerate(spans):
        if span.whole:
            users.setdefault((True, span.first, span.stop), []).append(i)
        for lo, hi in span.raw:
            users.setdefault((False, lo, hi), []).append(i)
    parts: list[str] = []
    params: list[Any] = []
    for p, (whole, lo, hi) in enumerate(users):
        if whole:
            parts.append(
                f"SELECT {p} AS p, venue, coin, side, coverage, sum(units), sum(n), sum(priced), max(max_units) "
                "FROM rollup_hour WHERE bucket >= %s AND bucket < %s GROUP BY 2, 3, 4, 5"
            )
        else:
            parts.append(
                f"SELECT {p} AS p, venue, coin, side, coverage, coalesce(sum(usd_units), 0), count(*), "
                "count(usd_units), max(usd_units) FROM events WHERE ts > %s AND ts <= %s GROUP BY 2, 3, 4, 5"
            )
        params += [lo, hi]
    keys = list(users)
    tallies = [WindowTally() for _ in spans]
    best: list[int | None] = [None] * len(spans)
    whole_best: list[int | None] = [None] * len(spans)
    rows = cur.execute(" UNION ALL ".join(parts), params).fetchall() if parts else []
    for p, venue, coin, side, coverage, units, n, priced, top in rows:
        from_rollup = keys[p][0]
        units, n = int(units), int(n)
        unpriced = n - int(priced)
        for w in users[keys[p]]:
            tallies[w].add(venue, coin, side, coverage, units, n, unpriced)
            if top is not None:
                current = best[w]
                if current is None or top > current:
                    best[w] = top
                current = whole_best[w]
                if from_rollup and (current is None or top > current):
                    whole_best[w] = top
    return tallies, best, whole_best


def _largest_of(
    cur: psycopg.Cursor[Any], spans: list[Span], best: list[int | None], whole_best: list[int | None]
) -> list[Liquidation | None]:
    """Per window the event holding `best` usd_units with the smallest (ts, id)."""
    hour_of: dict[int, int] = {}  # 1. the earliest whole hour whose largest order is the window's largest
    lookups: dict[tuple[int, int, int], list[int]] = {}
    for i, span in enumerate(spans):
        top = best[i]
        if top is not None and whole_best[i] == top:
            lookups.setdefault((span.first, span.stop, top), []).append(i)
    if lookups:
        keys = list(lookups)
        sql = " UNION ALL ".join(
            f"SELECT {k}, min(bucket) FROM rollup_hour WHERE bucket >= %s AND bucket < %s AND max_units = %s"
            for k in range(len(keys))
        )
        for k, bucket in cur.execute(sql, [v for key in keys for v in key]).fetchall():
            if bucket is not None:
                for i in lookups[keys[k]]:
                    hour_of[i] = int(bucket)
    fetches: dict[tuple[int, int, int], list[int]] = {}  # 2. the event, earliest (ts, id) first
    for i, span in enumerate(spans):
        top = best[i]
        if top is None:
            continue
        ranges = list(span.raw)
        if i in hour_of:
            ranges.append((hour_of[i] * H, (hour_of[i] + 1) * H))
        for lo, hi in ranges:
            fetches.setdefault((top, lo, hi), []).append(i)
    found: list[Liquidation | None] = [None] * len(spans)
    if not fetches:
        return found
    keys2 = list(fetches)
    sql = " UNION ALL ".join(
        f"(SELECT {k} AS k, {COLUMNS} FROM events WHERE usd_units = %s AND ts > %s AND ts <= %s "
        "ORDER BY ts, id LIMIT 1)"
        for k in range(len(keys2))
    )
    rows = cur.execute(sql, [v for key in keys2 for v in key]).fetchall()
    for row in sorted(rows, key=lambda r: (r[8], r[11])):  # ts, id: the first found per window wins
        for i in fetches[keys2[row[0]]]:
            if found[i] is None:
                found[i] = Liquidation(*row[1:])
    return found


def _floor_div(expr: str, step: int) -> str:
    """SQL floor division of an integer expression by a positive constant (`/` truncates)."""
    return f"(CASE WHEN ({expr}) >= 0 THEN ({expr}) / {step} ELSE -((-({expr}) + {step - 1}) / {step}) END)"


def series(
    fetch: Fetch,
    since: int,
    until: int,
    step: int,
    origin: int,
    coins: Sequence[str],
    venues: Sequence[str],
) -> list[SeriesRow]:
    builder = SeriesBuilder(since, until, step, origin)
    origin = builder.origin
    filters, fparams = "", []
    if coins:
        filters += " AND coin = ANY(%s)"
        fparams.append(list(coins))
    if venues:
        filters += " AND venue = ANY(%s)"
        fparams.append(list(venues))
    parts: list[str] = []
    params: list[Any] = []
    if step % H == 0 and origin % H == 0:
        span = Span(since, until)
        raw = span.raw
        if span.whole:
            k = _floor_div(f"bucket * {H} - {origin}", step)
            parts.append(
                f"SELECT {k} AS k, venue, side, coverage, sum(units), sum(n), sum(n) - sum(priced) "
                f"FROM rollup_hour WHERE bucket >= %s AND bucket < %s{filters} GROUP BY 1, 2, 3, 4"
            )
            params += [span.first, span.stop, *fparams]
    else:
        raw = [(since, until)]
    k = _floor_div(f"ts - 1 - {origin}", step)
    for lo, hi in raw:
        parts.append(
            f"SELECT {k} AS k, venue, side, coverage, coalesce(sum(usd_units), 0), count(*), "
            f"count(*) - count(usd_units) FROM events WHERE ts > %s AND ts <= %s{filters} GROUP BY 1, 2, 3, 4"
        )
        params += [lo, hi, *fparams]
    for k_, venue, side, coverage, units, n, unpriced in fetch(" UNION ALL ".join(parts), params):
        builder.add(int(k_), venue, side, coverage, int(units), int(n), int(unpriced))
    return builder.rows()


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
