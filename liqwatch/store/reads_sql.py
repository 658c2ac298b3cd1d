"""The read queries both stores run, written once: event filters, summaries and history series.

DuckDB and PostgreSQL hold the same tables (store/migrations.py) and answer these the same way;
they differ only in the parameter marker and in how a column is matched against a list, which a
`Dialect` supplies (and `Where` uses to build conditions). Each function takes
`fetch(sql, params) -> rows`, bound by the store to one cursor (one snapshot for a summary's
several queries). The Store methods built on these: store/shared.py.

Summaries read whole hours from `rollup_hour` and only the window's raw edges from `events`
(common.Span); the largest order is found from the rollup's per-hour maximum, then fetched from
the one hour (or edge) that holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from liqwatch.analytics.history import SeriesBuilder, SeriesRow
from liqwatch.analytics.summary import Summary, Window, WindowTally, check_windows
from liqwatch.model import Liquidation
from liqwatch.store import schema
from liqwatch.store.base import EventFilter
from liqwatch.store.common import Span
from liqwatch.store.schema import BUCKET_MS as H

COLUMNS = ", ".join(schema.EVENT_COLUMNS)

Fetch = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Dialect:
    param: str  # the parameter marker: "?" (DuckDB) or "%s" (psycopg)
    list_param: bool  # True: `column = ANY(<one list parameter>)`; False: `column IN (<one marker each>)`

    def any_of(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        if self.list_param:
            return f"{column} = ANY({self.param})", [list(values)]
        return f"{column} IN ({', '.join([self.param] * len(values))})", list(values)


DUCKDB = Dialect("?", list_param=False)
POSTGRES = Dialect("%s", list_param=True)


class Where:
    """SQL conditions joined with AND ("TRUE" when none) and their parameters, in one dialect."""

    def __init__(self, dialect: Dialect, *required: tuple[str, Any]) -> None:
        """`required`: (left, value) conditions kept whatever the value (see `add`)."""
        self.dialect = dialect
        self.conds = [f"{left} {dialect.param}" for left, _ in required]
        self.params = [value for _, value in required]

    def add(self, left: str, value: Any) -> None:
        """`<left> <marker>` (e.g. left="ts >"), unless value is None."""
        if value is not None:
            self.conds.append(f"{left} {self.dialect.param}")
            self.params.append(value)

    def any_of(self, column: str, values: Sequence[str]) -> None:
        """`column` is one of `values`, unless there are none."""
        if values:
            cond, params = self.dialect.any_of(column, values)
            self.conds.append(cond)
            self.params += params

    def sql(self) -> str:
        return " AND ".join(self.conds) or "TRUE"


def event_filter(dialect: Dialect, where: EventFilter) -> Where:
    """The conditions selecting the events `where` matches."""
    w = Where(dialect)
    w.add("ts >", where.since)
    w.add("ts <=", where.until)
    w.any_of("venue", where.venues)
    w.any_of("coin", where.coins)
    w.add("side =", where.side)
    w.add("usd >=", where.min_usd)
    return w


def events_sql(
    dialect: Dialect, where: EventFilter, limit: int | None, after: tuple[int, str] | None = None
) -> tuple[str, list[Any]]:
    """The matching events ordered by (ts, id), those after the (ts, id) `after` (a keyset page)."""
    w = event_filter(dialect, where)
    if after is not None:
        q = dialect.param
        w.conds.append(f"(ts, id) > ({q}, {q})")
        w.params += after
    sql = f"SELECT {COLUMNS} FROM events WHERE {w.sql()} ORDER BY ts, id"
    if limit is not None:
        sql += f" LIMIT {dialect.param}"
        w.params.append(max(limit, 0))
    return sql, w.params


def floor_div(expr: str, step: int) -> str:
    """SQL floor division of an integer expression by a positive constant (`/` truncates)."""
    return f"(CASE WHEN ({expr}) >= 0 THEN ({expr}) / {step} ELSE -((-({expr}) + {step - 1}) / {step}) END)"


def summary(fetch: Fetch, dialect: Dialect, at: int, windows: Sequence[Window]) -> Summary:
    """Equal to analytics.summary.summarize over the stored events (tested property)."""
    check_windows(windows)
    spans = [Span(at - length, at) for _, length in windows]
    tallies, best, whole_best = _aggregate(fetch, dialect, spans)
    largest = _largest_of(fetch, dialect, spans, best, whole_best)
    return Summary(
        at=at,
        windows=[
            tally.build(label, span.start, span.end, event)
            for (label, _), span, tally, event in zip(windows, spans, tallies, largest, strict=True)
        ],
    )


def _aggregate(
    fetch: Fetch, dialect: Dialect, spans: list[Span]
) -> tuple[list[WindowTally], list[int | None], list[int | None]]:
    """Per window: the tally, its largest usd_units, and the largest within its whole hours."""
    # Windows share ranges (every window ends at `at`): each distinct range is read once.
    users: dict[tuple[bool, int, int], list[int]] = {}
    for i, span in enumerate(spans):
        if span.whole:
            users.setdefault((True, span.first, span.stop), []).append(i)
        for lo, hi in span.raw:
            users.setdefault((False, lo, hi), []).append(i)
    q = dialect.param
    parts: list[str] = []
    params: list[Any] = []
    for p, (whole, lo, hi) in enumerate(users):
        if whole:
            parts.append(
                f"SELECT {p} AS p, venue, coin, side, coverage, sum(units), sum(n), sum(priced), max(max_units) "
                f"FROM rollup_hour WHERE bucket >= {q} AND bucket < {q} GROUP BY 2, 3, 4, 5"
            )
        else:
            parts.append(
                f"SELECT {p} AS p, venue, coin, side, coverage, coalesce(sum(usd_units), 0), count(*), "
                f"count(usd_units), max(usd_units) FROM events WHERE ts > {q} AND ts <= {q} GROUP BY 2, 3, 4, 5"
            )
        params += [lo, hi]
    keys = list(users)
    tallies = [WindowTally() for _ in spans]
    best: list[int | None] = [None] * len(spans)
    whole_best: list[int | None] = [None] * len(spans)
    rows = fetch(" UNION ALL ".join(parts), params) if parts else []
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
    fetch: Fetch, dialect: Dialect, spans: list[Span], best: list[int | None], whole_best: list[int | None]
) -> list[Liquidation | None]:
    """Per window the event holding `best` usd_units with the smallest (ts, id)."""
    q = dialect.param
    # 1. the earliest whole hour whose largest order is the window's largest
    hour_of: dict[int, int] = {}
    lookups: dict[tuple[int, int, int], list[int]] = {}
    for i, span in enumerate(spans):
        top = best[i]
        if top is not None and whole_best[i] == top:
            lookups.setdefault((span.first, span.stop, top), []).append(i)
    if lookups:
        hours = list(lookups)
        sql = " UNION ALL ".join(
            f"SELECT {k}, min(bucket) FROM rollup_hour WHERE bucket >= {q} AND bucket < {q} AND max_units = {q}"
            for k in range(len(hours))
        )
        for k, bucket in fetch(sql, [v for key in hours for v in key]):
            if bucket is not None:
                for i in lookups[hours[k]]:
                    hour_of[i] = int(bucket)
    # 2. the event: in that hour or in the raw edges, earliest (ts, id) first
    fetches: dict[tuple[int, int, int], list[int]] = {}
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
    keys = list(fetches)
    sql = " UNION ALL ".join(
        f"(SELECT {k} AS k, {COLUMNS} FROM events WHERE usd_units = {q} AND ts > {q} AND ts <= {q} "
        "ORDER BY ts, id LIMIT 1)"
        for k in range(len(keys))
    )
    rows = fetch(sql, [v for key in keys for v in key])
    for row in sorted(rows, key=lambda r: (r[8], r[11])):  # ts, id: the first found per window wins
        for i in fetches[keys[row[0]]]:
            if found[i] is None:
                found[i] = Liquidation(*row[1:])
    return found


def series(
    fetch: Fetch,
    dialect: Dialect,
    since: int,
    until: int,
    step: int,
    origin: int,
    coins: Sequence[str],
    venues: Sequence[str],
) -> list[SeriesRow]:
    """Equal to analytics.history.series over the stored events (tested property).

    With an hour-multiple step on an hour-aligned grid, whole hours come from `rollup_hour` and
    only the partial hours at the range's edges from `events`; any other grid reads `events`.
    """
    builder = SeriesBuilder(since, until, step, origin)
    origin = builder.origin
    q = dialect.param
    lists = Where(dialect)
    lists.any_of("coin", coins)
    lists.any_of("venue", venues)
    filters, fparams = "".join(f" AND {c}" for c in lists.conds), lists.params
    parts: list[str] = []
    params: list[Any] = []
    if step % H == 0 and origin % H == 0:
        span = Span(since, until)
        raw = span.raw
        if span.whole:
            k = floor_div(f"bucket * {H} - {origin}", step)
            parts.append(
                f"SELECT {k} AS k, venue, side, coverage, sum(units), sum(n), sum(n) - sum(priced) "
                f"FROM rollup_hour WHERE bucket >= {q} AND bucket < {q}{filters} GROUP BY 1, 2, 3, 4"
            )
            params += [span.first, span.stop, *fparams]
    else:
        raw = [(since, until)]
    k = floor_div(f"ts - 1 - {origin}", step)
    for lo, hi in raw:
        parts.append(
            f"SELECT {k} AS k, venue, side, coverage, coalesce(sum(usd_units), 0), count(*), "
            f"count(*) - count(usd_units) FROM events WHERE ts > {q} AND ts <= {q}{filters} GROUP BY 1, 2, 3, 4"
        )
        params += [lo, hi, *fparams]
    for k_, venue, side, coverage, units, n, unpriced in fetch(" UNION ALL ".join(parts), params):
        builder.add(int(k_), venue, side, coverage, int(units), int(n), int(unpriced))
    return builder.rows()
