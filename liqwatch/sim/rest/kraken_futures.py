"""The simulator's Kraken Futures instruments endpoint, in the venue's real response shape. Pure."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.rest.common import Context, Query, Route


def kraken_instrument(m: Market) -> dict[str, Any]:
    inverse = m.kind == "inverse"
    base = "XBT" if m.coin == "BTC" else m.coin
    row: dict[str, Any] = {
        "symbol": m.symbol,
        "type": "futures_inverse" if inverse else "flexible_futures",
        "tickSize": float(m.tick),
        "contractSize": float(m.unit),
        "tradeable": True,
        "impactMidSize": 1,
        "maxPositionSize": 1_000_000,
        "openingDate": "2022-01-01T00:00:00.000Z",
        "contractValueTradePrecision": 0 if inverse else len(m.lot.partition(".")[2]),
        "postOnly": False,
        "category": "",
        "tags": [],
    }
    if not inverse:
        row |= {"base": base, "quote": m.quote, "pair": f"{base}:{m.quote}"}
    if m.expiry:
        row["lastTradingTime"] = f"20{m.expiry[:2]}-{m.expiry[2:4]}-{m.expiry[4:]}T16:00:00.000Z"
    return row


def kraken_routes() -> dict[str, Route]:
    def instruments(_query: Query, _ctx: Context) -> Any:
        rows = [kraken_instrument(m) for m in mk.markets("kraken_futures")]
        rows.append({"symbol": "in_xbtusd", "type": "spot index", "tradeable": False})  # indices are listed too
        return {"result": "success", "instruments": rows, "serverTime": "2026-11-18T00:00:00.000Z"}

    return {"/derivatives/api/v3/instruments": instruments}
