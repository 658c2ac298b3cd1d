"""`backfill coinalyze` and `backfill coinglass` against local servers answering in the documented
formats: throttled (429 + Retry-After), failing (5xx), cut bodies, and a run killed half way that
the next run resumes. Expected rows are computed here from the servers' own data."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from liqwatch.aggregates import AggregateRow
from liqwatch.backfill.aggregate import coinalyze, coinglass
from liqwatch.backfill.common import BackfillError
from liqwatch.feed.backoff import Backoff
from liqwatch.feed.rest import RestClient
from liqwatch.store.duckdb import DuckDBStore
from tests.history.http_server import Reply, Request, serving

D = 86_400_000
H = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01
MARKETS = [
    {"symbol": "BTCUSDT_PERP.A", "exchange": "A", "base_asset": "BTC", "is_perpetual": True},
    {"symbol": "BTCUSD_PERP.A", "exchange": "A", "base_asset": "BTC", "is_perpetual": True},
    {"symbol": "XBTUSD.0", "exchange": "0", "base_asset": "BTC", "is_perpetual": True},
    {"symbol": "BTCUSDT_240329.A", "exchange": "A", "base_asset": "BTC", "is_perpetual": False},
    {"symbol": "ETHUSDT_PERP.A", "exchange": "A", "base_asset": "ETH", "is_perpetual": True},
]
EXCHANGE = {"A": "Binance", "0": "BitMEX"}


def liq(symbol: str, t_s: int) -> tuple[float, float]:
    """The provider's (long, short) USD of a symbol's bucket starting at t_s (seconds)."""
    k = t_s // 3600
    return float(k % 97 + len(symbol)), float(k % 13) + 0.5


def coinalyze_handler(faults: dict[int, Reply] | None = None, hang_at: int | None = None):
    faults = faults or {}
    history_seen = [0]

    def handle(request: Request, _: int) -> Reply:
        if request.headers.get("api_key") != "k":
            return Reply(401, b'{"message":"Invalid API key"}')
        if request.path == "/v1/future-markets":
            return Reply(200, json.dumps(MARKETS).encode())
        assert request.path == "/v1/liquidation-history"
        history_seen[0] += 1
        n = history_seen[0]
        if n in faults:
            return faults[n]
        if hang_at is not None and n >= hang_at:
            return Reply(200, b"[]", hang=30.0)
        q = request.query
        assert q["convert_to_usd"] == "true"
        step = {"daily": 86400, "1hour": 3600}[q["interval"]]
        lo, hi = int(q["from"]), int(q["to"])
        out = []
        for symbol in q["symbols"].split(","):
            points = [
                {"t": t, "l": liq(symbol, t)[0], "s": liq(symbol, t)[1]} for t in range(lo // step * step, hi + 1, step)
            ]
            out.append({"symbol": symbol, "history": points})
        return Reply(200, json.dumps(out).encode())

    return handle


def expected_coinalyze(since: int, until: int, step: int) -> list[AggregateRow]:
    sums: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for m in MARKETS:
        if m["base_asset"] != "BTC" or not m["is_perpetual"]:
            continue
        for start in range(since, until, step):
            long_usd, short_usd = liq(str(m["symbol"]), start // 1000)
            acc = sums[(EXCHANGE[str(m["exchange"])], start)]
            acc[0] += long_usd
            acc[1] += short_usd
    return sorted(AggregateRow("coinalyze", x, "BTC", step, t, v[0], v[1]) for (x, t), v in sums.items())


def fast_client(delays: list[float]) -> RestClient:
    async def nap(seconds: float) -> None:
        delays.append(seconds)

    return RestClient(backoff=lambda: Backoff(initial=0.01, cap=0.02), sleep=nap, timeout=5.0)


def test_coinalyze_through_throttling_failures_and_cut_bodies(tmp_path: Path) -> None:
    half = json.dumps([{"symbol": "BTCUSDT_PERP.A", "history": [{"t": 1, "l": 1, "s": 1}] * 50}]).encode()[:300]
    faults = {
        1: Reply(429, b"slow down", {"Retry-After": "7"}),
        2: Reply(503, b"maintenance"),
        3: Reply(200, b"[" * 4000, cut=True),
        4: Reply(200, half),  # complete as HTTP, not as JSON
    }
    now = T0 + 70 * D + 5 * H  # the 71st day is still running: not stored
    delays: list[float] = []

    async def go() -> None:
        async with fast_client(delays) as client:
            with DuckDBStore(tmp_path / "a.duckdb") as store:
                report = await coinalyze(
                    store,
                    client,
                    key="k",
                    coin="BTC",
                    interval="daily",
                    since=T0,
                    now=now,
                    pace=0,
                    base=server.url,
                    sleep=lambda s: asyncio.sleep(0),
                )
                assert store.aggregates() == expected_coinalyze(T0, T0 + 70 * D, D)
                assert report.aggregates == 140 and store.count() == 0

    with serving(coinalyze_handler(faults)) as server:
        asyncio.run(go())
    assert 7.0 in delays  # Retry-After honoured
    calls = server.paths("/v1/liquidation-history")
    assert len(calls) == 5 and calls[-1].query["symbols"] == "BTCUSDT_PERP.A,BTCUSD_PERP.A,XBTUSD.0"


def test_coinalyze_refuses_a_wrong_key_in_one_line(tmp_path: Path) -> None:
    async def go() -> None:
        async with fast_client([]) as client:
            with DuckDBStore(tmp_path / "a.duckdb") as store:
                await coinalyze(
                    store, client, key="nope", coin="BTC", interval="daily", since=T0, now=T0 + 9 * D, base=server.url
                )

    with serving(coinalyze_handler()) as server, pytest.raises(BackfillError, match=r"HTTP 401.*Invalid API key"):
        asyncio.run(go())


def cli(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "liqwatch", "backfill", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ | {"COINALYZE_API_KEY": "k"},
    )


def test_a_killed_backfill_resumes_where_it_stopped(tmp_path: Path) -> None:
    db = str(tmp_path / "r.duckdb")
    since = "2019-06-01T00:00:00Z"  # several 365-day windows before today
    args = ("coinalyze", "--db", db, "--since", since, "--pace", "0", "-q")
    with serving(coinalyze_handler(hang_at=3)) as server:
        first = cli(*args, "--url", server.url)
        for _ in range(600):
            if len(server.paths("/v1/liquidation-history")) >= 3 or first.poll() is not None:
                break
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        done = [r.query["from"] for r in server.paths("/v1/liquidation-history")]
    assert len(done) == 3
    with serving(coinalyze_handler()) as server:
        second = cli(*args, "--url", server.url)
        _, stderr = second.communicate(timeout=120)
        assert second.returncode == 0, stderr.decode()
        assert b"resumed where the last run stopped" in stderr
        again = [r.query["from"] for r in server.paths("/v1/liquidation-history")]
    assert again[0] == done[2]  # the window that was cut off, not the two already written
    with DuckDBStore(Path(db), read_only=True) as store:
        rows = store.aggregates()
    first_day = 1_559_347_200_000  # 2019-06-01
    today = rows[-1].start_ts + D
    assert rows == expected_coinalyze(first_day, today, D)


def test_coinglass_pages_and_keeps_only_whole_buckets(tmp_path: Path) -> None:
    def handle(request: Request, n: int) -> Reply:
        if request.headers.get("cg-api-key") != "g":
            return Reply(200, b'{"code":"30001","msg":"API key missing"}')
        if n == 0:
            return Reply(500, b"oops")
        q = request.query
        assert (q["symbol"], q["exchange_list"], q["interval"]) == ("BTC", "Binance,OKX", "1h")
        lo, hi = int(q["start_time"]), int(q["end_time"])
        data = [
            {"time": t, "aggregated_long_liquidation_usd": t % 1000 / 10, "aggregated_short_liquidation_usd": 2.5}
            for t in range(lo, hi + 1, H)
            if t % (5 * H) != 0  # the provider has no bucket for every fifth hour
        ][: int(q["limit"])]
        return Reply(200, json.dumps({"code": "0", "msg": "success", "data": data}).encode())

    now = T0 + 1500 * H + 1
    with serving(handle) as server:

        async def go() -> list[AggregateRow]:
            async with fast_client([]) as client:
                with DuckDBStore(tmp_path / "g.duckdb") as store:
                    await coinglass(
                        store,
                        client,
                        key="g",
                        coin="BTC",
                        interval="1h",
                        since=T0,
                        now=now,
                        base=server.url,
                        exchanges="Binance, OKX",
                    )
                    return store.aggregates()

        rows = asyncio.run(go())
        assert len(server.paths()) == 3  # a 500, then two pages of at most 1,000 hours
    expected = [
        AggregateRow("coinglass", "Binance,OKX", "BTC", H, t, t % 1000 / 10, 2.5)
        for t in range(T0, T0 + 1500 * H, H)
        if t % (5 * H) != 0
    ]
    assert rows == expected  # hours the provider left out stay unknown (no row), never zero
