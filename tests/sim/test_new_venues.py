"""Kraken Futures, Bitfinex and HTX end to end: simulator → collector (live) and the collector's own
journal → `liqwatch import` → DuckDB give the same events; HTX's gzip frames and server pings.

Bitfinex's data frames carry only the channel id its subscribe ack assigned: the import must
recognise them from the journal exactly as the live feed did (parse is a pure function of the frame).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from liqwatch.feed.collector import Collector
from liqwatch.importer import import_files
from liqwatch.sim import SimConfig, Simulator
from liqwatch.sim.protocol.base import Close, Out
from liqwatch.sim.protocol.htx import HTX_MAX_UNANSWERED, HtxSession
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from tests.sim.helpers import Run, collect


def run_one(
    venue: str,
    tmp: Path,
    seconds: float = 2.5,
    seed: int = 7,
    until: Callable[[Collector], bool] | None = None,
    faults: str = "",
) -> Run:
    config = SimConfig(
        venues=(venue,), scenario="crash", seed=seed, speed=600, sent_log=tmp / "sent.jsonl", tick_s=0.2, faults=faults
    )

    async def main() -> Run:
        sim = Simulator(config)
        await sim.start()
        return await collect(sim, tmp, seconds, until=until)

    return asyncio.run(main())


@pytest.mark.parametrize("venue", ["bitfinex", "kraken_futures", "htx"])
def test_live_and_imported_journal_give_the_same_events(venue: str, tmp_path: Path) -> None:
    run = run_one(venue, tmp_path)
    live = {e.id: e for e in run.stored(venue)}
    assert len(live) > 5, f"{venue}: too few liquidations to mean anything"
    assert set(live) == run.expected_ids(venue)
    assert run.dead_letter_count() == 0
    db = tmp_path / "imported.duckdb"
    with DuckDBStore(db) as store:
        report = import_files(
            sorted((run.journal_dir).glob("*.jsonl*")),
            store,
            catalogue=run.catalogue,
            max_ahead_ms=run.sim.max_event_ahead_ms(),  # the tape runs ahead of the wall clock
        )
        imported = {e.id: e for e in store.events(EventFilter())}
    assert report.bad_frames == 0
    assert imported == live  # same ids, sides, sizes, USD, times (recv_ts is the journal's ts)


def test_bitfinex_matches_and_channel_ids_are_not_liquidations(tmp_path: Path) -> None:
    """The tape sends IS_MATCH rows after some triggers, and ticker updates on another channel id:
    the stored events are exactly the triggers (one per position and time)."""
    run = run_one("bitfinex", tmp_path, seconds=2.0, seed=3)
    rows = [row for _, f in run.sent_frames() if '"pos"' in f for row in json.loads(f)[1]]
    triggers = {f"bitfinex:{row[1]}:{row[2]}" for row in rows if row[8] == 0}
    assert any(row[8] == 1 for row in rows)  # matches were sent
    assert {e.id for e in run.stored("bitfinex")} == triggers
    channels = {json.loads(f)[0] for _, f in run.sent_frames() if f.startswith("[")}
    assert len(channels) == 2  # liq:global and the ticker, each with the id its ack assigned


def test_htx_frames_are_gzip_and_its_pings_are_answered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server closes a connection after 6 unanswered pings: with pings every 0.2 s, each connection
    gets more than that and none is closed; every gzip frame was inflated (no dead letters)."""
    pings: Counter[str] = Counter()
    beat = HtxSession.heartbeat

    def counted(session: HtxSession) -> list[Out] | Close:
        outcome = beat(session)
        if isinstance(outcome, list):
            pings[session.conn] += 1
        return outcome

    monkeypatch.setattr(HtxSession, "heartbeat_s", 0.2)
    monkeypatch.setattr(HtxSession, "heartbeat", counted)
    enough = 2 * HTX_MAX_UNANSWERED
    run = run_one("htx", tmp_path, seconds=30.0, until=lambda _c: len(pings) == 3 and min(pings.values()) > enough)
    assert min(pings.values()) > enough
    status = run.collector.status().venues["htx"]
    assert status.reconnects == 0 and run.sink.gaps == []
    assert status.dead_letters == 0


def test_kraken_snapshots_after_reconnects_replay_stored_liquidations_once(tmp_path: Path) -> None:
    run = run_one("kraken_futures", tmp_path, seconds=3.0, faults="drop-every=40")
    snapshots = [f for _, f in run.sent_frames() if '"trade_snapshot"' in f and '"liquidation"' in f]
    live = [f for _, f in run.sent_frames() if f.startswith('{"feed":"trade",') and '"liquidation"' in f]
    replayed = {uid for f in snapshots for uid in uids(f)} & {uid for f in live for uid in uids(f)}
    assert run.collector.status().venues["kraken_futures"].reconnects > 0
    assert replayed, "no snapshot replayed a liquidation that had been sent live"
    ids = [e.id for e in run.stored("kraken_futures")]
    assert len(ids) == len(set(ids)) and set(ids) == run.expected_ids("kraken_futures")


def uids(frame: str) -> set[str]:
    doc = json.loads(frame)
    trades = doc.get("trades", [doc])
    return {t["uid"] for t in trades if t.get("type") == "liquidation"}
