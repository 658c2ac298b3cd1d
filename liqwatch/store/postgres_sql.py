"""PostgreSQL tables of the store (the same tables and meanings as schema.py, in PostgreSQL's dialect).

Differences from DuckDB, and why:
- every text column is COLLATE "C": ORDER BY id / venue / symbol compares bytes, as DuckDB does,
  whatever the database's locale, so both stores return rows in the same order;
- `events` is partitioned by month on ts (declarative RANGE partitions events_YYYY_MM, created on
  demand by the store): old months are dropped whole for retention. Its key is (ts, id): a unique
  key of a partitioned table must include the partition column;
- `event_ids` (id → ts, not partitioned) is what makes writes idempotent on the id ALONE: a
  liquidation's id does not always fix its ts (BitMEX publishes no time, so its events carry
  the receive time, and a reconnect's snapshot re-sends the same order with a later one).
  Writers claim ids here with INSERT … ON CONFLICT DO NOTHING, which is exact under any number
  of concurrent writers; only claimed rows go into `events` and `rollup_hour`;
- sums of BIGINT usd_units are NUMERIC (exact), like DuckDB's HUGEINT.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from liqwatch.store import schema

if TYPE_CHECKING:
    from liqwatch.store.shared import Keyed

EVENTS_V1 = """
CREATE TABLE IF NOT EXISTS meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    venue     text COLLATE "C" NOT NULL,
    symbol    text COLLATE "C" NOT NULL,
    coin      text COLLATE "C" NOT NULL,
    side      text COLLATE "C" NOT NULL,   -- 'long' | 'short': the liquidated POSITION
    price     double precision NOT NULL,
    qty       double precision,
    usd       double precision,
    ts        bigint NOT NULL,             -- exchange time, ms
    recv_ts   bigint NOT NULL,
    coverage  text COLLATE "C" NOT NULL,   -- 'complete' | 'sampled'
    id        text COLLATE "C" NOT NULL,   -- dedup key
    usd_units bigint,                      -- round(usd * 1e8), NULL when usd is NULL
    PRIMARY KEY (ts, id)
) PARTITION BY RANGE (ts);
CREATE TABLE IF NOT EXISTS event_ids (
    id text COLLATE "C" PRIMARY KEY,
    ts bigint NOT NULL                     -- the stored event's ts (retention deletes by it)
);
CREATE TABLE IF NOT EXISTS rollup_hour (
    bucket      bigint NOT NULL,           -- (ts - 1) / 3600000
    venue       text COLLATE "C" NOT NULL,
    coin        text COLLATE "C" NOT NULL,
    side        text COLLATE "C" NOT NULL,
    coverage    text COLLATE "C" NOT NULL,
    units       numeric NOT NULL,          -- sum(usd_units)
    n           bigint NOT NULL,
    priced      bigint NOT NULL,
    max_units   bigint,
    max_ts      bigint NOT NULL,
    max_recv_ts bigint NOT NULL,
    PRIMARY KEY (bucket, venue, coin, side, coverage)
);
CREATE TABLE IF NOT EXISTS gaps (
    venue    text COLLATE "C" NOT NULL,
    start_ts bigint NOT NULL,
    end_ts   bigint NOT NULL,
    reason   text COLLATE "C" NOT NULL,
    UNIQUE (venue, start_ts, end_ts, reason)
);
CREATE TABLE IF NOT EXISTS instruments (
    venue         text COLLATE "C" NOT NULL,
    symbol        text COLLATE "C" NOT NULL,
    coin          text COLLATE "C" NOT NULL,
    kind          text COLLATE "C" NOT NULL,
    contract_size double precision NOT NULL,
    quote         text COLLATE "C" NOT NULL,
    price_unit    double precision NOT NULL,
    source        text COLLATE "C" NOT NULL,
    PRIMARY KEY (venue, symbol)
);
"""

MARKET_V2 = """
CREATE TABLE IF NOT EXISTS candles (
    venue       text COLLATE "C" NOT NULL,
    symbol      text COLLATE "C" NOT NULL,
    coin        text COLLATE "C" NOT NULL,
    interval_ms bigint NOT NULL,
    open_ts     bigint NOT NULL,
    open        double precision NOT NULL,
    high        double precision NOT NULL,
    low         double precision NOT NULL,
    close       double precision NOT NULL,
    source      text COLLATE "C" NOT NULL,
    PRIMARY KEY (venue, symbol, interval_ms, open_ts)
);
CREATE INDEX IF NOT EXISTS candles_coin ON candles (coin, interval_ms, open_ts);
CREATE TABLE IF NOT EXISTS market_stats (
    venue  text COLLATE "C" NOT NULL,
    symbol text COLLATE "C" NOT NULL,
    coin   text COLLATE "C" NOT NULL,
    kind   text COLLATE "C" NOT NULL,
    ts     bigint NOT NULL,
    value  double precision NOT NULL,
    PRIMARY KEY (venue, symbol, kind, ts)
);
CREATE INDEX IF NOT EXISTS market_stats_coin ON market_stats (coin, kind, ts);
"""

STATUS_V3 = """
CREATE TABLE IF NOT EXISTS collector_status (
    source  text COLLATE "C" PRIMARY KEY,
    updated bigint NOT NULL,
    doc     text NOT NULL
);
"""

# Per-connection scratch tables for one write (emptied at every commit).
SCRATCH = """
CREATE TEMP TABLE IF NOT EXISTS _staging (
    venue text COLLATE "C", symbol text COLLATE "C", coin text COLLATE "C", side text COLLATE "C",
    price double precision, qty double precision, usd double precision, ts bigint, recv_ts bigint,
    coverage text COLLATE "C", id text COLLATE "C", usd_units bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _new (LIKE _staging) ON COMMIT DELETE ROWS;
"""

COPY_STAGING = "COPY _staging FROM STDIN (FORMAT BINARY)"
STAGING_TYPES = ["text", "text", "text", "text", "float8", "float8", "float8", "int8", "int8", "text", "text", "int8"]

# Claim the batch's ids (in id order, so that two writers lock them in the same order and never
# deadlock); the rows whose id this transaction claimed are the new ones.
CLAIM_NEW = """
WITH fresh AS (
    INSERT INTO event_ids (id, ts) SELECT id, ts FROM _staging ORDER BY id
    ON CONFLICT (id) DO NOTHING RETURNING id
)
INSERT INTO _new SELECT s.* FROM _staging s JOIN fresh USING (id)
"""

INSERT_NEW = "INSERT INTO events SELECT * FROM _new"

# Upserted in key order for the same reason as CLAIM_NEW.
ROLLUP_NEW = """
INSERT INTO rollup_hour
SELECT (ts - 1) / {bucket_ms}, venue, coin, side, coverage, coalesce(sum(usd_units), 0), count(*),
       count(usd_units), max(usd_units), max(ts), max(recv_ts)
FROM _new GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (bucket, venue, coin, side, coverage) DO UPDATE SET""" + schema.rollup_added("excluded")

# Stored events without a USD value that the staged batch prices (same id, time and rollup key)
# are given it, and added to the rollup's sums and priced counts (not to its counts).
FILL_UNPRICED = """
WITH filled AS (
    UPDATE events e SET qty = s.qty, usd = s.usd, usd_units = s.usd_units
    FROM _staging s
    WHERE e.ts = s.ts AND e.id = s.id AND e.usd IS NULL AND s.usd IS NOT NULL
      AND (e.venue, e.coin, e.side, e.coverage) = (s.venue, s.coin, s.side, s.coverage)
    RETURNING e.ts, e.venue, e.coin, e.side, e.coverage, e.recv_ts, e.usd_units
), rolled AS (
    INSERT INTO rollup_hour
    SELECT (ts - 1) / {bucket_ms}, venue, coin, side, coverage, sum(usd_units), 0, count(*),
           max(usd_units), max(ts), max(recv_ts)
    FROM filled GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (bucket, venue, coin, side, coverage) DO UPDATE SET
        units = rollup_hour.units + excluded.units,
        priced = rollup_hour.priced + excluded.priced,
        max_units = greatest(rollup_hour.max_units, excluded.max_units)
    RETURNING 1
)
SELECT count(*) FROM filled
"""


def from_portable(ddl: str) -> str:
    """DuckDB DDL written with portable types, in PostgreSQL's: DOUBLE → double precision, and
    VARCHAR → text COLLATE "C" (byte order, as DuckDB sorts)."""
    return re.sub(r"\bDOUBLE\b", "double precision", re.sub(r"\bVARCHAR\b", 'text COLLATE "C"', ddl))


def upsert(keyed: Keyed) -> str:
    """INSERT of one row of `keyed.columns` that replaces (`keyed.replace`) or leaves the row with the same key."""
    values = ", ".join(["%s"] * len(keyed.columns))
    key = ", ".join(keyed.key)
    updates = ", ".join(f"{c} = excluded.{c}" for c in keyed.columns if c not in keyed.key)
    action = f"DO UPDATE SET {updates}" if keyed.replace else "DO NOTHING"
    return f"INSERT INTO {keyed.name} ({', '.join(keyed.columns)}) VALUES ({values}) ON CONFLICT ({key}) {action}"
