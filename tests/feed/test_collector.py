"""Collector end to end over a real socket: journal before parse, dead letters, dedup, status, recovery."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection

from liqwatch.feed.collector import Collector, apply_url_overrides, read_status
from liqwatch.feed.journal import DeadLetters, Journal, read_journal
from liqwatch.feed.recovery import recover
from liqwatch.instruments import Catalogue
from liqwatch.pipeline import Pipeline, StoreSink
from liqwatch.venues import binance
from tests.feed.helpers import SPEC, TICK, MemoryStore, Recorder, liq, spec, ws_server

FORCE_ORDER = (
    '{"e":"forceOrder","E":1665523974222,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.009",'
    '"p":"18917.15","ap":"18990.00","X":"FILLED","l":"0.009","z":"0.009","T":1665523974217}}'
)
FORCE_ORDER_2 = FORCE_ORDER.replace('"T":1665523974217', '"T":1665523975000').replace('"S":"SELL"', '"S":"BUY"')
GARBAGE = '{"e":"forceOrder","o":'


def test_url_overrides() -> None:
    two = spec(urls={"linear": "wss://a", "inverse": "wss://b"})
    assert apply_url_overrides(binance.USDM_SPEC, {"binance_usdm": "ws://127.0.0.1:9001/x"}) == {
        "market": "ws://127.0.0.1:9001/x"
    }
    assert apply_url_overrides(two, {"testvenue.inverse": "ws://x", "okx": "ws://y"}) == {
        "linear": "wss://a",
        "inverse": "ws://x",
    }
    assert apply_url_overrides(two, {"testvenue": "ws://z"})["linear"] == "ws://z"
    with pytest.raises(ValueError, match=r"known: testvenue\.linear, testvenue\.inverse"):
        apply_url_overrides(two, {"testvenue.spot": "ws://x"})


def test_binance_feed_journals_before_parsing_and_survives_a_bad_frame(tmp_path: Path) -> None:
    subscribed: list[str] = []

    async def handler(ws: ServerConnection, _n: int) -> None:
        subscribed.append(str(await ws.recv()))
        for frame in ['{"result":null,"id":1}', FORCE_ORDER, GARBAGE, FORCE_ORDER, FORCE_ORDER_2]:
            await ws.send(frame)
        await ws.wait_closed()

    store = MemoryStore()
    sink = StoreSink(store, interval=0.01)
    pipeline = Pipeline([sink])
    journal = Journal(tmp_path / "journal")
    dead = DeadLetters(tmp_path / "dead.jsonl")
    status_path = tmp_path / "status.json"

    async def main() -> None:
        async with ws_server(handler) as url:
            collector = Collector(
                [binance.USDM_SPEC],
                catalogue=Catalogue(),
                journal=journal,
                dead_letters=dead,
                pipeline=pipeline,
                url_overrides={"binance_usdm": url},
                status_path=status_path,
                status_interval=0.05,
            )
            task = asyncio.create_task(collector.run())
            async with asyncio.timeout(10):
                while collector.status().venues["binance_usdm"].frames < 5:
                    await asyncio.sleep(0.01)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(main())
    journal.close()
    dead.close()

    assert json.loads(subscribed[0])["params"] == ["!forceOrder@arr", "btcusdt@markPrice@1s"]
    [day] = list((tmp_path / "journal").iterdir())
    records = list(read_journal(day))
    assert [r.frame for r in records] == ['{"result":null,"id":1}', FORCE_ORDER, GARBAGE, FORCE_ORDER, FORCE_ORDER_2]
    assert {r.venue for r in records} == {"binance_usdm"}
    [bad] = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert bad["frame"] == GARBAGE and bad["venue"] == "binance_usdm" and bad["reason"].startswith("binance: ")
    assert bad["ts"] == records[2].ts
    assert [(e.side, e.usd) for e in sorted(store.by_id.values(), key=lambda e: e.ts)] == [
        ("long", 170.91),
        ("short", 170.91),
    ]
    status = read_status(status_path)
    assert status is not None
    venue = status.venues["binance_usdm"]
    assert (venue.frames, venue.events, venue.dead_letters, venue.gaps) == (5, 2, 1, 0)
    assert venue.connected is False  # written last, after the connection closed
    assert venue.last_data_ts == records[-1].ts
    sink.close()


def test_a_parser_bug_is_dead_lettered_and_the_feed_goes_on(tmp_path: Path) -> None:
    async def handler(ws: ServerConnection, _n: int) -> None:
        frames: list[str | bytes] = [liq("a", s="CRASH"), b"\xff\xfe binary", liq("b")]
        for frame in frames:
            await ws.send(frame)
        await ws.wait_closed()

    rec = Recorder()
    pipeline = Pipeline()
    dead = DeadLetters(tmp_path / "dead.jsonl")
    journal = Journal(tmp_path / "journal")

    async def main() -> Collector:
        async with ws_server(handler) as url:
            collector = Collector(
                [SPEC],
                catalogue=Catalogue(),
                journal=journal,
                dead_letters=dead,
                pipeline=pipeline,
                url_overrides={"testvenue": url},
                sleep=rec.sleep,
            )
            task = asyncio.create_task(collector.run())
            async with asyncio.timeout(10):
                while pipeline.published < 1:
                    await asyncio.sleep(0.01)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return collector

    collector = asyncio.run(main())
    journal.close()
    reasons = [json.loads(line)["reason"] for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert reasons == ["parser error: RuntimeError: parser bug", "binary frame is not UTF-8 text"]
    assert collector.status().venues["testvenue"].events == 1
    assert len(list(read_journal(next((tmp_path / "journal").iterdir())))) == 3


def test_recovery_replays_the_journal_tail_idempotently(tmp_path: Path) -> None:
    journal_dir = tmp_path / "journal"
    journal = Journal(journal_dir)
    base = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    for i in range(10):
        journal.write("testvenue", base + i * 60_000, liq(f"e{i}", T=base + i * 60_000))
    journal.write("testvenue", base + 600_000, TICK)
    journal.write("testvenue", base + 600_001, "junk")
    journal.write("unknown", base + 600_002, TICK)
    journal.sync()  # as if killed now: the file is not closed, not compressed
    with (journal_dir / "2026-01-01.jsonl").open("ab") as f:
        f.write(b'{"ts":1767226200003,"venue":"testv')  # a torn last line

    store = MemoryStore()
    sink = StoreSink(store)
    pipeline = Pipeline([sink])
    result = recover(journal_dir, [SPEC], Catalogue(), pipeline, tail_ms=300_002)  # newest - 5 min
    assert (result.frames, result.events, result.new_events) == (8, 5, 5)
    assert (result.bad_frames, result.unknown_venue, result.since) == (1, 1, base + 300_000)
    sink.flush()
    assert sorted(store.by_id) == ["e5", "e6", "e7", "e8", "e9"]

    restart = StoreSink(store)  # after a restart, the pipeline's memory is empty
    again = recover(journal_dir, [SPEC], Catalogue(), Pipeline([restart]), tail_ms=300_002)
    assert (again.events, again.new_events) == (5, 5)
    restart.flush()
    assert store.count() == 5 and restart.stored == 0  # the store is the final idempotency guard
    journal.close()
    sink.close()
    restart.close()


def test_read_status_of_nothing_is_none(tmp_path: Path) -> None:
    assert read_status(tmp_path / "missing.json") is None
    (tmp_path / "bad.json").write_text("{")
    assert read_status(tmp_path / "bad.json") is None
