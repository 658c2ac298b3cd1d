"""The simulator's Gate REST endpoints, in the venue's real response shape. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from liqwatch.model import LONG
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


def _gate_error(label: str, message: str) -> ApiError:
    return ApiError(400, {"label": label, "message": message})


def gate_contract(m: Market, ctx: Context) -> dict[str, Any]:
    price = quoted_price(m, ctx.book)
    direct = m.kind == "linear"
    return {
        "name": m.symbol,
        "type": "direct" if direct else "inverse",
        "quanto_multiplier": m.unit if direct else "0",
        "leverage_min": "1",
        "leverage_max": "100",
        "maintenance_rate": "0.005",
        "mark_type": "index",
        "mark_price": fmt(price, m.tick),
        "index_price": fmt(price * 0.9998, m.tick),
        "last_price": fmt(price, m.tick),
        "maker_fee_rate": "-0.0001",
        "taker_fee_rate": "0.00075",
        "order_price_round": m.tick,
        "mark_price_round": m.tick,
        "funding_rate": "0.0001",
        "funding_interval": 28800,
        "funding_next_apply": (ctx.now_ms // 28_800_000 + 1) * 28_800,
        "risk_limit_base": "1000000",
        "risk_limit_step": "1000000",
        "risk_limit_max": "30000000",
        "order_size_min": 1,
        "order_size_max": 1000000,
        "order_price_deviate": "0.5",
        "orderbook_id": 38008856556,
        "trade_id": 202356208,
        "trade_size": 215705969894,
        "position_size": round(contracts_of_oi(m, price)) if direct else 0,
        "config_change_time": 1682318841,
        "in_delisting": False,
        "orders_limit": 100,
        "enable_bonus": True,
        "enable_credit": True,
        "create_time": 0,
    }


def gate_routes() -> Callable[[str], Route | None]:
    def settle_markets(settle: str) -> list[Market]:
        if settle not in ("usdt", "btc"):
            raise _gate_error("INVALID_PARAM_VALUE", f"invalid settle {settle}")
        return [m for m in mk.markets("gate") if m.conn == settle]

    def contract_of(settle: str, name: str) -> Market:
        for m in settle_markets(settle):
            if m.symbol == name:
                return m
        raise _gate_error("CONTRACT_NOT_FOUND", f"contract {name} not found")

    def route(settle: str, rest: str, query: Query, ctx: Context) -> Any:
        if rest == "contracts":
            return [gate_contract(m, ctx) for m in settle_markets(settle)]
        if rest.startswith("contracts/"):
            return gate_contract(contract_of(settle, rest.partition("/")[2]), ctx)
        if rest == "tickers":
            name = query.get("contract", "")
            found = [contract_of(settle, name)] if name else settle_markets(settle)
            tickers: list[dict[str, Any]] = []
            for m in found:
                price = quoted_price(m, ctx.book)
                tickers.append(
                    {
                        "contract": m.symbol,
                        "last": fmt(price, m.tick),
                        "mark_price": fmt(price, m.tick),
                        "index_price": fmt(price * 0.9998, m.tick),
                        "funding_rate": "0.0001",
                        "total_size": str(round(contracts_of_oi(m, price))),
                        "volume_24h": "215705969",
                        "change_percentage": "2.04",
                    }
                )
            return tickers
        if rest == "candlesticks":
            name = query.get("contract", "")
            for prefix in ("mark_", "index_"):
                name = name.removeprefix(prefix)
            m = contract_of(settle, name)
            return [
                {
                    "t": t // 1000,
                    "v": round(v / float(m.unit)),
                    "c": fmt(c, m.tick),
                    "h": fmt(h, m.tick),
                    "l": fmt(low, m.tick),
                    "o": fmt(o, m.tick),
                    "sum": f"{v * c:.4f}",
                }
                for t, o, h, low, c, v in candles(
                    m, _seconds_to_ms(query), ctx, query.get("interval", "5m"), start="from", end="to", limit=100
                )
            ]
        if rest == "contract_stats":
            m = contract_of(settle, query.get("contract", ""))
            step = interval_ms(query.get("interval", "5m"))
            limit = max(1, min(_int(query, "limit", 30), 100))
            end = ctx.now_ms - ctx.now_ms % step
            price = quoted_price(m, ctx.book)
            oi = contracts_of_oi(m, price)
            out = []
            for i in range(limit - 1, -1, -1):
                t = end - i * step
                window = [liq for liq in ctx.recent if liq.symbol == m.symbol and t - step < liq.ts <= t]
                longs = [liq for liq in window if liq.side == LONG]
                shorts = [liq for liq in window if liq.side != LONG]
                out.append(
                    {
                        "time": t // 1000,
                        "lsr_taker": 1.2,
                        "lsr_account": 1.5,
                        "long_liq_size": sum(int(Decimal(x.size)) for x in longs),
                        "long_liq_amount": sum(x.qty or 0.0 for x in longs),
                        "long_liq_usd": sum(x.usd or 0.0 for x in longs),
                        "short_liq_size": sum(int(Decimal(x.size)) for x in shorts),
                        "short_liq_amount": sum(x.qty or 0.0 for x in shorts),
                        "short_liq_usd": sum(x.usd or 0.0 for x in shorts),
                        "open_interest": round(oi),
                        "open_interest_usd": round(mk.oi_usd(m), 2),
                        "top_lsr_account": 1.1,
                        "top_lsr_size": 1.05,
                        "mark_price": float(fmt(price, m.tick)),
                    }
                )
            return out
        if rest == "liq_orders":
            name = query.get("contract", "")
            start = _int(query, "from", 0) * 1000
            end = _int(query, "to", 2**40) * 1000
            limit = max(1, min(_int(query, "limit", 100), 1000))
            rows: list[dict[str, Any]] = []
            for liq in reversed(ctx.recent):
                if (name and liq.symbol != name) or not start <= liq.ts <= end:
                    continue
                where = mk.market("gate", liq.symbol)
                if where is None or where.conn != settle:
                    continue
                order = -int(Decimal(liq.size)) if liq.side == LONG else int(Decimal(liq.size))
                rows.append(
                    {
                        "time": liq.ts // 1000,
                        "contract": liq.symbol,
                        "size": -order,  # the liquidated POSITION's size: opposite sign of the order
                        "order_size": order,
                        "order_price": liq.price,
                        "fill_price": liq.price,
                        "left": 0,
                    }
                )
                if len(rows) >= limit:
                    break
            return rows
        raise ApiError(404, {"label": "NOT_FOUND", "message": "not found"})

    def dispatch(path: str) -> Route | None:
        match = re.match(r"^/api/v4/futures/([a-z0-9]+)/(.+)$", path)
        if not match:
            return None
        settle, rest = match.group(1), match.group(2)
        return lambda q, c: route(settle, rest, q, c)

    return dispatch


def _seconds_to_ms(query: Query) -> dict[str, str]:
    out = dict(query)
    for key in ("from", "to"):
        if out.get(key, "").isdigit():
            out[key] = str(int(out[key]) * 1000)
    return out
