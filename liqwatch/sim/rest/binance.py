"""The simulator's Binance USD-M / COIN-M REST endpoints, in the venue's real response shape. Pure."""

from __future__ import annotations

from decimal import Decimal
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
    _expiry_ms,
    _market_or_error,
    candles,
    contracts_of_oi,
    fmt,
    funding_at,
    interval_ms,
    price_at,
    quoted_price,
    series,
    wobble,
)


def _binance_error(status: int, code: int, msg: str) -> ApiError:
    return ApiError(status, {"code": code, "msg": msg})


def _binance_symbol(venue: str, query: Query) -> Market:
    symbol = query.get("symbol", "")
    if not symbol:
        raise _binance_error(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
    return _market_or_error(venue, symbol, lambda _s: _binance_error(400, -1121, "Invalid symbol."))


def _filters(m: Market) -> list[dict[str, Any]]:
    return [
        {"filterType": "PRICE_FILTER", "minPrice": m.tick, "maxPrice": "4529764", "tickSize": m.tick},
        {"filterType": "LOT_SIZE", "minQty": m.lot, "maxQty": "1000", "stepSize": m.lot},
        {"filterType": "MARKET_LOT_SIZE", "minQty": m.lot, "maxQty": "120", "stepSize": m.lot},
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4"},
    ]


def binance_exchange_info(venue: str, ctx: Context) -> dict[str, Any]:
    coinm = venue == "binance_coinm"
    symbols = []
    for m in mk.markets(venue):
        base = f"{m.bundle}{m.coin}" if m.bundle != 1 else m.coin
        pair = m.symbol.split("_", 1)[0]
        row: dict[str, Any] = {
            "symbol": m.symbol,
            "pair": pair,
            "contractType": "CURRENT_QUARTER" if m.expiry else "PERPETUAL",
            "deliveryDate": _expiry_ms(m.expiry),
            "onboardDate": 1_569_398_400_000,
        }
        if coinm:
            row["contractStatus"] = "TRADING"
            row["contractSize"] = int(Decimal(m.unit))
        else:
            row["status"] = "TRADING"
        row.update(
            maintMarginPercent="2.5000",
            requiredMarginPercent="5.0000",
            baseAsset=base,
            quoteAsset=m.quote,
            marginAsset=m.coin if coinm else m.quote,
            pricePrecision=_decimals(m.tick),
            quantityPrecision=_decimals(m.lot),
            baseAssetPrecision=8,
            quotePrecision=8,
            underlyingType="COIN",
            underlyingSubType=[],
            triggerProtect="0.0500",
            liquidationFee="0.012500",
            marketTakeBound="0.05",
            maxMoveOrderLimit=10000,
            filters=_filters(m),
            orderTypes=["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"],
            timeInForce=["GTC", "IOC", "FOK", "GTX"],
        )
        symbols.append(row)
    return {
        "timezone": "UTC",
        "serverTime": ctx.now_ms,
        "futuresType": "COIN_MARGINED" if coinm else "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ],
        "exchangeFilters": [],
        "assets": [{"asset": a, "marginAvailable": True, "autoAssetExchange": "0"} for a in ("USDT", "USDC", "BTC")],
        "symbols": symbols,
    }


def binance_routes(venue: str) -> dict[str, Route]:
    prefix = "/dapi/v1" if venue == "binance_coinm" else "/fapi/v1"
    coinm = venue == "binance_coinm"

    def klines(query: Query, ctx: Context) -> Any:
        m = _binance_symbol(venue, query)
        rows = []
        step = interval_ms(query.get("interval", "1m"))
        for t, o, h, low, c, v in candles(
            m, query, ctx, query.get("interval", "1m"), start="startTime", end="endTime", limit=500
        ):
            quote_volume = v * c / m.bundle
            rows.append(
                [
                    t,
                    fmt(o, m.tick),
                    fmt(h, m.tick),
                    fmt(low, m.tick),
                    fmt(c, m.tick),
                    f"{v:.3f}",
                    t + step - 1,
                    f"{quote_volume:.4f}",
                    int(v) % 9000 + 100,
                    f"{v / 2:.3f}",
                    f"{quote_volume / 2:.4f}",
                    "0",
                ]
            )
        return rows

    def premium(m: Market, ctx: Context) -> dict[str, Any]:
        price = quoted_price(m, ctx.book)
        row: dict[str, Any] = {"symbol": m.symbol}
        if coinm:
            row["pair"] = m.symbol.split("_", 1)[0]
        row.update(
            markPrice=f"{price:.8f}",
            indexPrice=f"{price * 0.9998:.8f}",
            estimatedSettlePrice=f"{price * 0.9999:.8f}",
            lastFundingRate="" if m.expiry else "0.00010000",
            interestRate="" if m.expiry else "0.00010000",
            nextFundingTime=0 if m.expiry else (ctx.now_ms // 28_800_000 + 1) * 28_800_000,
            time=ctx.now_ms,
        )
        return row

    def premium_index(query: Query, ctx: Context) -> Any:
        if query.get("symbol"):
            row = premium(_binance_symbol(venue, query), ctx)
            return [row] if coinm else row
        return [premium(m, ctx) for m in mk.markets(venue)]

    def open_interest(query: Query, ctx: Context) -> Any:
        m = _binance_symbol(venue, query)
        units = contracts_of_oi(m, quoted_price(m, ctx.book))
        if coinm:
            return {
                "symbol": m.symbol,
                "pair": m.symbol.split("_", 1)[0],
                "openInterest": str(round(units)),
                "contractType": "CURRENT_QUARTER" if m.expiry else "PERPETUAL",
                "time": ctx.now_ms,
            }
        return {"openInterest": f"{units:.3f}", "symbol": m.symbol, "time": ctx.now_ms}

    def open_interest_hist(query: Query, ctx: Context) -> Any:
        symbol = query.get("symbol") or query.get("pair", "") + "_PERP"
        m = _binance_symbol(venue, {"symbol": symbol})
        out = []
        for t in series(query, ctx, interval_ms(query.get("period", "5m")), "startTime", "endTime", 30, 500):
            coin_price = price_at(ctx.book, m.coin, t)
            units = contracts_of_oi(m, coin_price * m.bundle) * wobble(t)
            value = units * float(m.unit) * (coin_price if m.kind == "linear" else 1.0 / coin_price)
            out.append(
                {
                    "symbol": m.symbol,
                    "sumOpenInterest": f"{units:.8f}",
                    "sumOpenInterestValue": f"{value:.8f}",
                    "timestamp": t,
                }
            )
        return out

    def funding_rate(query: Query, ctx: Context) -> Any:
        m = _binance_symbol(venue, query)
        return [
            {
                "symbol": m.symbol,
                "fundingTime": t,
                "fundingRate": funding_at(t),
                "markPrice": f"{price_at(ctx.book, m.coin, t) * m.bundle:.8f}",
            }
            for t in series(query, ctx, FUNDING_MS, "startTime", "endTime", 100, 1000)
        ]

    def ticker_price(query: Query, ctx: Context) -> Any:
        def row(m: Market) -> dict[str, Any]:
            return {"symbol": m.symbol, "price": fmt(quoted_price(m, ctx.book), m.tick), "time": ctx.now_ms}

        if query.get("symbol"):
            return row(_binance_symbol(venue, query))
        return [row(m) for m in mk.markets(venue)]

    return {
        f"{prefix}/ping": lambda q, c: {},
        f"{prefix}/time": lambda q, c: {"serverTime": c.now_ms},
        f"{prefix}/exchangeInfo": lambda q, c: binance_exchange_info(venue, c),
        f"{prefix}/klines": klines,
        f"{prefix}/markPriceKlines": klines,
        f"{prefix}/indexPriceKlines": klines,
        f"{prefix}/premiumIndex": premium_index,
        f"{prefix}/openInterest": open_interest,
        f"{prefix}/ticker/price": ticker_price,
        f"{prefix}/fundingRate": funding_rate,
        "/futures/data/openInterestHist": open_interest_hist,
    }
