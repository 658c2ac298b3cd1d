"""DuckDBStore: the embedded store (one file, one writer process; reads on per-call cursors).

Writes (`write_events`), per batch of up to `batch_size` events, in one transaction:
1. drop repeated ids within the batch (first wins), sort by ts, hand the columns to DuckDB as an
   Arrow table (no per-row INSERT), or a small batch as SQL parameters (store/duckdb_batch.py);
2. anti-join the batch on `id` against the stored events whose ts lies in the batch's ts range
   widened by `dedup_margin_ms` (zone maps on ts make that a scan of a few row groups, not of the
   table): an id is one liquidation, and one liquidation has one exchange time, so this finds
   every copy of it; the margin (default a day) also covers an adapter whose ts for one id
   wobbles. Copies of one id more than the margin apart in ts would both be stored: that would
   be an adapter bug, and a unique index on id that prevents it costs 2-3x the import time
   (`dedup_margin_ms=None` checks against every stored event instead: exact, slower on big stores);
3. append the new rows to `events` and fold them into `rollup_hour` (one row a key, kept without
   an index: store/duckdb_rollup.py).

Summaries read `rollup_hour` for the whole hours of a window and `events` only for the partial
hours at its edges and to fetch the single largest event, so their cost does not grow with the
number of stored events or with the event rate inside the window.

Nothing here deletes or rewrites stored rows except `prune` (retention, store/retention.py). A
file that cannot be opened (locked by another process, not a DuckDB file, not a liqwatch store,
written by a newer liqwatch) raises StoreError.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from liqwatch.analytics.summary import Summary, Window
from liqwatch.model import Gap, Liquidation
from liqwatch.store import duckdb_rollup, migrations, reads_sql, retention, schema
from liqwatch.store.aggregate_shared import AggregateTables
from liqwatch.store.base import EventFilter, StoreError, StoreNeedsUpgrade
from liqwatch.store.common import first_line
from liqwatch.store.duckdb_batch import Batch, TableBatch, event_batch, rows_batch
from liqwatch.store.event_arrow import distinct_sorted
from liqwatch.store.reads_sql import DUCKDB
from liqwatch.store.retention import PruneReport
from liqwatch.store.shared import Keyed, Row, SharedStore, batch_rows, gap_rows
from liqwatch.store.wallet_shared import WalletTables

H = schema.BUCKET_MS
DAY_MS = 86_400_000


CLOSE_WAIT_S = 60.0  # close() waits this long at most for a write in progress


class DuckDBStore(AggregateTables, WalletTables, SharedStore):
    """The Store protocol on one DuckDB file (see the module docstring for the design; the reads
    both stores share: store/shared.py, store/wallet_shared.py)."""

    shared = False  # one process holds the file: its collector's status lives in a file next to it
    _dialect = DUCKDB

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        batch_size: int = 500_000,
        dedup_margin_ms: int | None = DAY_MS,
        memory_limit: str = "512MB",
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.batch_size = batch_size
        self.dedup_margin_ms = dedup_margin_ms
        self.repriced = 0
        self._write_lock = threading.Lock()
        try:
            # DuckDB caches blocks until its memory limit (80 % of RAM by default): a collector that
            # runs for months would come to hold much of its file in memory. Queries that need more
            # spill to disk.
            self._con = duckdb.connect(self.path, read_only=read_only, config={"memory_limit": memory_limit})
        except duckdb.Error as exc:
            raise StoreError(self._explain(exc)) from None
        try:
            self._setup()
        except StoreError:
            self._con.close()
            raise
        except duckdb.Error as exc:
            self._con.close()
            raise StoreError(f"{self.path}: cannot use this store: {first_line(exc)}") from None

    # --- opening ---------------------------------------------------------------------------

    def _explain(self, exc: duckdb.Error) -> str:
        text = first_line(exc)
        low = text.lower()
        if "could not set lock" in low or "conflicting lock" in low:
            return (
                f"{self.path}: the store is in use by another process (DuckDB allows one writer; "
                f"stop it, or read through its API): {text}"
            )
        if "not a valid duckdb database" in low:
            return f"{self.path}: not a DuckDB database file (nothing was changed): {text}"
        if "corrupt" in low or "checksum" in low:
            return f"{self.path}: damaged, or not a DuckDB database file (nothing was changed): {text}"
        return f"{self.path}: cannot open the store: {text}"

    def _setup(self) -> None:
        tables = {row[0] for row in self._con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if tables and "meta" not in tables:
            raise StoreError(
                f"{self.path}: a DuckDB database but not a liqwatch store "
                f"(it has tables {', '.join(sorted(tables)[:5])}); nothing was changed"
            )
        version = 0
        if tables:
            meta = dict(self._con.execute("SELECT key, value FROM meta").fetchall())
            version = migrations.stored_version(self.path, meta)
        if not self.read_only:
            # DuckDB's default (16 MB of WAL) checkpoints after nearly every bulk batch; 64 MB measured
            # ~35% faster imports, and a WAL of that size replays in well under a second.
            self._con.execute("SET checkpoint_threshold = '64MB'")
        if version == migrations.LATEST:
            return
        if self.read_only:
            raise StoreNeedsUpgrade(f"{self.path}: store needs creating or upgrading; open it once for writing")
        self._con.execute("BEGIN")
        try:
            for step in migrations.pending(version):
                if step.sql("duckdb"):
                    self._con.execute(step.sql("duckdb"))
                if step.rewrite is not None:
                    step.rewrite(self._con, "duckdb")
            self._con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('application', ?), ('schema_version', ?)",
                [schema.APPLICATION, str(migrations.LATEST)],
            )
            self._con.execute("COMMIT")
        except BaseException:
            _rollback(self._con)
            raise

    def close(self) -> None:
        # A write still running on another thread (a cancelled task's asyncio.to_thread goes on) is let
        # finish: closing under it fails with "connection is busy" and loses the closing checkpoint.
        waited = self._write_lock.acquire(timeout=CLOSE_WAIT_S)
        try:
            self._con.close()
        except duckdb.Error as exc:  # the closing checkpoint on a full disk: the WAL still holds the writes
            raise StoreError(f"{self.path}: closing failed: {first_line(exc)}") from None
        finally:
            if waited:
                self._write_lock.release()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for one read: reads may come from any thread."""
        try:
            return self._con.cursor()
        except duckdb.ConnectionException as exc:
            raise StoreError(f"{self.path}: the store is closed") from exc

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            return cur.execute(sql, params).fetchall()

    # --- writes ----------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only; cannot write")

    @contextlib.contextmanager
    def _transaction(
        self, what: str = "write", batch: Batch | None = None, *, commit: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection in one transaction under the write lock (rolled back unless `commit`),
        with `batch` attached as `_batch`; a DuckDB error becomes StoreError."""
        with self._write_lock:
            con = self._con
            try:
                if batch is not None:
                    batch.attach(con)
                con.execute("BEGIN")
                try:
                    yield con
                    con.execute("COMMIT" if commit else "ROLLBACK")
                except BaseException:
                    _rollback(con)  # the first error is the cause ("No space left on device"), not this one
                    raise
            except duckdb.Error as exc:
                raise StoreError(f"{self.path}: {what} failed: {first_line(exc)}") from None
            finally:
                if batch is not None:
                    with contextlib.suppress(duckdb.Error):
                        batch.detach(con)

    def _write_batch(self, events: Sequence[Liquidation]) -> int:
        rows = batch_rows(events)
        if not rows:
            return 0
        if rows[0].ts <= 0:
            raise ValueError(f"event {rows[0].id!r} has ts {rows[0].ts}: ts must be epoch ms > 0")
        return self._insert_batch(event_batch(rows), rows[0].ts, rows[-1].ts)

    def _insert_batch(self, batch: Batch, first_ts: int, last_ts: int) -> int:
        """Write a batch of distinct events sorted by ts (first_ts … last_ts): its new ones."""
        margin = self.dedup_margin_ms
        lo = first_ts - margin if margin is not None else 0  # None: against every stored event
        hi = last_ts + margin if margin is not None else 2**63 - 1
        self._check_writable()
        with self._transaction(batch=batch) as con:
            return self._insert_new(con, batch.size, (lo, hi), (first_ts, last_ts))

    @contextlib.contextmanager
    def one_thread(self) -> Iterator[None]:
        """DuckDB works on one thread within the block. An import's writes take ~40 % less CPU
        and less time so (150,000-row batches, measured on 2 cores: DuckDB's second thread costs more
        than it gives), and its parsing has the other cores."""
        with self._write_lock:  # the connection takes one call at a time
            self._con.execute("SET threads = 1")
        try:
            yield
        finally:
            with self._write_lock, contextlib.suppress(duckdb.Error):
                self._con.execute("RESET threads")

    def write_event_table(self, table: Any, distinct: bool = False) -> int:
        """write_events for events as an Arrow table of event_arrow.EVENT_COLUMNS (an import's
        worker processes make them: event_arrow.event_table); returns how many were new. `distinct`:
        the table is one batch already without repeated ids and sorted by ts (distinct_sorted: an
        import makes it so on its own thread, beside the store's writing)."""
        new = 0
        size = self.batch_size
        batches = (
            [table] if distinct else (distinct_sorted(table.slice(at, size)) for at in range(0, table.num_rows, size))
        )
        for rows in batches:
            if not rows.num_rows:
                continue
            times = rows.column("ts")
            first, last = times[0].as_py(), times[-1].as_py()
            if first <= 0:
                raise ValueError(f"an event has ts {first}: ts must be epoch ms > 0")
            new += self._insert_batch(TableBatch(rows), first, last)
        return new

    def _insert_new(
        self, con: duckdb.DuckDBPyConnection, size: int, dedup: tuple[int, int], times: tuple[int, int]
    ) -> int:
        """Append the rows of `_batch` (ts within `times`) whose id is not stored with a ts within
        `dedup`; fold them into the rollup. Stored events without a USD value that the batch prices
        are given it (see _fill_unpriced)."""
        lo, hi = dedup
        stored = "(SELECT id, usd FROM events WHERE ts BETWEEN ? AND ?) e ON b.id = e.id"
        row = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE e.usd IS NULL AND b.usd IS NOT NULL) FROM _batch b JOIN {stored}",
            [lo, hi],
        ).fetchone()
        dups, fillable = (int(row[0]), int(row[1])) if row else (0, 0)
        if fillable:
            self.repriced += self._fill_unpriced(con, dedup, times)
        if dups == size:
            return 0
        source = "_batch"  # sorted by ts
        if dups:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _new AS SELECT b.* FROM _batch b ANTI JOIN {stored} ORDER BY ts",
                [lo, hi],
            )
            source = "_new"
        con.execute(f"INSERT INTO events SELECT * FROM {source}")
        duckdb_rollup.merge(con, schema.ROLLUP_FROM.format(bucket_ms=H, source=source), *times)
        if dups:
            con.execute("DROP TABLE _new")
        return size - dups

    @staticmethod
    def _fill_unpriced(con: duckdb.DuckDBPyConnection, dedup: tuple[int, int], times: tuple[int, int]) -> int:
        """Give stored events without a USD value the batch's (same id, time and rollup key), and
        add them to the rollup's sums; returns how many."""
        lo, hi = dedup
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _filled AS "
            "SELECT e.id, e.ts, e.venue, e.coin, e.side, e.coverage, e.recv_ts, b.qty, b.usd, b.usd_units "
            "FROM _batch b JOIN events e ON b.id = e.id AND b.ts = e.ts "
            "WHERE e.ts BETWEEN ? AND ? AND e.usd IS NULL AND b.usd IS NOT NULL "
            "AND (e.venue, e.coin, e.side, e.coverage) = (b.venue, b.coin, b.side, b.coverage)",
            [lo, hi],
        )
        row = con.execute("SELECT count(*) FROM _filled").fetchone()
        filled = int(row[0]) if row else 0
        if filled:
            con.execute(
                "UPDATE events SET qty = f.qty, usd = f.usd, usd_units = f.usd_units FROM _filled f "
                "WHERE events.id = f.id AND events.ts = f.ts AND events.usd IS NULL"
            )
            duckdb_rollup.merge(con, schema.ROLLUP_FILL.format(bucket_ms=H), *times)  # the batch's own times
        con.execute("DROP TABLE _filled")
        return filled

    def write_gaps(self, gaps: Sequence[Gap]) -> None:
        """Store gaps not stored yet (idempotent on all four fields)."""
        if not gaps:
            return
        batch = rows_batch("gaps", ("venue", "start_ts", "end_ts", "reason"), gap_rows(gaps))
        self._write_small("INSERT INTO gaps SELECT DISTINCT * FROM _batch EXCEPT SELECT * FROM gaps", batch)

    def _replace(self, *writes: tuple[Keyed, list[Row]]) -> None:
        """Each table's rows inserted or replaced (kept) by key: one transaction each."""
        for keyed, rows in writes:
            if not rows:
                continue
            batch = rows_batch(keyed.name, keyed.columns, rows)
            select = f"SELECT {', '.join(keyed.columns)} FROM _batch"
            if keyed.replace:
                self._write_small(f"INSERT OR REPLACE INTO {keyed.name} {select}", batch)
            else:
                key = ", ".join(keyed.key)
                self._write_small(f"INSERT INTO {keyed.name} {select} ON CONFLICT ({key}) DO NOTHING", batch)

    def _write_small(self, sql: str, batch: Batch) -> None:
        self._check_writable()
        with self._transaction(batch=batch) as con:
            con.execute(sql)

    # --- reads -----------------------------------------------------------------------------

    def events(self, where: EventFilter, limit: int | None = None) -> Iterator[Liquidation]:
        """Matching events ordered by (ts, id), streamed in chunks."""
        sql, params = reads_sql.events_sql(DUCKDB, where, limit)
        cur = self._cursor()
        cur.execute(sql, params)
        return _stream(cur)

    def count(self) -> int:
        return int(self._fetch("SELECT count(*) FROM events")[0][0])

    def summary(self, at: int, windows: Sequence[Window]) -> Summary:
        """Equal to analytics.summary.summarize over the stored events (tested property)."""
        with self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")  # one snapshot for all the queries of the summary
            try:
                return reads_sql.summary(lambda sql, params: cur.execute(sql, params).fetchall(), DUCKDB, at, windows)
            finally:
                cur.execute("COMMIT")

    # --- retention -------------------------------------------------------------------------

    def prune(self, before: int, *, dry_run: bool = False) -> PruneReport:
        """Delete everything at or before the whole hour `before` (store/retention.py), in one transaction."""
        retention.check_whole_hour(before)
        if not dry_run:
            self._check_writable()
        targets = [("events", "ts <= ?", before)] + [
            (table, cond.format("?"), value) for table, cond, value in retention.side_tables(before)
        ]
        removed: dict[str, int] = {}
        with self._transaction("prune", commit=not dry_run) as con:
            for table, cond, value in targets:
                row = con.execute(f"SELECT count(*) FROM {table} WHERE {cond}", [value]).fetchone()
                removed[table] = int(row[0]) if row else 0
                if removed[table] and not dry_run:
                    con.execute(f"DELETE FROM {table} WHERE {cond}", [value])
        return PruneReport(before, dry_run, removed)


def _stream(cur: duckdb.DuckDBPyConnection) -> Iterator[Liquidation]:
    try:
        while True:
            rows = cur.fetchmany(10_000)
            if not rows:
                return
            for row in rows:
                yield Liquidation(*row)
    finally:
        cur.close()


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back whatever is open. A failed COMMIT may have ended the transaction already, and
    its ROLLBACK's own error ("no transaction is active") must never hide the real cause."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")
