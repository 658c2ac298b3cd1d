"""THE read API: what the CLI, the web layer and the report ask a store.

Thin on purpose: every function takes a Store (DuckDB or PostgreSQL), validates its arguments
and delegates. Time arguments are epoch ms; windows are (label, ms) pairs or text like "1h,4h".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from liqwatch.analytics.covers import Covers, covers, covers_json
from liqwatch.analytics.history import SeriesRow
from liqwatch.analytics.levels_backtest import BacktestScore, backtest
from liqwatch.analytics.levels_events import DEFAULT_EVENTS, BreakThrough, break_throughs
from liqwatch.analytics.levels_grid import Heatmap, LevelsMap, MeasuredPosition, current_map, heatmap
from liqwatch.analytics.summary import Summary, Window, check_windows, parse_windows, summary_to_json
from liqwatch.model import Candle, Gap, Liquidation, MarketStat
from liqwatch.store.base import EventFilter, Store, VenueActivity, VenueSpan, WalletStore
from liqwatch.venues.lifecycle import LIVE_VENUE_IDS
from liqwatch.wallets.aggregate import (
    ExposureChange,
    GroupBy,
    LevelRow,
    PnlRow,
    exposure_changes,
    liquidation_levels,
    pnl_by,
    worst,
)
from liqwatch.wallets.model import PositionSnapshot, WalletFill

if TYPE_CHECKING:  # the status documents a collector writes (no feed import at run time)
    from liqwatch.feed.collector import Status

DEFAULT_WINDOWS: list[Window] = parse_windows("1h,4h,12h,24h")
DAY_MS = 86_400_000


def windows_of(windows: Sequence[Window] | str | None) -> list[Window]:
    """Windows from text ("1h,4h,12h,24h"), pairs, or None for the default 1h/4h/12h/24h."""
    if windows is None:
        return list(DEFAULT_WINDOWS)
    if isinstance(windows, str):
        return parse_windows(windows)
    out = list(windows)
    check_windows(out)
    return out


def summary(store: Store, at: int, windows: Sequence[Window] | str | None = None) -> Summary:
    """Totals, sides, counts, largest order and breakdowns per window ending at `at`."""
    return store.summary(at, windows_of(windows))


def summary_json(
    store: Store, at: int, windows: Sequence[Window] | str | None = None, statuses: Sequence[Status] = ()
) -> dict[str, Any]:
    """The `liqwatch summary --json` document, with `covers`: what the longest window's figures cover."""
    result = summary(store, at, windows)
    doc = summary_to_json(result)
    doc["covers"] = covers_json(summary_covers(result, statuses))
    return doc


def live_states(statuses: Sequence[Status], now: int | None = None) -> dict[str, str]:
    """Per venue, what the freshest running collector says: "not covered", "connected" or "down"."""
    found: dict[str, str] = {}
    for status in sorted(statuses, key=lambda s: s.updated):
        if now is not None and status.is_stale(now):
            continue
        for venue, state in status.venues.items():
            found[venue] = "not covered" if state.not_covered else ("connected" if state.connected else "down")
    return found


def summary_covers(result: Summary, statuses: Sequence[Status] = ()) -> Covers:
    """What the figures of the longest window of `result` cover (shorter windows hold a subset)."""
    longest = max(result.windows, key=lambda w: w.end - w.start, default=None)
    return covers_of(dict(longest.coverage) if longest is not None else {}, statuses)


def covers_of(in_window: dict[str, str], statuses: Sequence[Status] = ()) -> Covers:
    """What a figure covers, from its venues' coverage (venue → "complete" | "sampled") and the
    running collectors' statuses (pass only fresh ones)."""
    return covers(in_window, LIVE_VENUE_IDS, live_states(statuses))


def events(store: Store, where: EventFilter | None = None, limit: int | None = None) -> Iterator[Liquidation]:
    """Matching events ordered by (ts, id)."""
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, not {limit}")
    return store.events(where or EventFilter(), limit)


def largest(
    store: Store, since: int | None, until: int | None, n: int = 10, where: EventFilter | None = None
) -> list[Liquidation]:
    """The n largest liquidations with since < ts <= until (max usd, earliest ts, smallest id first)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    return store.largest(msgspec.structs.replace(where or EventFilter(), since=since, until=until), n)


def gaps(store: Store, venue: str | None = None, since: int | None = None, until: int | None = None) -> list[Gap]:
    """Feed gaps overlapping (since, until], oldest first."""
    return store.gaps(venue, since, until)


def activity(store: Store, now: int, window_ms: int = DAY_MS) -> list[VenueActivity]:
    """Per venue: events in the last `window_ms` before `now`, newest event ts and receive time."""
    if window_ms <= 0:
        raise ValueError(f"window_ms must be positive, not {window_ms}")
    return store.activity(now - window_ms, now)  # events stamped after `now` are not "in the last 24 h"


def count(store: Store) -> int:
    return store.count()


# --- history, prices and market statistics -----------------------------------------------------

HOUR_MS = 3_600_000


def series(
    store: Store,
    since: int,
    until: int,
    step: int,
    *,
    origin: int = 0,
    coins: Sequence[str] = (),
    venues: Sequence[str] = (),
) -> list[SeriesRow]:
    """Long/short sums and counts per bucket and venue; buckets (origin + k·step, origin + (k+1)·step]."""
    return store.series(since, until, step, origin=origin, coins=tuple(coins), venues=tuple(venues))


def hourly(store: Store, since: int, until: int, coins: Sequence[str] = ()) -> list[SeriesRow]:
    """Per UTC hour (h, h + 1h] and venue."""
    return series(store, since, until, HOUR_MS, coins=coins)


def daily(store: Store, since: int, until: int, coins: Sequence[str] = ()) -> list[SeriesRow]:
    """Per UTC day (midnight, next midnight] and venue."""
    return series(store, since, until, DAY_MS, coins=coins)


def venue_spans(store: Store) -> list[VenueSpan]:
    """Per venue: first and last stored event and how many."""
    return store.venue_spans()


def candles(
    store: Store, coin: str, interval_ms: int, since: int | None = None, until: int | None = None
) -> list[Candle]:
    """Stored price bars of a coin (all venues) with since <= open_ts < until."""
    if interval_ms <= 0:
        raise ValueError(f"interval_ms must be positive, not {interval_ms}")
    return store.candles(coin, interval_ms, since, until)


def stats(store: Store, coin: str, kind: str, since: int | None = None, until: int | None = None) -> list[MarketStat]:
    """Stored open interest ("open_interest_usd") or funding ("funding_rate") values of a coin."""
    if kind not in ("open_interest_usd", "funding_rate"):
        raise ValueError(f"kind must be open_interest_usd or funding_rate, not {kind!r}")
    return store.stats(coin, kind, since, until)


# --- lists, pages and series for the HTTP API ------------------------------------------------------

EventKey = tuple[int, str]  # (ts, id): the order of `events`, and a page cursor's position


class Breakdown(msgspec.Struct, frozen=True):
    """One coin's or one venue's totals in a window (a CoinGlass-style list row)."""

    name: str
    total_usd: float
    long_usd: float
    short_usd: float
    count: int
    coverage: str | None = None  # venues only: "complete" | "sampled"
    long_count: int = 0
    short_count: int = 0
    unpriced_count: int = 0  # counted in `count`, not in the USD figures


def breakdowns(store: Store, at: int, window: Window, by: str, limit: int | None = None) -> list[Breakdown]:
    """Per coin (`by="coin"`) or per venue (`by="venue"`) in the window ending at `at`, biggest total first."""
    if by not in ("coin", "venue"):
        raise ValueError(f"by must be coin or venue, not {by!r}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, not {limit}")
    result = summary(store, at, [window]).windows[0]
    totals = result.by_coin if by == "coin" else result.by_venue
    rows = [
        Breakdown(
            name,
            t.total_usd,
            t.long_usd,
            t.short_usd,
            t.count,
            result.coverage.get(name) if by == "venue" else None,
            t.long_count,
            t.short_count,
            t.unpriced_count,
        )
        for name, t in totals.items()
    ]
    return rows if limit is None else rows[:limit]


def events_page(
    store: Store,
    where: EventFilter,
    limit: int,
    after: EventKey | None = None,
    *,
    descending: bool = False,
) -> tuple[list[Liquidation], EventKey | None]:
    """One page of matching events in (ts, id) order (or its reverse) strictly past `after`, and the
    key to continue from (None on the last page). Paging on (ts, id) never repeats or skips an event."""
    if limit < 1:
        raise ValueError(f"limit must be >= 1, not {limit}")
    page = _page_desc(store, where, limit, after) if descending else _page_asc(store, where, limit, after)
    more = len(page) > limit
    page = page[:limit]
    return page, ((page[-1].ts, page[-1].id) if more else None)


def _page_asc(store: Store, where: EventFilter, limit: int, after: EventKey | None) -> list[Liquidation]:
    if after is not None:  # ts >= after's ts, then skip what is not past it (ties on ts are rare)
        since = after[0] - 1 if where.since is None else max(where.since, after[0] - 1)
        where = msgspec.structs.replace(where, since=since)
    fetch = limit + 1
    while True:
        rows = list(store.events(where, fetch))
        page = rows if after is None else [e for e in rows if (e.ts, e.id) > after]
        if len(page) > limit or len(rows) < fetch:
            return page[: limit + 1]
        fetch *= 4


def _page_desc(store: Store, where: EventFilter, limit: int, before: EventKey | None) -> list[Liquidation]:
    """Newest first. Stores read in ascending order, so walk back from the newest event in growing
    time ranges (zone maps on ts keep each range read cheap) until the page is full."""
    spans = [s for s in store.venue_spans() if not where.venues or s.venue in where.venues]
    if not spans:
        return []
    upper = max(s.last_ts for s in spans)
    if where.until is not None:
        upper = min(upper, where.until)
    if before is not None:
        upper = min(upper, before[0])
    floor = min(s.first_ts for s in spans) - 1
    if where.since is not None:
        floor = max(floor, where.since)
    found: list[Liquidation] = []
    hi, span = upper, 60_000
    while len(found) <= limit and hi > floor:
        lo = max(hi - span, floor)
        chunk = [
            e
            for e in store.events(msgspec.structs.replace(where, since=lo, until=hi))
            if before is None or (e.ts, e.id) < before
        ]
        found.extend(reversed(chunk))
        hi, span = lo, span * 4
    return found[: limit + 1]


class HistoryPoint(msgspec.Struct, frozen=True):
    """All selected venues' liquidations in one bucket (ts - step, ts]."""

    ts: int  # bucket end
    long_usd: float
    short_usd: float
    long_count: int
    short_count: int


def history(
    store: Store,
    since: int,
    until: int,
    step: int,
    *,
    coins: Sequence[str] = (),
    venues: Sequence[str] = (),
) -> list[HistoryPoint]:
    """One point per UTC-aligned bucket overlapping (since, until], empty buckets included (zeros)."""
    from liqwatch.analytics.summary import units_to_usd

    rows = series(store, since, until, step, coins=coins, venues=venues)
    sums: dict[int, list[int]] = {}
    for row in rows:
        end = -(-row.end // step) * step  # the bucket's own end (the last row may be clipped to until)
        acc = sums.setdefault(end, [0, 0, 0, 0])
        acc[0] += row.long_units
        acc[1] += row.short_units
        acc[2] += row.long_count
        acc[3] += row.short_count
    first = (since // step + 1) * step
    last = -(-until // step) * step
    return [
        HistoryPoint(ts, units_to_usd(acc[0]), units_to_usd(acc[1]), acc[2], acc[3])
        for ts in range(first, last + 1, step)
        for acc in (sums.get(ts, [0, 0, 0, 0]),)
    ]


from liqwatch.analytics.basis import HistoryRanks  # noqa: E402
from liqwatch.history_reads import (  # noqa: E402
    history_ranks,
    history_ranks_json,
    history_ranks_of,
    imported_coins,
    imported_days,
)

__all__ = [
    "HistoryRanks",
    "history_ranks",
    "history_ranks_json",
    "history_ranks_of",
    "imported_coins",
    "imported_days",
]


# --- liquidation levels (analytics.levels) ---------------------------------------------------------

LEVELS_LOOKBACK_MS = 30 * DAY_MS


def levels_inputs(
    store: Store, coin: str, since: int | None, until: int | None
) -> tuple[list[Candle], list[MarketStat]]:
    """Hourly candles (all venues) and USD open interest of a coin with since <= time <= until."""
    end = None if until is None else until + 1
    return store.candles(coin, HOUR_MS, since, end), store.stats(coin, "open_interest_usd", since, until)


def levels_map(
    store: Store,
    coin: str,
    at: int,
    *,
    lookback_ms: int = LEVELS_LOOKBACK_MS,
    measured: Iterable[MeasuredPosition] | None = None,
) -> LevelsMap | None:
    """The current liquidation map (analytics.levels_grid.LevelsMap) at `at`, or None without data.

    `measured`: watched Hyperliquid positions (coin, side, liquidation_px, position_usd), kept apart.
    """
    candles, oi = levels_inputs(store, coin, at - lookback_ms, at)
    return current_map(candles, oi, at=at, measured=measured)


def levels_heatmap(
    store: Store, coin: str, since: int, until: int, *, lookback_ms: int = LEVELS_LOOKBACK_MS
) -> Heatmap | None:
    """The time × price heatmap (analytics.levels_grid.Heatmap) of (since, until], or None."""
    candles, oi = levels_inputs(store, coin, since - lookback_ms, until)
    return heatmap(candles, oi, since=since, until=until)


def levels_events(
    store: Store, coin: str, since: int, until: int, *, lookback_ms: int = LEVELS_LOOKBACK_MS
) -> list[BreakThrough]:
    """'Broke through a major liquidation level' events (analytics.levels_events.BreakThrough) in (since, until]."""
    candles, oi = levels_inputs(store, coin, since - lookback_ms, until)
    liqs = list(store.events(EventFilter(since=since - HOUR_MS, until=until + DEFAULT_EVENTS.follow_ms, coins=(coin,))))
    spans = store.venue_spans()
    first = min((s.first_ts for s in spans), default=None)
    if first is None:  # nothing recorded at all: no realized figure anywhere
        return break_throughs(candles, oi, None, since=since, until=until)
    return break_throughs(candles, oi, liqs, since=since, until=until, recorded_since=first)


def levels_backtest(
    store: Store, coin: str, since: int | None = None, until: int | None = None, source: str = ""
) -> BacktestScore:
    """The levels model scored against the stored liquidations (analytics.levels_backtest.BacktestScore)."""
    candles, oi = levels_inputs(store, coin, since, until)
    liqs = store.events(EventFilter(since=since, until=until, coins=(coin,)))
    return backtest(candles, oi, liqs, source=source or "store")


# --- watched wallets (Hyperliquid) ---------------------------------------------------------------


def wallet_positions(
    store: WalletStore,
    at: int | None = None,
    *,
    max_age_ms: int | None = DAY_MS,
    wallets: Sequence[str] = (),
    coins: Sequence[str] = (),
) -> list[PositionSnapshot]:
    """Each watched wallet's positions at its latest poll at or before `at` (None: the newest), ignoring
    wallets not polled within `max_age_ms` before `at` (None: any age)."""
    if max_age_ms is not None and max_age_ms <= 0:
        raise ValueError(f"max_age_ms must be positive, not {max_age_ms}")
    since = None if at is None or max_age_ms is None else at - max_age_ms
    return store.positions(at, tuple(wallets), tuple(coins), since)


def wallet_pnl(store: WalletStore, at: int | None = None, by: GroupBy = "direction") -> list[PnlRow]:
    """Unrealized PnL (Σ szi × (mark − entry)) of the watched wallets by direction, coin, group or cohort."""
    return pnl_by(wallet_positions(store, at), by)


def wallet_pnl_json(store: WalletStore, at: int | None = None, by: GroupBy = "direction") -> dict[str, Any]:
    """The `liqwatch wallets pnl --json` document: rows, totals, and the set(s) and rule(s) behind them."""
    positions = wallet_positions(store, at)
    rows = pnl_by(positions, by)
    rules = {h: rule for h, rule, _, _ in store.wallet_sets()}
    hashes = sorted({p.set_hash for p in positions})
    return {
        "at": at,
        "by": by,
        "polled_at": max((p.ts for p in positions), default=None),
        "wallets": len({p.wallet for p in positions}),
        "long_pnl": sum(r.long_pnl for r in rows),
        "short_pnl": sum(r.short_pnl for r in rows),
        "rows": [msgspec.structs.asdict(r) | {"pnl": r.pnl} for r in rows],
        "sets": [{"hash": h, "rule": rules.get(h, "")} for h in hashes],
    }


def wallet_worst(store: WalletStore, at: int | None = None, n: int = 10) -> list[PositionSnapshot]:
    """The n watched positions with the largest unrealized loss."""
    return worst(wallet_positions(store, at), n)


def wallet_exposure_changes(store: WalletStore, before: int, after: int) -> list[ExposureChange]:
    """Per wallet × coin: what changed between the positions at `before` and at `after`."""
    if before >= after:
        raise ValueError("before must be earlier than after")
    return exposure_changes(wallet_positions(store, before), wallet_positions(store, after))


def wallet_liquidations(
    store: WalletStore, since: int | None = None, until: int | None = None, wallets: Sequence[str] = ()
) -> list[WalletFill]:
    """Fills by which watched wallets were themselves liquidated, oldest first."""
    return store.wallet_liquidations(since, until, tuple(wallets))


def wallet_levels(store: WalletStore, at: int | None = None, coins: Sequence[str] = ()) -> list[LevelRow]:
    """(coin, side, liquidation_px, position_usd) of the watched positions: a measured liquidation-levels layer."""
    return liquidation_levels(wallet_positions(store, at, coins=coins))


def wallet_labels(store: WalletStore) -> dict[str, str]:
    """Wallet address → its label in the recorded watched sets (the newest set's label wins)."""
    labels: dict[str, str] = {}
    for _, _, members, _ in store.wallet_sets():
        for member in msgspec.json.decode(members):
            if isinstance(member, dict) and member.get("label"):
                labels[str(member.get("address", ""))] = str(member["label"])
    return labels
