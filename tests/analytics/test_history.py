"""History: the series reference, comparisons only against comparable coverage, span words."""

from __future__ import annotations

import pytest

from liqwatch.analytics.history import (
    DAY_MS,
    compare,
    days_before_words,
    gap_ms_by_period,
    gap_overlap,
    periods,
    presence,
    series,
    span_words,
)
from liqwatch.analytics.summary import usd_units
from liqwatch.model import Gap, Liquidation
from tests.analytics.factories import AT, H, ev

MIDNIGHT = AT // DAY_MS * DAY_MS + DAY_MS  # the day after AT's day starts here


def day_events(day: int, venue: str, short: float, long: float = 0.0, n: int = 1) -> list[Liquidation]:
    """n shorts and n longs spread over one day (day = index before MIDNIGHT: 0 is the current day)."""
    start = MIDNIGHT - (day + 1) * DAY_MS
    out = []
    for i in range(n):
        ts = start + 1 + i * (DAY_MS // max(n, 1))
        if short:
            out.append(ev(ts, short / n, venue=venue, side="short", id=f"{venue}:s:{day}:{i}"))
        if long:
            out.append(ev(ts, long / n, venue=venue, side="long", id=f"{venue}:l:{day}:{i}"))
    return out


def compare_events(events: list[Liquidation], metric: str = "short", gaps: list[Gap] = (), **kw: object):  # type: ignore[no-untyped-def, assignment]
    current_start = MIDNIGHT - DAY_MS
    first = min(e.ts for e in events)
    since = (first - 1) // DAY_MS * DAY_MS
    past_rows = series(events, since, current_start, DAY_MS)
    current_rows = series(events, current_start, MIDNIGHT, DAY_MS)
    current = {r.venue: r.units(metric) for r in current_rows}  # type: ignore[arg-type]
    first_seen: dict[str, int] = {}
    for e in sorted(events, key=lambda e: e.ts):
        first_seen.setdefault(e.venue, e.ts)
    return compare(
        current,
        periods(past_rows, metric),  # type: ignore[arg-type]
        presence(past_rows),
        list(gaps),
        first_seen,
        metric=metric,  # type: ignore[arg-type]
        current_start=current_start,
        **kw,  # type: ignore[arg-type]
    )


def test_series_reference_buckets_and_clips() -> None:
    events = [
        ev(AT, 10.0, venue="bybit", side="long", id="a"),
        ev(AT + 1, 5.0, venue="bybit", side="short", id="b"),
        ev(AT + 1, None, venue="okx", side="short", id="c", coverage="sampled"),
        ev(AT + 2 * H, 1.0, venue="okx", side="short", id="d"),
    ]
    rows = series(events, AT - 30 * 60_000, AT + H + 1, H)
    assert [(r.start, r.end, r.venue, r.coverage, r.count) for r in rows] == [
        (AT - 30 * 60_000, AT, "bybit", "complete", 1),
        (AT, AT + H, "bybit", "complete", 1),
        (AT, AT + H, "okx", "sampled", 1),
    ]
    assert rows[2].unpriced_count == 1 and rows[2].short_units == 0
    assert series(events, AT, AT + 3 * H, H, venues=["okx"], coins=["BTC"])[0].venue == "okx"
    assert series(events, AT, AT + 3 * H, H, coins=["ETH"]) == []


def test_largest_since_a_day_and_rank() -> None:
    events = []
    values = {10: 900.0, 9: 100.0, 5: 2000.0, 4: 50.0, 3: 60.0, 2: 70.0, 1: 80.0, 0: 1000.0}
    for day in range(11):
        events += day_events(day, "bybit", values.get(day, 10.0), long=5.0)
    c = compare_events(events)
    assert c.current_units == usd_units(1000.0)
    assert c.examined == 10 and len(c.comparable) == 10
    assert c.rank == 2  # day 5 only
    assert c.since is not None and c.since.start == MIDNIGHT - 6 * DAY_MS and c.since.usd == 2000.0
    assert not c.is_record
    assert c.prior is not None and c.prior.usd == 80.0  # the largest of the three days before
    assert c.prior.start == MIDNIGHT - 2 * DAY_MS


def test_a_record_against_comparable_days() -> None:
    events = []
    for day in range(8):
        events += day_events(day, "bybit", 5000.0 if day == 0 else 100.0 * day)
    c = compare_events(events)
    assert c.is_record and c.rank == 1 and c.since is None and len(c.comparable) == 7


def test_days_a_main_venue_did_not_collect_are_not_comparable() -> None:
    events = []
    for day in range(6):
        events += day_events(day, "binance_usdm", 1000.0)
    for day in range(3):
        events += day_events(day, "bybit", 1000.0)
    # days 3..5 had only binance: bybit is half of today's value, so they cannot be compared
    c = compare_events(events)
    assert [p.start for p in c.comparable] == [MIDNIGHT - 3 * DAY_MS, MIDNIGHT - 2 * DAY_MS]
    assert c.excluded == {"coverage differs": 3}


def test_a_minor_missing_venue_is_removed_from_both_sides() -> None:
    events = []
    for day in range(4):
        events += day_events(day, "binance_usdm", 1000.0 if day else 1010.0)
    events += day_events(0, "deribit", 20.0)  # deribit only today: 1.9% of today's shorts
    c = compare_events(events)
    assert len(c.comparable) == 3
    last = c.comparable[-1]
    assert last.missing == ["deribit"] and last.venues == ["binance_usdm"]
    assert last.current_units == usd_units(1010.0)  # today without deribit
    assert c.is_record  # 1010 > 1000 on binance alone


def test_a_past_day_with_a_long_gap_is_not_comparable_and_a_short_gap_is() -> None:
    events = []
    for day in range(4):
        events += day_events(day, "bybit", 100.0, n=4)
    day2 = MIDNIGHT - 3 * DAY_MS
    day1 = MIDNIGHT - 2 * DAY_MS
    gaps = [Gap("bybit", day2 + H, day2 + 4 * H, "outage"), Gap("bybit", day1 + H, day1 + H + 60_000, "reconnect")]
    c = compare_events(events, gaps=gaps)
    assert [p.start for p in c.comparable] == [MIDNIGHT - 4 * DAY_MS, day1]


def test_the_first_partial_day_of_a_venue_is_not_comparable() -> None:
    events = day_events(0, "bybit", 100.0) + day_events(1, "bybit", 100.0)
    late_start = ev(MIDNIGHT - 3 * DAY_MS + 12 * H, 500.0, venue="bybit", side="short", id="late")
    c = compare_events([*events, late_start])
    assert [p.start for p in c.comparable] == [MIDNIGHT - 2 * DAY_MS]


def test_nothing_to_compare_when_the_current_value_is_zero() -> None:
    events = day_events(0, "bybit", 0.0, long=10.0) + day_events(1, "bybit", 10.0)
    c = compare_events(events)
    assert c.comparable == [] and c.venues == [] and not c.is_record


def test_baseline_uses_fully_covered_periods() -> None:
    events = []
    for day in range(40):
        events += day_events(day, "bybit", 100.0 + day)
    c = compare_events(events)
    base = c.baseline(30)
    assert len(base) == 30 and base[-1].start == MIDNIGHT - 2 * DAY_MS


def test_gap_overlap_merges_overlapping_gaps() -> None:
    gaps = [Gap("a", 0, 100, "x"), Gap("a", 50, 150, "y"), Gap("b", 0, 1000, "z"), Gap("a", 400, 500, "w")]
    assert gap_overlap(gaps, "a", 0, 1000) == 250
    assert gap_overlap(gaps, "a", 120, 450) == 80
    assert gap_overlap(gaps, "c", 0, 1000) == 0
    by_period = gap_ms_by_period(gaps, ["a", "b", "c"], -200, 1200, 130)
    for venue in ("a", "b", "c"):
        for start in range(-200, 1200, 130):
            assert by_period.get((venue, start), 0) == gap_overlap(gaps, venue, start, start + 130)


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (3, None),
        (7, "a week"),
        (13, "a week"),
        (14, "two weeks"),
        (59, "eight weeks"),
        (60, "eight weeks"),
        (61, "two months"),
        (92, "three months"),
        (91, "two months"),
        (364, "eleven months"),
        (365, "a year"),
        (729, "a year"),
        (1461, "four years"),
    ],
)
def test_span_words_round_down(days: int, words: str | None) -> None:
    assert span_words(days * DAY_MS) == words


def test_days_before_words() -> None:
    assert days_before_words(1) == "a day earlier"
    assert days_before_words(2) == "two days earlier"
    assert days_before_words(0) == "the same day"
