"""The small interface every store implements: DuckDB (store/duckdb.py) and PostgreSQL (store/postgres.py).

Writes are idempotent on the event id: writing the same event twice stores it once.
Every store raises StoreError (one line, naming the store) for what the user can fix: a locked
file, a file that is not a store, a store written by a newer liqwatch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

import msgspec

from liqwatch.instruments import Instrument
from liqwatch.model import Candle, Gap, Liquidation, MarketStat

if TYPE_CHECKING:
    from liqwatch.aggregates import AggregateRow
    from liqwatch.analytics.history import SeriesRow
    from liqwatch.analytics.summary import Summary
    from liqwatch.catalogue_history import Version
    from liqwatch.store.aggregate_shared import AggregateSeries
    from liqwatch.store.retention import PruneReport
    from liqwatch.wallets.model import PositionSnapshot, WalletFill, WalletPoll, WalletSet


class StoreError(Exception):
    """A store that cannot be opened or used, with a one-line message naming it."""


class StoreNeedsUpgrade(StoreError):
    """Opened read-only, a store that must first be created or migrated by a writer."""


class EventFilter(msgspec.Struct, frozen=True):
    since: int | None = None  # ts > since (ms)
    until: int | None = None  # ts <= until (ms)
    venues: tuple[str, ...] = ()
    coins: tuple[str, ...] = ()
    side: str | None = None  # "long" | "short"
    min_usd: float | None = None


class VenueActivity(msgspec.Struct, frozen=True):
    venue: str
    events: int  # events with ts > since
    last_ts: int | None  # newest event ts of the venue, any time
    last_recv_ts: int | None


class VenueSpan(msgspec.Struct, frozen=True):
    """A venue's stored history: its first and last event times and how many events."""

    venue: str
    first_ts: int
    last_ts: int
    events: int


class CollectorStatus(msgspec.Struct, frozen=True):
    """The newest status document one collector process wrote (see Store.write_status)."""

    source: str  # who wrote it: e.g. "host:pid", or a collector's name
    updated: int  # ms, when it was written (the writer's clock)
    doc: bytes  # the JSON document as written (a feed.collector.Status for collectors)


class WalletStore(Protocol):
    """The watched-wallets part of every store (both stores: store/wallet_shared.py; tables:
    store/wallet_sql.py)."""

    def write_wallet_set(self, wallet_set: WalletSet, ts: int) -> None:
        """Record a watched set (hash, rule, members) the first time it is seen."""
        ...

    def wallet_sets(self) -> list[tuple[str, str, str, int]]:
        """(hash, rule, members JSON, first ts) of every recorded set, oldest first."""
        ...

    def write_positions(self, polls: Sequence[WalletPoll]) -> int:
        """Insert or replace polls by (wallet, ts) with their positions; returns the positions written."""
        ...

    def positions(
        self, at: int | None = None, wallets: Sequence[str] = (), coins: Sequence[str] = (), since: int | None = None
    ) -> list[PositionSnapshot]:
        """Each wallet's positions at its latest poll with since < ts <= at, ordered by (wallet, coin)."""
        ...

    def position_history(
        self, since: int | None = None, until: int | None = None, wallets: Sequence[str] = (), coins: Sequence[str] = ()
    ) -> list[PositionSnapshot]:
        """Every position snapshot with since < ts <= until, ordered by (ts, wallet, coin)."""
        ...

    def poll_times(self, since: int | None = None, until: int | None = None) -> list[int]: ...

    def write_wallet_fills(self, fills: Sequence[WalletFill]) -> int:
        """Insert or replace by (wallet, tid, coin); returns how many were given."""
        ...

    def wallet_fills(
        self,
        since: int | None = None,
        until: int | None = None,
        wallets: Sequence[str] = (),
        *,
        liquidations_only: bool = False,
    ) -> list[WalletFill]: ...

    def wallet_liquidations(
        self, since: int | None = None, until: int | None = None, wallets: Sequence[str] = ()
    ) -> list[WalletFill]:
        """The fills by which watched wallets were themselves liquidated, ordered by (ts, wallet, tid)."""
        ...


class AggregateStore(Protocol):
    """Aggregate history from data providers and backfill progress (store/aggregate_shared.py)."""

    def write_aggregates(self, rows: Sequence[AggregateRow]) -> int:
        """Insert or replace by (source, venues, coin, interval_ms, start_ts); returns how many were given."""
        ...

    def aggregates(
        self,
        coin: str | None = None,
        *,
        source: str | None = None,
        interval_ms: int | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> list[AggregateRow]:
        """Rows with since <= start_ts < until, ordered by key."""
        ...

    def aggregate_series(self) -> list[AggregateSeries]: ...

    def write_mark(self, task: str, done_until: int, updated: int) -> None: ...

    def mark(self, task: str) -> int | None: ...


class Store(AggregateStore, WalletStore, Protocol):
    """What every store does: events, their summaries, side tables, status, retention, wallets."""

    # True when other processes read and write the same store at the same time (PostgreSQL);
    # False for a store one process holds (a DuckDB file): its status lives in a file next to it.
    shared: bool

    def write_events(self, events: Sequence[Liquidation]) -> int:
        """Store events not stored yet; returns how many were new.

        ValueError for an event no store can hold (ts <= 0; usd not finite or over 9.2e10, see
        analytics.summary.usd_units); nothing of the batch holding it is written.
        """
        ...

    def write_gaps(self, gaps: Sequence[Gap]) -> None: ...

    # Events stored before without a USD value that a write gave one (their contract became
    # known): counted since the store was opened (both stores fill them, rollups included).
    repriced: int

    def write_instruments(self, instruments: Sequence[Instrument], at: int | None = None) -> None:
        """The catalogue as fetched at `at` (ms, default now), kept with its versions over time
        (catalogue_history.plan): a changed contract gets a new version from `at`."""
        ...

    def adopt_instruments(self, instruments: Sequence[Instrument]) -> None:
        """Keep the instruments the store has no version of; never change one it has."""
        ...

    def instruments(self) -> list[Instrument]:
        """The catalogue in force now (each instrument's newest version)."""
        ...

    def unpriced_count(self) -> int:
        """Stored events without a USD value."""
        ...

    def instrument_versions(self) -> list[Version]:
        """Every version of every instrument, ordered by (venue, symbol, valid_from)."""
        ...

    def events(self, where: EventFilter, limit: int | None = None) -> Iterator[Liquidation]:
        """Matching events ordered by (ts, id)."""
        ...

    def largest(self, where: EventFilter, n: int = 10) -> list[Liquidation]:
        """The n matching events with the greatest usd (max usd, earliest ts, smallest id first)."""
        ...

    def count(self) -> int: ...

    def gaps(self, venue: str | None = None, since: int | None = None, until: int | None = None) -> list[Gap]:
        """Gaps overlapping (since, until]."""
        ...

    def activity(self, since: int, until: int | None = None) -> list[VenueActivity]: ...

    def summary(self, at: int, windows: Sequence[tuple[str, int]]) -> Summary:
        """Per window (label, length ms) ending at `at`: equal to analytics.summary.summarize."""
        ...

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
        """Per bucket (origin + k·step, origin + (k+1)·step] clipped to (since, until], per venue:
        long/short sums and counts; equal to analytics.history.series over the stored events."""
        ...

    def venue_spans(self) -> list[VenueSpan]:
        """Per venue (ordered by name): first and last stored event ts and the number of events."""
        ...

    def write_candles(self, candles: Sequence[Candle]) -> int:
        """Insert or replace by (venue, symbol, interval_ms, open_ts); returns how many were given."""
        ...

    def candles(
        self,
        coin: str,
        interval_ms: int,
        since: int | None = None,
        until: int | None = None,
        venue: str | None = None,
    ) -> list[Candle]:
        """Candles of a coin whose open_ts lies in [since, until), ordered by (venue, symbol, open_ts)."""
        ...

    def write_stats(self, stats: Sequence[MarketStat]) -> int:
        """Insert or replace by (venue, symbol, kind, ts); returns how many were given."""
        ...

    def stats(self, coin: str, kind: str, since: int | None = None, until: int | None = None) -> list[MarketStat]:
        """Market statistics of a coin with since <= ts <= until, ordered by (venue, symbol, ts)."""
        ...

    def write_status(self, source: str, doc: bytes, updated: int) -> None:
        """Replace the status document of `source` (cross-process: every reader of the store sees it)."""
        ...

    def statuses(self) -> list[CollectorStatus]:
        """The newest status document of every source, ordered by source."""
        ...

    def prune(self, before: int, *, dry_run: bool = False) -> PruneReport:
        """Remove everything at or before `before` (a whole hour, see retention.check_cutoff):
        events, their rollup hours, gaps that ended, candles, market statistics and wallet
        snapshots; in one transaction. dry_run: only count. The kept period's answers do not change."""
        ...

    def close(self) -> None: ...
