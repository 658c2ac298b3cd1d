"""Aggregate history and backfill marks: DuckDB and PostgreSQL give EQUAL answers, writes are
idempotent by key, and aggregates never reach event totals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from liqwatch.aggregates import ALL, AggregateRow
from liqwatch.analytics.summary import parse_windows
from liqwatch.store.base import Store
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.store.postgres import PostgresStore

D = 86_400_000
T0 = 1_704_067_200_000
ROWS = [AggregateRow("coinalyze", "Binance", "BTC", D, T0 + k * D, 1e6 * k, 2.5e6 * k + 0.125) for k in range(5)] + [
    AggregateRow("coinglass", ALL, "ETH", 3_600_000, T0 + k * 3_600_000, 10.0, 20.0) for k in range(3)
]


@pytest.fixture
def both(tmp_path: Path, pg_dsn: str) -> Iterator[tuple[Store, Store]]:
    duck, pg = DuckDBStore(tmp_path / "a.duckdb"), PostgresStore(pg_dsn)
    try:
        yield duck, pg
    finally:
        duck.close()
        pg.close()


def test_aggregates_equal_in_both_stores(both: tuple[Store, Store]) -> None:
    for store in both:
        store.write_aggregates(ROWS)
        store.write_aggregates(ROWS[:2])  # again: replaced by key, never doubled
        store.write_mark("coinalyze:BTC:daily", T0 + 5 * D, 1)
        store.write_mark("coinalyze:BTC:daily", T0 + 6 * D, 2)
    duck, pg = both
    assert duck.aggregates() == pg.aggregates() == sorted(ROWS)
    assert duck.aggregates("BTC", since=T0 + D, until=T0 + 3 * D) == ROWS[1:3]
    assert pg.aggregates("BTC", since=T0 + D, until=T0 + 3 * D) == ROWS[1:3]
    assert duck.aggregate_series() == pg.aggregate_series()
    assert [(s.source, s.coin, s.buckets) for s in duck.aggregate_series()] == [
        ("coinalyze", "BTC", 5),
        ("coinglass", "ETH", 3),
    ]
    assert duck.mark("coinalyze:BTC:daily") == pg.mark("coinalyze:BTC:daily") == T0 + 6 * D
    assert duck.mark("nothing") is None and pg.mark("nothing") is None
    for store in both:  # apart from events: no event total sees them
        assert store.count() == 0
        assert store.summary(T0 + 5 * D, parse_windows("7d")).windows[0].total_usd == 0


def test_history_ranks_equal_in_both_stores(both: tuple[Store, Store]) -> None:
    from liqwatch import queries
    from liqwatch.analytics.basis import period_at
    from tests.analytics.factories import ev

    events = [ev(T0 + k * D + 7_200_000, 100.0 * (k % 4 + 1), venue="okx", id=f"e{k}") for k in range(12)]
    for store in both:
        store.write_events(events)
        store.write_aggregates(ROWS)
    for coin in (None, "BTC"):
        duck, pg = (queries.history_ranks(s, "day", period_at("day", T0 + 4 * D), "long", coin) for s in both)
        assert duck == pg and duck.best is not None


def test_backfills_write_beside_each_other_on_postgresql(pg_dsn: str) -> None:
    """Two writers (a collector's own writes and a backfill, or two backfills) on one PostgreSQL
    store: overlapping aggregate rows end up once each, nothing deadlocks."""
    import threading

    rows = [AggregateRow("coinalyze", x, "BTC", D, T0 + k * D, float(k), 1.0) for k in range(300) for x in ("A", "B")]
    PostgresStore(pg_dsn).close()  # created once
    errors: list[BaseException] = []

    def backfill(part: list[AggregateRow], task: str) -> None:
        try:
            with PostgresStore(pg_dsn) as store:
                for i in range(0, len(part), 50):
                    store.write_aggregates(part[i : i + 50])
                    store.write_mark(task, i, i)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=backfill, args=(rows, "one")),
        threading.Thread(target=backfill, args=(list(reversed(rows)), "two")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with PostgresStore(pg_dsn) as store:
        assert store.aggregates() == sorted(rows)
