"""LiveWindows equals the reference `summarize` at every supported moment; slices; O(1)-ish structure.

Supported moments: any `at` at or after the cursor (the latest `advance`, which `summary(at)`
performs). The equality is checked with the events fed so far, deduplicated by id (first copy).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liqwatch.analytics.summary import Summary, parse_windows, summarize, units_to_usd, usd_units
from liqwatch.analytics.windows import DEFAULT_WINDOWS, LiveWindows, Slices, slice_label, slices
from liqwatch.model import Gap, Liquidation
from liqwatch.pipeline import Pipeline, Sink
from tests.analytics.factories import AT, COINS, VENUES, WINDOW_SETS, H, ev, events_around

W4 = parse_windows("1h,4h,12h,24h")


def distinct(events: Iterable[Liquidation]) -> list[Liquidation]:
    """First copy of each id (what the pipeline and the store keep)."""
    seen: dict[str, Liquidation] = {}
    for event in events:
        seen.setdefault(event.id, event)
    return list(seen.values())


def assert_same(live: LiveWindows, fed: list[Liquidation], at: int) -> Summary:
    got = live.summary(at)
    want = summarize(distinct(fed), at, live.windows)
    assert got == want
    # the order of breakdowns is part of the contract (ranked), and dict equality ignores it
    for g, w in zip(got.windows, want.windows, strict=True):
        assert list(g.by_coin) == list(w.by_coin)
        assert list(g.by_venue) == list(w.by_venue)
        assert list(g.coverage) == list(w.coverage)
    return got


# --- the contract, by hypothesis --------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[tuple[str, int]], list[Liquidation], list[int], list[int]]:
    """Windows, events in arrival order (shuffled, with duplicates), chunk sizes, and checkpoints."""
    windows = draw(st.sampled_from(WINDOW_SETS))
    events = draw(events_around(AT, windows))
    if events:
        repeats = draw(st.lists(st.sampled_from(events), max_size=8))  # the same liquidation again
        events = events + repeats
    events = draw(st.permutations(events))
    # checkpoints: times on and around the window edges of the events, and anywhere
    lengths = [length for _, length in windows]
    edges = [e.ts + d + length for e in events for length in lengths for d in (-1, 0, 1)]
    edges += [e.ts + d for e in events for d in (-1, 0)]
    longest = max(lengths)
    point = st.integers(AT - longest - 2 * H, AT + 2 * H)
    if edges:
        point = st.one_of(st.sampled_from(edges), point)
    checkpoints = sorted(draw(st.lists(point, min_size=1, max_size=12)))
    # the first batch comes after the first checkpoint (events arrive into running windows) or before
    chunks = draw(st.lists(st.integers(0, 8), min_size=len(checkpoints), max_size=len(checkpoints)))
    return windows, events, chunks, checkpoints


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_summary_equals_the_reference_at_every_checkpoint(
    scenario: tuple[list[tuple[str, int]], list[Liquidation], list[int], list[int]],
) -> None:
    windows, events, chunks, checkpoints = scenario
    live = LiveWindows(windows)
    fed: list[Liquidation] = []
    position = 0
    for size, at in zip(chunks, checkpoints, strict=True):
        assert_same(live, fed, at)
        batch = events[position : position + size]
        position += size
        live.write(batch)
        fed += batch
        assert_same(live, fed, at)  # the same moment, after the batch arrived
        assert_same(live, fed, at)  # asking twice changes nothing
    live.write(events[position:])
    fed += events[position:]
    assert_same(live, fed, checkpoints[-1])
    newest = max([checkpoints[-1], *(e.ts for e in events)])
    assert_same(live, fed, newest)
    assert_same(live, fed, newest + max(length for _, length in windows))  # all expired
    stats = live.stats()
    assert stats.held == stats.pending == stats.ids == 0


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_single_events_on_every_boundary(data: st.DataObject) -> None:
    """One event, checked one ms before, on and after each of its window edges."""
    windows = data.draw(st.sampled_from(WINDOW_SETS))
    usd = data.draw(st.one_of(st.none(), st.floats(0, 1e9)))
    event = ev(AT, usd, id="only")
    live = LiveWindows(windows)
    live.write([event])
    moments = sorted({AT + d + length for _, length in windows for d in (-1, 0, 1)} | {AT - 1, AT, AT + 1})
    for at in moments:
        assert_same(live, [event], at)


def test_supported_moments_are_at_or_after_the_cursor() -> None:
    live = LiveWindows(W4)
    events = [ev(AT - 10, 5.0, id="a")]
    live.write(events)
    assert_same(live, events, AT)
    assert_same(live, events, AT)  # the cursor itself
    with pytest.raises(ValueError, match="before the windows' cursor"):
        live.summary(AT - 1)
    with pytest.raises(ValueError, match="before the windows' cursor"):
        live.advance(AT - 1)
    assert live.now == AT
    assert_same(live, events, AT + 1)


def test_events_newer_than_the_cursor_wait_and_then_count() -> None:
    live = LiveWindows(W4)
    live.advance(AT)
    future = [ev(AT + 5_000, 7.0, id="ahead"), ev(AT + 1, 3.0, id="just-ahead")]
    live.write(future)
    assert live.stats().pending == 2
    assert assert_same(live, future, AT).windows[0].count == 0
    assert assert_same(live, future, AT + 1).windows[0].count == 1
    assert assert_same(live, future, AT + 5_000).windows[0].total_usd == 10.0
    assert live.stats().pending == 0


@pytest.mark.parametrize("late", [False, True])
def test_the_largest_leaves_exactly_on_its_window_start(late: bool) -> None:
    """In order (appended) or a straggler (inserted): gone when ts == at - 1h."""
    live = LiveWindows(W4)
    live.advance(AT)
    big, small = ev(AT - 100, 1_000.0, id="big"), ev(AT - 10, 1.0, id="small")
    live.write([small, big] if late else [big, small])
    assert live.stats().stragglers == (1 if late else 0)
    for at in (AT, AT - 100 + H - 1, AT - 100 + H, AT - 10 + H - 1, AT - 10 + H):
        got = assert_same(live, [big, small], at).windows[0].largest
        want = big if at < AT - 100 + H else small if at < AT - 10 + H else None
        assert got == want


def test_too_old_events_and_duplicates_are_ignored_and_counted() -> None:
    live = LiveWindows(W4)
    live.advance(AT)
    live.write([ev(AT - 24 * H, 1.0, id="on-the-24h-start"), ev(AT - 24 * H + 1, 2.0, id="inside")])
    live.write([ev(AT - 24 * H + 1, 2.0, id="inside")])
    stats = live.stats()
    assert (stats.accepted, stats.too_old, stats.duplicates, stats.held) == (1, 1, 1, 1)
    assert live.summary(AT).windows[-1].total_usd == 2.0


def test_invalid_usd_is_counted_not_raised_by_write() -> None:
    live = LiveWindows(W4)
    live.advance(AT)
    live.write([ev(AT - 1, float("inf"), id="bad"), ev(AT - 2, 1.0, id="good")])
    assert live.stats().invalid == 1
    assert live.summary(AT).windows[0].count == 1
    with pytest.raises(ValueError):
        live.add(ev(AT - 3, float("nan"), id="bad2"))


def test_clock_drives_write_and_summary() -> None:
    now = [AT]
    live = LiveWindows(W4, clock=lambda: now[0])
    live.write([ev(AT - H + 11, 1.0, id="x"), ev(AT + 10, 2.0, id="y")])
    assert live.now == AT
    assert live.summary().windows[0].total_usd == 1.0
    now[0] = AT + 10
    assert live.summary().windows[0].total_usd == 3.0
    now[0] = AT + 5  # a wall clock stepping back: the cursor stays
    assert live.summary().at == AT + 10
    now[0] = AT + H + 5
    live.write([])
    assert live.summary().windows[0].total_usd == 2.0


def test_summary_without_time_or_clock_needs_a_cursor() -> None:
    live = LiveWindows(W4)
    with pytest.raises(ValueError, match="no time given"):
        live.summary()
    live.advance(AT)
    assert live.summary().at == AT


def test_is_a_pipeline_sink() -> None:
    live = LiveWindows()
    assert isinstance(live, Sink)
    assert live.windows == DEFAULT_WINDOWS
    pipeline = Pipeline([live])
    events = [ev(AT - i, 10.0, id=f"p{i}") for i in range(5)]
    pipeline.publish(events)
    pipeline.publish(events[:2])
    live.write_gap(Gap("bybit", AT - 10, AT, "test"))
    pipeline.close()
    assert live.summary(AT).windows[0].count == 5 and live.gaps == 1


def test_rejects_bad_windows() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LiveWindows([])
    with pytest.raises(ValueError, match="duplicate"):
        LiveWindows([("1h", H), ("1h", H)])


# --- streams: realistic arrival orders, long runs --------------------------------------------------


def stream(n: int, *, jitter_ms: int, seed: int, step_ms: int = 1_700) -> list[Liquidation]:
    """n events about `step_ms` apart, each arriving up to `jitter_ms` late (out of ts order)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ts = AT + i * step_ms + rng.randrange(step_ms)
        usd = None if rng.random() < 0.03 else round(rng.lognormvariate(8, 2), 2)
        out.append(
            ev(
                ts,
                usd,
                venue=rng.choice(VENUES),
                coin=rng.choice(COINS),
                side=rng.choice(["long", "short"]),
                coverage=rng.choice(["sampled", "complete"]),
                id=f"s{i}",
                recv_ts=ts + rng.randrange(jitter_ms + 1),
            )
        )
    out.sort(key=lambda e: e.recv_ts)  # arrival order
    return out


@pytest.mark.parametrize("jitter_ms", [0, 5_000, 4 * H])
def test_long_streams_match_the_reference(jitter_ms: int) -> None:
    """3,000 events over ~1.4 days, the clock at each arrival, checked every 97 events."""
    events = stream(3_000, jitter_ms=jitter_ms, seed=jitter_ms, step_ms=40_000)
    live = LiveWindows(W4)
    fed: list[Liquidation] = []
    for i, event in enumerate(events):
        live.advance(max(event.recv_ts - 2_000, live.now or 0))  # events up to 2 s ahead of the clock
        live.write([event])
        fed.append(event)
        if i % 97 == 0:
            assert_same(live, fed, live.now or AT)
    assert_same(live, fed, (live.now or AT) + 5 * H)


def test_work_is_linear_and_memory_holds_only_the_longest_window() -> None:
    """In ts order: no stragglers, O(1) amortized steps per event, nothing older than 24 h kept."""
    n = 60_000
    step = 3_000  # 50 hours of events
    live = LiveWindows(W4)
    for i in range(n):
        event = ev(AT + i * step, float(1 + (i * 7919) % 1000), id=f"i{i}")
        live.advance(event.ts)
        live.write([event])
        stats = live.stats()
        if i % 5_000 == 0:
            assert stats.stragglers == 0
            assert stats.held == min(i + 1, 24 * H // step)
            assert stats.in_window == [min(i + 1, length // step) for _, length in W4]
            assert stats.ids == stats.held  # nothing pending, nothing older remembered
            assert stats.spine <= 2 * stats.held + 1024  # dead rows are compacted away
    stats = live.stats()
    # each event is appended once and expired once per window; the staircase drops each
    # candidate at most once: a constant number of steps per event and window
    assert stats.steps <= 3 * len(W4) * n
    assert stats.staircase < 200  # only orders no newer one beats are kept whole


def test_stragglers_are_inserted_near_the_tail_and_memory_stays_bounded() -> None:
    """Jittered arrivals: a straggler moves only the few rows newer than it; nothing grows."""
    events = stream(20_000, jitter_ms=10_000, seed=7, step_ms=2_000)
    live = LiveWindows(W4)
    worst_stair = 0
    for event in events:
        live.advance(max(event.recv_ts - 1_000, live.now or 0))
        live.write([event])
        stats = live.stats()
        worst_stair = max(worst_stair, stats.staircase)
        assert stats.spine <= 2 * stats.held + 1024 and stats.ids == stats.held + stats.pending
    stats = live.stats()
    assert stats.stragglers > 0  # the jitter did produce stragglers
    # a straggler is at most 10 s (≈ 5 events) out of place: moving rows stays O(1) per event
    assert stats.steps <= 6 * len(W4) * len(events)
    assert worst_stair < 200


# --- slices ----------------------------------------------------------------------------------------


def test_slice_labels() -> None:
    assert slice_label(None, "1h") == "0–1h"
    assert slice_label("1h", "4h") == "1–4h"
    assert slice_label("12h", "24h") == "12–24h"
    assert slice_label("30m", "4h") == "30m–4h"


def test_slices_of_events_nested_windows_and_dominant() -> None:
    events = [
        ev(AT - 10, 100.0, side="long", id="a"),  # 0–1h
        ev(AT - H, 50.0, side="short", id="b"),  # on the 1h start: 1–4h
        ev(AT - 2 * H, None, id="c"),  # 1–4h, unpriced
        ev(AT - 5 * H, 400.0, side="short", id="d"),  # 4–12h
        ev(AT - 20 * H, 600.0, side="long", id="e"),  # 12–24h
        ev(AT - 24 * H, 1e6, id="f"),  # on the 24h start: outside
    ]
    result = slices(events, AT)
    assert [s.label for s in result.slices] == ["0–1h", "1–4h", "4–12h", "12–24h"]
    assert [(s.start, s.end) for s in result.slices] == [
        (AT - H, AT),
        (AT - 4 * H, AT - H),
        (AT - 12 * H, AT - 4 * H),
        (AT - 24 * H, AT - 12 * H),
    ]
    assert [s.total_usd for s in result.slices] == [100.0, 50.0, 400.0, 600.0]
    assert [s.count for s in result.slices] == [1, 2, 1, 1]
    assert result.slices[1].unpriced_count == 1 and result.slices[1].short_usd == 50.0
    assert result.dominant == "12–24h"  # the most USD
    assert result.densest == "0–1h"  # the most USD per hour: 100/h against 50/h, 600/12h
    assert result.slices[2].usd_per_hour == 50.0
    assert slices([], AT).dominant is None


def test_dominant_ties_go_to_the_most_recent_slice() -> None:
    events = [ev(AT - 2 * H, 10.0, id="x"), ev(AT - 6 * H, 10.0, id="y")]
    assert slices(events, AT).dominant == "1–4h"


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_slices_agree_across_sources_and_add_up(data: st.DataObject) -> None:
    at = data.draw(st.integers(AT - H, AT + H))
    events = distinct(data.draw(events_around(at, W4)))
    live = LiveWindows(W4)
    live.write(events)
    from_live = slices(live, at)
    from_events = slices(events, at)
    assert from_live == from_events
    summary = summarize(events, at, W4)
    big = sum(usd_units(e.usd) or 0 for e in events) >= 2**26 * 100_000_000
    if not big:  # floats recover exact units below 2**26 USD
        assert slices(summary) == from_events
    # the slices partition the longest window
    outer = summary.windows[-1]
    parts: Slices = from_events
    assert sum(s.count for s in parts.slices) == outer.count
    units = sum(usd_units(e.usd) or 0 for e in events if at - 24 * H < e.ts <= at)
    assert units_to_usd(units) == outer.total_usd
    assert sum(s.long_count for s in parts.slices) == outer.long_count


def test_slices_from_a_summary_checks_at_and_refuses_equal_lengths() -> None:
    summary = summarize([ev(AT - 1, 1.0)], AT, W4)
    assert slices(summary).at == AT
    with pytest.raises(ValueError, match="not the summary's at"):
        slices(summary, AT + 1)
    with pytest.raises(ValueError, match="same length"):
        slices([], AT, [("60m", H), ("1h", H)])
    with pytest.raises(ValueError, match="need `at`"):
        slices([])
