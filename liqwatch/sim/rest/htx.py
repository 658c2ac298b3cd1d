"""The simulator's HTX contract info endpoints (USDT-M, coin-M swaps, coin-M futures). Pure."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.rest.common import Context, Query, Route


def htx_contract(m: Market, ctx: Context) -> dict[str, Any]:
    row: dict[str, Any] = {
        "symbol": m.coin,
        "contract_code": m.symbol,
        "contract_size": float(m.unit),
        "price_tick": float(m.tick),
        "settlement_date": str((ctx.now_ms // 28_800_000 + 1) * 28_800_000),
        "create_date": "20201021",
        "contract_status": 1,
    }
    if m.kind == "linear":
        row |= {"business_type": "swap", "pair": f"{m.coin}-USDT", "contract_type": "swap", "trade_partition": "USDT"}
    elif m.expiry:
        row |= {"contract_type": "quarter", "delivery_date": f"20{m.expiry}"}
    return row


def htx_routes() -> dict[str, Route]:
    def listing(conn: str) -> Route:
        def answer(_query: Query, ctx: Context) -> Any:
            rows = [htx_contract(m, ctx) for m in mk.markets("htx") if m.conn == conn]
            return {"status": "ok", "data": rows, "ts": ctx.now_ms}

        return answer

    return {
        "/linear-swap-api/v1/swap_contract_info": listing("linear"),
        "/swap-api/v1/swap_contract_info": listing("swap"),
        "/api/v1/contract_contract_info": listing("futures"),
    }
