"""The REST endpoints the collector (and a dashboard) call, in each venue's real response shape. Pure.

`handle(venue, path, query, ctx)` → `Reply(status, body, headers)`. Per venue: the instruments
endpoint liqwatch reads (`instrument_requests` / `parse_instruments`), built from `markets.py` so the
catalogue liqwatch builds agrees with the simulator's truth; klines, mark/index prices and open
interest for every simulated market (from the PriceBook); the recent-liquidation endpoints where the
venue has one (OKX liquidation-orders, Deribit trades, BitMEX active liquidations, Gate liq_orders).
Errors come in the venue's own error shape.
"""

from __future__ import annotations

from collections.abc import Callable

from liqwatch.sim.rest.binance import binance_exchange_info, binance_routes
from liqwatch.sim.rest.bitfinex import bitfinex_routes
from liqwatch.sim.rest.bitget import bitget_routes
from liqwatch.sim.rest.bitmex import bitmex_instrument, bitmex_routes
from liqwatch.sim.rest.bybit import bybit_instrument, bybit_routes
from liqwatch.sim.rest.common import (
    FUNDING_MS,
    ApiError,
    Context,
    Query,
    Reply,
    Route,
    candles,
    contracts_of_oi,
    fmt,
    funding_at,
    interval_ms,
    json_reply,
    not_found,
    price_at,
    quoted_price,
    series,
    wobble,
)
from liqwatch.sim.rest.deribit import deribit_instrument, deribit_routes
from liqwatch.sim.rest.dydx import dydx_routes
from liqwatch.sim.rest.gate import gate_contract, gate_routes
from liqwatch.sim.rest.htx import htx_routes
from liqwatch.sim.rest.kraken_futures import kraken_routes
from liqwatch.sim.rest.lighter import lighter_routes
from liqwatch.sim.rest.okx import okx_instrument, okx_routes

__all__ = [
    "FUNDING_MS",
    "PATTERNS",
    "ROUTES",
    "ApiError",
    "Context",
    "Query",
    "Reply",
    "Route",
    "binance_exchange_info",
    "binance_routes",
    "bitget_routes",
    "bitmex_instrument",
    "bitmex_routes",
    "bybit_instrument",
    "bybit_routes",
    "candles",
    "contracts_of_oi",
    "deribit_instrument",
    "deribit_routes",
    "dydx_routes",
    "find",
    "fmt",
    "funding_at",
    "gate_contract",
    "gate_routes",
    "handle",
    "has_rest",
    "interval_ms",
    "json_reply",
    "lighter_routes",
    "not_found",
    "okx_instrument",
    "okx_routes",
    "price_at",
    "quoted_price",
    "series",
    "wobble",
]

ROUTES: dict[str, dict[str, Route]] = {
    "binance_usdm": binance_routes("binance_usdm"),
    "binance_coinm": binance_routes("binance_coinm"),
    "bybit": bybit_routes(),
    "okx": okx_routes(),
    "bitmex": bitmex_routes(),
    "deribit": deribit_routes(),
    "bitget": bitget_routes(),
    "aster": binance_routes("aster"),  # Binance USD-M's /fapi/v1 endpoints on Aster's host
    "dydx": dydx_routes(),
    "lighter": lighter_routes(),
    "kraken_futures": kraken_routes(),
    "bitfinex": bitfinex_routes(),
    "htx": htx_routes(),
}
PATTERNS: dict[str, Callable[[str], Route | None]] = {"gate": gate_routes()}


def has_rest(venue: str) -> bool:
    return venue in ROUTES or venue in PATTERNS


def find(venue: str, path: str) -> Route | None:
    route = ROUTES.get(venue, {}).get(path)
    if route is None and venue in PATTERNS:
        route = PATTERNS[venue](path)
    return route


def handle(venue: str, path: str, query: Query, ctx: Context) -> Reply:
    """Answer GET `path` (without the query string) on `venue`'s REST base."""
    route = find(venue, path)
    if route is None:
        return not_found(venue, path)
    try:
        return json_reply(route(query, ctx))
    except ApiError as exc:
        return json_reply(exc.body, exc.status)
    except (ValueError, ArithmeticError) as exc:
        return json_reply({"error": f"bad request: {exc}"}, 400)
