"""liqwatch's own collector against the simulator, over real sockets, every venue at once.

What liqwatch stores must be exactly the liquidations in the frames the simulator delivered
(parsed back from the sent-log with liqwatch's registry): nothing missing, nothing twice, and the
collector's capture journal holds exactly the frames of the sent-log.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from liqwatch.sim import SimConfig, Simulator
from liqwatch.venues import REGISTRY
from tests.sim.helpers import Run, collect

VENUES = list(REGISTRY)
WS = [v for v in VENUES if REGISTRY[v].urls]  # venues served over WebSocket (not a node's files)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("sim-clean")
    node = tmp / "hl"  # the simulator also writes a Hyperliquid node's fills files
    config = SimConfig(
        scenario="crash", seed=11, speed=600, sent_log=tmp / "sent.jsonl", tick_s=0.2, hyperliquid_node_dir=node
    )

    async def main() -> Run:
        sim = Simulator(config)
        await sim.start()
        return await collect(sim, tmp, 3.0)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Drops, garbage, truncated frames and impossible values on every venue."""
    tmp = tmp_path_factory.mktemp("sim-faulty")
    faults = "drop-every=120,garbage=0.03,truncate=0.03,impossible=0.05"
    config = SimConfig(scenario="cascade", seed=5, speed=900, sent_log=tmp / "sent.jsonl", faults=faults, tick_s=0.2)

    async def main() -> Run:
        sim = Simulator(config)
        await sim.start()
        return await collect(sim, tmp, 3.0)

    return asyncio.run(main())


def test_the_journal_holds_exactly_the_frames_sent(clean_run: Run) -> None:
    sent = Counter(clean_run.sent_frames())
    assert clean_run.sim.sent == sum(sent.values()) > 1000
    assert Counter(clean_run.journal()) == sent


@pytest.mark.parametrize("venue", VENUES)
def test_every_sent_liquidation_is_stored_once(clean_run: Run, venue: str) -> None:
    expected = clean_run.expected_ids(venue)
    stored = [e.id for e in clean_run.stored(venue)]
    assert len(expected) > 5, f"{venue}: too few liquidations to mean anything"
    assert len(stored) == len(set(stored)), "stored twice"
    assert set(stored) == expected
    assert clean_run.bad_frames(venue) == 0


def test_a_clean_run_has_no_dead_letters_and_no_gaps(clean_run: Run) -> None:
    assert clean_run.dead_letter_count() == 0
    assert clean_run.sink.gaps == []
    status = clean_run.collector.status()
    assert all(v.reconnects == 0 for v in status.venues.values())


def test_stored_events_are_the_truth(clean_run: Run) -> None:
    """Sides, coins and USD from liqwatch's parse equal the tape's truth (the encoders are exact)."""
    from liqwatch.sim.tape import liquidations, scenario_tape

    config = clean_run.sim.config
    start = clean_run.sim.book.start_ms
    truths = {}
    tape = scenario_tape(config.scenario, config.seed, clean_run.sim.tape_venues(), start)
    newest = max(e.ts for e in clean_run.sink.events if e.venue != "bitmex")
    for liq in liquidations(itertools.takewhile(lambda push: push.at <= newest + 10_000, tape)):
        truths[(liq.venue, liq.symbol, liq.ts, liq.side)] = liq
    checked = 0
    for event in clean_run.sink.events:
        if event.venue == "bitmex":  # BitMEX publishes no time: ts is the receive time
            continue
        liq = truths[(event.venue, event.symbol, event.ts, event.side)]
        assert (event.coin, event.usd) == (liq.coin, liq.usd)
        checked += 1
    assert checked > 1000


@pytest.mark.parametrize("venue", VENUES)
def test_faults_lose_nothing_that_was_delivered(faulty_run: Run, venue: str) -> None:
    expected = faulty_run.expected_ids(venue)
    stored = [e.id for e in faulty_run.stored(venue)]
    assert len(stored) == len(set(stored))
    assert set(stored) == expected


def test_faults_were_applied_and_bad_frames_dead_lettered(faulty_run: Run) -> None:
    applied = faulty_run.sim.faults_applied
    assert {"drop-every", "garbage", "truncate", "impossible"} <= set(applied)
    assert Counter(faulty_run.journal()) == Counter(faulty_run.sent_frames())
    # every frame liqwatch cannot read was dead-lettered, and only those
    assert faulty_run.dead_letter_count() == faulty_run.bad_frames() > 0
    status = faulty_run.collector.status()
    assert sum(v.reconnects for v in status.venues.values()) >= applied["drop-every"] > 0
    assert sum(v.gaps for v in status.venues.values()) > 0


def test_reconnects_get_snapshots_again(faulty_run: Run) -> None:
    """After a drop, BitMEX sends its partial again and OKX replays its latest push: stored once."""
    frames = faulty_run.sent_frames()
    partials = [f for v, f in frames if v == "bitmex" and '"action":"partial"' in f and '"liquidation"' in f]
    assert len(partials) >= 2
    okx_acks = [f for v, f in frames if v == "okx" and '"event":"subscribe"' in f]
    assert len(okx_acks) >= 2 * 3  # three channels, at least two connections


def test_sent_log_is_a_capture_journal(clean_run: Run, tmp_path: Path) -> None:
    """`liqwatch import` reads the sent-log like any capture journal."""
    from liqwatch.feed.journal import read_journal

    records = list(read_journal(clean_run.sent_log))
    assert len(records) == clean_run.sim.sent
    assert {r.venue for r in records} == set(VENUES)


def test_replayed_journals_reach_the_collector_verbatim(tmp_path: Path) -> None:
    """--replay: the recorded data frames are sent as they were (Binance re-wrapped for combined streams,
    Bitfinex with the channel id the connection was assigned)."""
    from liqwatch.sim import encode
    from liqwatch.sim.tape import scenario_tape

    start = 1_790_000_000_000
    journal = tmp_path / "captured.jsonl"
    recorded = []
    with journal.open("w") as out:
        out.write(json.dumps({"ts": start, "venue": "okx", "frame": '{"event":"subscribe","arg":{}}'}) + "\n")
        for push in itertools.takewhile(lambda p: p.at < start + 240_000, scenario_tape("squeeze", 2, WS, start)):
            if not push.venue:
                continue
            frame = push.text
            if push.venue.startswith("binance") or push.venue == "aster":  # combined-stream clients
                frame = encode.binance_combined(push.topic, frame)
            recorded.append(frame)
            out.write(json.dumps({"ts": push.at, "venue": push.venue, "frame": frame}) + "\n")
    # a lead-in of 300 s of tape (1.5 s) before the first recorded frame: the collector connects meanwhile
    config = SimConfig(replay=(journal,), speed=200, start_ms=start - 300_000, sent_log=tmp_path / "sent.jsonl")

    async def main() -> Run:
        sim = Simulator(config)
        await sim.start()
        assert sim.replay_done is not None
        return await collect(sim, tmp_path, 10.0, until=lambda _c: sim.replay_done.is_set())  # type: ignore[union-attr]

    run = asyncio.run(main())
    replayed = {without_channel_id(f) for f in recorded}
    sent = [(v, without_channel_id(f)) for v, f in run.sent_frames()]
    carrying = [f for v, f in sent if REGISTRY[v].parse(f, start, run.catalogue)]
    assert all(frame in replayed for frame in carrying)  # liquidations come from the recording only, verbatim
    delivered = {f for _, f in sent} & replayed
    assert len(delivered) > 0.95 * len(replayed)  # the first few may precede the subscriptions
    stored = [e.id for e in run.stored()]
    assert len(stored) == len(set(stored)) and set(stored) == run.expected_ids()


def without_channel_id(frame: str) -> str:
    """A Bitfinex channel update with its (per-connection) channel id zeroed; other frames as they are."""
    head, comma, rest = frame.partition(",")
    return f"[0,{rest}" if comma and head[:1] == "[" and head[1:].isdigit() else frame
