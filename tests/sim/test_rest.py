"""The simulator's REST endpoints: instruments in each venue's real shape (read by liqwatch's own
parse_instruments), klines, mark prices and open interest, errors and faults — over real HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from liqwatch.feed.instruments import fetch_venue, load_catalogue
from liqwatch.feed.rest import RestClient, RestError
from liqwatch.instruments import Instrument
from liqwatch.sim import SimConfig, Simulator, rest
from liqwatch.sim import markets as mk
from liqwatch.sim.tape import PriceBook
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import RestRequest
from tests.sim.helpers import NOW, rest_instruments, sim_catalogue

VENUES = [v for v in REGISTRY if v != "hyperliquid"]  # Hyperliquid's /info has its own tests


@pytest.mark.parametrize("venue", VENUES)
def test_instruments_parse_with_the_venues_own_parser(venue: str) -> None:
    found = {inst.symbol: inst for inst in rest_instruments(venue)}
    if not REGISTRY[venue].instrument_requests():  # Bitget: amounts are quote-denominated, nothing to fetch
        assert found == {}
        return
    for m in mk.markets(venue):
        if m.kind == "unpriced":  # Gate BTC-settled: no verified contract value, liqwatch lists none
            assert m.symbol not in found
            continue
        inst = found[m.symbol]
        assert inst.coin == m.coin
        assert _kind(m) == inst.kind
        assert inst.contract_size == pytest.approx(float(m.unit), rel=1e-12)
        assert inst.source == "rest"


def _kind(m: mk.Market) -> str:
    return {"quote": "linear"}.get(m.kind, m.kind)


def test_bybit_pages_follow_the_cursor() -> None:
    spec = REGISTRY["bybit"]
    ctx = rest.Context(NOW, PriceBook(NOW))
    request: RestRequest | None = RestRequest("/v5/market/instruments-info", {"category": "linear", "limit": "3"})
    pages: list[list[Instrument]] = []
    while request is not None:
        reply = rest.handle("bybit", request.path, dict(request.params), ctx)
        page = spec.parse_instruments(request, reply.body)
        pages.append(page.instruments)
        request = page.next
    assert [len(p) for p in pages] == [3, 3, 2]
    assert {i.symbol for p in pages for i in p} == {m.symbol for m in mk.markets("bybit") if m.conn == "linear"}


CONTEXT = {
    "binance_usdm": [
        ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1h", "limit": "24"}),
        ("/fapi/v1/premiumIndex", {"symbol": "ETHUSDT"}),
        ("/fapi/v1/openInterest", {"symbol": "BTCUSDT"}),
        ("/futures/data/openInterestHist", {"symbol": "ETHUSDT", "period": "1h", "limit": "24"}),
        ("/fapi/v1/fundingRate", {"symbol": "BTCUSDT"}),
    ],
    "binance_coinm": [
        ("/dapi/v1/klines", {"symbol": "BTCUSD_PERP", "interval": "1d", "limit": "7"}),
        ("/dapi/v1/premiumIndex", {"symbol": "ETHUSD_PERP"}),
        ("/dapi/v1/openInterest", {"symbol": "BTCUSD_PERP"}),
    ],
    "bybit": [
        ("/v5/market/kline", {"category": "linear", "symbol": "BTCUSDT", "interval": "60", "limit": "24"}),
        ("/v5/market/tickers", {"category": "inverse", "symbol": "ETHUSD"}),
        ("/v5/market/open-interest", {"category": "linear", "symbol": "ETHUSDT", "intervalTime": "1h"}),
        ("/v5/market/funding/history", {"category": "linear", "symbol": "BTCUSDT"}),
    ],
    "okx": [
        ("/api/v5/market/history-candles", {"instId": "BTC-USDT-SWAP", "bar": "1H", "limit": "24"}),
        ("/api/v5/public/mark-price", {"instType": "SWAP", "instId": "ETH-USDT-SWAP"}),
        ("/api/v5/public/open-interest", {"instType": "SWAP", "instId": "BTC-USD-SWAP"}),
        ("/api/v5/rubik/stat/contracts/open-interest-volume", {"ccy": "ETH", "period": "1H"}),
    ],
    "bitmex": [
        ("/api/v1/trade/bucketed", {"binSize": "1h", "symbol": "XBTUSD", "count": "24", "reverse": "true"}),
        ("/api/v1/instrument", {"symbol": "ETHUSD"}),
    ],
    "deribit": [
        ("/api/v2/public/get_tradingview_chart_data", {"instrument_name": "BTC-PERPETUAL", "resolution": "60"}),
        ("/api/v2/public/ticker", {"instrument_name": "ETH-PERPETUAL"}),
        ("/api/v2/public/get_book_summary_by_currency", {"currency": "BTC", "kind": "future"}),
    ],
    "bitget": [
        ("/api/v2/mix/market/candles", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "granularity": "1H"}),
        ("/api/v2/mix/market/ticker", {"symbol": "ETHUSDT", "productType": "usdt-futures"}),
        ("/api/v2/mix/market/open-interest", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES"}),
    ],
    "aster": [
        ("/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1h", "limit": "24"}),
        ("/fapi/v1/premiumIndex", {"symbol": "ETHUSDT"}),
        ("/fapi/v1/openInterest", {"symbol": "BTCUSDT"}),
    ],
    "gate": [
        ("/api/v4/futures/usdt/candlesticks", {"contract": "BTC_USDT", "interval": "1h", "limit": "24"}),
        ("/api/v4/futures/usdt/tickers", {"contract": "ETH_USDT"}),
        ("/api/v4/futures/usdt/contract_stats", {"contract": "BTC_USDT", "interval": "1h"}),
    ],
    "dydx": [("/v4/perpetualMarkets", {"ticker": "BTC-USD"})],  # oracle price and open interest
    "lighter": [("/api/v1/orderBookDetails", {"market_id": "1"})],  # last price and open interest
}


def _numbers(doc: Any) -> list[float]:
    """Every number (or numeric string) in a JSON document."""
    if isinstance(doc, dict):
        return [n for v in doc.values() for n in _numbers(v)]
    if isinstance(doc, list):
        return [n for v in doc for n in _numbers(v)]
    if isinstance(doc, bool) or doc is None:
        return []
    if isinstance(doc, int | float):
        return [float(doc)]
    try:
        return [float(doc)]
    except ValueError:
        return []


@pytest.mark.parametrize("venue", list(CONTEXT))  # the venues liqwatch reads prices from
def test_klines_mark_prices_and_open_interest(venue: str) -> None:
    ctx = rest.Context(NOW, PriceBook(NOW))
    for path, query in CONTEXT[venue]:
        reply = rest.handle(venue, path, query, ctx)
        assert reply.status == 200, (path, reply.body[:300])
        doc = json.loads(reply.body)
        assert doc, path
        assert all(math_ok(n) for n in _numbers(doc)), path
        if "retCode" in doc:
            assert doc["retCode"] == 0
        if isinstance(doc, dict) and "code" in doc:
            assert doc["code"] in ("0", "00000", 200)  # Lighter answers 200 in the body


def math_ok(n: float) -> bool:
    return n == n and abs(n) < 1e20


def test_klines_follow_the_simulated_prices() -> None:
    book = PriceBook(NOW)
    book.record("BTC", NOW + 5_000, 80_000.0)
    ctx = rest.Context(NOW + 10_000, book)
    rows = json.loads(rest.handle("binance_usdm", "/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m"}, ctx).body)
    assert rows[-1][0] == NOW // 60_000 * 60_000 and rows[-1][4] == "80000.0"
    assert len(rows) == 500  # Binance's default limit, history before the tape included
    newest_first = json.loads(
        rest.handle("bybit", "/v5/market/kline", {"category": "linear", "symbol": "BTCUSDT", "interval": "1"}, ctx).body
    )["result"]["list"]
    assert int(newest_first[0][0]) > int(newest_first[1][0])


def test_errors_come_in_the_venues_shapes() -> None:
    ctx = rest.Context(NOW, PriceBook(NOW))
    binance = rest.handle("binance_usdm", "/fapi/v1/klines", {"symbol": "NOPE", "interval": "1h"}, ctx)
    assert binance.status == 400 and json.loads(binance.body)["code"] == -1121
    bybit = rest.handle("bybit", "/v5/market/instruments-info", {"category": "spot"}, ctx)
    assert bybit.status == 200 and json.loads(bybit.body)["retCode"] == 10001
    okx = rest.handle("okx", "/api/v5/public/instruments", {}, ctx)
    assert json.loads(okx.body)["code"] == "50014"
    assert rest.handle("gate", "/api/v4/futures/usdt/contracts/NOPE_USDT", {}, ctx).status == 400
    assert rest.handle("okx", "/no/such/path", {}, ctx).status == 404


def test_recent_liquidations_endpoints() -> None:
    from liqwatch.sim.model import truth
    from liqwatch.venues import deribit, okx

    m_okx = mk.market("okx", "BTC-USDT-SWAP")
    m_deribit = mk.market("deribit", "BTC-PERPETUAL")
    assert m_okx is not None and m_deribit is not None
    liqs = [
        truth(m_okx, "long", "95000.1", "12", NOW - 1000),
        truth(m_deribit, "short", "95000.5", "1230", NOW - 900, "77", 2),
    ]
    ctx = rest.Context(NOW, PriceBook(NOW), recent=liqs)
    body = rest.handle(
        "okx", okx.LIQUIDATIONS_PATH, dict(okx.liquidation_orders_request("SWAP", inst_family="BTC-USDT").params), ctx
    ).body
    [event] = okx.parse_rest_liquidations(body, NOW, sim_catalogue())
    assert (event.side, event.usd) == ("long", liqs[0].usd)
    request = deribit.backfill_request("BTC", NOW - 5000, NOW)
    body = rest.handle("deribit", "/api/v2" + request.path, dict(request.params), ctx).body
    [event] = deribit.parse_rest_trades(body, NOW, sim_catalogue())
    assert (event.side, event.usd) == ("short", 1230.0)


def test_over_http_with_rest_faults() -> None:
    """429 (with Retry-After) and 5xx are answered as configured; liqwatch's client retries through them."""

    async def main() -> None:
        config = SimConfig(venues=("okx", "bybit"), faults="rest-429=0.3@okx,rest-5xx=0.3@okx,rest-5xx=1@bybit")
        async with Simulator(config) as sim:
            async with httpx.AsyncClient() as raw:
                statuses = [
                    (await raw.get(sim.rest_urls["okx"] + "/api/v5/public/time")).status_code for _ in range(40)
                ]
            assert {200, 429} <= set(statuses) and set(statuses) & {500, 502, 503}
            async with RestClient(retries=30, sleep=_no_sleep) as client:
                found = await fetch_venue(REGISTRY["okx"], client, sim.rest_urls["okx"])
                assert {i.symbol for i in found} == {m.symbol for m in mk.markets("okx")}
                with pytest.raises(RestError, match="HTTP 50"):
                    await fetch_venue(REGISTRY["bybit"], client, sim.rest_urls["bybit"])
                catalogue = await load_catalogue(
                    [REGISTRY["bybit"]], client, rest_overrides=sim.rest_urls, timeout=5
                )  # a failing venue keeps the bundled snapshot
                assert catalogue.get("bybit", "BTCUSDT") is not None
            assert sim.faults_applied["rest-429"] > 0 and sim.faults_applied["rest-5xx"] > 0

    asyncio.run(main())


async def _no_sleep(_delay: float) -> None:
    return None


def test_rest_and_websocket_share_a_port_and_unknown_paths_are_404() -> None:
    async def main() -> None:
        async with Simulator(SimConfig(venues=("deribit",))) as sim:
            base = sim.rest_urls["deribit"]
            assert base.endswith("/api/v2")  # the override keeps the real base path
            assert sim.urls["deribit"].replace("ws://", "http://").startswith(base.removesuffix("/api/v2"))
            async with httpx.AsyncClient() as client:
                ok = await client.get(base + "/public/get_instruments", params={"currency": "any", "kind": "future"})
                missing = await client.get(base + "/public/nope")
            assert ok.status_code == 200 and ok.json()["result"]
            assert missing.status_code == 404

    asyncio.run(main())
