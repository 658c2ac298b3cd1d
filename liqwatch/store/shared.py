"""The Store methods both stores implement alike, written once (a mixin of DuckDBStore and PostgresStore).

Each store supplies `_fetch(sql, params) -> rows` (a read on a cursor of its own), its `_dialect`
(reads_sql.Dialect: the parameter marker and list matching), `_write_batch` (its bulk write of
events: DuckDB's Arrow insert and anti-join, PostgreSQL's COPY and id claims) and `_replace`
(its bulk insert-or-replace of `Keyed` rows: an Arrow table and INSERT OR REPLACE on DuckDB,
executemany of an upsert in one transaction on PostgreSQL). What differs in how they read —
DuckDB streams `events` from one cursor, PostgreSQL pages it; `summary` takes each database's
snapshot; `count` — and the gaps write (DuckDB's table has no unique key) stay in the stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple, Self

from liqwatch.analytics.history import SeriesRow
from liqwatch.catalogue_history import Version, plan
from liqwatch.feed.clock import now_ms
from liqwatch.instruments import Instrument
from liqwatch.model import Candle, Gap, Liquidation, MarketStat
from liqwatch.store import reads_sql, schema
from liqwatch.store.base import CollectorStatus, EventFilter, VenueActivity, VenueSpan
from liqwatch.store.common import ceil_div
from liqwatch.store.reads_sql import COLUMNS, Dialect, Where

H = schema.BUCKET_MS
Row = tuple[Any, ...]
_by_ts = attrgetter("ts")
_id = attrgetter("id")


@dataclass(frozen=True)
class Keyed:
    """A table written in bulk by key: a row with a stored key replaces that row (`replace`) or
    is dropped (not `replace`: the first written stays)."""

    name: str
    columns: tuple[str, ...]  # in the table's order; also the attributes `rows` reads
    key: tuple[str, ...]
    replace: bool = True

    def rows(self, items: Iterable[Any]) -> list[Row]:
        """One row per key (the last item given wins), in key order: concurrent PostgreSQL writers
        then lock rows in one order and never deadlock."""
        latest = {tuple(getattr(i, k) for k in self.key): i for i in items}
        return [tuple(getattr(i, c) for c in self.columns) for _, i in sorted(latest.items())]


INSTRUMENTS = Keyed(
    "instruments",
    ("venue", "symbol", "coin", "kind", "contract_size", "quote", "price_unit", "source"),
    ("venue", "symbol"),
)
CANDLES = Keyed("candles", tuple(Candle.__struct_fields__), ("venue", "symbol", "interval_ms", "open_ts"))
STATS = Keyed("market_stats", tuple(MarketStat.__struct_fields__), ("venue", "symbol", "kind", "ts"))
STATUS = Keyed("collector_status", ("source", "updated", "doc"), ("source",))
VERSIONS = Keyed(
    "instrument_versions", (*INSTRUMENTS.columns, "valid_from", "valid_to"), ("venue", "symbol", "valid_from")
)


class _VersionRow(NamedTuple):
    venue: str
    symbol: str
    coin: str
    kind: str
    contract_size: float
    quote: str
    price_unit: float
    source: str
    valid_from: int
    valid_to: int | None


def _version_row(v: Version) -> _VersionRow:
    i = v.instrument
    return _VersionRow(
        i.venue, i.symbol, i.coin, i.kind, i.contract_size, i.quote, i.price_unit, i.source, v.valid_from, v.valid_to
    )


def gap_rows(gaps: Iterable[Gap]) -> list[Row]:
    """The distinct gaps as (venue, start_ts, end_ts, reason) rows, in order."""
    return sorted({(g.venue, g.start, g.end, g.reason) for g in gaps})


def batch_rows(events: Sequence[Liquidation]) -> list[Liquidation]:
    """A batch's events without repeated ids (the first occurrence wins), sorted by ts."""
    ids = list(map(_id, events))
    if len(set(ids)) == len(ids):  # the usual batch: checked at C speed, no per-event Python
        times = list(map(_by_ts, events))
        return list(events) if times == sorted(times) else sorted(events, key=_by_ts)
    unique: dict[str, Liquidation] = {}
    for event in events:
        unique.setdefault(event.id, event)  # in the order of first occurrence
    return sorted(unique.values(), key=_by_ts)


class SharedStore:
    """Store methods on `_fetch`, `_dialect`, `batch_size`, `_write_batch` and `_replace` (see the
    module docstring)."""

    _dialect: Dialect
    batch_size: int

    if TYPE_CHECKING:

        def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

        def _write_batch(self, events: Sequence[Liquidation]) -> int: ...

        def _replace(self, *writes: tuple[Keyed, list[Row]]) -> None: ...

        def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writes ----------------------------------------------------------------------------

    def write_events(self, events: Sequence[Liquidation]) -> int:
        """Store the events not stored yet (idempotent on id); returns how many were new."""
        new = 0
        for start in range(0, len(events), self.batch_size):
            new += self._write_batch(events[start : start + self.batch_size])
        return new

    def write_instruments(self, instruments: Sequence[Instrument], at: int | None = None) -> None:
        """The catalogue as fetched at `at` (ms, default now): an instrument whose contract changed
        gets a new version from `at` (see catalogue_history.plan)."""
        self._write_versions(plan(self.instrument_versions(), instruments, now_ms() if at is None else at))

    def adopt_instruments(self, instruments: Sequence[Instrument]) -> None:
        """Keep the instruments the store has no version of (from the beginning); leave the rest."""
        self._write_versions(plan(self.instrument_versions(), instruments, None))

    def _write_versions(self, versions: list[Version]) -> None:
        if not versions:
            return
        current = [v.instrument for v in versions if v.valid_to is None]
        self._replace(
            (VERSIONS, VERSIONS.rows(_version_row(v) for v in versions)), (INSTRUMENTS, INSTRUMENTS.rows(current))
        )

    def write_candles(self, candles: Sequence[Candle]) -> int:
        self._replace((CANDLES, CANDLES.rows(candles)))
        return len(candles)

    def write_stats(self, stats: Sequence[MarketStat]) -> int:
        self._replace((STATS, STATS.rows(stats)))
        return len(stats)

    def write_status(self, source: str, doc: bytes, updated: int) -> None:
        self._replace((STATUS, [(source, updated, bytes(doc).decode())]))

    # --- reads -----------------------------------------------------------------------------

    def instruments(self) -> list[Instrument]:
        return [Instrument(*row) for row in self._fetch("SELECT * FROM instruments ORDER BY venue, symbol")]

    def unpriced_count(self) -> int:
        row = self._fetch("SELECT count(*) FROM events WHERE usd IS NULL")
        return int(row[0][0]) if row else 0

    def instrument_versions(self) -> list[Version]:
        columns = ", ".join(VERSIONS.columns)
        rows = self._fetch(f"SELECT {columns} FROM instrument_versions ORDER BY venue, symbol, valid_from")
        return [Version(Instrument(*row[:8]), row[8], row[9]) for row in rows]

    def largest(self, where: EventFilter, n: int = 10) -> list[Liquidation]:
        w = reads_sql.event_filter(self._dialect, where)
        rows = self._fetch(
            f"SELECT {COLUMNS} FROM events WHERE {w.sql()} AND usd_units IS NOT NULL "
            f"ORDER BY usd_units DESC, ts, id LIMIT {self._dialect.param}",
            [*w.params, max(n, 0)],
        )
        return [Liquidation(*row) for row in rows]

    def gaps(self, venue: str | None = None, since: int | None = None, until: int | None = None) -> list[Gap]:
        """Gaps overlapping (since, until], ordered by start, venue."""
        w = Where(self._dialect)
        w.add("venue =", venue)
        w.add("end_ts >", since)
        w.add("start_ts <", until)
        order = "ORDER BY start_ts, venue, end_ts, reason"
        rows = self._fetch(f"SELECT venue, start_ts, end_ts, reason FROM gaps WHERE {w.sql()} {order}", w.params)
        return [Gap(*row) for row in rows]

    def activity(self, since: int, until: int | None = None) -> list[VenueActivity]:
        """Per venue: events with since < ts <= until (no upper bound when None), newest ts and
        recv_ts (whole hours from the rollup, the partial hours at either end from the events)."""
        first = ceil_div(since, H)  # buckets >= first lie entirely after `since`
        last = 2**62 // H if until is None else max(until // H, first)  # buckets < last end by `until`
        top = 2**62 if until is None else until
        q = self._dialect.param
        rows = self._fetch(
            f"""
            WITH whole AS (
                SELECT venue, sum(n) FILTER (WHERE bucket >= {q} AND bucket < {q}) AS n,
                       max(max_ts) AS last_ts, max(max_recv_ts) AS last_recv_ts
                FROM rollup_hour GROUP BY venue),
            edge AS (SELECT venue, count(*) AS n FROM events
                     WHERE (ts > {q} AND ts <= {q}) OR (ts > {q} AND ts <= {q}) GROUP BY venue)
            SELECT venue, coalesce(whole.n, 0) + coalesce(edge.n, 0), last_ts, last_recv_ts
            FROM whole LEFT JOIN edge USING (venue) ORDER BY venue
            """,
            [first, last, since, min(first * H, top), last * H, top],
        )
        return [VenueActivity(venue, int(n), last_ts, last_recv) for venue, n, last_ts, last_recv in rows]

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
        return reads_sql.series(self._fetch, self._dialect, since, until, step, origin, coins, venues)

    def venue_spans(self) -> list[VenueSpan]:
        """Per venue: first and last event ts and the number of events (the rollup, then one hour)."""
        rows = self._fetch(
            "SELECT venue, min(bucket), max(max_ts), sum(n) FROM rollup_hour GROUP BY venue ORDER BY venue"
        )
        if not rows:
            return []
        q = self._dialect.param
        sql = " UNION ALL ".join(
            f"(SELECT {i}, min(ts) FROM events WHERE venue = {q} AND ts > {q} AND ts <= {q})" for i in range(len(rows))
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

    def candles(
        self,
        coin: str,
        interval_ms: int,
        since: int | None = None,
        until: int | None = None,
        venue: str | None = None,
    ) -> list[Candle]:
        w = Where(self._dialect, ("coin =", coin), ("interval_ms =", interval_ms))
        w.add("open_ts >=", since)
        w.add("open_ts <", until)
        w.add("venue =", venue)
        fields = ", ".join(Candle.__struct_fields__)
        rows = self._fetch(f"SELECT {fields} FROM candles WHERE {w.sql()} ORDER BY venue, symbol, open_ts", w.params)
        return [Candle(*row) for row in rows]

    def stats(self, coin: str, kind: str, since: int | None = None, until: int | None = None) -> list[MarketStat]:
        w = Where(self._dialect, ("coin =", coin), ("kind =", kind))
        w.add("ts >=", since)
        w.add("ts <=", until)
        fields = ", ".join(MarketStat.__struct_fields__)
        rows = self._fetch(f"SELECT {fields} FROM market_stats WHERE {w.sql()} ORDER BY venue, symbol, ts", w.params)
        return [MarketStat(*row) for row in rows]

    def statuses(self) -> list[CollectorStatus]:
        rows = self._fetch("SELECT source, updated, doc FROM collector_status ORDER BY source")
        return [CollectorStatus(source, int(updated), doc.encode()) for source, updated, doc in rows]
