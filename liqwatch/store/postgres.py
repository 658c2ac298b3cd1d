"""PostgresStore: the Store protocol on PostgreSQL 14+ for shared deployments (psycopg 3, a pool).

Any number of collector and API processes may use one database at once. Tables: postgres_sql.py
(the same tables as the DuckDB store, events partitioned by month). Schema: created and migrated
by liqwatch itself (migrations.py), under an advisory lock, so processes starting together do not
race.

Writes (`write_events`), per batch of up to `batch_size` events, in one transaction:
1. drop repeated ids within the batch (first wins), check the values, make sure the monthly
   partitions exist (created on demand under an advisory lock);
2. COPY the batch into a per-connection temp table (binary COPY: no per-row INSERT);
3. claim the ids in `event_ids` (INSERT … ON CONFLICT DO NOTHING RETURNING id): a concurrent
   writer holding the same id makes this wait for its commit, then skip it, so two collectors or
   two re-imports never store one liquidation twice. The claimed rows are the new ones: they go
   into `events` and are folded into `rollup_hour` (upsert), and are announced on the live
   stream (pg_live.py);
4. a deadlock or serialization failure retries the whole batch (nothing of it was kept).

Watched wallets: wallet_shared.py (both stores); retention (`prune`, dropping whole monthly partitions):
postgres_prune.py.

Reads are the DuckDB store's queries, written once for both in their dialects (shared.py,
reads_sql.py, wallet_shared.py; `events` pages on a keyset: postgres_reads.py), and give equal
answers (tests/store/test_contract.py compares them with ==). Reads run on pooled connections;
`summary` reads one REPEATABLE READ snapshot.

Connection problems and refused stores raise StoreError with one line naming the database as
postgresql://user@host:port/dbname (never the password).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from liqwatch.analytics.summary import MAX_UNITS, UNITS_PER_USD, Summary, Window
from liqwatch.model import Gap, Liquidation
from liqwatch.store import migrations, pg_live, postgres_prune, postgres_reads, reads_sql, retention, schema
from liqwatch.store import postgres_sql as q
from liqwatch.store.base import EventFilter, StoreError, StoreNeedsUpgrade
from liqwatch.store.common import first_line
from liqwatch.store.reads_sql import POSTGRES
from liqwatch.store.retention import PruneReport
from liqwatch.store.shared import Keyed, Row, SharedStore, batch_rows, gap_rows
from liqwatch.store.wallet_shared import WalletTables

T = TypeVar("T")
H = schema.BUCKET_MS
MAX_TS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: partitions are named by year and month
LOCK_MIGRATE = 0x6C69_7177_0001  # pg_advisory_xact_lock keys ("liqw" + n)
LOCK_PARTITIONS = 0x6C69_7177_0002
RETRIES = 5


def describe(dsn: str) -> str:
    """postgresql://user@host:port/dbname for messages: never the password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    user = f"{info['user']}@" if info.get("user") else ""
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{host}{port}/{info.get('dbname') or ''}"


def month_partitions(ts_sorted: Sequence[int]) -> list[tuple[str, int, int]]:
    """(name, lo, hi) of each month holding one of the (sorted) ts; a partition holds lo < ts <= hi.

    Months hold (start, end] like the windows and the hour buckets, so an hour bucket never
    straddles two partitions and dropping a month drops whole buckets.
    """
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(ts_sorted):
        moment = datetime.fromtimestamp((ts_sorted[i] - 1) / 1000, UTC)
        start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
        end = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
        lo, hi = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
        out.append((f"events_{start.year:04d}_{start.month:02d}", lo, hi))
        i = bisect.bisect_right(ts_sorted, hi, lo=i)
    return out


def event_rows(rows: Sequence[Liquidation]) -> list[tuple[Any, ...]]:
    """The staging rows (event fields + usd_units); ValueError for a value no store can hold."""
    out = []
    for e in rows:
        if not 0 < e.ts <= MAX_TS:
            raise ValueError(f"event {e.id!r} has ts {e.ts}: ts must be epoch ms > 0 (and before year 10000)")
        units = None
        if e.usd is not None:
            try:
                units = round(e.usd * UNITS_PER_USD)
            except (ValueError, OverflowError):
                raise ValueError(f"event {e.id!r} has usd {e.usd!r}: not finite") from None
            if abs(units) > MAX_UNITS:
                raise ValueError("usd out of range (more than 9.2e10 USD in one event)")
        out.append((e.venue, e.symbol, e.coin, e.side, e.price, e.qty, e.usd, e.ts, e.recv_ts, e.coverage, e.id, units))
    return out


class PostgresStore(WalletTables, SharedStore):
    """The Store protocol on one PostgreSQL database (see the module docstring for the design)."""

    shared = True  # collectors and API servers in other processes read and write it at once
    _dialect = POSTGRES

    def __init__(
        self,
        dsn: str,
        *,
        read_only: bool = False,
        create: bool = True,
        batch_size: int = 50_000,
        live_limit: int = 5_000,
        pool_size: int = 4,
        connect_timeout_s: float = 10.0,
    ) -> None:
        self.dsn = dsn
        self.where = describe(dsn)
        self.read_only = read_only
        self.batch_size = batch_size
        self.live_limit = live_limit
        self.repriced = 0
        self._partitions: set[str] = set()
        kwargs: dict[str, Any] = {"connect_timeout": max(1, round(connect_timeout_s)), "application_name": "liqwatch"}
        try:
            with psycopg.connect(dsn, autocommit=True, **kwargs) as con:
                self._setup(con, create)
        except psycopg.Error as exc:
            raise StoreError(f"{self.where}: cannot open the store: {_first_line(exc, dsn)}") from None
        self._pool = ConnectionPool(
            dsn, min_size=1, max_size=pool_size, kwargs=kwargs, configure=self._configure, open=False, name="liqwatch"
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout_s)
        except PoolTimeout:
            self._pool.close()
            raise StoreError(f"{self.where}: cannot open a connection pool (timed out)") from None

    # --- opening ---------------------------------------------------------------------------

    def _setup(self, con: psycopg.Connection[Any], create: bool) -> None:
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_MIGRATE])
            version = self._version(con)
            if version == migrations.LATEST:
                return
            if version == 0 and not create:
                raise StoreError(f"{self.where}: no liqwatch store in this database yet (run `liqwatch run` first)")
            if self.read_only:
                raise StoreNeedsUpgrade(f"{self.where}: store needs creating or upgrading; open it once for writing")
            for step in migrations.pending(version):
                con.execute(step.sql("postgres"))
            con.execute(
                "INSERT INTO meta VALUES ('application', %s), ('schema_version', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [schema.APPLICATION, str(migrations.LATEST)],
            )

    def _version(self, con: psycopg.Connection[Any]) -> int:
        names = ("meta", "events", "rollup_hour")
        found = {n for (n,) in con.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)", [list(names)])}
        if "meta" not in found:
            if found:
                raise StoreError(f"{self.where}: has tables {', '.join(sorted(found))} but is not a liqwatch store")
            return 0
        return migrations.stored_version(self.where, dict(con.execute("SELECT key, value FROM meta").fetchall()))

    @staticmethod
    def _configure(con: psycopg.Connection[Any]) -> None:
        con.execute(q.SCRATCH)
        con.commit()

    def close(self) -> None:
        self._pool.close()

    def _run(self, work: Callable[[psycopg.Cursor[Any]], T], *, what: str = "query") -> T:
        """`work` in one transaction on a pooled connection; retried on deadlock; StoreError otherwise."""
        for attempt in range(RETRIES):
            try:
                with self._pool.connection() as con, con.transaction(), con.cursor() as cur:
                    return work(cur)
            except (errors.DeadlockDetected, errors.SerializationFailure):
                if attempt == RETRIES - 1:
                    raise StoreError(f"{self.where}: {what} failed: conflicts with other writers persisted") from None
                time.sleep(0.05 * (attempt + 1))
            except psycopg.Error as exc:
                raise StoreError(f"{self.where}: {what} failed: {_first_line(exc, self.dsn)}") from None
            except PoolTimeout:
                raise StoreError(f"{self.where}: {what} failed: no database connection (timed out)") from None
            except PoolClosed:
                raise StoreError(f"{self.where}: the store is closed") from None
        raise AssertionError("unreachable")

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(lambda cur: cur.execute(sql, params).fetchall())

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.where}: opened read-only; cannot write")

    # --- writes ----------------------------------------------------------------------------

    def _write_batch(self, events: Sequence[Liquidation]) -> int:
        rows = batch_rows(events)
        if not rows:
            return 0
        staged = event_rows(rows)
        self._check_writable()
        self._ensure_partitions([e.ts for e in rows])

        filled = [0]  # set by the attempt that commits (a deadlock retries the whole write)

        def write(cur: psycopg.Cursor[Any]) -> int:
            with cur.copy(q.COPY_STAGING) as copy:
                copy.set_types(q.STAGING_TYPES)
                for row in staged:
                    copy.write_row(row)
            cur.execute(q.CLAIM_NEW)
            new = cur.rowcount
            filled[0] = 0
            if new < len(staged) and any(e.usd is not None for e in rows):
                count = cur.execute(q.FILL_UNPRICED.format(bucket_ms=H)).fetchone()
                filled[0] = int(count[0]) if count else 0
            if new <= 0:
                return 0
            cur.execute(q.INSERT_NEW)
            cur.execute(q.ROLLUP_NEW.format(bucket_ms=H))
            if new <= self.live_limit:
                fresh = {row[0] for row in cur.execute("SELECT id FROM _new")}
                notes = pg_live.payloads([e for e in rows if e.id in fresh])
                cur.execute("SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p", [pg_live.CHANNEL, notes])
            return new

        new = self._run(write, what="write")
        self.repriced += filled[0]
        return new

    def _ensure_partitions(self, ts_sorted: list[int]) -> None:
        wanted = [p for p in month_partitions(ts_sorted) if p[0] not in self._partitions]
        if not wanted:
            return

        def create(cur: psycopg.Cursor[Any]) -> None:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_PARTITIONS])
            existing = {name for (name,) in cur.execute(postgres_reads.PARTITIONS)}
            for name, lo, hi in wanted:
                if name not in existing:
                    # FROM lo + 1 TO hi + 1: the partition holds lo < ts <= hi (see month_partitions)
                    bounds = f"FROM ({lo + 1}) TO ({hi + 1})"
                    cur.execute(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF events FOR VALUES {bounds}")

        self._run(create, what="creating monthly partitions")
        self._partitions.update(name for name, _, _ in wanted)

    def write_gaps(self, gaps: Sequence[Gap]) -> None:
        """Store gaps not stored yet (idempotent on all four fields)."""
        rows = gap_rows(gaps)
        if rows:
            self._check_writable()
            sql = "INSERT INTO gaps VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
            self._run(lambda cur: cur.executemany(sql, rows), what="write")

    def _replace(self, *writes: tuple[Keyed, list[Row]]) -> None:
        """Each table's rows upserted (or kept) by key, all in one transaction, rows in key order
        (Keyed.rows): concurrent writers lock rows in one order and never deadlock."""
        todo = [(q.upsert(keyed), rows) for keyed, rows in writes if rows]
        if not todo:
            return
        self._check_writable()

        def write(cur: psycopg.Cursor[Any]) -> None:
            for sql, rows in todo:
                cur.executemany(sql, rows)

        self._run(write, what="write")

    # --- reads -----------------------------------------------------------------------------

    def events(self, where: EventFilter, limit: int | None = None) -> Iterator[Liquidation]:
        """Matching events ordered by (ts, id), read in pages (keyset on (ts, id))."""
        return postgres_reads.events(self._fetch, where, limit)

    def count(self) -> int:
        """Stored events (from the rollup, kept in the same transactions as the events)."""
        return int(self._fetch("SELECT coalesce(sum(n), 0) FROM rollup_hour")[0][0])

    def summary(self, at: int, windows: Sequence[Window]) -> Summary:
        """Equal to analytics.summary.summarize over the stored events (tested property)."""

        def read(cur: psycopg.Cursor[Any]) -> Summary:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")  # one snapshot
            return reads_sql.summary(lambda sql, params: cur.execute(sql, params).fetchall(), POSTGRES, at, windows)

        return self._run(read)

    # --- retention -------------------------------------------------------------------------

    def prune(self, before: int, *, dry_run: bool = False) -> PruneReport:
        """Drop the months, and delete the rows, at or before the whole hour `before` (postgres_prune.py)."""
        retention.check_whole_hour(before)
        if not dry_run:
            self._check_writable()
        report = self._run(lambda cur: postgres_prune.prune(cur, before, dry_run, LOCK_PARTITIONS), what="prune")
        self._partitions.difference_update(report.partitions)
        return report


def _first_line(exc: BaseException, dsn: str = "") -> str:
    """The error's first line, with the password of `dsn` (if it shows) masked."""
    line = first_line(exc)
    try:
        password = psycopg.conninfo.conninfo_to_dict(dsn).get("password") if dsn else None
    except psycopg.ProgrammingError:
        password = None
    return line.replace(str(password), "***") if password else line
