"""The simulator's Lighter REST: `/api/v1/orderBooks` (market ids and symbols). Pure."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.rest.common import ApiError, Context, Query, Route, fmt, quoted_price


def _decimals(step: str) -> int:
    return len(step.partition(".")[2])


def lighter_order_book(m: Market) -> dict[str, Any]:
    return {
        "symbol": m.coin if m.bundle == 1 else f"{m.bundle}{m.coin}",
        "market_id": int(m.symbol),
        "market_type": "perp",
        "status": "active",
        "taker_fee": "0.0000",
        "maker_fee": "0.0000",
        "liquidation_fee": "1.0000",
        "min_base_amount": m.lot,
        "min_quote_amount": "10.000000",
        "supported_size_decimals": _decimals(m.lot),
        "supported_price_decimals": _decimals(m.tick),
        "supported_quote_decimals": 6,
    }


def lighter_details(m: Market, ctx: Context) -> dict[str, Any]:
    """`orderBookDetails`: the market with its last price and open interest (in base units)."""
    price = quoted_price(m, ctx.book)
    return lighter_order_book(m) | {
        "size_decimals": _decimals(m.lot),
        "price_decimals": _decimals(m.tick),
        "last_trade_price": float(fmt(price, m.tick)),
        "daily_trades_count": 0,
        "daily_base_token_volume": 0.0,
        "daily_quote_token_volume": 0.0,
        "open_interest": float(fmt(mk.oi_usd(m) / price, m.lot)),
    }


def lighter_routes() -> dict[str, Route]:
    def select(query: Query) -> list[Market]:
        listed = mk.markets("lighter")
        wanted = query.get("market_id", "")
        if wanted:
            listed = [m for m in listed if m.symbol == wanted]
            if not listed:
                raise ApiError(400, {"code": 21100, "message": "market not found"})
        return listed

    def order_books(query: Query, ctx: Context) -> Any:
        return {"code": 200, "order_books": [lighter_order_book(m) for m in select(query)]}

    def order_book_details(query: Query, ctx: Context) -> Any:
        return {"code": 200, "order_book_details": [lighter_details(m, ctx) for m in select(query)]}

    return {"/api/v1/orderBooks": order_books, "/api/v1/orderBookDetails": order_book_details}
