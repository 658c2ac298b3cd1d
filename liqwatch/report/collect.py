"""Read what a report needs from a store, through liqwatch.queries only (the one read API)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import msgspec

from liqwatch import queries
from liqwatch.analytics import history
from liqwatch.analytics.basis import HistoryRanks, PeriodKind
from liqwatch.analytics.history import SeriesRow
from liqwatch.analytics.summary import Summary, Window, summarize
from liqwatch.analytics.windows import slice_label
from liqwatch.model import Candle, Gap, Liquidation, MarketStat
from liqwatch.report.build import focus_coins
from liqwatch.report.model import Inputs, SliceRows, WalletInputs
from liqwatch.store.base import EventFilter, Store
from liqwatch.venues import REGISTRY

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
BREAKDOWN = ("1h", 3_600_000), ("4h", 14_400_000), ("12h", 43_200_000), ("24h", 86_400_000)
MAX_EVENTS = 2_000_000  # the window's events are read once up to this many; above, by SQL
VOL_PERIODS = 31  # candles back this many window lengths: 30 returns for the volatility baseline


def breakdown(window: Window) -> list[Window]:
    """The standard 1h/4h/12h/24h windows shorter than the report's window, then the window."""
    return [w for w in BREAKDOWN if w[1] < window[1]] + [window]


def chart_step(length: int) -> int:
    """Chart buckets: 5 minutes up to 2 hours, hours up to 2 days, else days."""
    if length <= 2 * HOUR_MS:
        return 5 * 60_000
    if length <= 2 * DAY_MS:
        return HOUR_MS
    return DAY_MS


HISTORY_MAX_MS = 10 * 366 * DAY_MS
HISTORY_MAX_PERIODS = 100_000


class WindowView(msgspec.Struct, frozen=True):
    """Every figure of the report's own window, computed from ONE read of its events (a snapshot):
    totals, shares, slices and chart all describe the same set, so no part exceeds its whole even
    while events keep arriving."""

    summary: Summary
    current: list[SeriesRow]
    coin_current: dict[str, list[SeriesRow]]
    slices: list[SliceRows]
    chart: list[SeriesRow]
    events: list[Liquidation] | None  # None: more than MAX_EVENTS, figures read by SQL instead


def window_view(events: list[Liquidation], at: int, window: Window) -> WindowView:
    """The window's figures from its events (pure): the snapshot the article is written from."""
    start = at - window[1]
    events = [e for e in events if start < e.ts <= at]
    summary = summarize(events, at, breakdown(window))

    def series(lo: int, hi: int, step: int, origin: int, coins: Sequence[str] = ()) -> list[SeriesRow]:
        return history.series(events, lo, hi, step, origin=origin, coins=coins)

    return _view(summary, series, at, window, events)


def slice_bounds(at: int, windows: list[Window]) -> list[tuple[str, int, int]]:
    """Disjoint parts of the window: 0–1h, 1–4h, 4–12h, 12–24h as (label, start, end)."""
    out = []
    inner = 0
    inner_label: str | None = None
    for lbl, ln in windows:
        out.append((slice_label(inner_label, lbl), at - ln, at - inner))
        inner, inner_label = ln, lbl
    return out


def _window_by_sql(store: Store, at: int, window: Window) -> WindowView:
    """For windows too large to read at once: the same figures by SQL (separate reads)."""

    def series(lo: int, hi: int, step: int, origin: int, coins: Sequence[str] = ()) -> list[SeriesRow]:
        return queries.series(store, lo, hi, step, origin=origin, coins=coins)

    return _view(queries.summary(store, at, breakdown(window)), series, at, window, None)


def _view(
    summary: Summary, series: Callable[..., list[SeriesRow]], at: int, window: Window, events: list[Liquidation] | None
) -> WindowView:
    """The window's figures from its summary and a series reader (events in memory, or SQL)."""
    length = window[1]
    start = at - length
    coins = focus_coins(summary.windows[-1])
    step = chart_step(length)
    return WindowView(
        summary=summary,
        current=series(start, at, length, at % length),
        coin_current={c: series(start, at, length, at % length, [c]) for c in coins},
        slices=[
            SliceRows(lbl, lo, hi, series(lo, hi, hi - lo, hi % (hi - lo)))
            for lbl, lo, hi in slice_bounds(at, breakdown(window))
        ],
        chart=series(start, at, step, at % step),
        events=events,
    )


def collect(store: Store, at: int, window: Window, period: PeriodKind | None = None) -> Inputs:
    """`period`: the window is that calendar period (day, weekend, week, month) ending at `at`;
    a 24-hour window ending at midnight is a day."""
    label, length = window
    if length <= 0:
        raise ValueError(f"window {label!r} must have a positive length")
    start = at - length
    windows = breakdown(window)
    # ONE read of the window's events; every window figure is computed from it (see WindowView)
    read = list(itertools.islice(queries.events(store, EventFilter(since=start, until=at)), MAX_EVENTS + 1))
    view = window_view(read, at, window) if len(read) <= MAX_EVENTS else _window_by_sql(store, at, window)
    del read
    summary = view.summary
    main = summary.windows[-1]
    coins = focus_coins(main)
    origin = at % length
    current, coin_current, slices, chart, events = view.current, view.coin_current, view.slices, view.chart, view.events
    step = chart_step(length)
    spans = queries.venue_spans(store)
    past: list[SeriesRow] = []
    coin_history: dict[str, list[SeriesRow]] = {}
    history_gaps: list[Gap] = []
    first = min((s.first_ts for s in spans), default=None)
    if first is not None and first <= start:
        # comparisons reach back at most ten years ("the largest in four years", not in a millennium)
        # and 100,000 periods (a 1-minute window compares with the last ~70 days)
        k = min((start - first) // length + 1, max(1, HISTORY_MAX_MS // length), HISTORY_MAX_PERIODS)
        since = start - k * length
        past = queries.series(store, since, start, length, origin=origin)
        coin_history = {c: queries.series(store, since, start, length, origin=origin, coins=[c]) for c in coins}
        history_gaps = queries.gaps(store, since=since, until=start)
    candles: dict[str, list[Candle]] = {}
    oi: dict[str, list[MarketStat]] = {}
    funding: dict[str, list[MarketStat]] = {}
    price_coins = list(dict.fromkeys(["BTC", *coins]))
    for coin in price_coins:
        # the whole stored record at its finest interval: "the highest since …" and "the highest in
        # liqwatch's record" must hold for every candle stored, not the last few weeks'
        hourly = queries.candles(store, coin, HOUR_MS, until=at - HOUR_MS + 1)
        daily = queries.candles(store, coin, DAY_MS, until=at - DAY_MS + 1)
        if hourly or daily:
            candles[coin] = hourly + daily
        stats_oi = queries.stats(store, coin, "open_interest_usd", since=start - 2 * HOUR_MS, until=at)
        if stats_oi:
            oi[coin] = stats_oi
        stats_f = queries.stats(store, coin, "funding_rate", since=start - DAY_MS, until=start)
        if stats_f:
            funding[coin] = stats_f
    break_throughs = {c: found for c in coins if (found := queries.levels_events(store, c, start, at))}
    maps = {c: m for c in coins if (m := queries.levels_map(store, c, at)) is not None and m.venues}
    return Inputs(
        at=at,
        window=window,
        windows=windows,
        summary=summary,
        current=current,
        coin_current=coin_current,
        slices=slices,
        chart_step=step,
        chart=chart,
        gaps=queries.gaps(store, since=start, until=at),
        spans=spans,
        venue_notes={v: spec.notes for v, spec in REGISTRY.items() if spec.notes},
        history=past,
        coin_history=coin_history,
        history_gaps=history_gaps,
        events=events,
        candles=candles,
        open_interest=oi,
        funding=funding,
        break_throughs=break_throughs,
        levels_maps=maps,
        wallets=collect_wallets(store, at),
        period_ranks=period_ranks(store, at, length, period, main.long_usd, main.short_usd),
    )


RANKED_COINS = ("BTC", "ETH")


def period_ranks(
    store: Store, at: int, length: int, period: PeriodKind | None, long_usd: float, short_usd: float
) -> list[HistoryRanks]:
    """The window's rank as a calendar period on the longest comparable basis: all coins on the
    main side, and BTC and ETH on each side (their own events, or imported history)."""
    kind = period or ("day" if length == DAY_MS and at % DAY_MS == 0 else None)
    if kind is None:
        return []
    span = (at - length, at)
    out = []
    if long_usd or short_usd:
        out.append(queries.history_ranks(store, kind, span, "short" if short_usd >= long_usd else "long", None))
    for coin in RANKED_COINS:
        ranks = queries.history_ranks_of(store, kind, span, ("long", "short"), coin)
        out += [r for r in ranks if r.best is not None]  # both sides: the article picks (basis_words.larger_side)
    return out


def collect_wallets(store: Store, at: int) -> WalletInputs | None:
    """The watched positions as `liqwatch wallets pnl --at` reads them; None when none was polled
    within a day before `at`."""
    wallet_store = store
    positions = queries.wallet_positions(wallet_store, at)
    if not positions:
        return None
    hashes = {p.set_hash for p in positions}
    recorded = [(h, rule, len(msgspec.json.decode(members))) for h, rule, members, _ in wallet_store.wallet_sets()]
    return WalletInputs(
        positions=positions,
        sets=[(h, rule) for h, rule, _ in recorded if h in hashes],
        members={h: n for h, _, n in recorded if h in hashes},
    )
