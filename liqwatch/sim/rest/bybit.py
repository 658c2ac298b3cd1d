"""The simulator's Bybit v5 REST endpoints, in the venue's real response shape. Pure."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.rest.common import (
    FUNDING_MS,
    ApiError,
    Context,
    Query,
    Route,
    _decimals,
    _int,
    candles,
    contracts_of_oi,
    fmt,
    funding_at,
    interval_ms,
    quoted_price,
    series,
)


def _bybit_ok(result: Any, ctx: Context) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": ctx.now_ms}


def _bybit_error(msg: str) -> ApiError:
    # Bybit answers parameter errors with HTTP 200 and a retCode.
    return ApiError(200, {"retCode": 10001, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": 0})


def _bybit_markets(query: Query) -> list[Market]:
    category = query.get("category", "")
    if category not in ("linear", "inverse"):
        raise _bybit_error("params error: category only support linear or inverse" if category else "Illegal category")
    found = [m for m in mk.markets("bybit") if m.conn == category]
    symbol = query.get("symbol", "")
    if symbol:
        found = [m for m in found if m.symbol == symbol]
        if not found:
            raise _bybit_error("params error: symbol invalid")
    return found


def bybit_instrument(m: Market, ctx: Context) -> dict[str, Any]:
    linear = m.kind == "linear"
    base = (
        f"{m.coin}{m.bundle}"
        if m.symbol.startswith(m.coin) and m.bundle != 1
        else (f"{m.bundle}{m.coin}" if m.bundle != 1 else m.coin)
    )
    return {
        "symbol": m.symbol,
        "contractType": "LinearPerpetual" if linear else "InversePerpetual",
        "status": "Trading",
        "baseCoin": base,
        "quoteCoin": m.quote,
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": str(_decimals(m.tick)),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": m.tick, "maxPrice": "1999999.80", "tickSize": m.tick},
        "lotSizeFilter": {
            "maxOrderQty": "1190.000",
            "minOrderQty": m.lot,
            "qtyStep": m.lot,
            "postOnlyMaxOrderQty": "1190.000",
            "maxMktOrderQty": "500.000",
            "minNotionalValue": "5",
        },
        "unifiedMarginTrade": True,
        "fundingInterval": 480,
        "settleCoin": m.quote if linear else m.coin,
        "copyTrading": "both",
        "upperFundingRate": "0.00375",
        "lowerFundingRate": "-0.00375",
        "isPreListing": False,
        "preListingInfo": None,
    }


def bybit_routes() -> dict[str, Route]:
    def instruments(query: Query, ctx: Context) -> Any:
        found = _bybit_markets(query)
        limit = max(1, min(_int(query, "limit", 500), 1000))
        offset = _int(query, "cursor", 0)
        page = found[offset : offset + limit]
        following = str(offset + limit) if offset + limit < len(found) else ""
        items = [bybit_instrument(m, ctx) for m in page]
        return _bybit_ok({"category": query["category"], "list": items, "nextPageCursor": following}, ctx)

    def one(query: Query) -> Market:
        found = _bybit_markets(query)
        if not query.get("symbol"):
            raise _bybit_error("params error: symbol is required")
        return found[0]

    def kline(fields: int) -> Route:
        def route(query: Query, ctx: Context) -> Any:
            m = one(query)
            rows = []
            for t, o, h, low, c, v in candles(
                m, query, ctx, query.get("interval", "1"), start="start", end="end", limit=200, newest=True
            ):
                row = [str(t), fmt(o, m.tick), fmt(h, m.tick), fmt(low, m.tick), fmt(c, m.tick)]
                if fields == 7:
                    row += [f"{v:.3f}", f"{v * c / m.bundle:.4f}"]
                rows.append(row)
            rows.reverse()  # newest first
            return _bybit_ok({"symbol": m.symbol, "category": query["category"], "list": rows}, ctx)

        return route

    def tickers(query: Query, ctx: Context) -> Any:
        rows = []
        for m in _bybit_markets(query):
            price = quoted_price(m, ctx.book)
            units = contracts_of_oi(m, price)
            rows.append(
                {
                    "symbol": m.symbol,
                    "lastPrice": fmt(price, m.tick),
                    "indexPrice": fmt(price * 0.9998, m.tick),
                    "markPrice": fmt(price, m.tick),
                    "prevPrice24h": fmt(price * 0.98, m.tick),
                    "price24hPcnt": "0.020408",
                    "highPrice24h": fmt(price * 1.02, m.tick),
                    "lowPrice24h": fmt(price * 0.97, m.tick),
                    "openInterest": f"{units:.3f}",
                    "openInterestValue": f"{mk.oi_usd(m):.2f}",
                    "fundingRate": "0.0001",
                    "nextFundingTime": str((ctx.now_ms // 28_800_000 + 1) * 28_800_000),
                }
            )
        return _bybit_ok({"category": query["category"], "list": rows}, ctx)

    def open_interest(query: Query, ctx: Context) -> Any:
        m = one(query)
        step = interval_ms(query.get("intervalTime", "5min").replace("min", "m"))
        limit = max(1, min(_int(query, "limit", 50), 200))
        end = ctx.now_ms - ctx.now_ms % step
        units = contracts_of_oi(m, quoted_price(m, ctx.book))
        rows = []
        for i in range(limit):
            t = end - i * step
            both = units * 2 * (1 + 0.01 * ((t // step) % 5))
            rows.append({"openInterest": f"{both:.8f}", "singleOpenInterest": f"{both / 2:.0f}", "timestamp": str(t)})
        return _bybit_ok({"symbol": m.symbol, "category": query["category"], "list": rows, "nextPageCursor": ""}, ctx)

    def funding_history(query: Query, ctx: Context) -> Any:
        m = one(query)
        times = series(query, ctx, FUNDING_MS, "startTime", "endTime", 200, 200)
        rows = [
            {"symbol": m.symbol, "fundingRate": funding_at(t), "fundingRateTimestamp": str(t)} for t in reversed(times)
        ]
        return _bybit_ok({"category": query["category"], "list": rows}, ctx)

    return {
        "/v5/market/time": lambda q, c: _bybit_ok(
            {"timeSecond": str(c.now_ms // 1000), "timeNano": str(c.now_ms * 1_000_000)}, c
        ),
        "/v5/market/instruments-info": instruments,
        "/v5/market/kline": kline(7),
        "/v5/market/mark-price-kline": kline(5),
        "/v5/market/index-price-kline": kline(5),
        "/v5/market/tickers": tickers,
        "/v5/market/open-interest": open_interest,
        "/v5/market/funding/history": funding_history,
    }
