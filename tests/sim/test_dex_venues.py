"""dYdX and Lighter end to end: the simulator (trade tapes, snapshots on subscribe, ADL fills,
dropped connections) → liqwatch's Collector over real sockets → a real DuckDB file.

What the file holds must be exactly the liquidations the simulator published (the tape's truth:
side, coin, USD), once each, although every reconnect replays recent trades in the subscribe
answer; ordinary fills and auto-deleveraging fills are never stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from pathlib import Path

import pytest

from liqwatch.feed.backoff import Backoff
from liqwatch.feed.collector import Collector
from liqwatch.feed.instruments import load_catalogue
from liqwatch.feed.journal import DeadLetters, Journal
from liqwatch.feed.rest import RestClient
from liqwatch.instruments import bundled
from liqwatch.model import Liquidation
from liqwatch.pipeline import Pipeline, StoreSink
from liqwatch.sim import SimConfig, Simulator
from liqwatch.sim.tape import liquidations, scenario_tape
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY
from tests.sim.helpers import read_sent

VENUES = ("dydx", "lighter")


class DexRun:
    def __init__(self, sim: Simulator, events: list[Liquidation], sent: list[dict[str, object]], gaps: int) -> None:
        self.sim, self.events, self.sent, self.gaps = sim, events, sent, gaps

    def frames(self, venue: str) -> list[dict[str, object]]:
        return [json.loads(str(r["frame"])) for r in self.sent if r["venue"] == venue]


async def run_into_duckdb(tmp: Path) -> DexRun:
    config = SimConfig(
        venues=VENUES,
        scenario="crash",
        seed=7,
        speed=600,
        faults="drop-every=15",
        sent_log=tmp / "sent.jsonl",
        tick_s=0.2,
    )
    sim = Simulator(config)
    await sim.start()
    specs = [REGISTRY[v] for v in VENUES]
    async with RestClient(timeout=5.0) as client:
        catalogue = await load_catalogue(specs, client, rest_overrides=sim.rest_urls, timeout=10.0)
    store = DuckDBStore(tmp / "dex.duckdb")
    pipeline = Pipeline([StoreSink(store)])
    journal, dead = Journal(tmp / "journal"), DeadLetters(tmp / "dead.jsonl")
    collector = Collector(
        specs,
        catalogue=catalogue,
        journal=journal,
        dead_letters=dead,
        pipeline=pipeline,
        url_overrides=sim.urls,
        backoff=lambda: Backoff(initial=0.05, cap=0.2, seed=1),
    )
    task = asyncio.create_task(collector.run())
    await asyncio.sleep(2.5)
    await sim.pause()
    received, still = -1, 0
    async with asyncio.timeout(30):
        while True:
            now = sum(v.frames for v in collector.status().venues.values())
            if now >= sim.sent or still >= 50:
                break
            received, still = now, (still + 1 if now == received else 0)
            await asyncio.sleep(0.02)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    journal.close()
    dead.close()
    await sim.stop()
    pipeline.close()
    store.close()
    with DuckDBStore(tmp / "dex.duckdb", read_only=True) as db:
        events = list(db.events(EventFilter()))
        gaps = len(db.gaps())
    return DexRun(sim, events, read_sent(tmp / "sent.jsonl"), gaps)


@pytest.fixture(scope="module")
def dex_run(tmp_path_factory: pytest.TempPathFactory) -> DexRun:
    return asyncio.run(run_into_duckdb(tmp_path_factory.mktemp("dex")))


def test_stored_events_are_the_published_truth_once_each(dex_run: DexRun) -> None:
    config = dex_run.sim.config
    tape = scenario_tape(config.scenario, config.seed, config.venues, dex_run.sim.book.start_ms)
    newest = max(e.ts for e in dex_run.events)
    truths = {
        (liq.venue, liq.symbol, liq.ts, liq.side): liq
        for liq in liquidations(itertools.takewhile(lambda push: push.at <= newest + 10_000, tape))
    }
    ids = [e.id for e in dex_run.events]
    assert len(ids) == len(set(ids)), "stored twice"
    for venue in VENUES:
        assert sum(e.venue == venue for e in dex_run.events) > 20, venue
    for event in dex_run.events:
        liq = truths[(event.venue, event.symbol, event.ts, event.side)]
        assert (event.coin, event.usd, event.qty) == (liq.coin, liq.usd, liq.qty)
        assert event.coverage == "complete"


def test_reconnects_replayed_snapshots_with_liquidations_and_nothing_doubled(dex_run: DexRun) -> None:
    assert dex_run.sim.faults_applied["drop-every"] > 0 and dex_run.gaps > 0
    dydx_snapshots = [
        f for f in dex_run.frames("dydx") if f.get("type") == "subscribed" and f.get("channel") == "v4_trades"
    ]
    lighter_snapshots = [f for f in dex_run.frames("lighter") if f.get("type") == "subscribed/trade"]
    assert len(dydx_snapshots) > len(bundled().symbols("dydx"))  # every market again after a reconnect
    assert any(f["liquidation_trades"] for f in lighter_snapshots)  # type: ignore[index]
    assert any(t["type"] == "LIQUIDATED" for f in dydx_snapshots for t in f["contents"]["trades"])  # type: ignore[index]


def test_ordinary_and_deleveraging_fills_are_never_stored(dex_run: DexRun) -> None:
    stored = {e.id for e in dex_run.events}
    not_liquidations: set[str] = set()
    for frame in dex_run.frames("dydx"):
        if frame.get("type") == "channel_batch_data":
            for batch in frame["contents"]:  # type: ignore[union-attr]
                for fill in batch["trades"]:
                    if fill["type"] != "LIQUIDATED":
                        not_liquidations.add(f"dydx:{frame['id']}:{fill['id']}")
    for frame in dex_run.frames("lighter"):
        for trade in frame.get("trades") or []:  # type: ignore[union-attr]
            not_liquidations.add(f"lighter:{trade['market_id']}:{trade['trade_id_str']}")
    deleveraged = [
        fill
        for frame in dex_run.frames("dydx")
        if frame.get("type") == "channel_batch_data"
        for batch in frame["contents"]  # type: ignore[union-attr]
        for fill in batch["trades"]
        if fill["type"] == "DELEVERAGED"
    ]
    assert deleveraged, "the tape sent no ADL fill"
    assert not stored & not_liquidations
