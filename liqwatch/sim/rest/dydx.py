"""The simulator's dYdX v4 indexer REST: `/v4/perpetualMarkets` (and one market by `ticker`). Pure."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.rest.common import ApiError, Context, Query, Route, fmt, quoted_price


def dydx_market(m: Market, ctx: Context, clob_pair_id: int) -> dict[str, Any]:
    price = quoted_price(m, ctx.book)
    return {
        "clobPairId": str(clob_pair_id),
        "ticker": m.symbol,
        "status": "ACTIVE",
        "oraclePrice": fmt(price, m.tick),
        "priceChange24H": "0",
        "volume24H": "0",
        "trades24H": 0,
        "nextFundingRate": "0.00001",
        "initialMarginFraction": "0.02",
        "maintenanceMarginFraction": "0.012",
        "openInterest": fmt(mk.oi_usd(m) / price, m.lot),
        "atomicResolution": -10,
        "quantumConversionExponent": -9,
        "tickSize": m.tick,
        "stepSize": m.lot,
        "stepBaseQuantums": 1_000_000,
        "subticksPerTick": 100_000,
        "marketType": "CROSS",
    }


def dydx_routes() -> dict[str, Route]:
    def perpetual_markets(query: Query, ctx: Context) -> Any:
        listed = list(enumerate(mk.markets("dydx")))
        ticker = query.get("ticker", "")
        if ticker:
            listed = [(i, m) for i, m in listed if m.symbol == ticker]
            if not listed:
                raise ApiError(404, {"errors": [{"msg": f"{ticker} not found in markets of type PERPETUAL"}]})
        return {"markets": {m.symbol: dydx_market(m, ctx, i) for i, m in listed}}

    return {"/v4/perpetualMarkets": perpetual_markets}
