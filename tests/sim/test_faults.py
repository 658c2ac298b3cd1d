"""Fault injection: the --faults syntax, and each fault doing what it says over real sockets.

(Drops, garbage, truncated frames and impossible values against liqwatch's collector are in
test_collector.py; REST 429/5xx in test_rest.py.)
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from liqwatch.sim import FaultError, FaultPlan, SimConfig, Simulator
from liqwatch.sim.faults import garbage_frame, truncated
from tests.sim.helpers import collect, with_silence

# ── syntax ─────────────────────────────────────────────────────────────────────────────────────


def test_the_syntax() -> None:
    plan = FaultPlan.parse(
        "drop-every=500, silent=okx, garbage=0.01, stall=5:100@bybit.inverse, rest-5xx=0.2@bybit+gate, restart=30",
        seed=3,
        venues=["okx", "bybit", "gate"],
    )
    assert plan.connection("okx").silent and not plan.connection("bybit").silent
    assert plan.connection("okx").drop_every == 500 == plan.connection("gate", "usdt").drop_every
    inverse, linear = plan.connection("bybit", "inverse"), plan.connection("bybit", "linear")
    assert (inverse.stall_s, inverse.stall_every) == (5.0, 100) and linear.stall_s == 0.0
    assert plan.rest("gate") == (0.0, 0.2) and plan.rest("okx") == (0.0, 0.0)
    assert plan.restart() == (30.0, 1.0)
    assert plan.connection("okx").garbage == 0.01
    assert FaultPlan.parse(plan.describe(), 3) == FaultPlan.parse(plan.describe(), 3)
    assert FaultPlan.parse("").faults == () and not FaultPlan.parse("")
    assert FaultPlan.parse("no-pong=bitmex").connection("bitmex").no_pong
    assert FaultPlan.parse("lifetime=60@binance_usdm").connection("binance_usdm").lifetime_s == 60


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bogus=1", "unknown fault 'bogus'"),
        ("drop=1.5", "probability"),
        ("drop-every=0", "whole number"),
        ("drop-every", "needs a value"),
        ("stall=x", "needs seconds"),
        ("slow=1:2", "one value"),
        ("silent@", "empty scope"),
        ("restart=5@okx", "takes no scope"),
        ("silent=nowhere", "unknown venue 'nowhere'"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(FaultError, match=message):
        FaultPlan.parse(spec, venues=["okx"])


def test_frame_mutations_are_seeded_and_never_json() -> None:
    frame = '{"arg":{"channel":"liquidation-orders"},"data":[{"instId":"BTC-USDT-SWAP"}]}'
    for seed in range(50):
        bad = garbage_frame(random.Random(seed))
        with pytest.raises(ValueError):
            json.loads(bad)
        cut = truncated(frame, random.Random(seed))
        assert frame.startswith(cut) and cut != frame and cut
        with pytest.raises(ValueError):
            json.loads(cut)
    assert garbage_frame(random.Random(1)) == garbage_frame(random.Random(1))


# ── behaviour over sockets ─────────────────────────────────────────────────────────────────────


def test_silent_acks_but_sends_no_data(tmp_path: Path) -> None:
    """The "venue moved its URL" failure: the collector's silence watchdog catches it and records a gap."""

    async def main() -> None:
        config = SimConfig(
            venues=("okx", "bybit"), speed=300, faults="silent=okx", sent_log=tmp_path / "sent.jsonl", tick_s=0.1
        )
        sim = Simulator(config)
        await sim.start()
        run = await collect(
            sim,
            tmp_path,
            8.0,
            specs=with_silence(0.5, "okx"),
            until=lambda c: c.status().venues["okx"].reconnects >= 1,
        )
        okx = run.collector.status().venues["okx"]
        assert okx.gaps >= 1 and "silent for 0.5 s" in (okx.last_error or "")  # the outage was open at the end
        assert any(gap.venue == "okx" and gap.reason.startswith("silent for 0.5 s") for gap in run.sink.gaps)
        assert okx.events == 0 and not run.stored("okx")
        okx_frames = [f for v, f in run.sent_frames() if v == "okx"]
        assert okx_frames and all('"event":"subscribe"' in f or f == "pong" for f in okx_frames)  # acks only
        assert run.stored("bybit") and run.collector.status().venues["bybit"].gaps == 0

    asyncio.run(main())


def test_stall_trips_the_silence_watchdog_and_slow_loses_nothing(tmp_path: Path) -> None:
    async def main() -> None:
        faults = "stall=1.5:40@bybit,slow=0.002@okx"
        config = SimConfig(
            venues=("bybit", "okx"),
            speed=300,
            scenario="crash",
            faults=faults,
            sent_log=tmp_path / "sent.jsonl",
            tick_s=0.05,
        )
        sim = Simulator(config)
        await sim.start()
        run = await collect(
            sim, tmp_path, 8.0, specs=with_silence(0.7, "bybit"), until=lambda c: c.status().venues["bybit"].gaps >= 1
        )
        assert run.sim.faults_applied["stall"] >= 1
        bybit = run.collector.status().venues["bybit"]
        assert bybit.gaps >= 1 and "silent" in (bybit.last_error or "")
        stored = {e.id for e in run.stored("bybit")}
        assert stored and stored <= run.expected_ids("bybit")
        okx = [e.id for e in run.stored("okx")]
        assert len(okx) == len(set(okx)) and set(okx) == run.expected_ids("okx")

    asyncio.run(main())


def test_no_pong_answers_neither_text_pings_nor_ping_frames() -> None:
    async def main() -> None:
        config = SimConfig(venues=("okx", "bitmex"), faults="no-pong=okx", tick_s=60)
        async with (
            Simulator(config) as sim,
            connect(sim.urls["okx"], ping_interval=None) as okx,
            connect(sim.urls["bitmex"], ping_interval=None) as bitmex,
        ):
            await bitmex.recv()  # welcome
            for ws in (okx, bitmex):
                await ws.send("ping")
            assert await asyncio.wait_for(bitmex.recv(), 5) == "pong"
            waiter = await bitmex.ping()
            await asyncio.wait_for(waiter, 5)  # a healthy venue answers ping frames
            waiter = await okx.ping()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiter), 0.5)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(okx.recv(), 0.2)  # no "pong" either

    asyncio.run(main())


def test_lifetime_idle_and_reject_close_connections() -> None:
    async def main() -> None:
        faults = "lifetime=0.3@bitmex,idle=0.3@okx,reject=1@deribit"
        async with Simulator(SimConfig(venues=("bitmex", "okx", "deribit"), faults=faults, tick_s=60)) as sim:
            async with connect(sim.urls["bitmex"]) as bitmex:
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(bitmex.recv(), 5)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
            async with connect(sim.urls["okx"]) as okx:  # says nothing: OKX's idle rule, shortened
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(okx.recv(), 5)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4004
            with pytest.raises(InvalidStatus) as refused:
                await connect(sim.urls["deribit"])
            assert refused.value.response.status_code == 503
            assert sim.faults_applied["lifetime"] == sim.faults_applied["idle"] == 1

    asyncio.run(main())


def test_binance_connections_live_24h_of_tape_time() -> None:
    from liqwatch.sim.server import lifetime_s

    assert lifetime_s("binance_usdm", None, speed=1) == 86_400
    assert lifetime_s("binance_coinm", None, speed=3600) == 24
    assert lifetime_s("okx", None, speed=3600) is None
    assert lifetime_s("okx", 5.0, speed=1) == 5.0


def test_restart_cuts_every_connection_and_comes_back_on_the_same_port(tmp_path: Path) -> None:
    async def main() -> None:
        config = SimConfig(
            venues=("binance_usdm", "gate"),
            speed=300,
            faults="restart=1:0.3",
            sent_log=tmp_path / "sent.jsonl",
            tick_s=0.1,
        )
        sim = Simulator(config)
        await sim.start()
        urls = dict(sim.urls)
        run = await collect(sim, tmp_path, 8.0, until=lambda c: sim.restarts >= 2 and _all_reconnected(c, 2))
        assert run.sim.urls == urls
        status = run.collector.status()
        assert all(v.gaps >= 1 for v in status.venues.values())
        for venue in ("binance_usdm", "gate"):
            stored = [e.id for e in run.stored(venue)]
            assert len(stored) == len(set(stored))
            assert set(stored) <= run.expected_ids(venue) and stored

    asyncio.run(main())


def _all_reconnected(collector: object, restarts: int) -> bool:
    from liqwatch.feed.collector import Collector

    assert isinstance(collector, Collector)
    venues = collector.status().venues.values()
    return all(v.gaps >= restarts - 1 and v.connected for v in venues)
