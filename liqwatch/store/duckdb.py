"""DuckDBStore: the embedded store (one file, one writer process; reads on per-call cursors).

Writes (`write_events`), per batch of up to `batch_size` events, in one transaction:
1. drop repeated ids within the batch (first wins), sort by ts, hand the columns to DuckDB as an
   Arrow table (no per-row INSERT);
2. anti-join the batch on `id` against the stored events whose ts lies in the batch's ts range
   widened by `dedup_margin_ms` (zone maps on ts make that a scan of a few row groups, not of the
   table): an id is one liquidation, and one liquidation has one exchange time, so this finds
   every copy of it; the margin (default a day) also covers an adapter whose ts for one id
   wobbles. Copies of one id more than the margin apart in ts would both be stored: that would
   be an adapter bug, and a unique index on id that prevents it costs 2-3x the import time
   (`dedup_margin_ms=None` checks against every stored event instead: exact, slower on big stores);
3. append the new rows to `events` and fold them into `rollup_hour` (upsert on its key).

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
from operator import attrgetter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from liqwatch.analytics.history import SeriesRow
from liqwatch.analytics.summary import (
    MAX_UNITS,
    UNITS_PER_USD,
    Summary,
    Window,
)
from liqwatch.instruments import Instrument
from liqwatch.model import Candle, Gap, Liquidation, MarketStat
from liqwatch.store import migrations, reads_sql, retention, schema
from liqwatch.store.base import CollectorStatus, EventFilter, StoreError, VenueActivity, VenueSpan
from liqwatch.store.common import ceil_div, first_line
from liqwatch.store.duckdb_wallets import WalletTables
from liqwatch.store.reads_sql import DUCKDB
from liqwatch.store.retention import PruneReport

H = schema.BUCKET_MS
DAY_MS = 86_400_000
COLUMNS = ", ".join(schema.EVENT_COLUMNS)

ARROW_SCHEMA = pa.schema(
    [
        ("venue", pa.string()),
        ("symbol", pa.string()),
        ("coin", pa.string()),
        ("side", pa.string()),
        ("price", pa.float64()),
        ("qty", pa.float64()),
        ("usd", pa.float64()),
        ("ts", pa.int64()),
        ("recv_ts", pa.int64()),
        ("coverage", pa.string()),
        ("id", pa.string()),
        ("usd_units", pa.int64()),
    ]
)

_by_ts = attrgetter("ts")


def _where(where: EventFilter) -> tuple[str, list[Any]]:
    """SQL conditions (joined with AND, "TRUE" when none) and their parameters."""
    conds: list[str] = []
    params: list[Any] = []
    if where.since is not None:
        conds.append("ts > ?")
        params.append(where.since)
    if where.until is not None:
        conds.append("ts <= ?")
        params.append(where.until)
    if where.venues:
        conds.append(f"venue IN ({', '.join('?' * len(where.venues))})")
        params.extend(where.venues)
    if where.coins:
        conds.append(f"coin IN ({', '.join('?' * len(where.coins))})")
        params.extend(where.coins)
    if where.side is not None:
        conds.append("side = ?")
        params.append(where.side)
    if where.min_usd is not None:
        conds.append("usd >= ?")
        params.append(where.min_usd)
    return (" AND ".join(conds) or "TRUE"), params


class DuckDBStore(WalletTables):
    """The Store protocol on one DuckDB file (see the module docstring for the design)."""

    shared = False  # one process holds the file: its collector's status lives in a file next to it

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        batch_size: int = 500_000,
        dedup_margin_ms: int | None = DAY_MS,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.batch_size = batch_size
        self.dedup_margin_ms = dedup_margin_ms
        self._write_lock = threading.Lock()
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
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
            found = dict(self._con.execute("SELECT key, value FROM meta").fetchall())
            if found.get("application") != schema.APPLICATION:
                raise StoreError(f"{self.path}: not a liqwatch store (meta.application missing)")
            version = int(found.get("schema_version", "0"))
            refusal = migrations.too_new(self.path, version)
            if refusal:
                raise StoreError(refusal)
        if not self.read_only:
            # DuckDB's default (16 MB of WAL) checkpoints after nearly every bulk batch; 64 MB measured
            # ~35% faster imports, and a WAL of that size replays in well under a second.
            self._con.execute("SET checkpoint_threshold = '64MB'")
        if version == migrations.LATEST:
            return
        if self.read_only:
            raise StoreError(f"{self.path}: store needs creating or upgrading; open it once for writing")
        self._con.execute("BEGIN")
        try:
            for step in migrations.pending(version):
                self._con.execute(step.sql("duckdb"))
            self._con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('application', ?), ('schema_version', ?)",
                [schema.APPLICATION, str(migrations.LATEST)],
            )
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    def write_events(self, events: Sequence[Liquidation]) -> int:
        """Store the events not stored yet (idempotent on id); returns how many were new."""
        new = 0
        for start in range(0, len(events), self.batch_size):
            new += self._write_batch(events[start : start + self.batch_size])
        return new

    def _write_batch(self, events: Sequence[Liquidation]) -> int:
        unique = {e.id: e for e in reversed(events)}  # first occurrence of an id wins
        rows = sorted(unique.values(), key=_by_ts)
        if not rows:
            return 0
        if rows[0].ts <= 0:
            raise ValueError(f"event {rows[0].id!r} has ts {rows[0].ts}: ts must be epoch ms > 0")
        table = _arrow(rows)
        margin = self.dedup_margin_ms
        lo = rows[0].ts - margin if margin is not None else 0  # None: against every stored event
        hi = rows[-1].ts + margin if margin is not None else 2**63 - 1
        self._check_writable()
        with self._write_lock:
            con = self._con
            try:
                con.register("_batch", table)
                con.execute("BEGIN")
                try:
                    count = self._insert_new(con, len(rows), lo, hi)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            except duckdb.Error as exc:
                raise StoreError(f"{self.path}: write failed: {first_line(exc)}") from None
            finally:
                with contextlib.suppress(duckdb.Error):
                    con.unregister("_batch")
        return count

    @staticmethod
    def _insert_new(con: duckdb.DuckDBPyConnection, size: int, lo: int, hi: int) -> int:
        """Append the rows of `_batch` whose id is not stored yet; fold them into the rollup."""
        stored = "(SELECT id FROM events WHERE ts BETWEEN ? AND ?) e ON b.id = e.id"
        row = con.execute(f"SELECT count(*) FROM _batch b SEMI JOIN {stored}", [lo, hi]).fetchone()
        dups = int(row[0]) if row else 0
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
        con.execute(
            "INSERT INTO rollup_hour " + schema.ROLLUP_FROM.format(bucket_ms=H, source=source) + schema.ROLLUP_MERGE
        )
        if dups:
            con.execute("DROP TABLE _new")
        return size - dups

    def write_gaps(self, gaps: Sequence[Gap]) -> None:
        """Store gaps not stored yet (idempotent on all four fields)."""
        if not gaps:
            return
        table = pa.table(
            {
                "venue": [g.venue for g in gaps],
                "start_ts": [g.start for g in gaps],
                "end_ts": [g.end for g in gaps],
                "reason": [g.reason for g in gaps],
            },
            schema=pa.schema(
                [("venue", pa.string()), ("start_ts", pa.int64()), ("end_ts", pa.int64()), ("reason", pa.string())]
            ),
        )
        self._write_small("INSERT INTO gaps SELECT DISTINCT * FROM _batch EXCEPT SELECT * FROM gaps", table)

    def write_instruments(self, instruments: Sequence[Instrument]) -> None:
        """Insert or replace by (venue, symbol)."""
        if not instruments:
            return
        fields = ("venue", "symbol", "coin", "kind", "contract_size", "quote", "price_unit", "source")
        latest = {(i.venue, i.symbol): i for i in instruments}
        table = pa.table({f: [getattr(i, f) for i in latest.values()] for f in fields})
        self._write_small(f"INSERT OR REPLACE INTO instruments SELECT {', '.join(fields)} FROM _batch", table)

    def _write_small(self, sql: str, table: pa.Table) -> None:
        self._check_writable()
        with self._write_lock:
            con = self._con
            try:
                con.register("_batch", table)
                con.execute("BEGIN")
                try:
                    con.execute(sql)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            except duckdb.Error as exc:
                raise StoreError(f"{self.path}: write failed: {first_line(exc)}") from None
            finally:
                with contextlib.suppress(duckdb.Error):
                    con.unregister("_batch")

    # --- reads -----------------------------------------------------------------------------

    def instruments(self) -> list[Instrument]:
        return [Instrument(*row) for row in self._fetch("SELECT * FROM instruments ORDER BY venue, symbol")]

    def events(self, where: EventFilter, limit: int | None = None) -> Iterator[Liquidation]:
        """Matching events ordered by (ts, id), streamed in chunks."""
        cond, params = _where(where)
        sql = f"SELECT {COLUMNS} FROM events WHERE {cond} ORDER BY ts, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(limit, 0))
        cur = self._cursor()
        cur.execute(sql, params)
        return _stream(cur)

    def largest(self, where: EventFilter, n: int = 10) -> list[Liquidation]:
        cond, params = _where(where)
        rows = self._fetch(
            f"SELECT {COLUMNS} FROM events WHERE {cond} AND usd_units IS NOT NULL "
            "ORDER BY usd_units DESC, ts, id LIMIT ?",
            [*params, max(n, 0)],
        )
        return [Liquidation(*row) for row in rows]

    def count(self) -> int:
        return int(self._fetch("SELECT count(*) FROM events")[0][0])

    def gaps(self, venue: str | None = None, since: int | None = None, until: int | None = None) -> list[Gap]:
        """Gaps overlapping (since, until], ordered by start, venue."""
        conds = ["TRUE"]
        params: list[Any] = []
        if venue is not None:
            conds.append("venue = ?")
            params.append(venue)
        if since is not None:
            conds.append("end_ts > ?")
            params.append(since)
        if until is not None:
            conds.append("start_ts < ?")
            params.append(until)
        rows = self._fetch(
            f"SELECT venue, start_ts, end_ts, reason FROM gaps WHERE {' AND '.join(conds)} "
            "ORDER BY start_ts, venue, end_ts, reason",
            params,
        )
        return [Gap(*row) for row in rows]

    def activity(self, since: int) -> list[VenueActivity]:
        """Per venue: events with ts > since, newest ts and recv_ts (whole hours from the rollup)."""
        first = ceil_div(since, H)  # buckets >= first lie entirely after `since`
        rows = self._fetch(
            """
            WITH whole AS (
                SELECT venue, sum(n) FILTER (WHERE bucket >= ?) AS n,
                       max(max_ts) AS last_ts, max(max_recv_ts) AS last_recv_ts
                FROM rollup_hour GROUP BY venue),
            edge AS (SELECT venue, count(*) AS n FROM events WHERE ts > ? AND ts <= ? GROUP BY venue)
            SELECT venue, coalesce(whole.n, 0) + coalesce(edge.n, 0), last_ts, last_recv_ts
            FROM whole LEFT JOIN edge USING (venue) ORDER BY venue
            """,
            [first, since, first * H],
        )
        return [VenueActivity(venue, int(n), last_ts, last_recv) for venue, n, last_ts, last_recv in rows]

    def summary(self, at: int, windows: Sequence[Window]) -> Summary:
        """Equal to analytics.summary.summarize over the stored events (tested property)."""
        with self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")  # one snapshot for all the queries of the summary
            try:
                return reads_sql.summary(lambda sql, params: cur.execute(sql, params).fetchall(), DUCKDB, at, windows)
            finally:
                cur.execute("COMMIT")

    # --- history ---------------------------------------------------------------------------

    def series(
        self,
        since: int,
        until: int,
        step: int,
        *,
        origin: int = 0,
        coins: Sequence[str] = (),
        venues: Sequence[str] = (),
    ) -> list[SeriesRow]:
        """Equal to analytics.history.series over the stored events (tested property)."""
        return reads_sql.series(self._fetch, DUCKDB, since, until, step, origin, coins, venues)

    def venue_spans(self) -> list[VenueSpan]:
        """Per venue: first and last event ts and the number of events (the rollup, then one hour)."""
        rows = self._fetch(
            "SELECT venue, min(bucket), max(max_ts), sum(n) FROM rollup_hour GROUP BY venue ORDER BY venue"
        )
        if not rows:
            return []
        sql = " UNION ALL ".join(
            f"(SELECT {i}, min(ts) FROM events WHERE venue = ? AND ts > ? AND ts <= ?)" for i in range(len(rows))
        )
        params: list[Any] = []
        for venue, bucket, _, _ in rows:
            params += [venue, int(bucket) * H, (int(bucket) + 1) * H]
        first = {int(i): ts for i, ts in self._fetch(sql, params)}
        return [
            VenueSpan(venue, int(first[i]), int(last), int(n))
            for i, (venue, _, last, n) in enumerate(rows)
            if first.get(i) is not None
        ]

    # --- prices and market statistics --------------------------------------------------------

    def write_candles(self, candles: Sequence[Candle]) -> int:
        if not candles:
            return 0
        latest = {(c.venue, c.symbol, c.interval_ms, c.open_ts): c for c in candles}
        fields = list(Candle.__struct_fields__)
        table = pa.table({f: [getattr(c, f) for c in latest.values()] for f in fields})
        self._write_small(f"INSERT OR REPLACE INTO candles SELECT {', '.join(fields)} FROM _batch", table)
        return len(candles)

    def candles(
        self,
        coin: str,
        interval_ms: int,
        since: int | None = None,
        until: int | None = None,
        venue: str | None = None,
    ) -> list[Candle]:
        conds = ["coin = ?", "interval_ms = ?"]
        params: list[Any] = [coin, interval_ms]
        if since is not None:
            conds.append("open_ts >= ?")
            params.append(since)
        if until is not None:
            conds.append("open_ts < ?")
            params.append(until)
        if venue is not None:
            conds.append("venue = ?")
            params.append(venue)
        fields = ", ".join(Candle.__struct_fields__)
        rows = self._fetch(
            f"SELECT {fields} FROM candles WHERE {' AND '.join(conds)} ORDER BY venue, symbol, open_ts", params
        )
        return [Candle(*row) for row in rows]

    def write_stats(self, stats: Sequence[MarketStat]) -> int:
        if not stats:
            return 0
        latest = {(s.venue, s.symbol, s.kind, s.ts): s for s in stats}
        fields = list(MarketStat.__struct_fields__)
        table = pa.table({f: [getattr(s, f) for s in latest.values()] for f in fields})
        self._write_small(f"INSERT OR REPLACE INTO market_stats SELECT {', '.join(fields)} FROM _batch", table)
        return len(stats)

    def stats(self, coin: str, kind: str, since: int | None = None, until: int | None = None) -> list[MarketStat]:
        conds = ["coin = ?", "kind = ?"]
        params: list[Any] = [coin, kind]
        if since is not None:
            conds.append("ts >= ?")
            params.append(since)
        if until is not None:
            conds.append("ts <= ?")
            params.append(until)
        fields = ", ".join(MarketStat.__struct_fields__)
        rows = self._fetch(
            f"SELECT {fields} FROM market_stats WHERE {' AND '.join(conds)} ORDER BY venue, symbol, ts", params
        )
        return [MarketStat(*row) for row in rows]

    # --- collector status ------------------------------------------------------------------

    def write_status(self, source: str, doc: bytes, updated: int) -> None:
        table = pa.table({"source": [source], "updated": [updated], "doc": [bytes(doc).decode()]})
        self._write_small("INSERT OR REPLACE INTO collector_status SELECT source, updated, doc FROM _batch", table)

    def statuses(self) -> list[CollectorStatus]:
        rows = self._fetch("SELECT source, updated, doc FROM collector_status ORDER BY source")
        return [CollectorStatus(source, int(updated), doc.encode()) for source, updated, doc in rows]

    # --- retention -------------------------------------------------------------------------

    def prune(self, before: int, *, dry_run: bool = False) -> PruneReport:
        """Delete everything at or before the whole hour `before` (store/retention.py), in one transaction."""
        if before % H:
            raise ValueError(f"prune cutoff {before} is not a whole hour (see retention.check_cutoff)")
        if not dry_run:
            self._check_writable()
        targets = [("events", "ts <= ?", before)] + [
            (table, cond.format("?"), value) for table, cond, value in retention.side_tables(before)
        ]
        removed: dict[str, int] = {}
        with self._write_lock:
            con = self._con
            try:
                con.execute("BEGIN")
                try:
                    for table, cond, value in targets:
                        row = con.execute(f"SELECT count(*) FROM {table} WHERE {cond}", [value]).fetchone()
                        removed[table] = int(row[0]) if row else 0
                        if removed[table] and not dry_run:
                            con.execute(f"DELETE FROM {table} WHERE {cond}", [value])
                    con.execute("ROLLBACK" if dry_run else "COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            except duckdb.Error as exc:
                raise StoreError(f"{self.path}: prune failed: {first_line(exc)}") from None
        return PruneReport(before, dry_run, removed)


def _arrow(rows: list[Liquidation]) -> pa.Table:
    usd = [e.usd for e in rows]
    try:
        units = [None if u is None else round(u * UNITS_PER_USD) for u in usd]
    except (ValueError, OverflowError):
        bad = next(e for e in rows if e.usd is not None and not (abs(e.usd) < float("inf")))
        raise ValueError(f"event {bad.id!r} has usd {bad.usd!r}: not finite") from None
    present = [u for u in units if u is not None]
    if present and max(max(present), -min(present)) > MAX_UNITS:
        raise ValueError("usd out of range (more than 9.2e10 USD in one event)")
    return pa.Table.from_arrays(
        [
            pa.array([e.venue for e in rows], pa.string()),
            pa.array([e.symbol for e in rows], pa.string()),
            pa.array([e.coin for e in rows], pa.string()),
            pa.array([e.side for e in rows], pa.string()),
            pa.array([e.price for e in rows], pa.float64()),
            pa.array([e.qty for e in rows], pa.float64()),
            pa.array(usd, pa.float64()),
            pa.array([e.ts for e in rows], pa.int64()),
            pa.array([e.recv_ts for e in rows], pa.int64()),
            pa.array([e.coverage for e in rows], pa.string()),
            pa.array([e.id for e in rows], pa.string()),
            pa.array(units, pa.int64()),
        ],
        schema=ARROW_SCHEMA,
    )


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
