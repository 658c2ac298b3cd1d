"""The report's data: its inputs (what `collect` read from the store) and the Report itself.

A Report holds every number it prints as a Figure: the value, the words it was printed as, and
the query that produced it (`Query.cli` is the `liqwatch events` command whose output the value
is computed from), so each figure can be checked against the events independently.
"""

from __future__ import annotations

from typing import Any

import msgspec

from liqwatch.analytics.basis import HistoryRanks
from liqwatch.analytics.history import SeriesRow
from liqwatch.analytics.levels_events import BreakThrough
from liqwatch.analytics.levels_grid import LevelsMap
from liqwatch.analytics.summary import Summary
from liqwatch.model import Candle, Gap, Liquidation, MarketStat
from liqwatch.store.base import VenueSpan
from liqwatch.wallets.model import PositionSnapshot


class SliceRows(msgspec.Struct, frozen=True):
    """The events with start < ts <= end (e.g. 1–4 hours before `at`), per venue."""

    label: str
    start: int
    end: int
    rows: list[SeriesRow]


class WalletInputs(msgspec.Struct, frozen=True):
    """The watched wallets at the report's `at`, as `liqwatch wallets pnl --at` reads them: each
    wallet's latest poll within a day before `at`."""

    positions: list[PositionSnapshot]
    sets: list[tuple[str, str]]  # (sha256 of the set, its rule) of the sets the positions were polled for
    members: dict[str, int]  # set hash → how many wallets the set holds


class Inputs(msgspec.Struct, frozen=True):
    """Everything `build` needs: read by `collect` through liqwatch.queries, nothing else."""

    at: int
    window: tuple[str, int]  # the report's window, e.g. ("24h", 86_400_000)
    windows: list[tuple[str, int]]  # breakdown windows, shortest first; the last is `window`
    summary: Summary  # for `windows`, ending at `at`
    current: list[SeriesRow]  # the window as one bucket, per venue (all coins)
    coin_current: dict[str, list[SeriesRow]]  # the same for each focus coin
    slices: list[SliceRows]  # 0–1h, 1–4h, …: disjoint parts of the window
    chart_step: int
    chart: list[SeriesRow]  # the window in chart buckets (hours for 24h), per venue
    gaps: list[Gap]  # feed gaps overlapping the window
    spans: list[VenueSpan]  # every stored venue's first and last event
    venue_notes: dict[str, str]  # what each venue publishes (the registry's notes)
    history: list[SeriesRow]  # past periods of the window's length on its grid, all coins
    coin_history: dict[str, list[SeriesRow]]  # the same per focus coin
    history_gaps: list[Gap]  # feed gaps overlapping the history
    events: list[Liquidation] | None  # the window's events for cascade detection (None: too many)
    candles: dict[str, list[Candle]]  # per coin: candles that ended at or before `at`
    open_interest: dict[str, list[MarketStat]]
    funding: dict[str, list[MarketStat]]
    # liquidation levels (analytics.levels_events / levels_grid) per focus coin; empty without candles + OI
    break_throughs: dict[str, list[BreakThrough]] = {}  # bars ending in the window
    levels_maps: dict[str, LevelsMap] = {}  # the map at `at`
    wallets: WalletInputs | None = None  # None: no watched positions polled within a day before `at`
    # calendar-period ranks on a named basis (history_reads): own events or imported aggregate history
    period_ranks: list[HistoryRanks] = []


class Query(msgspec.Struct, frozen=True, omit_defaults=True):
    """How a figure was computed.

    op:
    - "sum_usd": the sum of `usd` over the events `cli` prints (the rows matching since < ts <=
      until, side, coins, venues); "count": how many; "largest": the event with the greatest usd
      (ties: earliest ts, then smallest id); "share": sum_usd of this query ÷ sum_usd of `of`;
    - "candle": a stored candle's value (`candle` names it: venue, symbol, interval_ms, open_ts,
      field); "change": end ÷ start − 1 of two candle closes (`inputs`);
    - "derived": `formula` over the figures named in `inputs`;
    - "json": the value at `path` in the JSON that `cli` prints (a `liqwatch levels …` or `liqwatch
      wallets …` command with --json): each step is a key, or `name=value[,name=value]` picking the
      first element of a list whose fields print as those values.
    """

    op: str
    since: int | None = None
    until: int | None = None
    side: str | None = None
    coins: list[str] = []
    venues: list[str] = []
    cli: str = ""
    of: str | None = None  # "share": the figure key of the denominator
    candle: dict[str, Any] | None = None
    inputs: list[str] = []
    formula: str = ""
    path: list[str] = []  # "json": where the value sits in the command's output


class Figure(msgspec.Struct, frozen=True):
    value: float | int | str | None
    text: str  # as printed in the article
    unit: str  # "usd", "count", "ratio", "price", "sigma", "time", "rank"
    query: Query


class Section(msgspec.Struct, frozen=True):
    key: str  # lead, timeframes, coins, largest, prices, history, signals, bottom_line, data_note
    title: str
    paragraphs: list[str]


class WindowRow(msgspec.Struct, frozen=True):
    label: str
    start: int
    end: int
    long_usd: float
    short_usd: float
    total_usd: float
    count: int
    recorded: bool = True  # False: liqwatch's record does not cover this stretch (not "$0")


class CoinRow(msgspec.Struct, frozen=True):
    coin: str
    long_usd: float
    short_usd: float
    total_usd: float
    count: int
    unpriced: int = 0  # orders without a USD value; all unpriced: the table says "unpriced (n orders)"


class VenueRow(msgspec.Struct, frozen=True):
    venue: str
    name: str
    coverage: str  # "complete" | "sampled" | "none" (no events in the window)
    long_usd: float
    short_usd: float
    total_usd: float
    count: int
    gap_ms: int  # feed gaps inside the window
    note: str


class Bar(msgspec.Struct, frozen=True):
    start: int
    end: int
    long_usd: float
    short_usd: float
    count: int


class PriceLine(msgspec.Struct, frozen=True):
    coin: str
    venue: str
    symbol: str
    points: list[tuple[int, float]]  # (candle end, close)


class Report(msgspec.Struct, frozen=True):
    at: int
    at_iso: str
    window: str
    start: int
    end: int
    empty: bool  # no liquidations in the window: the article says so and stops
    headline: str
    dek: str  # the line under the headline
    sections: list[Section]
    figures: dict[str, Figure]
    windows: list[WindowRow]
    slices: list[WindowRow]
    coins: list[CoinRow]
    venues: list[VenueRow]
    bars: list[Bar]  # the chart: long/short per chart bucket
    price_line: PriceLine | None
    largest: Liquidation | None
    comparisons: list[dict[str, Any]]
    signals: list[dict[str, Any]]
    cascades: list[dict[str, Any]]
    gaps: list[Gap]
    # calendar-period ranks on a named basis (analytics.basis), as `liqwatch history rank --json` prints them
    period_ranks: list[HistoryRanks] = []
    unrecorded: list[tuple[int, int]] = []  # stretches of the window liqwatch's record does not cover
