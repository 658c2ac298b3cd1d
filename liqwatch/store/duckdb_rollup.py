"""How new events are folded into DuckDB's `rollup_hour`: one row a key, kept without an index.

Since schema 8 DuckDB's `rollup_hour` has no PRIMARY KEY. Its index cost more than anything else a
bulk write does (an import of 400,000 events in 116,000 hour × coin × side groups: the upsert 0.24 s
of the writer's 0.78 s, against 0.08 s appending the same rows to a table without the key), and
DuckDB keeps such an index whole in memory. The store stays one row a key without it: every write
is under the store's write lock, and a write first adds to the rows of its keys already there
(UPDATE), then appends the others (INSERT … ANTI JOIN). Both look only at the buckets the write
touches, which the zone maps on `bucket` prune to a few row groups. A write to hours with no rows
yet (a backfill of history, most bulk imports) is one plain append.

PostgreSQL keeps its key and its upsert (several writers at once: store/postgres_sql.py).
"""

from __future__ import annotations

import duckdb

from liqwatch.store import schema

KEY = "bucket, venue, coin, side, coverage"
COLUMNS = KEY + ", units, n, priced, max_units, max_ts, max_recv_ts"

_ADD = """
UPDATE rollup_hour SET
    units = rollup_hour.units + r.units,
    n = rollup_hour.n + r.n,
    priced = rollup_hour.priced + r.priced,
    max_units = greatest(rollup_hour.max_units, r.max_units),
    max_ts = greatest(rollup_hour.max_ts, r.max_ts),
    max_recv_ts = greatest(rollup_hour.max_recv_ts, r.max_recv_ts)
FROM _rollup r
WHERE rollup_hour.bucket BETWEEN $lo AND $hi
  AND (rollup_hour.bucket, rollup_hour.venue, rollup_hour.coin, rollup_hour.side, rollup_hour.coverage)
    = (r.bucket, r.venue, r.coin, r.side, r.coverage)
"""

_APPEND_OTHERS = f"""
INSERT INTO rollup_hour
SELECT r.* FROM _rollup r ANTI JOIN (SELECT {KEY} FROM rollup_hour WHERE bucket BETWEEN $lo AND $hi) h USING ({KEY})
"""


def merge(con: duckdb.DuckDBPyConnection, rows_sql: str, first_ts: int, last_ts: int) -> None:
    """Fold the rollup rows that `rows_sql` selects (schema.ROLLUP_FROM or ROLLUP_FILL: at most one
    a key, in COLUMNS order), all of events with ts in [first_ts, last_ts], into rollup_hour, inside
    the caller's transaction."""
    bounds = {"lo": (first_ts - 1) // schema.BUCKET_MS, "hi": (last_ts - 1) // schema.BUCKET_MS}
    held = con.execute("SELECT count(*) FROM rollup_hour WHERE bucket BETWEEN $lo AND $hi", bounds).fetchone()
    if not held or not held[0]:
        con.execute(f"INSERT INTO rollup_hour {rows_sql}")
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rollup AS SELECT * FROM ({rows_sql}) r({COLUMNS})")
    try:
        con.execute(_ADD, bounds)
        con.execute(_APPEND_OTHERS, bounds)
    finally:
        con.execute("DROP TABLE IF EXISTS _rollup")
