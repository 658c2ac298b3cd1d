"""The simulator's BitMEX REST endpoints, in the venue's real response shape. Pure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.rest.common import (
    ApiError,
    Context,
    Query,
    Route,
    _int,
    candles,
    contracts_of_oi,
    fmt,
    interval_ms,
    quoted_price,
)


def bitmex_instrument(m: Market, ctx: Context) -> dict[str, Any]:
    price = quoted_price(m, ctx.book)
    mark = float(fmt(price, m.tick))
    root = "XBT" if m.coin == "BTC" else m.coin
    row: dict[str, Any] = {
        "symbol": m.symbol,
        "rootSymbol": root,
        "state": "Open",
        "typ": "FFWCSX",
        "listing": "2016-05-13T12:00:00.000Z",
        "expiry": None,
        "positionCurrency": "USD" if m.kind == "inverse" else ("" if m.kind == "quanto" else root),
        "underlying": root,
        "quoteCurrency": m.quote,
        "underlyingSymbol": f"{root}=",
        "reference": "BMEX",
        "referenceSymbol": f".B{root}",
        "lotSize": int(Decimal(m.lot)),
        "tickSize": float(m.tick),
        "settlCurrency": "XBt" if m.kind in ("inverse", "quanto") else "USDt",
        "isQuanto": m.kind == "quanto",
        "isInverse": m.kind == "inverse",
        "initMargin": 0.01,
        "maintMargin": 0.0035,
        "fundingRate": 0.0001,
        "markPrice": mark,
        "lastPrice": mark,
        "fairPrice": mark,
        "indicativeSettlePrice": mark,
        "openInterest": round(contracts_of_oi(m, price)),
        "openValue": round(mk.oi_usd(m) * 1e8 / ctx.book.last("BTC")),
        "timestamp": encode.iso_ms(ctx.now_ms),
    }
    if m.kind == "inverse":
        row.update(
            multiplier=-100000000,
            underlyingToSettleMultiplier=-100000000,
            underlyingToPositionMultiplier=None,
            quoteToSettleMultiplier=None,
        )
    elif m.kind == "linear":
        per_coin = int(Decimal(1) / Decimal(m.unit))
        row.update(
            multiplier=1,
            underlyingToPositionMultiplier=per_coin,
            underlyingToSettleMultiplier=None,
            quoteToSettleMultiplier=1000000,
        )
    else:
        row.update(
            multiplier=int(Decimal(m.unit)),
            underlyingToPositionMultiplier=None,
            underlyingToSettleMultiplier=None,
            quoteToSettleMultiplier=3108,
        )
    return row


def bitmex_routes() -> dict[str, Route]:
    def instrument(query: Query, ctx: Context) -> Any:
        symbol = query.get("symbol", "")
        return [bitmex_instrument(m, ctx) for m in mk.markets("bitmex") if not symbol or m.symbol == symbol]

    def bucketed(query: Query, ctx: Context) -> Any:
        symbol = query.get("symbol", "")
        m = mk.market("bitmex", symbol)
        if m is None:
            raise ApiError(400, {"error": {"message": "symbol is required and must exist", "name": "ValidationError"}})
        bin_size = query.get("binSize", "1m")
        if bin_size not in ("1m", "5m", "1h", "1d"):
            raise ApiError(400, {"error": {"message": "Invalid binSize", "name": "ValidationError"}})
        rows = []
        for t, o, h, low, c, v in candles(
            m, query, ctx, bin_size, start="startTime", end="endTime", limit=_int(query, "count", 100)
        ):
            close_time = t + interval_ms(bin_size)  # BitMEX stamps a bucket with its END
            rows.append(
                {
                    "timestamp": encode.iso_ms(close_time),
                    "symbol": m.symbol,
                    "open": float(fmt(o, m.tick)),
                    "high": float(fmt(h, m.tick)),
                    "low": float(fmt(low, m.tick)),
                    "close": float(fmt(c, m.tick)),
                    "trades": int(v) % 500 + 10,
                    "volume": round(v * c) if m.kind == "inverse" else round(v),
                    "vwap": float(fmt((h + low + c) / 3, m.tick)),
                    "homeNotional": round(v, 4),
                    "foreignNotional": round(v * c, 2),
                }
            )
        if query.get("reverse", "false") == "true":
            rows.reverse()
        return rows

    def liquidation(query: Query, ctx: Context) -> Any:
        symbol = query.get("symbol", "")
        return [encode.bitmex_row(liq) for liq in ctx.active if not symbol or liq.symbol == symbol]

    return {
        "/api/v1/instrument/active": lambda q, c: [bitmex_instrument(m, c) for m in mk.markets("bitmex")],
        "/api/v1/instrument": instrument,
        "/api/v1/trade/bucketed": bucketed,
        "/api/v1/liquidation": liquidation,
    }
