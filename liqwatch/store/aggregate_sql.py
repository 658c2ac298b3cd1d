"""Tables of aggregate history and backfill progress (portable SQL: the same text for DuckDB and
PostgreSQL; schema step 5).

aggregates      provider series (Coinalyze, CoinGlass): one row per source × venue set × coin ×
                interval × bucket start; long/short USD. Kept apart from `events`: no event total
                reads it. A bucket a source did not cover has no row (unknown, never zero).
backfill_marks  how far each backfill task got (task id → the end of the last span done), so a
                killed backfill resumes where it stopped.
"""

from __future__ import annotations

AGGREGATE_COLUMNS = ("source", "venues", "coin", "interval_ms", "start_ts", "long_usd", "short_usd")

AGGREGATE_TABLES = """
CREATE TABLE IF NOT EXISTS aggregates (
    source      VARCHAR NOT NULL,
    venues      VARCHAR NOT NULL,
    coin        VARCHAR NOT NULL,
    interval_ms BIGINT  NOT NULL,
    start_ts    BIGINT  NOT NULL,   -- the bucket covers [start_ts, start_ts + interval_ms)
    long_usd    DOUBLE  NOT NULL,
    short_usd   DOUBLE  NOT NULL,
    PRIMARY KEY (source, venues, coin, interval_ms, start_ts)
);
CREATE TABLE IF NOT EXISTS backfill_marks (
    task       VARCHAR NOT NULL PRIMARY KEY,
    done_until BIGINT  NOT NULL,
    updated    BIGINT  NOT NULL
);
"""
