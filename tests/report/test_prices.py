"""Kline, open-interest and funding requests and parsers, paging, and the fetch step (httpx MockTransport)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from liqwatch import prices
from liqwatch.feed.prices import fetch
from liqwatch.feed.rest import RestClient
from liqwatch.report.build import build
from liqwatch.report.collect import collect
from liqwatch.store.duckdb import DuckDBStore
from tests.report import tapes

H = tapes.H
DAY = tapes.DAY
AT = tapes.AT


def price_at(ts: int) -> float:
    return 100_000.0 + (ts - AT) / H  # a gentle slope: 1 USD an hour


def bar(ts: int, interval: int) -> list[str]:
    o, c = price_at(ts), price_at(ts + interval)
    return [str(ts), f"{o:.1f}", f"{max(o, c) + 5:.1f}", f"{min(o, c) - 5:.1f}", f"{c:.1f}"]


class FakeVenues:
    """Serves klines like the three venues do (order, paging, limits), funding and open interest."""

    def __init__(self, failing: frozenset[str] = frozenset(), now: int = AT + 30 * 60_000) -> None:
        self.failing = failing
        self.now = now
        self.requests: list[str] = []

    def bars(self, interval: int, lo: int, hi: int) -> list[list[str]]:
        """Bars opening in [lo, hi], oldest first, that have opened by now."""
        first = -(-lo // interval) * interval
        return [bar(t, interval) for t in range(first, min(hi, self.now) + 1, interval)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        q = dict(request.url.params)
        host = request.url.host
        self.requests.append(f"{host}{request.url.path}")
        if host in self.failing:
            return httpx.Response(400, json={"msg": "bad request"})
        path = request.url.path
        if path == "/fapi/v1/klines":
            interval = {"1h": H, "1d": DAY}[q["interval"]]
            rows = self.bars(interval, int(q["startTime"]), int(q["endTime"]))[: int(q["limit"])]
            return httpx.Response(200, json=[[int(r[0]), *r[1:], "1.0", int(r[0]) + interval - 1] for r in rows])
        if path == "/v5/market/kline":
            interval = {"60": H, "D": DAY}[q["interval"]]
            rows = self.bars(interval, int(q["start"]), int(q["end"]))[-int(q["limit"]) :][::-1]
            return httpx.Response(200, json={"retCode": 0, "result": {"list": [[*r, "1", "1"] for r in rows]}})
        if path == "/api/v5/market/history-candles":
            interval = {"1H": H, "1Dutc": DAY}[q["bar"]]
            rows = self.bars(interval, 0 if interval == DAY else AT - 400 * DAY, int(q["after"]) - 1)
            rows = rows[-int(q["limit"]) :][::-1]
            data = [[*r, "1", "1", "1", "0" if int(r[0]) + interval > self.now else "1"] for r in rows]
            return httpx.Response(200, json={"code": "0", "data": data})
        if path == "/fapi/v1/fundingRate":
            return httpx.Response(200, json=[{"fundingRate": "-0.0002", "fundingTime": AT - DAY - 8 * H}])
        if path == "/futures/data/openInterestHist":
            start = int(q["startTime"])
            rows = [{"sumOpenInterestValue": str(9e9 - i * 1e7), "timestamp": start + i * H} for i in range(27)]
            return httpx.Response(200, json=rows)
        if path == "/v5/market/funding/history":
            rows = [{"fundingRate": "0.0001", "fundingRateTimestamp": str(AT - DAY - 8 * H)}]
            return httpx.Response(200, json={"retCode": 0, "result": {"list": rows}})
        return httpx.Response(404, json={"msg": f"no route {path}"})


def client_factory(fake: FakeVenues):  # type: ignore[no-untyped-def]
    async def no_sleep(_delay: float) -> None:
        return None

    return lambda: RestClient(transport=httpx.MockTransport(fake), retries=0, sleep=no_sleep)


# --- parsers -----------------------------------------------------------------------------------------


def test_binance_klines() -> None:
    body = json.dumps([[AT - H, "100.5", "101", "99", "100.8", "12", AT - 1, "1", 5, "1", "1", "0"]]).encode()
    (c,) = prices.parse_klines("binance_usdm", "BTCUSDT", "BTC", H, body, now=AT)
    assert (c.open_ts, c.open, c.high, c.low, c.close, c.source) == (AT - H, 100.5, 101.0, 99.0, 100.8, "rest")
    assert prices.parse_klines("binance_usdm", "BTCUSDT", "BTC", H, body, now=AT - 1) == []  # still open


def test_bybit_and_okx_klines_are_newest_first() -> None:
    body = json.dumps(
        {
            "retCode": 0,
            "result": {
                "list": [[str(AT), "2", "3", "1", "2.5", "1", "1"], [str(AT - H), "1", "2", "1", "2", "1", "1"]]
            },
        }
    ).encode()
    got = prices.parse_klines("bybit", "ETHUSDT", "ETH", H, body, now=AT + H)
    assert [c.open_ts for c in got] == [AT - H, AT]
    body = json.dumps(
        {
            "code": "0",
            "data": [
                [str(AT), "2", "3", "1", "2.5", "1", "1", "1", "0"],
                [str(AT - H), "1", "2", "1", "2", "1", "1", "1", "1"],
            ],
        }
    ).encode()
    got = prices.parse_klines("okx", "ETH-USDT-SWAP", "ETH", H, body)
    assert [c.open_ts for c in got] == [AT - H]  # confirm "0": the bar is still open


@pytest.mark.parametrize(
    ("venue", "body"),
    [
        ("binance_usdm", b'{"code": -1121, "msg": "Invalid symbol."}'),
        ("bybit", b'{"retCode": 10001, "retMsg": "params error"}'),
        ("okx", b'{"code": "51001", "msg": "Instrument ID does not exist", "data": []}'),
        ("okx", b"not json"),
        ("binance_usdm", b'[[1, "1", "0.5", "2", "1"]]'),  # high below low
        ("binance_usdm", b'[[1, "NaN", "1", "1", "1"]]'),
    ],
)
def test_error_bodies_are_refused(venue: str, body: bytes) -> None:
    with pytest.raises(prices.PriceError):
        prices.parse_klines(venue, "X", "X", H, body)


def test_requests() -> None:
    r = prices.kline_request("binance_usdm", "BTCUSDT", H, AT - DAY, AT)
    assert r.path == "/fapi/v1/klines" and r.params["interval"] == "1h" and r.params["endTime"] == str(AT - 1)
    assert prices.kline_request("okx", "BTC-USDT-SWAP", DAY, 0, AT).params["bar"] == "1Dutc"
    assert prices.kline_request("bybit", "BTCUSDT", DAY, 0, AT).params["interval"] == "D"
    with pytest.raises(prices.PriceError):
        prices.kline_request("binance_usdm", "BTCUSDT", 60_000, 0, AT)
    assert prices.symbol_for("okx", "SOL") == "SOL-USDT-SWAP"
    assert prices.open_interest_request("bybit", "BTC", 0, AT) is None


def test_funding_and_open_interest() -> None:
    f = prices.parse_funding(
        "okx", "BTC", b'{"code":"0","data":[{"fundingRate":"-0.0003","fundingTime":"1763683200000"}]}'
    )
    assert f[0].kind == "funding_rate" and f[0].value == -0.0003 and f[0].ts == AT and f[0].symbol == "BTC-USDT-SWAP"
    oi = prices.parse_open_interest("okx", "BTC", b'{"code":"0","data":[["1763683200000","2.5e9","1e8"]]}')
    assert oi[0].value == 2.5e9 and oi[0].kind == "open_interest_usd"


@pytest.mark.parametrize("venue", prices.VENUES)
def test_paging_covers_a_month_of_hours_exactly(venue: str) -> None:
    fake = FakeVenues()
    start, end = AT - 31 * DAY, AT

    async def run() -> list[Any]:
        from liqwatch.feed.prices import _pages

        async with client_factory(fake)() as client:
            return await _pages(
                client, prices.REST_BASES[venue], venue, prices.symbol_for(venue, "BTC"), "BTC", H, start, end, fake.now
            )

    got = asyncio.run(run())
    assert [c.open_ts for c in got] == list(range(start, end, H))
    assert got[-1].close == pytest.approx(price_at(AT), abs=0.05)


# --- the fetch step ---------------------------------------------------------------------------------


def test_fetch_falls_back_and_the_report_gains_price_context(tmp_path: Path) -> None:
    fake = FakeVenues(failing=frozenset({"fapi.binance.com"}))
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.write_events(tapes.calm_days(3, end=AT))
        result = asyncio.run(fetch(store, AT, DAY, now=fake.now, client_factory=client_factory(fake)))
        assert result.sources["BTC"] == "bybit BTCUSDT"
        assert any("on binance_usdm" in p for p in result.problems)
        assert result.candles > 24 * 31 and result.stats >= 1
        hourly = store.candles("BTC", H)
        assert hourly and all(c.venue == "bybit" and c.open_ts + H <= fake.now for c in hourly)
        report = build(collect(store, AT, ("24h", DAY)))
    text = " ".join(p for s in report.sections for p in s.paragraphs)
    assert "Bitcoin was little changed over the 24 hours at $100,000" in text
    assert "Prices are hourly closes of Bybit BTCUSDT" in text


def test_fetch_with_every_venue_down_leaves_the_report_without_prices(tmp_path: Path) -> None:
    fake = FakeVenues(failing=frozenset({"fapi.binance.com", "api.bybit.com", "www.okx.com"}))
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.write_events(tapes.calm_days(3, end=AT))
        result = asyncio.run(fetch(store, AT, DAY, now=fake.now, client_factory=client_factory(fake)))
        assert result.candles == 0 and not result.sources and len(result.problems) >= 6
        report = build(collect(store, AT, ("24h", DAY)))
    assert not any(s.key == "prices" for s in report.sections)
