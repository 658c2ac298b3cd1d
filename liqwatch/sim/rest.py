"""The REST endpoints the collector (and a dashboard) call, in each venue's real response shape. Pure.

`handle(venue, path, query, ctx)` → `Reply(status, body, headers)`. Per venue: the instruments
endpoint liqwatch reads (`instrument_requests` / `parse_instruments`), built from `markets.py` so the
catalogue liqwatch builds agrees with the simulator's truth; klines, mark/index prices and open
interest for every simulated market (from the PriceBook); the recent-liquidation endpoints where the
venue has one (OKX liquidation-orders, Deribit trades, BitMEX active liquidations, Gate liq_orders).
Errors come in the venue's own error shape.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec

from liqwatch.model import LONG
from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.model import Liq
from liqwatch.sim.tape import Candle, PriceBook


class Reply(NamedTuple):
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Context:
    """What a REST answer may depend on: the clock, the prices, what the venue published recently."""

    now_ms: int
    book: PriceBook
    recent: Sequence[Liq] = ()  # recently published liquidations of the venue, oldest first
    active: Sequence[Liq] = ()  # BitMEX: liquidation orders still active
    extra: dict[str, Any] = field(default_factory=dict)


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


Query = Mapping[str, str]
Route = Callable[[Query, Context], Any]

_encoder = msgspec.json.Encoder()


def json_reply(obj: Any, status: int = 200) -> Reply:
    return Reply(status, _encoder.encode(obj), (("Content-Type", "application/json"),))


def not_found(venue: str, path: str) -> Reply:
    return json_reply({"error": f"{venue}: no such endpoint {path}"}, 404)


# ── shared helpers ─────────────────────────────────────────────────────────────────────────────

_INTERVAL = re.compile(r"^(\d+)([smhHdDwWM])(?:utc)?$")
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "H": 3_600_000, "d": 86_400_000, "D": 86_400_000}
_UNIT_MS |= {"w": 7 * 86_400_000, "W": 7 * 86_400_000, "M": 30 * 86_400_000}


def interval_ms(text: str, default: int = 60_000) -> int:
    """ "1m", "4h", "1H", "1D", "1w", "60" (minutes, Bybit/Deribit), "D" → milliseconds."""
    if not text:
        return default
    if text.isdigit():
        return int(text) * 60_000
    if text in ("D", "W", "M"):
        return _UNIT_MS[text]
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(f"bad interval {text!r}")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def _int(query: Query, name: str, default: int) -> int:
    value = query.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer") from None


def quoted_price(m: Market, book: PriceBook) -> float:
    return book.last(m.coin) * m.bundle


def fmt(value: float, tick: str) -> str:
    return mk.text(mk.quantize(Decimal(repr(value)), tick))


def candles(
    m: Market,
    query: Query,
    ctx: Context,
    interval: str,
    *,
    start: str,
    end: str,
    limit: int,
    newest: bool = False,
    exclusive: bool = False,
) -> list[Candle]:
    """(open ms, o, h, l, c, volume) in the market's quoted price, oldest first.

    `start`/`end`: the query parameters bounding the open times (`exclusive`: both bounds exclusive,
    OKX's after/before). With a start, the first `limit` bars from it (Binance) unless `newest`
    (Bybit, OKX: the newest `limit` bars of the range).
    """
    step = interval_ms(interval)
    count = max(1, min(_int(query, "limit", limit), 1500))
    end_ms = _int(query, end, ctx.now_ms)
    if exclusive and query.get(end):
        end_ms -= 1
    end_ms = min(end_ms, ctx.now_ms)
    start_ms = _int(query, start, 0) or None
    if start_ms is not None and exclusive:
        start_ms += 1
    first = start_ms if start_ms is not None else end_ms - step * count
    rows = ctx.book.candles(m.coin, step, end_ms, count, first)
    rows = [r for r in rows if r[0] >= first - first % step]
    rows = rows[-count:] if newest or start_ms is None else rows[:count]
    b = m.bundle
    return [(t, o * b, h * b, low * b, c * b, v / b) for t, o, h, low, c, v in rows]


def _market_or_error(venue: str, symbol: str, error: Callable[[str], ApiError]) -> Market:
    m = mk.market(venue, symbol)
    if m is None:
        raise error(symbol)
    return m


def contracts_of_oi(m: Market, price: float) -> float:
    """Open interest in the venue's size unit."""
    usd = mk.oi_usd(m)
    unit = float(m.unit)
    if m.kind == "inverse":
        return usd / unit
    if m.kind == "linear":
        return usd / (price / m.bundle * unit)
    return usd / (price / m.bundle)


FUNDING_MS = 8 * 3_600_000


def series(query: Query, ctx: Context, step: int, start: str, end: str, default: int, most: int) -> list[int]:
    """Sample times (ms, multiples of `step`) for history endpoints: in [start, end], at most `limit`
    (the oldest ones from a start, else the newest up to now), oldest first."""
    limit = max(1, min(_int(query, "limit", default), most))
    last = min(_int(query, end, ctx.now_ms), ctx.now_ms)
    last -= last % step
    first = _int(query, start, 0)
    if first:
        first += -first % step
        return [t for t in range(first, last + 1, step)][:limit]
    return [last - i * step for i in range(limit - 1, -1, -1)]


def price_at(book: PriceBook, coin: str, t: int) -> float:
    bars = book.bars(coin, t - 3_600_000, t)
    return bars[-1][4] if bars else book.last(coin)


def wobble(t: int) -> float:
    """A slow, deterministic ±2% variation of open interest over time."""
    return 1.0 + 0.02 * math.sin(t / 3_600_000 / 7)


def funding_at(t: int) -> str:
    return f"{0.0001 + 0.00005 * math.sin(t / FUNDING_MS):.8f}"


# ── Binance USD-M / COIN-M ─────────────────────────────────────────────────────────────────────


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


def _decimals(step: str) -> int:
    exponent = Decimal(step).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _expiry_ms(yymmdd: str) -> int:
    if not yymmdd:
        return 4_133_404_800_000
    import calendar

    year, month, day = 2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    return calendar.timegm((year, month, day, 8, 0, 0)) * 1000


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


# ── Bybit v5 ───────────────────────────────────────────────────────────────────────────────────


def _bybit_ok(result: Any, ctx: Context) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": ctx.now_ms}


def _bybit_error(msg: str) -> ApiError:
    # Bybit answers parameter errors with HTTP 200 and a retCode.
    return ApiError(200, {"retCode": 10001, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": 0})


def _bybit_markets(query: Query) -> list[Market]:
    category = query.get("category", "")
    if category not in ("linear", "inverse"):
        raise _bybit_error("params error: category only support linear or inverse" if category else "Illegal category")
    found = [m for m in mk.markets("bybit") if m.conn == category]
    symbol = query.get("symbol", "")
    if symbol:
        found = [m for m in found if m.symbol == symbol]
        if not found:
            raise _bybit_error("params error: symbol invalid")
    return found


def bybit_instrument(m: Market, ctx: Context) -> dict[str, Any]:
    linear = m.kind == "linear"
    base = (
        f"{m.coin}{m.bundle}"
        if m.symbol.startswith(m.coin) and m.bundle != 1
        else (f"{m.bundle}{m.coin}" if m.bundle != 1 else m.coin)
    )
    return {
        "symbol": m.symbol,
        "contractType": "LinearPerpetual" if linear else "InversePerpetual",
        "status": "Trading",
        "baseCoin": base,
        "quoteCoin": m.quote,
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": str(_decimals(m.tick)),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": m.tick, "maxPrice": "1999999.80", "tickSize": m.tick},
        "lotSizeFilter": {
            "maxOrderQty": "1190.000",
            "minOrderQty": m.lot,
            "qtyStep": m.lot,
            "postOnlyMaxOrderQty": "1190.000",
            "maxMktOrderQty": "500.000",
            "minNotionalValue": "5",
        },
        "unifiedMarginTrade": True,
        "fundingInterval": 480,
        "settleCoin": m.quote if linear else m.coin,
        "copyTrading": "both",
        "upperFundingRate": "0.00375",
        "lowerFundingRate": "-0.00375",
        "isPreListing": False,
        "preListingInfo": None,
    }


def bybit_routes() -> dict[str, Route]:
    def instruments(query: Query, ctx: Context) -> Any:
        found = _bybit_markets(query)
        limit = max(1, min(_int(query, "limit", 500), 1000))
        offset = _int(query, "cursor", 0)
        page = found[offset : offset + limit]
        following = str(offset + limit) if offset + limit < len(found) else ""
        items = [bybit_instrument(m, ctx) for m in page]
        return _bybit_ok({"category": query["category"], "list": items, "nextPageCursor": following}, ctx)

    def one(query: Query) -> Market:
        found = _bybit_markets(query)
        if not query.get("symbol"):
            raise _bybit_error("params error: symbol is required")
        return found[0]

    def kline(fields: int) -> Route:
        def route(query: Query, ctx: Context) -> Any:
            m = one(query)
            rows = []
            for t, o, h, low, c, v in candles(
                m, query, ctx, query.get("interval", "1"), start="start", end="end", limit=200, newest=True
            ):
                row = [str(t), fmt(o, m.tick), fmt(h, m.tick), fmt(low, m.tick), fmt(c, m.tick)]
                if fields == 7:
                    row += [f"{v:.3f}", f"{v * c / m.bundle:.4f}"]
                rows.append(row)
            rows.reverse()  # newest first
            return _bybit_ok({"symbol": m.symbol, "category": query["category"], "list": rows}, ctx)

        return route

    def tickers(query: Query, ctx: Context) -> Any:
        rows = []
        for m in _bybit_markets(query):
            price = quoted_price(m, ctx.book)
            units = contracts_of_oi(m, price)
            rows.append(
                {
                    "symbol": m.symbol,
                    "lastPrice": fmt(price, m.tick),
                    "indexPrice": fmt(price * 0.9998, m.tick),
                    "markPrice": fmt(price, m.tick),
                    "prevPrice24h": fmt(price * 0.98, m.tick),
                    "price24hPcnt": "0.020408",
                    "highPrice24h": fmt(price * 1.02, m.tick),
                    "lowPrice24h": fmt(price * 0.97, m.tick),
                    "openInterest": f"{units:.3f}",
                    "openInterestValue": f"{mk.oi_usd(m):.2f}",
                    "fundingRate": "0.0001",
                    "nextFundingTime": str((ctx.now_ms // 28_800_000 + 1) * 28_800_000),
                }
            )
        return _bybit_ok({"category": query["category"], "list": rows}, ctx)

    def open_interest(query: Query, ctx: Context) -> Any:
        m = one(query)
        step = interval_ms(query.get("intervalTime", "5min").replace("min", "m"))
        limit = max(1, min(_int(query, "limit", 50), 200))
        end = ctx.now_ms - ctx.now_ms % step
        units = contracts_of_oi(m, quoted_price(m, ctx.book))
        rows = []
        for i in range(limit):
            t = end - i * step
            both = units * 2 * (1 + 0.01 * ((t // step) % 5))
            rows.append({"openInterest": f"{both:.8f}", "singleOpenInterest": f"{both / 2:.0f}", "timestamp": str(t)})
        return _bybit_ok({"symbol": m.symbol, "category": query["category"], "list": rows, "nextPageCursor": ""}, ctx)

    def funding_history(query: Query, ctx: Context) -> Any:
        m = one(query)
        times = series(query, ctx, FUNDING_MS, "startTime", "endTime", 200, 200)
        rows = [
            {"symbol": m.symbol, "fundingRate": funding_at(t), "fundingRateTimestamp": str(t)} for t in reversed(times)
        ]
        return _bybit_ok({"category": query["category"], "list": rows}, ctx)

    return {
        "/v5/market/time": lambda q, c: _bybit_ok(
            {"timeSecond": str(c.now_ms // 1000), "timeNano": str(c.now_ms * 1_000_000)}, c
        ),
        "/v5/market/instruments-info": instruments,
        "/v5/market/kline": kline(7),
        "/v5/market/mark-price-kline": kline(5),
        "/v5/market/index-price-kline": kline(5),
        "/v5/market/tickers": tickers,
        "/v5/market/open-interest": open_interest,
        "/v5/market/funding/history": funding_history,
    }


# ── OKX v5 ─────────────────────────────────────────────────────────────────────────────────────


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


# ── BitMEX ─────────────────────────────────────────────────────────────────────────────────────


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


# ── Deribit ────────────────────────────────────────────────────────────────────────────────────


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


# ── Bitget ─────────────────────────────────────────────────────────────────────────────────────

_PRODUCT = {"USDT-FUTURES": "usdt-futures", "COIN-FUTURES": "coin-futures", "USDC-FUTURES": "usdc-futures"}


def _bitget_ok(data: Any, ctx: Context) -> dict[str, Any]:
    return {"code": "00000", "msg": "success", "requestTime": ctx.now_ms, "data": data}


def _bitget_error(code: str, msg: str) -> ApiError:
    return ApiError(400, {"code": code, "msg": msg, "requestTime": 0, "data": None})


def bitget_routes() -> dict[str, Route]:
    def select(query: Query, key: str) -> list[Market]:
        product = query.get(key, "").upper()
        group = _PRODUCT.get(product)
        if group is None:
            raise _bitget_error(
                "40019", f"Parameter {key} cannot be empty" if not product else f"Parameter {key} error"
            )
        found = [m for m in mk.markets("bitget") if m.group == group]
        symbol = query.get("symbol", "")
        if symbol:
            found = [m for m in found if m.symbol == symbol]
            if not found:
                raise _bitget_error("40034", f"Parameter {symbol} does not exist")
        return found

    def contracts(query: Query, ctx: Context) -> Any:
        rows = []
        for m in select(query, "productType"):
            rows.append(
                {
                    "symbol": m.symbol,
                    "baseCoin": m.coin,
                    "quoteCoin": m.quote,
                    "symbolType": "perpetual",
                    "symbolStatus": "normal",
                    "pricePlace": str(_decimals(m.tick)),
                    "priceEndStep": "1",
                    "volumePlace": str(_decimals(m.lot)),
                    "sizeMultiplier": m.lot,
                    "minTradeNum": m.lot,
                    "makerFeeRate": "0.0002",
                    "takerFeeRate": "0.0006",
                    "supportMarginCoins": [m.quote if m.quote != "USD" else m.coin],
                    "fundInterval": "8",
                }
            )
        return _bitget_ok(rows, ctx)

    def instruments(query: Query, ctx: Context) -> Any:
        rows = []
        for m in select(query, "category"):
            rows.append(
                {
                    "symbol": m.symbol,
                    "category": query["category"].upper(),
                    "baseCoin": m.coin,
                    "quoteCoin": m.quote,
                    "buyLimitPriceRatio": "0.05",
                    "sellLimitPriceRatio": "0.05",
                    "minOrderQty": m.lot,
                    "maxOrderQty": "1000000",
                    "pricePrecision": str(_decimals(m.tick)),
                    "quantityPrecision": str(_decimals(m.lot)),
                    "quotePrecision": "4",
                    "status": "online",
                    "fundInterval": "8",
                }
            )
        return _bitget_ok(rows, ctx)

    def ticker_rows(query: Query, ctx: Context, key: str) -> list[dict[str, Any]]:
        rows = []
        for m in select(query, key):
            price = fmt(quoted_price(m, ctx.book), m.tick)
            units = contracts_of_oi(m, quoted_price(m, ctx.book))
            rows.append(
                {
                    "symbol": m.symbol,
                    "lastPr": price,
                    "lastPrice": price,
                    "markPrice": price,
                    "indexPrice": price,
                    "holdingAmount": f"{units:.4f}",
                    "openInterest": f"{units:.4f}",
                    "fundingRate": "0.0001",
                    "ts": str(ctx.now_ms),
                }
            )
        return rows

    def candle_rows(key: str, interval_key: str) -> Route:
        def route(query: Query, ctx: Context) -> Any:
            found = select(query, key)
            if not query.get("symbol"):
                raise _bitget_error("40019", "Parameter symbol cannot be empty")
            m = found[0]
            granularity = query.get(interval_key, "1m")
            rows = [
                [str(t), fmt(o, m.tick), fmt(h, m.tick), fmt(low, m.tick), fmt(c, m.tick), f"{v:.4f}", f"{v * c:.4f}"]
                for t, o, h, low, c, v in candles(
                    m, query, ctx, granularity, start="startTime", end="endTime", limit=100
                )
            ]
            return _bitget_ok(rows, ctx)

        return route

    def open_interest(query: Query, ctx: Context) -> Any:
        found = select(query, "productType")
        if not query.get("symbol"):
            raise _bitget_error("40019", "Parameter symbol cannot be empty")
        m = found[0]
        units = contracts_of_oi(m, quoted_price(m, ctx.book))
        return _bitget_ok(
            {"openInterestList": [{"symbol": m.symbol, "size": f"{units:.4f}"}], "ts": str(ctx.now_ms)}, ctx
        )

    return {
        "/api/v2/public/time": lambda q, c: _bitget_ok({"serverTime": str(c.now_ms)}, c),
        "/api/v2/mix/market/contracts": contracts,
        "/api/v3/market/instruments": instruments,
        "/api/v2/mix/market/ticker": lambda q, c: _bitget_ok(ticker_rows(q, c, "productType"), c),
        "/api/v2/mix/market/tickers": lambda q, c: _bitget_ok(ticker_rows(q, c, "productType"), c),
        "/api/v3/market/tickers": lambda q, c: _bitget_ok(ticker_rows(q, c, "category"), c),
        "/api/v2/mix/market/candles": candle_rows("productType", "granularity"),
        "/api/v3/market/candles": candle_rows("category", "interval"),
        "/api/v2/mix/market/open-interest": open_interest,
    }


# ── Gate ───────────────────────────────────────────────────────────────────────────────────────


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


# ── dispatch ───────────────────────────────────────────────────────────────────────────────────

ROUTES: dict[str, dict[str, Route]] = {
    "binance_usdm": binance_routes("binance_usdm"),
    "binance_coinm": binance_routes("binance_coinm"),
    "bybit": bybit_routes(),
    "okx": okx_routes(),
    "bitmex": bitmex_routes(),
    "deribit": deribit_routes(),
    "bitget": bitget_routes(),
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
