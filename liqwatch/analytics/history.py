"""History: hourly and daily long/short series with per-venue coverage, and ranks against past days.

Pure. `series` is the REFERENCE implementation of `Store.series` (every store is tested to return
EQUAL rows); `compare` ranks a current value ("the largest single-day short liquidation since
2021-05-19", "the most in three months", "follows $1.1B of short liquidations two days earlier")
only against past days whose coverage is comparable.

Buckets. A series cuts time into buckets (origin + k·step, origin + (k+1)·step] — the same
(start, end] convention as windows, so a day bucket ending at midnight holds exactly what
`liqwatch summary --at <midnight> --windows 24h` holds — clipped to the requested (since, until].
One row per bucket and venue that had events; USD sums are exact integer usd_units, as in
analytics.summary.

Comparable coverage. Past periods have the current period's length and sit on its grid (for a
24-hour report at midnight they are the UTC calendar days). A venue v is *covered* in a past
period when (1) v has at least one event in it, (2) v's recorded feed gaps overlap it by at most
`gap_tolerance` of its length, and (3) it lies within v's collection span (v's first stored event
is no later than its start plus that tolerance). The comparison set V is the venues with a value
in the current period. For a past period p, M_p = the venues of V not covered in p; p is
comparable when M_p's share of the current value is at most `max_missing_share`, and it is then
compared on V ∖ M_p on both sides: p's value over V ∖ M_p against the current value over
V ∖ M_p. A period never "beats" the current one because a venue was missing from it, and a
missing venue never makes the current period look larger than it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import msgspec

from liqwatch.analytics.summary import Tally, units_to_usd, usd_units
from liqwatch.model import Coverage, Gap, Liquidation

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
MAX_BUCKETS = 1_000_000

Metric = Literal["long", "short", "total"]


class SeriesRow(msgspec.Struct, frozen=True):
    """One venue's liquidations in one bucket: start < ts <= end (the bucket clipped to the range)."""

    start: int
    end: int
    venue: str
    coverage: Coverage  # "sampled" if any of its events in the bucket is sampled
    long_units: int  # exact sums of usd_units (USD × 1e8)
    short_units: int
    long_count: int  # every event, priced or not
    short_count: int
    unpriced_count: int

    @property
    def long_usd(self) -> float:
        return units_to_usd(self.long_units)

    @property
    def short_usd(self) -> float:
        return units_to_usd(self.short_units)

    @property
    def total_usd(self) -> float:
        return units_to_usd(self.long_units + self.short_units)

    @property
    def count(self) -> int:
        return self.long_count + self.short_count

    def units(self, metric: Metric) -> int:
        if metric == "long":
            return self.long_units
        if metric == "short":
            return self.short_units
        return self.long_units + self.short_units


def check_series(since: int, until: int, step: int, origin: int = 0) -> None:
    """ValueError unless since < until, step > 0 and the range holds at most MAX_BUCKETS buckets."""
    if step <= 0:
        raise ValueError(f"step must be positive, not {step}")
    if since >= until:
        raise ValueError(f"since ({since}) must be before until ({until})")
    first = (since - origin) // step
    last = (until - 1 - origin) // step
    if last - first + 1 > MAX_BUCKETS:
        raise ValueError(f"too many buckets: {last - first + 1} (at most {MAX_BUCKETS}); use a longer step")


def bucket_of(ts: int, step: int, origin: int = 0) -> int:
    """Index k of the bucket (origin + k·step, origin + (k+1)·step] holding ts."""
    return (ts - 1 - origin) // step


class _Acc(Tally):
    """One bucket's tally, and whether a sampled venue contributed to it."""

    __slots__ = ("sampled",)

    def __init__(self) -> None:
        super().__init__()
        self.sampled = False


class SeriesBuilder:
    """Accumulates (bucket, venue, side, coverage) groups into SeriesRows: shared by every store."""

    def __init__(self, since: int, until: int, step: int, origin: int = 0) -> None:
        check_series(since, until, step, origin)
        self.since = since
        self.until = until
        self.step = step
        self.origin = origin % step  # one grid has many origins: keep the smallest non-negative
        self._acc: dict[tuple[int, str], _Acc] = {}

    def add(self, k: int, venue: str, side: str, coverage: str, units: int, count: int, unpriced: int) -> None:
        if count <= 0:
            return
        key = (k, venue)
        acc = self._acc.get(key)
        if acc is None:
            acc = self._acc[key] = _Acc()
        acc.add(side, units, count, unpriced)
        acc.sampled = acc.sampled or coverage == "sampled"

    def rows(self) -> list[SeriesRow]:
        out = []
        for (k, venue), acc in sorted(self._acc.items()):
            start = self.origin + k * self.step
            out.append(
                SeriesRow(
                    start=max(start, self.since),
                    end=min(start + self.step, self.until),
                    venue=venue,
                    coverage="sampled" if acc.sampled else "complete",
                    long_units=acc.long_units,
                    short_units=acc.short_units,
                    long_count=acc.long_count,
                    short_count=acc.short_count,
                    unpriced_count=acc.unpriced,
                )
            )
        return out


def series(
    events: Iterable[Liquidation],
    since: int,
    until: int,
    step: int,
    *,
    origin: int = 0,
    coins: Sequence[str] = (),
    venues: Sequence[str] = (),
) -> list[SeriesRow]:
    """Per bucket and venue, the long/short sums and counts of the events with since < ts <= until.

    Rows are ordered by (start, venue); buckets and venues without events have no row.
    """
    builder = SeriesBuilder(since, until, step, origin)
    coin_set = frozenset(coins)
    venue_set = frozenset(venues)
    for e in events:
        if not since < e.ts <= until:
            continue
        if coin_set and e.coin not in coin_set:
            continue
        if venue_set and e.venue not in venue_set:
            continue
        units = usd_units(e.usd)
        k = bucket_of(e.ts, step, builder.origin)
        if units is None:
            builder.add(k, e.venue, e.side, e.coverage, 0, 1, 1)
        else:
            builder.add(k, e.venue, e.side, e.coverage, units, 1, 0)
    return builder.rows()


# --- periods: a bucket across venues ------------------------------------------------------------


class Period(msgspec.Struct, frozen=True):
    """One bucket's per-venue values of one metric (usd_units), for the comparisons below."""

    start: int
    end: int
    by_venue: dict[str, int]  # venue → units of the metric (venues with events only)

    def units(self, venues: Iterable[str] | None = None) -> int:
        if venues is None:
            return sum(self.by_venue.values())
        return sum(self.by_venue.get(v, 0) for v in venues)


def periods(rows: Iterable[SeriesRow], metric: Metric) -> list[Period]:
    """Rows grouped by bucket (ordered by start): the metric's units per venue."""
    grouped: dict[tuple[int, int], dict[str, int]] = {}
    for row in rows:
        grouped.setdefault((row.start, row.end), {})[row.venue] = row.units(metric)
    return [Period(start, end, dict(sorted(values.items()))) for (start, end), values in sorted(grouped.items())]


def presence(rows: Iterable[SeriesRow]) -> dict[int, frozenset[str]]:
    """Bucket start → the venues with at least one event in it (any coin, side or price)."""
    found: dict[int, set[str]] = {}
    for row in rows:
        if row.count > 0:
            found.setdefault(row.start, set()).add(row.venue)
    return {start: frozenset(v) for start, v in sorted(found.items())}


def _merged(gaps: Iterable[Gap], venue: str) -> list[tuple[int, int]]:
    spans = sorted((g.start, g.end) for g in gaps if g.venue == venue and g.end > g.start)
    out: list[tuple[int, int]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def gap_ms_by_period(
    gaps: Iterable[Gap], venues: Iterable[str], first: int, stop: int, length: int
) -> dict[tuple[str, int], int]:
    """(venue, period start) → ms of the period (start, start + length] covered by the venue's gaps,
    for the periods first, first + length, … before stop (equal to gap_overlap, computed in one pass)."""
    out: dict[tuple[str, int], int] = {}
    gap_list = list(gaps)
    for venue in venues:
        for lo, hi in _merged(gap_list, venue):
            k = max((lo - first) // length, 0)
            start = first + k * length
            while start < min(hi, stop):
                overlap = min(hi, start + length) - max(lo, start)
                if overlap > 0:
                    out[(venue, start)] = out.get((venue, start), 0) + overlap
                start += length
    return out


def gap_overlap(gaps: Iterable[Gap], venue: str, start: int, end: int) -> int:
    """ms of (start, end] covered by the venue's gaps (overlapping gaps merged)."""
    spans = sorted((max(g.start, start), min(g.end, end)) for g in gaps if g.venue == venue)
    total = 0
    cursor = start
    for lo, hi in spans:
        lo = max(lo, cursor)
        if hi > lo:
            total += hi - lo
            cursor = hi
    return total


# --- comparisons ------------------------------------------------------------------------------


class PastPeriod(msgspec.Struct, frozen=True):
    """A past period as compared: its value and the current value, both over the same venues."""

    start: int
    end: int
    units: int  # the period's value over `venues`
    current_units: int  # the current period's value over `venues`
    venues: list[str]  # V ∖ M: the venues compared
    missing: list[str]  # M: venues of the current period not covered in this one

    @property
    def usd(self) -> float:
        return units_to_usd(self.units)

    @property
    def at_least_current(self) -> bool:
        return self.units >= self.current_units


class Comparison(msgspec.Struct, frozen=True):
    """Where the current period's value stands among comparable past periods of the same length."""

    metric: Metric
    coin: str | None  # None: all coins
    length: int  # ms: the current period's length (a day for "single-day" ranks)
    current_start: int
    current_units: int
    venues: list[str]  # V: venues with a value in the current period
    history_start: int | None  # start of the first past period examined
    examined: int  # past periods examined, from the first with any stored event to the current one
    comparable: list[PastPeriod]  # ordered by start
    excluded: dict[str, int]  # reason → number of periods
    rank: int  # 1 + comparable periods whose value is greater than the current value
    since: PastPeriod | None  # the most recent comparable period with a value >= the current value
    prior: PastPeriod | None  # the largest comparable period among the `prior_periods` just before

    @property
    def current_usd(self) -> float:
        return units_to_usd(self.current_units)

    @property
    def is_record(self) -> bool:
        """Larger than every comparable past period (and there were some)."""
        return bool(self.comparable) and self.since is None

    def baseline(self, n: int = 30) -> list[PastPeriod]:
        """The most recent n comparable periods with every venue covered (oldest first)."""
        full = [p for p in self.comparable if not p.missing]
        return full[-n:]


def compare(
    current_by_venue: Mapping[str, int],
    past: Sequence[Period],
    past_presence: Mapping[int, frozenset[str]],
    gaps: Sequence[Gap],
    first_seen: Mapping[str, int],
    *,
    metric: Metric,
    current_start: int,
    length: int = DAY_MS,
    coin: str | None = None,
    gap_tolerance: float = 0.01,
    max_missing_share: float = 0.05,
    prior_periods: int = 3,
) -> Comparison:
    """Rank the current value (per-venue units of `metric`) against comparable past periods.

    Past periods are (current_start − (k+1)·length, current_start − k·length], k = 0, 1, …, back to
    the first period in which any venue has an event. `past` holds their buckets of the metric
    (same coin filter, same grid); `past_presence` says which venues had any event in each
    (all coins); `first_seen` is each venue's first stored event ts; `gaps` are the feed gaps.
    """
    venues = sorted(v for v, units in current_by_venue.items() if units > 0)
    current_total = sum(current_by_venue.get(v, 0) for v in venues)
    tolerance = int(length * gap_tolerance)
    on_grid = {p.start: p for p in past if p.end <= current_start and p.end - p.start == length}
    starts_seen = [s for s in past_presence if s + length <= current_start and (current_start - s) % length == 0]
    first = min(starts_seen, default=None)
    comparable: list[PastPeriod] = []
    excluded: dict[str, int] = {}
    examined = 0
    if first is not None:
        gap_ms = gap_ms_by_period(gaps, venues, first, current_start, length)
        for start in range(first, current_start, length):
            end = start + length
            examined += 1
            if current_total <= 0:
                excluded["nothing to compare"] = excluded.get("nothing to compare", 0) + 1
                continue
            present = past_presence.get(start, frozenset())
            missing = []
            for v in venues:
                seen = first_seen.get(v)
                covered = (
                    v in present
                    and seen is not None
                    and seen <= start + tolerance
                    and gap_ms.get((v, start), 0) <= tolerance
                )
                if not covered:
                    missing.append(v)
            missing_units = sum(current_by_venue.get(v, 0) for v in missing)
            if missing_units > max_missing_share * current_total:
                reason = (
                    "no venue of the current period collecting" if len(missing) == len(venues) else "coverage differs"
                )
                excluded[reason] = excluded.get(reason, 0) + 1
                continue
            kept = [v for v in venues if v not in missing]
            period = on_grid.get(start)
            units = period.units(kept) if period is not None else 0
            comparable.append(PastPeriod(start, end, units, current_total - missing_units, kept, missing))
    rank = 1 + sum(1 for d in comparable if d.units > d.current_units)
    since = next((d for d in reversed(comparable) if d.at_least_current), None)
    recent = [d for d in comparable if d.start >= current_start - prior_periods * length]
    prior = max(recent, key=lambda d: (d.units, d.start), default=None)
    return Comparison(
        metric=metric,
        coin=coin,
        length=length,
        current_start=current_start,
        current_units=current_total,
        venues=venues,
        history_start=first,
        examined=examined,
        comparable=comparable,
        excluded=dict(sorted(excluded.items())),
        rank=rank,
        since=since,
        prior=prior,
    )


# --- words for spans of time --------------------------------------------------------------------

_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def number_word(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else f"{n:,}"


def span_words(ms: int) -> str | None:
    """A whole, never-overstated span: 95 days → "three months"; under a week → None.

    Rounds DOWN (a record "in three months" must hold for at least three months).
    """
    days = ms // DAY_MS
    if days >= 730:
        years = days // 365
        return f"{number_word(years)} years"
    if days >= 365:
        return "a year"
    months = math.floor(days / 30.4375)
    if months >= 2:
        return f"{number_word(months)} months"
    if days >= 14:
        return f"{number_word(days // 7)} weeks"
    if days >= 7:
        return "a week"
    return None


def days_before_words(days: int) -> str:
    """1 → "a day earlier", 2 → "two days earlier"."""
    if days <= 0:
        return "the same day"
    if days == 1:
        return "a day earlier"
    return f"{number_word(days)} days earlier"
