"""Ranks of calendar periods (UTC day, weekend, week, month) over a NAMED basis: liqwatch's own
events, or an imported aggregate series of the same scope (coin, set of exchanges).

Pure. A basis is a set of daily lanes, one per venue (a liqwatch venue, or an exchange as a
provider names it, or ALL for a provider's unnamed aggregate): lane[day start] = (long USD,
short USD) for the UTC days that venue is KNOWN, and nothing for the days it is not (a provider
that did not cover it; liqwatch not collecting it, or a gap). A day absent from a lane is
unknown, never zero.

Ranking a period P of kind K on a basis: the venues compared are the lanes known on every day of
P; each earlier period of kind K is comparable when all those venues are known on all its days,
and otherwise counted as unknown (a gap in the record, named in the sentence). The rank is 1 +
the comparable periods with a greater value; "since" is the most recent comparable period with
a value at least as large; the record begins with the first comparable period. Between bases,
the one with the most comparable periods wins (liqwatch's own events on a tie).

Periods: [start, end) in UTC. A weekend is Saturday 00:00 to Monday 00:00; a week is Monday to
Monday (ISO); a month is a calendar month.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal

import msgspec

from liqwatch.aggregates import ALL, AggregateRow, describe_venues

DAY_MS = 86_400_000
MAX_BACK_MS = 11 * 366 * DAY_MS  # ranks look back at most ~ten years

PeriodKind = Literal["day", "weekend", "week", "month"]
KINDS: tuple[PeriodKind, ...] = ("day", "weekend", "week", "month")
Metric = Literal["long", "short", "total"]
OWN = "liqwatch"
OWN_MAX_MISSING_SHARE = 0.05  # as analytics.history.compare: a quiet minor venue does not void a period

Lane = dict[int, tuple[float, float]]  # UTC day start → (long USD, short USD)


class Basis(msgspec.Struct, frozen=True):
    """Daily lanes of one source for one coin (None: all coins, liqwatch's own events only)."""

    source: str  # OWN, "coinalyze", "coinglass"
    coin: str | None
    lanes: dict[str, Lane]  # venue → its known days
    # an earlier period missing venues that hold at most this share of the current value is still
    # compared, on the venues it has (both sides); 0: every venue must be known
    max_missing_share: float = 0.0


class Past(msgspec.Struct, frozen=True):
    start: int
    end: int
    usd: float  # the earlier period's value
    current_usd: float  # the ranked period's value over the same venues (less when some were missing)


class PeriodRank(msgspec.Struct, frozen=True):
    """Where one period stands among the comparable earlier periods of its kind on one basis."""

    kind: PeriodKind
    start: int
    end: int
    metric: Metric
    coin: str | None
    source: str
    basis: str  # names the basis: "Coinalyze, 7 exchanges", "liqwatch's own records, 5 venues"
    venues: list[str]  # the venues compared
    usd: float  # the period's value on those venues
    comparable: int  # earlier periods with every compared venue known on every day
    rank: int  # 1 + comparable periods with a greater value
    records_begin: int  # start of the first comparable period (this period's when there is none)
    unknown: int  # earlier periods since records_begin left out: a compared venue not known
    fewer: int  # comparable periods compared without a minor venue (see Basis.max_missing_share)
    since: Past | None  # the most recent comparable period with a value >= this one
    largest: Past | None  # the largest comparable period

    @property
    def is_record(self) -> bool:
        return self.comparable > 0 and self.since is None


class HistoryRanks(msgspec.Struct, frozen=True):
    """A period's rank on the longest comparable series, every basis's rank, and the sentence."""

    kind: PeriodKind
    start: int
    end: int
    metric: Metric
    coin: str | None
    best: PeriodRank | None  # on the longest comparable series; None: nothing comparable
    others: list[PeriodRank]  # every basis that covers the period, best first
    sentence: str


# --- calendar ---------------------------------------------------------------------------------


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _month_start(ms: int, months_ahead: int = 0) -> int:
    d = _dt(ms)
    index = d.year * 12 + d.month - 1 + months_ahead
    return _ms(datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC))


def period_at(kind: PeriodKind, ts: int) -> tuple[int, int]:
    """The period of `kind` holding the instant ts; for a weekend on a weekday, the weekend before."""
    day = ts // DAY_MS * DAY_MS
    weekday = _dt(day).weekday()  # Monday 0 … Sunday 6
    if kind == "day":
        return day, day + DAY_MS
    if kind == "week":
        start = day - weekday * DAY_MS
        return start, start + 7 * DAY_MS
    if kind == "weekend":
        back = weekday - 5 if weekday >= 5 else weekday + 2
        start = day - back * DAY_MS
        return start, start + 2 * DAY_MS
    start = _month_start(day)
    return start, _month_start(day, 1)


def last_complete(kind: PeriodKind, at: int) -> tuple[int, int]:
    """The latest period of `kind` that has ended by `at` (end <= at)."""
    start, end = period_at(kind, at - 1)
    while end > at:
        start, end = previous(kind, start)
    return start, end


def period_window(kind: PeriodKind, at: int) -> tuple[tuple[str, int], int]:
    """The report window ((label, length), end) of the last `kind` period ended by `at`."""
    start, end = last_complete(kind, at)
    days = (end - start) // DAY_MS
    return ("24h" if days == 1 else f"{days}d", end - start), end


def previous(kind: PeriodKind, start: int) -> tuple[int, int]:
    """The period of `kind` just before the one starting at `start`."""
    if kind == "day":
        return start - DAY_MS, start
    if kind == "week":
        return start - 7 * DAY_MS, start
    if kind == "weekend":
        return start - 7 * DAY_MS, start - 5 * DAY_MS
    return _month_start(start, -1), start


def days(start: int, end: int) -> range:
    return range(start // DAY_MS * DAY_MS, end, DAY_MS)


# --- lanes --------------------------------------------------------------------------------------


def aggregate_bases(rows: Iterable[AggregateRow]) -> list[Basis]:
    """One basis per (source, coin, venue family): the exchanges a source names separately share a
    basis (one lane each); an unnamed aggregate (ALL) is a basis of its own. A day is known in a
    lane when the source covers every bucket of it at one interval (intervals over a day: never)."""
    buckets: dict[tuple[str, str, str, int], dict[int, list[tuple[float, float]]]] = {}
    for r in rows:
        if r.interval_ms <= 0 or r.interval_ms > DAY_MS or DAY_MS % r.interval_ms:
            continue
        day = r.start_ts // DAY_MS * DAY_MS
        buckets.setdefault((r.source, r.coin, r.venues, r.interval_ms), {}).setdefault(day, []).append(
            (r.long_usd, r.short_usd)
        )
    lanes: dict[tuple[str, str, bool], dict[str, Lane]] = {}
    # coarsest interval first: a day a coarser series covers is taken from it
    for (source, coin, venues, interval), by_day in sorted(buckets.items(), key=lambda kv: -kv[0][3]):
        need = DAY_MS // interval
        lane = lanes.setdefault((source, coin, venues == ALL), {}).setdefault(venues, {})
        for day, values in by_day.items():
            if len(values) == need and day not in lane:
                lane[day] = (sum(v[0] for v in values), sum(v[1] for v in values))
    return [Basis(source, coin, family) for (source, coin, _), family in sorted(lanes.items())]


def own_basis(
    coin: str | None,
    values: Mapping[tuple[str, int], tuple[float, float]],
    known: Mapping[str, Iterable[int]],
) -> Basis:
    """liqwatch's own events as a basis: `values` (venue, day) → (long, short) USD of the coin (or
    all coins); `known` venue → the days it was collecting (see queries.own_known_days)."""
    lanes: dict[str, Lane] = {}
    for venue, known_days in known.items():
        lanes[venue] = {d: values.get((venue, d), (0.0, 0.0)) for d in known_days}
    return Basis(OWN, coin, lanes, OWN_MAX_MISSING_SHARE)


def basis_name(basis: Basis, venues: Sequence[str]) -> str:
    if basis.source == OWN:
        n = len(venues)
        return f"liqwatch's own records, {n} venue{'s' * (n != 1)}"
    return describe_venues(basis.source, list(venues))


# --- ranking ------------------------------------------------------------------------------------


def _value(lanes: Mapping[str, Lane], venues: Sequence[str], start: int, end: int, metric: Metric) -> float | None:
    total = 0.0
    for v in venues:
        lane = lanes[v]
        for d in days(start, end):
            pair = lane.get(d)
            if pair is None:
                return None
            total += pair[0] if metric == "long" else pair[1] if metric == "short" else pair[0] + pair[1]
    return total


def rank(basis: Basis, kind: PeriodKind, period: tuple[int, int], metric: Metric) -> PeriodRank | None:
    """The period's rank on the basis; None when no venue of the basis is known all through it."""
    start, end = period
    venues = sorted(v for v, lane in basis.lanes.items() if all(d in lane for d in days(start, end)))
    if not venues:
        return None
    by_venue = {v: _value(basis.lanes, [v], start, end, metric) or 0.0 for v in venues}
    current = sum(by_venue.values())
    earliest = min(min(basis.lanes[v]) for v in venues)
    floor = max(earliest, start - MAX_BACK_MS)
    comparable: list[Past] = []  # newest first
    unknown_since_last_known = 0
    unknown = 0
    fewer = 0
    p_start, p_end = previous(kind, start)
    while p_start >= floor:
        past = _past(basis, venues, by_venue, current, p_start, p_end, metric)
        if past is None:
            unknown_since_last_known += 1
        else:
            unknown += unknown_since_last_known  # gaps count only between known periods
            unknown_since_last_known = 0
            comparable.append(past)
            fewer += past.current_usd != current
        p_start, p_end = previous(kind, p_start)
    greater = sum(1 for p in comparable if p.usd > p.current_usd)
    since = next((p for p in comparable if p.usd >= p.current_usd), None)
    largest = max(comparable, key=lambda p: (p.usd, p.start), default=None)
    return PeriodRank(
        kind=kind,
        start=start,
        end=end,
        metric=metric,
        coin=basis.coin,
        source=basis.source,
        basis=basis_name(basis, venues),
        venues=venues,
        usd=current,
        comparable=len(comparable),
        rank=1 + greater,
        records_begin=comparable[-1].start if comparable else start,
        unknown=unknown,
        fewer=fewer,
        since=since,
        largest=largest,
    )


def _past(
    basis: Basis,
    venues: Sequence[str],
    by_venue: Mapping[str, float],
    current: float,
    start: int,
    end: int,
    metric: Metric,
) -> Past | None:
    """An earlier period as compared, or None when it is not comparable (see Basis.max_missing_share)."""
    missing = [v for v in venues if any(d not in basis.lanes[v] for d in days(start, end))]
    if not missing:
        value = _value(basis.lanes, venues, start, end, metric)
        return None if value is None else Past(start, end, value, current)
    if len(missing) == len(venues) or sum(by_venue[v] for v in missing) > basis.max_missing_share * current:
        return None
    kept = [v for v in venues if v not in missing]
    value = _value(basis.lanes, kept, start, end, metric)
    return None if value is None else Past(start, end, value, sum(by_venue[v] for v in kept))


def best(
    bases: Iterable[Basis], kind: PeriodKind, period: tuple[int, int], metric: Metric
) -> tuple[PeriodRank | None, list[PeriodRank]]:
    """The rank on the longest comparable series (own events first on a tie), and every basis's rank."""
    ranks = [r for b in bases if (r := rank(b, kind, period, metric)) is not None]
    ranks.sort(key=lambda r: (-r.comparable, r.source != OWN, r.basis))
    return (ranks[0] if ranks else None), ranks
