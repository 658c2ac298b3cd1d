"""`backfill prices` against a local server answering Binance's klines format (with a 5xx on the
way); a venue that does not answer gives way to the next; a second run starts at its marks."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from liqwatch.backfill.prices import prices_backfill
from liqwatch.feed.backoff import Backoff
from liqwatch.feed.rest import RestClient
from liqwatch.store.duckdb import DuckDBStore
from tests.history.http_server import Reply, Request, serving

H = 3_600_000
D = 24 * H
T0 = 1_704_067_200_000


def close_of(open_ts: int) -> float:
    return 40_000.0 + (open_ts // H) % 500


def binance(request: Request, n: int) -> Reply:
    if n == 0:
        return Reply(502, b"bad gateway")
    q = request.query
    assert request.path == "/fapi/v1/klines" and q["symbol"] == "BTCUSDT"
    step = {"1h": H, "1d": D}[q["interval"]]
    lo, hi, limit = int(q["startTime"]), int(q["endTime"]), int(q["limit"])
    rows = []
    for t in range(lo // step * step, hi + 1, step):
        c = close_of(t)
        rows.append([t, str(c - 1), str(c + 5), str(c - 5), str(c), "1", t + step - 1, "1", 1, "1", "1", "0"])
    return Reply(200, json.dumps(rows[:limit]).encode())


def test_prices_backfill_daily_and_hourly(tmp_path: Path) -> None:
    now = T0 + 100 * D + 30 * 60_000
    with serving(binance) as server, DuckDBStore(tmp_path / "p.duckdb") as store:

        async def go(since_daily: int) -> None:
            async with RestClient(backoff=lambda: Backoff(initial=0.01, cap=0.02)) as client:
                await prices_backfill(
                    store,
                    client,
                    coins=["BTC"],
                    since_daily=since_daily,
                    since_hourly=T0 + 40 * D,
                    now=now,
                    venues=["binance_usdm"],
                    rest_urls={"binance_usdm": server.url},
                    pace=0,
                )

        asyncio.run(go(T0))
        daily, hourly = store.candles("BTC", D), store.candles("BTC", H)
        assert [c.open_ts for c in daily] == list(range(T0, T0 + 100 * D, D))  # the running day waits
        assert [c.open_ts for c in hourly] == list(range(T0 + 40 * D, T0 + 100 * D, H))
        assert all(c.close == close_of(c.open_ts) and c.high == c.close + 5 for c in hourly + daily)
        before = len(server.paths())
        asyncio.run(go(T0))  # again: the marks say it is done
        assert len(server.paths()) == before


def test_a_venue_that_fails_gives_way_to_the_next(tmp_path: Path) -> None:
    def down(request: Request, n: int) -> Reply:
        return Reply(404, b"not here")

    with serving(down) as dead, serving(binance) as alive, DuckDBStore(tmp_path / "q.duckdb") as store:

        async def go() -> str:
            async with RestClient(backoff=lambda: Backoff(initial=0.01, cap=0.02)) as client:
                report = await prices_backfill(
                    store,
                    client,
                    coins=["BTC"],
                    since_daily=T0,
                    since_hourly=T0 + 9 * D,
                    now=T0 + 10 * D,
                    venues=["okx", "binance_usdm"],
                    rest_urls={"okx": dead.url, "binance_usdm": alive.url},
                    pace=0,
                )
                return report.describe()

        text = asyncio.run(go())
        assert len(store.candles("BTC", D)) == 10 and len(store.candles("BTC", H)) == 24
        assert "240" not in text and "34 candles" in text
