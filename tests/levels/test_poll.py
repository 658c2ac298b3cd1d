"""The klines/open-interest poller against the real simulator over HTTP (loopback only)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path

from liqwatch.analytics.levels_grid import current_map
from liqwatch.feed.levels_poll import poll_market_forever, poll_once, venues_of
from liqwatch.feed.rest import RestClient
from liqwatch.sim import SimConfig, Simulator
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY

H = 3_600_000


async def _poll(tmp_path: Path) -> None:
    sim = Simulator(SimConfig(venues=("binance_usdm", "bybit", "okx", "bitmex"), seed=3))
    await sim.start()
    store = DuckDBStore(str(tmp_path / "levels.duckdb"))
    try:
        venues = venues_of([REGISTRY[v] for v in ("binance_usdm", "bybit", "okx", "bitmex")])
        assert venues == ["binance_usdm", "bybit", "okx"]
        now = sim.tape_now()
        async with RestClient(timeout=5.0) as client:
            report = await poll_once(
                store, venues, client, ["BTC", "ETH"], now=now, lookback_ms=48 * H, rest_overrides=sim.rest_urls
            )
            assert report.problems == []
            again = await poll_once(
                store, venues, client, ["BTC"], now=now, lookback_ms=48 * H, rest_overrides=sim.rest_urls
            )
        candles = store.candles("BTC", H)
        stats = store.stats("BTC", "open_interest_usd")
        assert {c.venue for c in candles} == set(venues)
        assert {s.venue for s in stats} == {"binance_usdm", "okx"}  # Bybit publishes no USD open interest
        assert all(c.open_ts + H <= now for c in candles)  # closed bars only
        assert len(candles) >= 3 * 46 and report.candles >= len(candles) and again.candles > 0
        assert current_map(candles, stats) is not None  # what `liqwatch levels map` reads
        bars = store.candles("BTC", 300_000, since=now - 24 * H)  # the dashboard's price line: the last day
        assert {c.venue for c in bars} == set(venues)
        for venue in venues:
            opens = sorted(c.open_ts for c in bars if c.venue == venue)
            assert opens[0] <= now - 24 * H + 300_000 and opens[-1] + 2 * 300_000 > now - 300_000
            assert all(b - a == 300_000 for a, b in itertools.pairwise(opens))
        # the forever loop polls, then sleeps until cancelled
        loop_client = RestClient(timeout=5.0)
        forever = poll_market_forever(
            store,
            [REGISTRY["okx"]],
            loop_client,
            ["SOL"],
            3600,
            sim.rest_urls,
            clock=sim.tape_now,
            first_lookback_ms=6 * H,
        )
        task = asyncio.create_task(forever)
        for _ in range(200):
            if store.candles("SOL", H):
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await loop_client.aclose()
        assert {c.venue for c in store.candles("SOL", H)} == {"okx"}
    finally:
        store.close()
        await sim.stop()


def test_poller_against_the_simulator(tmp_path: Path) -> None:
    asyncio.run(_poll(tmp_path))
