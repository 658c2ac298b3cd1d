"""The simulator's Bitget REST endpoints, in the venue's real response shape. Pure."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.rest.common import (
    ApiError,
    Context,
    Query,
    Route,
    _decimals,
    candles,
    contracts_of_oi,
    fmt,
    quoted_price,
)

_PRODUCT = {"USDT-FUTURES": "usdt-futures", "COIN-FUTURES": "coin-futures", "USDC-FUTURES": "usdc-futures"}


def _bitget_ok(data: Any, ctx: Context) -> dict[str, Any]:
    return {"code": "00000", "msg": "success", "requestTime": ctx.now_ms, "data": data}


def _bitget_error(code: str, msg: str) -> ApiError:
    return ApiError(400, {"code": code, "msg": msg, "requestTime": 0, "data": None})


def bitget_routes() -> dict[str, Route]:
    def select(query: Query, key: str) -> list[Market]:
        product = query.get(key, "").upper()
        group = _PRODUCT.get(product)
        if group is None:
            raise _bitget_error(
                "40019", f"Parameter {key} cannot be empty" if not product else f"Parameter {key} error"
            )
        found = [m for m in mk.markets("bitget") if m.group == group]
        symbol = query.get("symbol", "")
        if symbol:
            found = [m for m in found if m.symbol == symbol]
            if not found:
                raise _bitget_error("40034", f"Parameter {symbol} does not exist")
        return found

    def contracts(query: Query, ctx: Context) -> Any:
        rows = []
        for m in select(query, "productType"):
            rows.append(
                {
                    "symbol": m.symbol,
                    "baseCoin": m.coin,
                    "quoteCoin": m.quote,
                    "symbolType": "perpetual",
                    "symbolStatus": "normal",
                    "pricePlace": str(_decimals(m.tick)),
                    "priceEndStep": "1",
                    "volumePlace": str(_decimals(m.lot)),
                    "sizeMultiplier": m.lot,
                    "minTradeNum": m.lot,
                    "makerFeeRate": "0.0002",
                    "takerFeeRate": "0.0006",
                    "supportMarginCoins": [m.quote if m.quote != "USD" else m.coin],
                    "fundInterval": "8",
                }
            )
        return _bitget_ok(rows, ctx)

    def instruments(query: Query, ctx: Context) -> Any:
        rows = []
        for m in select(query, "category"):
            rows.append(
                {
                    "symbol": m.symbol,
                    "category": query["category"].upper(),
                    "baseCoin": m.coin,
                    "quoteCoin": m.quote,
                    "buyLimitPriceRatio": "0.05",
                    "sellLimitPriceRatio": "0.05",
                    "minOrderQty": m.lot,
                    "maxOrderQty": "1000000",
                    "pricePrecision": str(_decimals(m.tick)),
                    "quantityPrecision": str(_decimals(m.lot)),
                    "quotePrecision": "4",
                    "status": "online",
                    "fundInterval": "8",
                }
            )
        return _bitget_ok(rows, ctx)

    def ticker_rows(query: Query, ctx: Context, key: str) -> list[dict[str, Any]]:
        rows = []
        for m in select(query, key):
            price = fmt(quoted_price(m, ctx.book), m.tick)
            units = contracts_of_oi(m, quoted_price(m, ctx.book))
            rows.append(
                {
                    "symbol": m.symbol,
                    "lastPr": price,
                    "lastPrice": price,
                    "markPrice": price,
                    "indexPrice": price,
                    "holdingAmount": f"{units:.4f}",
                    "openInterest": f"{units:.4f}",
                    "fundingRate": "0.0001",
                    "ts": str(ctx.now_ms),
                }
            )
        return rows

    def candle_rows(key: str, interval_key: str) -> Route:
        def route(query: Query, ctx: Context) -> Any:
            found = select(query, key)
            if not query.get("symbol"):
                raise _bitget_error("40019", "Parameter symbol cannot be empty")
            m = found[0]
            granularity = query.get(interval_key, "1m")
            rows = [
                [str(t), fmt(o, m.tick), fmt(h, m.tick), fmt(low, m.tick), fmt(c, m.tick), f"{v:.4f}", f"{v * c:.4f}"]
                for t, o, h, low, c, v in candles(
                    m, query, ctx, granularity, start="startTime", end="endTime", limit=100
                )
            ]
            return _bitget_ok(rows, ctx)

        return route

    def open_interest(query: Query, ctx: Context) -> Any:
        found = select(query, "productType")
        if not query.get("symbol"):
            raise _bitget_error("40019", "Parameter symbol cannot be empty")
        m = found[0]
        units = contracts_of_oi(m, quoted_price(m, ctx.book))
        return _bitget_ok(
            {"openInterestList": [{"symbol": m.symbol, "size": f"{units:.4f}"}], "ts": str(ctx.now_ms)}, ctx
        )

    return {
        "/api/v2/public/time": lambda q, c: _bitget_ok({"serverTime": str(c.now_ms)}, c),
        "/api/v2/mix/market/contracts": contracts,
        "/api/v3/market/instruments": instruments,
        "/api/v2/mix/market/ticker": lambda q, c: _bitget_ok(ticker_rows(q, c, "productType"), c),
        "/api/v2/mix/market/tickers": lambda q, c: _bitget_ok(ticker_rows(q, c, "productType"), c),
        "/api/v3/market/tickers": lambda q, c: _bitget_ok(ticker_rows(q, c, "category"), c),
        "/api/v2/mix/market/candles": candle_rows("productType", "granularity"),
        "/api/v3/market/candles": candle_rows("category", "interval"),
        "/api/v2/mix/market/open-interest": open_interest,
    }
