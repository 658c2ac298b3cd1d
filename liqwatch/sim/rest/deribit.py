"""The simulator's Deribit REST endpoints, in the venue's real response shape. Pure."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.rest.common import (
    ApiError,
    Context,
    Query,
    Route,
    _expiry_ms,
    _int,
    candles,
    contracts_of_oi,
    fmt,
    interval_ms,
    quoted_price,
)


def _deribit_ok(result: Any, ctx: Context) -> dict[str, Any]:
    us = ctx.now_ms * 1000
    return {"jsonrpc": "2.0", "result": result, "usIn": us, "usOut": us + 150, "usDiff": 150, "testnet": False}


def _deribit_error(message: str, param: str) -> ApiError:
    error = {"message": "Invalid params", "data": {"reason": message, "param": param}, "code": -32602}
    return ApiError(400, {"jsonrpc": "2.0", "error": error, "testnet": False})


def deribit_instrument(m: Market, ctx: Context, index: int) -> dict[str, Any]:
    linear = m.kind == "linear"
    perpetual = not m.expiry
    return {
        "tick_size": float(m.tick),
        "taker_commission": 0.0005,
        "settlement_period": "perpetual" if perpetual else "month",
        "settlement_currency": m.quote if linear else m.coin,
        "rfq": False,
        "quote_currency": m.quote,
        "price_index": f"{m.coin.lower()}_{m.quote.lower()}" if linear else f"{m.coin.lower()}_usd",
        "min_trade_amount": float(m.lot),
        "max_liquidation_commission": 0.0075,
        "max_leverage": 50,
        "maker_commission": 0.0,
        "kind": "future",
        "is_active": True,
        "instrument_name": m.symbol,
        "instrument_id": 124_000 + index,
        "instrument_type": "linear" if linear else "reversed",
        "future_type": "linear" if linear else "reversed",
        "expiration_timestamp": 32_503_708_800_000 if perpetual else _expiry_ms(m.expiry),
        "creation_timestamp": 1_534_242_287_000,
        "counter_currency": m.quote,
        "contract_size": float(m.lot),
        "block_trade_tick_size": 0.01,
        "block_trade_min_trade_amount": 200_000,
        "block_trade_commission": 0.00025,
        "base_currency": m.coin,
    }


def _deribit_currency_markets(currency: str) -> list[Market]:
    found = mk.markets("deribit")
    if currency in ("", "any"):
        return found
    return [m for m in found if m.group == currency]


def deribit_routes() -> dict[str, Route]:
    def instruments(query: Query, ctx: Context) -> Any:
        currency = query.get("currency", "")
        if not currency:
            raise _deribit_error("must be specified", "currency")
        kind = query.get("kind", "")
        found = _deribit_currency_markets(currency) if kind in ("", "future", "any") else []
        return _deribit_ok([deribit_instrument(m, ctx, i) for i, m in enumerate(found)], ctx)

    def ticker(query: Query, ctx: Context) -> Any:
        m = mk.market("deribit", query.get("instrument_name", ""))
        if m is None:
            raise _deribit_error("instrument not found", "instrument_name")
        price = quoted_price(m, ctx.book)
        mark = float(fmt(price, m.tick))
        return _deribit_ok(
            {
                "timestamp": ctx.now_ms,
                "state": "open",
                "instrument_name": m.symbol,
                "index_price": round(price * 0.9998, 2),
                "mark_price": mark,
                "last_price": mark,
                "best_bid_price": mark - float(m.tick),
                "best_ask_price": mark + float(m.tick),
                "open_interest": round(contracts_of_oi(m, price), 4),
                "current_funding": 0.0,
                "funding_8h": 0.0001,
                "estimated_delivery_price": round(price * 0.9998, 2),
            },
            ctx,
        )

    def book_summary(query: Query, ctx: Context) -> Any:
        currency = query.get("currency", "")
        if not currency:
            raise _deribit_error("must be specified", "currency")
        rows = []
        for m in _deribit_currency_markets(currency):
            price = quoted_price(m, ctx.book)
            rows.append(
                {
                    "instrument_name": m.symbol,
                    "base_currency": m.coin,
                    "quote_currency": m.quote,
                    "mark_price": float(fmt(price, m.tick)),
                    "last": float(fmt(price, m.tick)),
                    "open_interest": round(contracts_of_oi(m, price), 4),
                    "volume": 12_345.0,
                    "creation_timestamp": ctx.now_ms,
                }
            )
        return _deribit_ok(rows, ctx)

    def index_price(query: Query, ctx: Context) -> Any:
        name = query.get("index_name", "")
        coin = name.partition("_")[0].upper()
        if coin not in mk.COINS:
            raise _deribit_error("must be one of the supported indexes", "index_name")
        price = ctx.book.last(coin)
        return _deribit_ok({"index_price": round(price, 2), "estimated_delivery_price": round(price, 2)}, ctx)

    def chart(query: Query, ctx: Context) -> Any:
        m = mk.market("deribit", query.get("instrument_name", ""))
        if m is None:
            raise _deribit_error("instrument not found", "instrument_name")
        resolution = query.get("resolution", "60")
        step = interval_ms("D" if resolution == "1D" else resolution)
        start = _int(query, "start_timestamp", ctx.now_ms - 100 * step)
        end = _int(query, "end_timestamp", ctx.now_ms)
        rows = candles(
            m,
            {"start": str(start), "end": str(end), "limit": "5000"},
            ctx,
            f"{step // 60_000}m",
            start="start",
            end="end",
            limit=5000,
        )
        return _deribit_ok(
            {
                "status": "ok" if rows else "no_data",
                "ticks": [r[0] for r in rows],
                "open": [r[1] for r in rows],
                "high": [r[2] for r in rows],
                "low": [r[3] for r in rows],
                "close": [r[4] for r in rows],
                "volume": [round(r[5], 4) for r in rows],
                "cost": [round(r[5] * r[4], 2) for r in rows],
            },
            ctx,
        )

    def last_trades(query: Query, ctx: Context) -> Any:
        currency = query.get("currency", "")
        if not currency:
            raise _deribit_error("must be specified", "currency")
        start = _int(query, "start_timestamp", 0)
        end = _int(query, "end_timestamp", 2**62)
        count = max(1, min(_int(query, "count", 10), 1000))
        wanted = [
            liq
            for liq in ctx.recent
            if (m := mk.market("deribit", liq.symbol)) is not None and m.group == currency and start <= liq.ts <= end
        ]
        if query.get("sorting", "desc") != "asc":
            wanted.reverse()
        trades = encode.deribit_trades(wanted)
        return _deribit_ok({"trades": trades[:count], "has_more": len(trades) > count}, ctx)

    routes: dict[str, Route] = {
        "/public/get_time": lambda q, c: _deribit_ok(c.now_ms, c),
        "/public/test": lambda q, c: _deribit_ok({"version": "1.2.26"}, c),
        "/public/get_instruments": instruments,
        "/public/ticker": ticker,
        "/public/get_book_summary_by_currency": book_summary,
        "/public/get_index_price": index_price,
        "/public/get_tradingview_chart_data": chart,
        "/public/get_last_trades_by_currency_and_time": last_trades,
    }
    return {**{f"/api/v2{p}": r for p, r in routes.items()}, **routes}
