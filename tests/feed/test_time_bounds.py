"""Bounds on event time (issue 16 item 5): an event stamped minutes after its receive time, or before
2017, is refused as implausible with the reason, live (collector, recovery) and in imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liqwatch.feed.collector import Collector
from liqwatch.feed.journal import DeadLetters, Journal
from liqwatch.feed.recovery import recover
from liqwatch.importer import import_files
from liqwatch.instruments import Catalogue, bundled
from liqwatch.pipeline import Pipeline
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues.base import MAX_AHEAD_MS, PLAUSIBLE_SINCE_TS, BadFrame, implausible_time, refuse_implausible_time
from tests.feed.helpers import SPEC, event, liq

RECV = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("ts", "words"),
    [
        (RECV + MAX_AHEAD_MS + 1, "300.001 s after its receive time"),
        (RECV * 1000, "microseconds read as milliseconds?"),
        (RECV // 1000, "seconds read as milliseconds?"),
        (0, "before 2017"),
        (-5, "before 2017"),
        (10**17, "after its receive time"),
        (PLAUSIBLE_SINCE_TS - 1, "before 2017"),
    ],
)
def test_implausible_times_are_named_with_the_likely_unit_mistake(ts: int, words: str) -> None:
    reason = implausible_time(ts, RECV)
    assert reason is not None and words in reason
    with pytest.raises(BadFrame, match="implausible time"):
        refuse_implausible_time([event("x", ts)], RECV)


@pytest.mark.parametrize("ts", [RECV, RECV + MAX_AHEAD_MS, RECV - 86_400_000 * 400, PLAUSIBLE_SINCE_TS])
def test_plausible_times_pass(ts: int) -> None:
    assert implausible_time(ts, RECV) is None
    assert refuse_implausible_time([event("x", ts)], RECV) == [event("x", ts)]


def test_the_collector_and_recovery_dead_letter_future_and_ancient_frames(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal", clock=lambda: RECV)
    dead = DeadLetters(tmp_path / "dead.jsonl")
    pipeline = Pipeline()
    collector = Collector([SPEC], catalogue=Catalogue(), journal=journal, dead_letters=dead, pipeline=pipeline)
    frames = [liq("ok", T=RECV - 5), liq("future", T=RECV + 3_600_000), liq("micro", T=RECV * 1000), liq("zero", T=0)]
    for frame in frames:
        collector.on_frame(SPEC, RECV, frame)
    journal.close()
    dead.close()
    assert pipeline.published == 1
    letters = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert [json.loads(d["frame"])["liq"]["id"] for d in letters] == ["future", "micro", "zero"]
    assert all("implausible time" in d["reason"] for d in letters)
    venue = collector.status().venues[SPEC.id]
    assert (venue.dead_letters, venue.implausible_times, venue.unit_mixups) == (3, 3, 1)  # "micro" is a mix-up

    replayed = Pipeline()
    result = recover(tmp_path / "journal", [SPEC], Catalogue(), replayed)
    assert (result.frames, result.bad_frames, replayed.published) == (4, 3, 1)


BINANCE = (
    '{"e":"forceOrder","E":%d,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910",'
    '"ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":%d}}'
)


def test_import_refuses_implausible_times_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "capture.jsonl"
    rows = [(RECV, RECV - 10), (RECV + 1, RECV + 86_400_000), (RECV + 2, 5), (RECV + 3, (RECV + 3) * 1000)]
    path.write_text(
        "".join(json.dumps({"ts": r, "venue": "binance_usdm", "frame": BINANCE % (t, t)}) + "\n" for r, t in rows)
    )
    store = DuckDBStore(tmp_path / "db.duckdb")
    try:
        report = import_files([path], store, catalogue=bundled(), dead_letters=tmp_path / "dead.jsonl")
        assert [e.ts for e in store.events(EventFilter())] == [RECV - 10]
    finally:
        store.close()
    assert report.bad_frames == 3
    reasons = [json.loads(line)["reason"] for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert "implausible time" in reasons[0] and "microseconds" in reasons[2]
    assert "ts 5" in reasons[1]  # the parsers' own bound (before 2001) words this one "impossible values"
