"""Tables of the DuckDB store, and the schema version kept in `meta`.

events         one row per stored Liquidation (the columns of the public event, in its order),
               plus usd_units = round(usd × 1e8) as BIGINT so sums are exact integers. No index:
               rows are appended in ts order per batch, so DuckDB's per-row-group min/max (zone
               maps) on ts prune every time-bounded scan; dedup is an anti-join on id within the
               batch's ts range (see duckdb.py).
rollup_hour    per hour bucket × venue × coin × side × coverage: sums, counts, the largest
               usd_units and the newest ts / recv_ts. Maintained in the same transaction as the
               events it summarizes (only from rows that were new), so summaries read whole hours
               here and raw events only at the window edges. One row a key, without an index
               since version 8 (store/duckdb_rollup.py says why and how). Bucket b holds the ts in
               (b × 1h, (b + 1) × 1h], i.e. b = (ts − 1) // 1h, matching the (start, end] windows:
               an hour-aligned window is exactly a range of buckets.
gaps           spans a venue's feed was not received.
instruments    the instrument catalogue in force now (the newest row of instrument_versions).
instrument_versions  every contract definition the store priced with and when it was in force,
               [valid_from, valid_to) ms (see catalogue_history.py).
candles        price bars per venue instrument and interval (REST klines; later mark-price streams).
market_stats   polled open interest (USD) and funding rates per venue instrument.

collector_status  the newest status document of each collector process (cross-process status).

Changing a table: bump SCHEMA_VERSION and add a step to migrations.STEPS, with its DuckDB and
PostgreSQL SQL (never drop user data).
"""

from __future__ import annotations

SCHEMA_VERSION = 8  # 4: watched wallets (store/wallet_sql.py); 5: one id across sources (id_rewrite.py);
# 6: instrument_versions; 7: aggregates (store/aggregate_sql.py); 8: DuckDB's rollup_hour without its key
APPLICATION = "liqwatch"
BUCKET_MS = 3_600_000

ROLLUP_HOUR_COLUMNS = """
    bucket      BIGINT  NOT NULL,  -- (ts - 1) // 3600000
    venue       VARCHAR NOT NULL,
    coin        VARCHAR NOT NULL,
    side        VARCHAR NOT NULL,
    coverage    VARCHAR NOT NULL,
    units       HUGEINT NOT NULL,  -- sum(usd_units)
    n           BIGINT  NOT NULL,  -- events
    priced      BIGINT  NOT NULL,  -- events with a usd value
    max_units   BIGINT,            -- largest usd_units (NULL: none priced)
    max_ts      BIGINT  NOT NULL,
    max_recv_ts BIGINT  NOT NULL"""

EVENT_COLUMNS = (
    "venue",
    "symbol",
    "coin",
    "side",
    "price",
    "qty",
    "usd",
    "ts",
    "recv_ts",
    "coverage",
    "id",
)  # the Liquidation fields, in order

TABLES = (
    """
CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    venue     VARCHAR NOT NULL,
    symbol    VARCHAR NOT NULL,
    coin      VARCHAR NOT NULL,
    side      VARCHAR NOT NULL,   -- 'long' | 'short': the liquidated POSITION
    price     DOUBLE  NOT NULL,
    qty       DOUBLE,
    usd       DOUBLE,
    ts        BIGINT  NOT NULL,   -- exchange time, ms
    recv_ts   BIGINT  NOT NULL,
    coverage  VARCHAR NOT NULL,   -- 'complete' | 'sampled'
    id        VARCHAR NOT NULL,   -- dedup key
    usd_units BIGINT              -- round(usd * 1e8), NULL when usd is NULL
);
CREATE TABLE IF NOT EXISTS rollup_hour ("""
    + ROLLUP_HOUR_COLUMNS
    + """,
    PRIMARY KEY (bucket, venue, coin, side, coverage)
);
CREATE TABLE IF NOT EXISTS gaps (
    venue    VARCHAR NOT NULL,
    start_ts BIGINT  NOT NULL,
    end_ts   BIGINT  NOT NULL,
    reason   VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS instruments (
    venue         VARCHAR NOT NULL,
    symbol        VARCHAR NOT NULL,
    coin          VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    contract_size DOUBLE  NOT NULL,
    quote         VARCHAR NOT NULL,
    price_unit    DOUBLE  NOT NULL,
    source        VARCHAR NOT NULL,
    PRIMARY KEY (venue, symbol)
);
"""
)

MARKET_TABLES = """
CREATE TABLE IF NOT EXISTS candles (
    venue       VARCHAR NOT NULL,
    symbol      VARCHAR NOT NULL,
    coin        VARCHAR NOT NULL,
    interval_ms BIGINT  NOT NULL,
    open_ts     BIGINT  NOT NULL,   -- the bar covers [open_ts, open_ts + interval_ms)
    open        DOUBLE  NOT NULL,
    high        DOUBLE  NOT NULL,
    low         DOUBLE  NOT NULL,
    close       DOUBLE  NOT NULL,
    source      VARCHAR NOT NULL,
    PRIMARY KEY (venue, symbol, interval_ms, open_ts)
);
CREATE TABLE IF NOT EXISTS market_stats (
    venue  VARCHAR NOT NULL,
    symbol VARCHAR NOT NULL,
    coin   VARCHAR NOT NULL,
    kind   VARCHAR NOT NULL,   -- 'open_interest_usd' | 'funding_rate'
    ts     BIGINT  NOT NULL,
    value  DOUBLE  NOT NULL,
    PRIMARY KEY (venue, symbol, kind, ts)
);
"""

STATUS_TABLES = """
CREATE TABLE IF NOT EXISTS collector_status (
    source  VARCHAR PRIMARY KEY,  -- the collector that wrote it (e.g. host:pid or a name)
    updated BIGINT  NOT NULL,     -- ms, when it was written
    doc     VARCHAR NOT NULL      -- its JSON document (feed.collector.Status for collectors)
);
"""

# Version 5. The versions in force so far are the instruments a store already holds, since always.
VERSION_TABLES = """
CREATE TABLE IF NOT EXISTS instrument_versions (
    venue         VARCHAR NOT NULL,
    symbol        VARCHAR NOT NULL,
    coin          VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    contract_size DOUBLE  NOT NULL,
    quote         VARCHAR NOT NULL,
    price_unit    DOUBLE  NOT NULL,
    source        VARCHAR NOT NULL,
    valid_from    BIGINT  NOT NULL,   -- ms; 0: since the beginning
    valid_to      BIGINT,             -- ms, exclusive; NULL: in force
    PRIMARY KEY (venue, symbol, valid_from)
);
INSERT INTO instrument_versions
SELECT venue, symbol, coin, kind, contract_size, quote, price_unit, source, 0, NULL FROM instruments
ON CONFLICT DO NOTHING;
"""

CORE_TABLES = TABLES  # version 1
TABLES += MARKET_TABLES + STATUS_TABLES  # the tables of versions 1-3

# Version 8 (DuckDB): rollup_hour rebuilt without its PRIMARY KEY, rows and order kept.
ROLLUP_UNKEYED = (
    """
CREATE OR REPLACE TABLE rollup_hour_unkeyed ("""
    + ROLLUP_HOUR_COLUMNS
    + """
);
INSERT INTO rollup_hour_unkeyed SELECT * FROM rollup_hour ORDER BY bucket;
DROP TABLE rollup_hour;
ALTER TABLE rollup_hour_unkeyed RENAME TO rollup_hour;
"""
)

# Rollup rows for a set of (new) events in relation `{source}`; {conflict} ends the statement.
ROLLUP_FROM = """
SELECT (ts - 1) // {bucket_ms} AS bucket, venue, coin, side, coverage,
       coalesce(sum(usd_units), 0)::HUGEINT, count(*), count(usd_units), max(usd_units),
       max(ts), max(recv_ts)
FROM {source}
GROUP BY ALL
"""


def rollup_added(rows: str) -> str:
    """The SET list that adds rollup rows (`rows`: their alias, e.g. PostgreSQL's `excluded`) to
    rollup_hour's rows of the same keys: both stores' upserts."""
    return f"""
    units = rollup_hour.units + {rows}.units,
    n = rollup_hour.n + {rows}.n,
    priced = rollup_hour.priced + {rows}.priced,
    max_units = greatest(rollup_hour.max_units, {rows}.max_units),
    max_ts = greatest(rollup_hour.max_ts, {rows}.max_ts),
    max_recv_ts = greatest(rollup_hour.max_recv_ts, {rows}.max_recv_ts)"""


# Rollup rows for stored events that were given a USD value (`_filled`): their sums and priced
# counts, not their counts (they were counted when stored).
ROLLUP_FILL = """
SELECT (ts - 1) // {bucket_ms} AS bucket, venue, coin, side, coverage,
       sum(usd_units)::HUGEINT, 0, count(*), max(usd_units), max(ts), max(recv_ts)
FROM _filled
GROUP BY ALL
"""

# The steps from one version to the next (for both stores) are in migrations.py.
