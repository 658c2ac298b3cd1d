"""One snapshot per article: every figure of a report comes from one read of the window's events,
so no share is above 100% and no part is larger than its whole, on any tape (property-tested);
and a report written while events keep arriving stays consistent."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from liqwatch.model import Gap, Liquidation
from liqwatch.report.build import build
from liqwatch.report.collect import collect, window_view
from liqwatch.report.model import Inputs, Report
from liqwatch.store.base import VenueSpan
from liqwatch.store.duckdb import DuckDBStore
from tests.report import tapes

AT = tapes.AT
WINDOW = ("24h", tapes.DAY)


def inputs_of(events: list[Liquidation], at: int = AT, gaps: list[Gap] | None = None) -> Inputs:
    """Inputs as `collect` builds them, from events only (no history, candles or gaps)."""
    view = window_view(events, at, WINDOW)
    venues = sorted({e.venue for e in events})
    spans = [
        VenueSpan(v, min(e.ts for e in events if e.venue == v), max(e.ts for e in events if e.venue == v), 1)
        for v in venues
    ]
    return Inputs(
        at=at,
        window=WINDOW,
        windows=[("1h", tapes.H), ("4h", 4 * tapes.H), ("12h", 12 * tapes.H), WINDOW],
        summary=view.summary,
        current=view.current,
        coin_current=view.coin_current,
        slices=view.slices,
        chart_step=tapes.H,
        chart=view.chart,
        gaps=gaps or [],
        spans=spans,
        venue_notes={},
        history=[],
        coin_history={},
        history_gaps=[],
        events=view.events,
        candles={},
        open_interest={},
        funding={},
    )


def assert_parts_within_wholes(report: Report) -> None:
    eps = 1e-6
    for key, fig in report.figures.items():
        if fig.unit == "ratio" and fig.query.op == "share":
            assert 0 <= float(fig.value or 0) <= 1, (key, fig.value)
            printed = re.fullmatch(r"(\d+)%", fig.text)
            assert printed is None or int(printed.group(1)) <= 100, (key, fig.text)
    total = report.windows[-1].total_usd if report.windows else 0.0
    for row in report.windows + report.slices:
        assert abs(row.long_usd + row.short_usd - row.total_usd) <= eps * max(1.0, row.total_usd)
        assert row.total_usd <= total + eps * max(1.0, total), row
    for shorter, longer in zip(report.windows, report.windows[1:], strict=False):
        assert shorter.total_usd <= longer.total_usd + eps and shorter.count <= longer.count
    assert abs(sum(s.total_usd for s in report.slices) - total) <= eps * max(1.0, total)
    assert sum(s.count for s in report.slices) == (report.windows[-1].count if report.windows else 0)
    for coin in report.coins:
        assert coin.total_usd <= total + eps and coin.long_usd <= coin.total_usd + eps
    for cascade in report.cascades:
        side = report.windows[-1].long_usd if cascade["side"] == "long" else report.windows[-1].short_usd
        assert cascade["usd"] <= side + eps
    if report.largest is not None and report.largest.usd is not None:
        coin = next(c for c in report.coins if c.coin == report.largest.coin)
        assert report.largest.usd <= coin.total_usd + eps


events_strategy = st.lists(
    st.tuples(
        st.integers(min_value=AT - tapes.DAY - 5_000, max_value=AT + 5_000),  # some outside the window
        st.one_of(st.none(), st.floats(min_value=0.01, max_value=5e7, allow_nan=False)),
        st.sampled_from(tapes.VENUES),
        st.sampled_from(sorted(tapes.COIN_PRICES)),
        st.sampled_from(["long", "short"]),
    ),
    max_size=60,
)


gaps_strategy = st.lists(
    st.tuples(st.sampled_from(tapes.VENUES), st.integers(0, 23 * 60), st.integers(1, 8 * 60)), max_size=4
)


@settings(max_examples=60, deadline=None)
@given(events_strategy, gaps_strategy)
def test_no_share_above_100_and_no_part_above_its_whole(
    rows: list[tuple[int, float | None, str, str, str]], gap_rows: list[tuple[str, int, int]]
) -> None:
    events = [tapes.event(ts, usd, venue, coin, side, i) for i, (ts, usd, venue, coin, side) in enumerate(rows)]
    gaps = [tapes.gap(v, AT - tapes.DAY + minute * 60_000, length) for v, minute, length in gap_rows]
    report = build(inputs_of(events, gaps=gaps))
    assert_parts_within_wholes(report)
    inside = [e for e in events if AT - tapes.DAY < e.ts <= AT]
    assert report.empty == (not inside)


def test_a_report_written_while_events_arrive_is_one_snapshot(tmp_path: Path) -> None:
    """A writer adds events inside the window (late arrivals) while reports are collected from the
    same store: every report's figures still agree with each other."""
    db = tmp_path / "live.duckdb"
    store = DuckDBStore(db)
    store.write_events(tapes.squeeze_day(seed=5))
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            # bursts landing in the last hour: without one snapshot, "last hour" outgrows "24 hours"
            store.write_events([tapes.event(AT - 1000 - n, 2e6, "bybit", "SOL", "short", 10_000_000 + n)])
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(3):
            assert_parts_within_wholes(build(collect(store, AT, WINDOW)))
    finally:
        stop.set()
        thread.join()
        store.close()
