"""How new events are folded into DuckDB's `rollup_hour`: one row a key, kept without an index.

Since schema 8 DuckDB's `rollup_hour` has no PRIMARY KEY. Its index cost more than anything else a
bulk write does (an import of 400,000 events in 116,000 hour × coin × side groups: the upsert 0.24 s
of the writer's 0.78 s, against 0.08 s appending the same rows to a table without the key), and
DuckDB keeps such an index whole in memory. The store stays one row a key without it: every write
is under the store's write lock, and one MERGE adds a write's rows to those of their keys already
there and appends the others, looking only at the buckets the write touches (the zone maps on
`bucket` prune the rest). A collector's write of 100 events: ~4 ms, against ~6 ms as an UPDATE and
an INSERT … ANTI JOIN.

PostgreSQL keeps its key and its upsert (several writers at once: store/postgres_sql.py).
"""

from __future__ import annotations

import duckdb

from liqwatch.store import schema

KEY = "bucket, venue, coin, side, coverage"
COLUMNS = KEY + ", units, n, priced, max_units, max_ts, max_recv_ts"

_MERGE = f"""
MERGE INTO rollup_hour USING (SELECT * FROM ({{rows}}) r({COLUMNS})) r
ON rollup_hour.bucket BETWEEN $lo AND $hi
   AND (rollup_hour.bucket, rollup_hour.venue, rollup_hour.coin, rollup_hour.side, rollup_hour.coverage)
     = (r.bucket, r.venue, r.coin, r.side, r.coverage)
WHEN MATCHED THEN UPDATE SET{schema.rollup_added("r")}
WHEN NOT MATCHED THEN INSERT VALUES ({", ".join("r." + name for name in COLUMNS.split(", "))})
"""


def merge(con: duckdb.DuckDBPyConnection, rows_sql: str, first_ts: int, last_ts: int) -> None:
    """Fold the rollup rows that `rows_sql` selects (schema.ROLLUP_FROM or ROLLUP_FILL: at most one
    a key, in COLUMNS order), all of events with ts in [first_ts, last_ts], into rollup_hour, inside
    the caller's transaction."""
    bounds = {"lo": (first_ts - 1) // schema.BUCKET_MS, "hi": (last_ts - 1) // schema.BUCKET_MS}
    con.execute(_MERGE.format(rows=rows_sql), bounds)
