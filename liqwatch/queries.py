"""THE read API: what the CLI, the web layer and the report ask a store.

Thin on purpose: every function takes a Store (DuckDB or PostgreSQL), validates its arguments
and delegates. Time arguments are epoch ms; windows are (label, ms) pairs or text like "1h,4h".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import msgspec

from liqwatch.analytics.history import SeriesRow
from liqwatch.analytics.summary import Summary, Window, check_windows, parse_windows, summary_to_json
from liqwatch.model import Candle, Gap, Liquidation, MarketStat
from liqwatch.store.base import EventFilter, Store, VenueActivity, VenueSpan

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


def summary_json(store: Store, at: int, windows: Sequence[Window] | str | None = None) -> dict[str, Any]:
    """The `liqwatch summary --json` document."""
    return summary_to_json(summary(store, at, windows))


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
    return store.activity(now - window_ms)


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
