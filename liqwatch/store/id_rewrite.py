"""Migration step 5: stored event ids rewritten to the one-id-across-sources form (venues/ids.py).

Stores written before it hold ids that differ by source for the same liquidation (Bybit price
text `45171.00` vs `45171`, OKX side/posSide, Deribit `M`/`T`): the same liquidation imported
from a journal and from a Tardis CSV is stored twice. This step, in the migration's transaction:
1. computes every event's canonical id (`ids.canonical_id`, pure Python: the rule lives in one
   place) and keeps the rows whose id changes in a temporary `_id_map`;
2. where ids collapse, keeps ONE event: a row that already holds the canonical id, else the
   priced one received first; the others are deleted (`_id_drop`);
3. renames the rest, and rebuilds `rollup_hour` for the hours that lost events (PostgreSQL: its
   `event_ids` registry follows too).
Idempotent: canonical ids map to themselves, so a second run finds nothing to change.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from liqwatch.store.schema import BUCKET_MS
from liqwatch.venues.ids import canonical_id

Dialect = Literal["duckdb", "postgres"]

# Venues whose ids of schema ≤ 4 can differ from the canonical form (bitmex ids never do).
VENUES = ("binance_usdm", "binance_coinm", "bybit", "okx", "deribit", "bitget", "gate")
_VENUES_SQL = ", ".join(f"'{venue}'" for venue in VENUES)
_CHUNK = 50_000
_CSV_COLUMNS = "{'old_id': 'VARCHAR', 'new_id': 'VARCHAR', 'ts': 'BIGINT', 'recv_ts': 'BIGINT', 'priced': 'BOOLEAN'}"
_ROWS_PER_INSERT = 500


def rewrite_ids(con: Any, dialect: Dialect) -> None:
    """Rewrite stored ids on `con` (a DuckDB connection or a psycopg connection) inside its transaction."""
    mark = "?" if dialect == "duckdb" else "%s"
    con.execute("DROP TABLE IF EXISTS _id_map")
    con.execute("DROP TABLE IF EXISTS _id_drop")
    con.execute(
        "CREATE TEMP TABLE _id_map (old_id VARCHAR NOT NULL, new_id VARCHAR NOT NULL, "
        "ts BIGINT NOT NULL, recv_ts BIGINT NOT NULL, priced BOOLEAN NOT NULL)"
    )
    with tempfile.TemporaryDirectory(prefix="liqwatch-ids-") as scratch:
        for n, rows in enumerate(_candidates(con, dialect)):
            changed = []
            for venue, old, side, ts, recv_ts, priced in rows:
                new = canonical_id(venue, old, side)
                if new != old:
                    changed.append((old, new, ts, recv_ts, priced))
            if dialect == "duckdb" and changed:  # DuckDB binds parameters slowly: load a CSV instead
                path = Path(scratch) / f"{n}.csv"
                with path.open("w", newline="") as out:
                    csv.writer(out).writerows(changed)
                con.execute(
                    f"INSERT INTO _id_map SELECT * FROM read_csv(?, header = false, columns = {_CSV_COLUMNS})",
                    [str(path)],
                )
            else:
                _insert(con, changed, mark)
    div = "//" if dialect == "duckdb" else "/"
    con.execute(
        """CREATE TEMP TABLE _id_drop AS
        SELECT old_id, ts FROM (
            SELECT old_id, ts, new_id IN (SELECT id FROM events) AS held,
                   row_number() OVER (PARTITION BY new_id ORDER BY priced DESC, recv_ts, old_id) AS rank
            FROM _id_map) ranked
        WHERE held OR rank > 1"""
    )
    con.execute("DELETE FROM events WHERE id IN (SELECT old_id FROM _id_drop)")
    con.execute(
        "UPDATE events SET id = m.new_id FROM _id_map m "
        "WHERE events.id = m.old_id AND m.old_id NOT IN (SELECT old_id FROM _id_drop)"
    )
    hours = f"SELECT DISTINCT (ts - 1) {div} {BUCKET_MS} FROM _id_drop"
    con.execute(f"DELETE FROM rollup_hour WHERE bucket IN ({hours})")
    total = "coalesce(sum(usd_units), 0)" + ("::HUGEINT" if dialect == "duckdb" else "")
    con.execute(
        f"""INSERT INTO rollup_hour
        SELECT (ts - 1) {div} {BUCKET_MS}, venue, coin, side, coverage, {total}, count(*),
               count(usd_units), max(usd_units), max(ts), max(recv_ts)
        FROM events WHERE (ts - 1) {div} {BUCKET_MS} IN ({hours})
        GROUP BY 1, 2, 3, 4, 5"""
    )
    if dialect == "postgres":
        con.execute("DELETE FROM event_ids WHERE id IN (SELECT old_id FROM _id_map)")
        con.execute(
            "INSERT INTO event_ids (id, ts) SELECT new_id, min(ts) FROM _id_map "
            "WHERE old_id NOT IN (SELECT old_id FROM _id_drop) GROUP BY new_id ON CONFLICT (id) DO NOTHING"
        )
    con.execute("DROP TABLE _id_map")
    con.execute("DROP TABLE _id_drop")


def _candidates(con: Any, dialect: Dialect) -> Iterator[list[tuple[str, str, str, int, int, bool]]]:
    """The events of VENUES in chunks, read on `con` itself (inside the migration's transaction)."""
    query = f"SELECT venue, id, side, ts, recv_ts, usd IS NOT NULL FROM events WHERE venue IN ({_VENUES_SQL})"
    if dialect == "postgres":
        with con.cursor(name="liqwatch_id_rewrite") as cur:  # server-side: streams, whatever the size
            cur.execute(query)
            while rows := cur.fetchmany(_CHUNK):
                yield rows
        return
    # DuckDB: a second cursor would not see this transaction, and a result is lost once `con`
    # executes again (the inserts), so read whole rowid ranges.
    (end,) = con.execute("SELECT coalesce(max(rowid) + 1, 0) FROM events").fetchone()
    for start in range(0, end, _CHUNK):
        yield con.execute(f"{query} AND rowid >= ? AND rowid < ?", [start, start + _CHUNK]).fetchall()


def _insert(con: Any, rows: list[tuple[str, str, int, int, bool]], mark: str) -> None:
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        batch = rows[start : start + _ROWS_PER_INSERT]
        values = ", ".join([f"({mark}, {mark}, {mark}, {mark}, {mark})"] * len(batch))
        con.execute(f"INSERT INTO _id_map VALUES {values}", [x for row in batch for x in row])
