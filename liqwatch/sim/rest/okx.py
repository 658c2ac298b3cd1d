"""The simulator's OKX v5 REST endpoints, in the venue's real response shape. Pure."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.rest.common import (
    FUNDING_MS,
    ApiError,
    Context,
    Query,
    Route,
    _expiry_ms,
    _int,
    candles,
    contracts_of_oi,
    fmt,
    funding_at,
    interval_ms,
    quoted_price,
    series,
    wobble,
)


def _okx_ok(data: Any) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": data}


def _okx_error(code: str, msg: str) -> ApiError:
    return ApiError(400 if code.startswith("50") else 200, {"code": code, "msg": msg, "data": []})


def okx_instrument(m: Market) -> dict[str, Any]:
    family = encode.okx_family(m.symbol)
    linear = m.kind == "linear"
    return {
        "alias": "quarter" if m.expiry else "",
        "baseCcy": "",
        "category": "1",
        "ctMult": "1",
        "ctType": "linear" if linear else "inverse",
        "ctVal": m.unit,
        "ctValCcy": m.coin if linear else "USD",
        "expTime": str(_expiry_ms(m.expiry)) if m.expiry else "",
        "instFamily": family,
        "instId": m.symbol,
        "instType": m.group,
        "lever": "100",
        "listTime": "1611916828000",
        "lotSz": m.lot,
        "maxIcebergSz": "100000000",
        "maxLmtSz": "100000000",
        "maxMktSz": "12000",
        "maxStopSz": "12000",
        "maxTriggerSz": "100000000",
        "maxTwapSz": "100000000",
        "minSz": m.lot,
        "optType": "",
        "quoteCcy": "",
        "settleCcy": m.quote if linear else m.coin,
        "state": "live",
        "stk": "",
        "tickSz": m.tick,
        "uly": family,
    }


def okx_routes() -> dict[str, Route]:
    def select(query: Query, *, need_type: bool = True) -> list[Market]:
        inst_type = query.get("instType", "")
        inst_id = query.get("instId", "")
        if need_type and not inst_type and not inst_id:
            raise _okx_error("50014", "Parameter instType can not be empty.")
        found = [m for m in mk.markets("okx") if (not inst_type or m.group == inst_type)]
        if inst_id:
            found = [m for m in found if m.symbol == inst_id]
            if not found:
                raise _okx_error("51001", "Instrument ID does not exist.")
        family = query.get("instFamily") or query.get("uly")
        if family:
            found = [m for m in found if encode.okx_family(m.symbol) == family]
        return found

    def candle_rows(query: Query, ctx: Context) -> Any:
        found = select(query, need_type=False)
        if not query.get("instId"):
            raise _okx_error("50014", "Parameter instId can not be empty.")
        m = found[0]
        rows = []
        for t, o, h, low, c, v in candles(
            m, query, ctx, query.get("bar", "1m"), start="before", end="after", limit=100, newest=True, exclusive=True
        ):
            contracts = v / float(m.unit) if m.kind == "linear" else v * c / float(m.unit)
            rows.append(
                [
                    str(t),
                    fmt(o, m.tick),
                    fmt(h, m.tick),
                    fmt(low, m.tick),
                    fmt(c, m.tick),
                    f"{contracts:.0f}",
                    f"{v:.4f}",
                    f"{v * c:.2f}",
                    "1" if t + interval_ms(query.get("bar", "1m")) <= ctx.now_ms else "0",
                ]
            )
        rows.reverse()  # newest first
        return _okx_ok(rows)

    def mark_price(query: Query, ctx: Context) -> Any:
        return _okx_ok(
            [
                {
                    "instType": m.group,
                    "instId": m.symbol,
                    "markPx": fmt(quoted_price(m, ctx.book), m.tick),
                    "ts": str(ctx.now_ms),
                }
                for m in select(query)
            ]
        )

    def open_interest(query: Query, ctx: Context) -> Any:
        rows = []
        for m in select(query):
            price = quoted_price(m, ctx.book)
            oi = contracts_of_oi(m, price)
            usd = mk.oi_usd(m)
            rows.append(
                {
                    "instType": m.group,
                    "instId": m.symbol,
                    "oi": f"{oi:.0f}",
                    "oiCcy": f"{usd / price:.4f}",
                    "oiUsd": f"{usd:.2f}",
                    "ts": str(ctx.now_ms),
                }
            )
        return _okx_ok(rows)

    def ticker(query: Query, ctx: Context) -> Any:
        if not query.get("instId"):
            raise _okx_error("50014", "Parameter instId can not be empty.")
        m = select(query, need_type=False)[0]
        price = fmt(quoted_price(m, ctx.book), m.tick)
        return _okx_ok(
            [{"instType": m.group, "instId": m.symbol, "last": price, "idxPx": price, "ts": str(ctx.now_ms)}]
        )

    def liquidation_orders(query: Query, ctx: Context) -> Any:
        inst_type = query.get("instType", "")
        if not inst_type:
            raise _okx_error("50014", "Parameter instType can not be empty.")
        family = query.get("instFamily") or query.get("uly")
        if inst_type in ("SWAP", "FUTURES") and not family:
            raise _okx_error("50014", "Parameter instFamily can not be empty.")
        if query.get("state", "filled") == "unfilled":
            return _okx_ok([])
        before = _int(query, "before", 0)
        after = _int(query, "after", 2**62)
        limit = max(1, min(_int(query, "limit", 100), 100))
        chosen = [
            liq
            for liq in reversed(ctx.recent)
            if (m := mk.market("okx", liq.symbol)) is not None
            and m.group == inst_type
            and encode.okx_family(liq.symbol) == family
            and before < liq.ts < after
        ][:limit]
        entries = encode.okx_entries(chosen, inst_type)
        for entry in entries:
            entry["totalLoss"] = "0"
        return _okx_ok(entries)

    def funding_history(query: Query, ctx: Context) -> Any:
        m = select(query, need_type=False)[0] if query.get("instId") else None
        if m is None or not m.symbol.endswith("-SWAP"):
            raise _okx_error("51001", "Instrument ID does not exist.")
        end = _int(query, "after", ctx.now_ms + 1) - 1
        times = series({"limit": query.get("limit", "100"), "end": str(end)}, ctx, FUNDING_MS, "start", "end", 100, 100)
        rows = [
            {
                "instType": "SWAP",
                "instId": m.symbol,
                "fundingRate": funding_at(t),
                "realizedRate": funding_at(t),
                "fundingTime": str(t),
                "method": "current_period",
            }
            for t in reversed(times)
        ]
        return _okx_ok(rows)

    def open_interest_volume(query: Query, ctx: Context) -> Any:
        coin = query.get("ccy", "")
        found = [m for m in mk.markets("okx") if m.coin == coin]
        if not found:
            raise _okx_error("51000", "Parameter ccy error")
        period = query.get("period", "5m")
        step = interval_ms(period)
        times = series(query, ctx, step, "begin", "end", 100, 1440)
        rows = []
        for t in reversed(times):
            usd = sum(mk.oi_usd(m) for m in found) * wobble(t)
            rows.append([str(t), f"{usd:.0f}", f"{usd * 0.05 * step / 3_600_000:.0f}"])
        return _okx_ok(rows)

    return {
        "/api/v5/public/time": lambda q, c: _okx_ok([{"ts": str(c.now_ms)}]),
        "/api/v5/public/funding-rate-history": funding_history,
        "/api/v5/rubik/stat/contracts/open-interest-volume": open_interest_volume,
        "/api/v5/public/instruments": lambda q, c: _okx_ok([okx_instrument(m) for m in select(q)]),
        "/api/v5/public/mark-price": mark_price,
        "/api/v5/public/open-interest": open_interest,
        "/api/v5/market/candles": candle_rows,
        "/api/v5/market/history-candles": candle_rows,
        "/api/v5/market/mark-price-candles": candle_rows,
        "/api/v5/market/ticker": ticker,
        "/api/v5/public/liquidation-orders": liquidation_orders,
    }
