"""The fault matrix (issue #3, part 3): every fault kind on ONE venue while two others run clean,
liqwatch's Collector over real sockets writing a real DuckDB file.

For each fault: what the DuckDB file holds is exactly the liquidations liqwatch's own parsers find
in the frames the simulator delivered (its sent-log): nothing missing, nothing twice; an outage
is stored as a Gap; a silent venue is caught within its (shortened) silence bound; frames liqwatch
cannot read are in the dead-letter file with a reason; and the clean venues see no gap and lose
nothing. (`restart` has no scope: every venue goes down, every venue must record a gap.)
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from liqwatch.feed.backoff import Backoff
from liqwatch.feed.collector import Collector
from liqwatch.feed.instruments import load_catalogue
from liqwatch.feed.journal import DeadLetters, Journal
from liqwatch.feed.rest import RestClient
from liqwatch.model import Gap
from liqwatch.pipeline import Pipeline, StoreSink
from liqwatch.sim import SimConfig, Simulator
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import VenueSpec
from tests.sim.helpers import MemorySink, Run, read_sent

SILENCE_S = 0.6  # the shortened silence bound of the faulty venue (silent, stall)
CLEAN = ("binance_usdm", "okx", "bybit")


@dataclass(frozen=True)
class Case:
    fault: str  # the --faults spec
    venue: str  # the venue it targets
    outage: bool  # it takes the venue down: a gap must be stored
    bad_frames: bool = False  # it sends frames liqwatch cannot read: dead letters
    silence: bool = False  # the collector's silence watchdog must catch it
    heartbeat_s: float | None = None  # a shorter client ping interval for the faulty venue
    seconds: float = 1.5


CASES = {
    "drop-every": Case("drop-every=25@gate", "gate", outage=True),
    "drop": Case("drop=0.05@bybit", "bybit", outage=True),
    "silent": Case("silent@okx", "okx", outage=True, silence=True),
    "garbage": Case("garbage=0.1@gate", "gate", outage=False, bad_frames=True),
    "truncate": Case("truncate=0.1@bitget", "bitget", outage=False, bad_frames=True),
    "impossible": Case("impossible=0.2@deribit", "deribit", outage=False, bad_frames=True),
    "stall": Case("stall=1.5:30@bybit", "bybit", outage=True, silence=True, seconds=3.0),
    "restart": Case("restart=1:0.3", "", outage=True, seconds=2.5),
    "lifetime": Case("lifetime=0.5@bitmex", "bitmex", outage=True),
    "no-pong": Case("no-pong@gate", "gate", outage=False, heartbeat_s=0.2),
    "rest-5xx": Case("rest-5xx=0.5@okx", "okx", outage=False),
    "rest-429": Case("rest-429=0.3@gate", "gate", outage=False),
    "reject": Case("drop-every=25@binance_usdm,reject=0.6@binance_usdm", "binance_usdm", outage=True, seconds=2.0),
    # the venues whose wire needs more than text: snapshots replayed on every reconnect (Kraken Futures),
    # gzip frames (HTX), channel ids assigned per connection (Bitfinex)
    "drop-every@kraken_futures": Case("drop-every=25@kraken_futures", "kraken_futures", outage=True),
    "garbage@htx": Case("garbage=0.1@htx", "htx", outage=False, bad_frames=True),
    "truncate@bitfinex": Case("truncate=0.1@bitfinex", "bitfinex", outage=False, bad_frames=True),
    "silent@bitfinex": Case("silent@bitfinex", "bitfinex", outage=True, silence=True),
    "dydx-drop-every": Case("drop-every=20@dydx", "dydx", outage=True),
    "lighter-silent": Case("silent@lighter", "lighter", outage=True, silence=True),
}


@dataclass
class DbRun:
    case: Case
    run: Run  # sink: what the DuckDB file holds, read back after the collector stopped
    venues: tuple[str, ...]
    ids_in_db: list[str]  # every stored row's id (duplicates would show here)
    db_gaps: list[Gap]
    silence_detected_ms: int | None  # outage start → the collector noticed it (silence faults)

    @property
    def faulty(self) -> tuple[str, ...]:
        return self.venues if not self.case.venue else (self.case.venue,)

    @property
    def clean(self) -> tuple[str, ...]:
        return tuple(v for v in self.venues if v not in self.faulty)


def venues_for(case: Case) -> tuple[str, ...]:
    others = [v for v in CLEAN if v != case.venue][:2]
    return (case.venue, *others) if case.venue else tuple(CLEAN)


async def collect_into_duckdb(case: Case, tmp: Path) -> DbRun:
    """helpers.collect, with a StoreSink on a DuckDB file as the pipeline's sink."""
    venues = venues_for(case)
    config = SimConfig(
        venues=venues, scenario="crash", seed=13, speed=600, faults=case.fault, sent_log=tmp / "sent.jsonl", tick_s=0.2
    )
    sim = Simulator(config)
    await sim.start()

    def tune(spec: VenueSpec) -> VenueSpec:
        if spec.id != case.venue:
            return spec
        if case.silence:
            spec = replace(spec, silence_s=SILENCE_S)
        if case.heartbeat_s is not None:
            spec = replace(spec, heartbeat=replace(spec.heartbeat, interval_s=case.heartbeat_s))
        return spec

    specs = [tune(REGISTRY[v]) for v in venues]
    async with RestClient(timeout=5.0) as client:
        catalogue = await load_catalogue(specs, client, rest_overrides=sim.rest_urls, timeout=10.0)
    db_path = tmp / "faults.duckdb"
    store = DuckDBStore(db_path)
    journal = Journal(tmp / "journal")
    dead = DeadLetters(tmp / "dead-letters.jsonl")
    pipeline = Pipeline([StoreSink(store)])
    collector = Collector(
        specs,
        catalogue=catalogue,
        journal=journal,
        dead_letters=dead,
        pipeline=pipeline,
        url_overrides=sim.urls,
        backoff=lambda: Backoff(initial=0.05, cap=0.2, seed=1),
        max_ahead_ms=sim.max_event_ahead_ms(),
    )
    detected: list[int] = []

    def watch(c: Collector) -> bool:
        if case.silence and not detected:
            state = c.status().venues[case.venue]
            if state.outage_since is not None and "silent" in (state.last_error or ""):
                detected.append(int(time.time() * 1000) - state.outage_since)
        return False

    task = asyncio.create_task(collector.run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + case.seconds
    while loop.time() < deadline:
        watch(collector)
        await asyncio.sleep(0.02)
    await sim.pause()
    received, still = -1, 0  # read what was sent (as helpers.collect)
    async with asyncio.timeout(30):
        while True:
            now = sum(v.frames for v in collector.status().venues.values())
            if now >= sim.sent or still >= 50:
                break
            received, still = now, (still + 1 if now == received else 0)
            await asyncio.sleep(0.02)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task  # flushes the pipeline into the store
    journal.close()
    dead.close()
    await sim.stop()
    pipeline.close()  # stops the sink's thread
    store.close()

    with DuckDBStore(db_path, read_only=True) as db:
        events = list(db.events(EventFilter()))
        gaps = db.gaps()
    sink = MemorySink()
    sink.events, sink.gaps = events, gaps
    run = Run(sim, collector, sink, catalogue, config.sent_log, tmp / "journal", tmp / "dead-letters.jsonl")  # type: ignore[arg-type]
    run.sent_records = read_sent(run.sent_log)
    return DbRun(case, run, venues, [e.id for e in events], gaps, detected[0] if detected else None)


_runs: dict[str, DbRun] = {}


@pytest.fixture(scope="module", autouse=True)
def _forget_runs() -> Iterator[None]:
    """Drop the runs (and their closed DuckDB handles) before the interpreter exits."""
    yield
    _runs.clear()
    gc.collect()


def run_case(name: str, tmp_path_factory: pytest.TempPathFactory) -> DbRun:
    """One run per fault, shared by every test of this module."""
    if name not in _runs:
        tmp = tmp_path_factory.mktemp(f"fault-{name}")
        _runs[name] = asyncio.run(collect_into_duckdb(CASES[name], tmp))
    return _runs[name]


@pytest.fixture(params=list(CASES), scope="module")
def faulted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DbRun:
    return run_case(request.param, tmp_path_factory)


def test_stored_is_exactly_what_was_delivered(faulted: DbRun) -> None:
    run = faulted.run
    assert len(faulted.ids_in_db) == len(set(faulted.ids_in_db)), "a liquidation stored twice"
    for venue in faulted.venues:
        expected = run.expected_ids(venue)
        stored = {e.id for e in run.stored(venue)}
        if not (faulted.case.fault.startswith("silent") and venue == faulted.case.venue):
            assert expected, f"{venue}: nothing delivered"
        assert stored == expected, f"{venue}: missing {len(expected - stored)}, extra {len(stored - expected)}"
    assert run.expected_ids(), "nothing delivered at all"


def test_the_fault_happened(faulted: DbRun) -> None:
    case, run = faulted.case, faulted.run
    sim = run.sim
    if case.fault.startswith("silent@"):
        frames = [f for v, f in run.sent_frames() if v == case.venue]
        assert frames and not run.expected_ids(case.venue)  # acks (and pongs) only, no data
    elif case.fault.startswith("no-pong@"):
        pings = [f for v, f in run.journal() if v == case.venue and "pong" in f]
        assert not pings, "the venue answered a ping"
        assert sim.sent_by_venue[case.venue] > 0
    else:
        kinds = {f.partition("=")[0].partition("@")[0] for f in case.fault.split(",")}
        for kind in kinds:
            assert sim.faults_applied[kind] > 0, f"{kind} never applied"


def test_outages_are_stored_as_gaps_and_clean_venues_have_none(faulted: DbRun) -> None:
    case, status = faulted.case, faulted.run.collector.status()
    for venue in faulted.faulty:
        gaps = [g for g in faulted.db_gaps if g.venue == venue]
        if case.outage:
            assert gaps, f"{venue}: an outage without a gap"
            assert all(g.end >= g.start and g.reason for g in gaps)
            assert len(gaps) == status.venues[venue].gaps
        else:
            assert not gaps and status.venues[venue].reconnects == 0, f"{venue}: {gaps}"
    for venue in faulted.clean:
        assert not [g for g in faulted.db_gaps if g.venue == venue]
        assert status.venues[venue].reconnects == 0


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.silence])
def test_silence_is_detected_within_its_bound(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    faulted = run_case(name, tmp_path_factory)
    case = faulted.case
    gaps = [g for g in faulted.db_gaps if g.venue == case.venue]
    assert any(g.reason.startswith(f"silent for {SILENCE_S:g} s") for g in gaps), gaps
    assert faulted.silence_detected_ms is not None
    # noticed no earlier than the bound, and not much later (polled every 20 ms; generous slack)
    assert SILENCE_S * 1000 - 50 <= faulted.silence_detected_ms <= SILENCE_S * 1000 + 3000


def test_bad_frames_are_dead_lettered_with_a_reason(faulted: DbRun) -> None:
    run, case = faulted.run, faulted.case
    letters = (
        [json.loads(line) for line in run.dead_letters.read_text().splitlines()] if run.dead_letters.exists() else []
    )
    assert all(letter["reason"] and letter["frame"] for letter in letters)
    assert len(letters) == run.bad_frames()  # every unreadable frame, and only those
    for venue in faulted.clean:
        assert run.bad_frames(venue) == 0
    if case.bad_frames:
        assert letters and {letter["venue"] for letter in letters} == {case.venue}
    else:
        assert not letters
