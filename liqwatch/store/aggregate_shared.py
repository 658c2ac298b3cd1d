"""Aggregate history and backfill marks in both stores, written once (a mixin of DuckDBStore and
PostgresStore; tables in aggregate_sql.py). Uses the store's `_fetch`, `_dialect` and `_replace`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from liqwatch.aggregates import AggregateRow
from liqwatch.store.aggregate_sql import AGGREGATE_COLUMNS
from liqwatch.store.reads_sql import Dialect, Where
from liqwatch.store.shared import Keyed, Row

AGGREGATES = Keyed("aggregates", AGGREGATE_COLUMNS, ("source", "venues", "coin", "interval_ms", "start_ts"))
MARKS = Keyed("backfill_marks", ("task", "done_until", "updated"), ("task",))


class AggregateSeries(msgspec.Struct, frozen=True):
    """One stored series: its key, span and number of buckets."""

    source: str
    venues: str
    coin: str
    interval_ms: int
    first_ts: int
    last_ts: int
    buckets: int


class AggregateTables:
    _dialect: Dialect

    if TYPE_CHECKING:

        def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

        def _replace(self, *writes: tuple[Keyed, list[Row]]) -> None: ...

    def write_aggregates(self, rows: Sequence[AggregateRow]) -> int:
        """Insert or replace by (source, venues, coin, interval_ms, start_ts); returns how many were given."""
        self._replace((AGGREGATES, AGGREGATES.rows(rows)))
        return len(rows)

    def aggregates(
        self,
        coin: str | None = None,
        *,
        source: str | None = None,
        interval_ms: int | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> list[AggregateRow]:
        """Rows with since <= start_ts < until, ordered by key."""
        w = Where(self._dialect)
        w.add("coin =", coin)
        w.add("source =", source)
        w.add("interval_ms =", interval_ms)
        w.add("start_ts >=", since)
        w.add("start_ts <", until)
        sql = (
            f"SELECT {', '.join(AGGREGATE_COLUMNS)} FROM aggregates WHERE {w.sql()} "
            "ORDER BY source, venues, coin, interval_ms, start_ts"
        )
        return [
            AggregateRow(str(s), str(v), str(c), int(i), int(t), float(lo), float(sh))
            for s, v, c, i, t, lo, sh in self._fetch(sql, w.params)
        ]

    def aggregate_series(self) -> list[AggregateSeries]:
        """Every stored series with its first and last bucket and how many buckets it has."""
        sql = (
            "SELECT source, venues, coin, interval_ms, min(start_ts), max(start_ts), count(*) FROM aggregates "
            "GROUP BY source, venues, coin, interval_ms ORDER BY source, coin, interval_ms, venues"
        )
        return [
            AggregateSeries(str(s), str(v), str(c), int(i), int(lo), int(hi), int(n))
            for s, v, c, i, lo, hi, n in self._fetch(sql)
        ]

    def write_mark(self, task: str, done_until: int, updated: int) -> None:
        """Record that backfill `task` is done up to `done_until` (ms)."""
        self._replace((MARKS, [(task, done_until, updated)]))

    def mark(self, task: str) -> int | None:
        """How far backfill `task` got, or None when it never ran."""
        w = Where(self._dialect, ("task =", task))
        rows = self._fetch(f"SELECT done_until FROM backfill_marks WHERE {w.sql()}", w.params)
        return int(rows[0][0]) if rows else None
