"""Per-venue wire encoders: a truth liquidation → the venue's exact frame. Pure.

Each encoder is the inverse of the venue's `parse` in liqwatch.venues: liqwatch's parse of
`encode(liq)` gives back `liq`'s side, coin, price, qty and usd (see tests/sim/test_encode.py).
Choices that do not change the meaning (OKX hedge or one-way mode, Deribit maker or taker
liquidated, a Binance order that expired partly filled, …) come from the truth's seeded `variant`.

Also here: the companion-stream frames (mark prices, tickers, plain trades) and the "impossible
values" mutations used by the fault injector.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from liqwatch.model import LONG
from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.model import Liq

_encoder = msgspec.json.Encoder()


def dumps(obj: Any) -> str:
    return _encoder.encode(obj).decode()


def num(text: str) -> int | float:
    """A JSON number as BitMEX and Deribit write it (integral values without '.0')."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _market(liq: Liq) -> Market:
    """The liquidation's market; a stand-in of the venue for symbols the simulator does not list."""
    found = mk.market(liq.venue, liq.symbol)
    if found is not None:
        return found
    return next(m for m in mk.MARKETS if m.venue == liq.venue)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        return Decimal(0)


# ── Binance ────────────────────────────────────────────────────────────────────────────────────


def binance_payload(liq: Liq, event_time: int) -> str:
    """`!forceOrder@arr` payload (raw form; the server wraps it for combined-stream clients).

    After the 2026 COIN-M/USD-M integration both hosts push the merged universe with a top-level
    `st` (1 USD-M, 2 COIN-M) and `ps` (pair).
    """
    m = _market(liq)
    long = liq.side == LONG
    variant = liq.variant
    ap = _decimal(liq.price)
    slip = Decimal(1 + variant % 7) / 1000  # the IOC limit price sits beyond the average fill
    p = mk.quantize(ap * (1 - slip if long else 1 + slip), m.tick) if ap > 0 else ap
    expired = (variant >> 4) % 8 == 0  # partly filled, then expired: q > z
    size = _decimal(liq.size)
    coinm = liq.venue == "binance_coinm"
    aster = liq.venue == "aster"  # Aster: Binance's pre-integration payload, without `ps`/`st`
    pair = liq.symbol.split("_", 1)[0]
    order: dict[str, Any] = {"s": liq.symbol}
    if coinm:
        order["ps"] = pair
    order.update(
        S="SELL" if long else "BUY",
        o="LIMIT",
        f="IOC",
        q=mk.text(size * 2) if expired and size > 0 else liq.size,
        p=mk.text(p),
        ap=liq.price,
        X="EXPIRED" if expired else "FILLED",
        l=liq.size,
        z=liq.size,
        T=liq.ts,
    )
    if aster:
        return dumps({"e": "forceOrder", "E": event_time, "o": order})
    return dumps({"e": "forceOrder", "E": event_time, "o": order, "ps": pair, "st": 2 if coinm else 1})


def binance_combined(stream: str, payload: str) -> str:
    return f'{{"stream":{dumps(stream)},"data":{payload}}}'


def binance_mark(symbol: str, price: float, now: int, decimals: int = 8) -> str:
    funding = (now // 28_800_000 + 1) * 28_800_000
    return dumps(
        {
            "e": "markPriceUpdate",
            "E": now,
            "s": symbol,
            "p": f"{price:.{decimals}f}",
            "i": f"{price * 0.9998:.{decimals}f}",
            "P": f"{price * 0.9999:.{decimals}f}",
            "r": "0.00010000",
            "T": funding,
        }
    )


# ── Bybit ──────────────────────────────────────────────────────────────────────────────────────


def bybit_entry(liq: Liq) -> dict[str, Any]:
    return {"T": liq.ts, "s": liq.symbol, "S": "Buy" if liq.side == LONG else "Sell", "v": liq.size, "p": liq.price}


def bybit_frame(liqs: Sequence[Liq], at: int) -> str:
    """`allLiquidation.{symbol}`: one 500 ms batch of one symbol (S is the POSITION side: Buy = long)."""
    return dumps(
        {
            "topic": f"allLiquidation.{liqs[0].symbol}",
            "type": "snapshot",
            "ts": at,
            "data": [bybit_entry(liq) for liq in liqs],
        }
    )


def bybit_ticker(symbol: str, price: float, now: int, seq: int, snapshot: bool) -> str:
    mark = f"{price:.2f}"
    data: dict[str, Any] = {"symbol": symbol, "markPrice": mark, "indexPrice": f"{price * 0.9998:.2f}"}
    if snapshot:
        data.update(
            tickDirection="ZeroPlusTick",
            lastPrice=mark,
            prevPrice24h=f"{price * 0.98:.2f}",
            price24hPcnt="0.0204",
            highPrice24h=f"{price * 1.02:.2f}",
            lowPrice24h=f"{price * 0.97:.2f}",
            openInterest="52373.72",
            fundingRate="0.0001",
            nextFundingTime=str((now // 28_800_000 + 1) * 28_800_000),
        )
    else:
        data["lastPrice"] = mark
    return dumps(
        {"topic": f"tickers.{symbol}", "type": "snapshot" if snapshot else "delta", "data": data, "cs": seq, "ts": now}
    )


# ── OKX ────────────────────────────────────────────────────────────────────────────────────────


def okx_family(inst_id: str) -> str:
    return inst_id.rsplit("-", 1)[0] if inst_id.count("-") >= 2 else inst_id


def okx_detail(liq: Liq) -> dict[str, Any]:
    long = liq.side == LONG
    hedge = liq.variant & 1  # hedge mode names the position; one-way mode says "net"
    return {
        "bkLoss": "0",
        "bkPx": liq.price,
        "ccy": "",
        "posSide": ("long" if long else "short") if hedge else "net",
        "side": "sell" if long else "buy",
        "sz": liq.size,
        "ts": str(liq.ts),
    }


def okx_entries(liqs: Sequence[Liq], inst_type: str) -> list[dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for liq in liqs:
        entry = entries.get(liq.symbol)
        if entry is None:
            family = okx_family(liq.symbol)
            entry = entries[liq.symbol] = {
                "details": [],
                "instFamily": family,
                "instId": liq.symbol,
                "instType": inst_type,
                "uly": family,
            }
        entry["details"].append(okx_detail(liq))
    return list(entries.values())


def okx_frame(liqs: Sequence[Liq], inst_type: str) -> str:
    """`liquidation-orders` push: one entry per instrument, one detail per liquidation order."""
    return dumps(
        {"arg": {"channel": "liquidation-orders", "instType": inst_type}, "data": okx_entries(liqs, inst_type)}
    )


def okx_mark(inst_id: str, price: float, now: int) -> str:
    inst_type = "SWAP" if inst_id.endswith("-SWAP") else "FUTURES"
    return dumps(
        {
            "arg": {"channel": "mark-price", "instId": inst_id},
            "data": [{"instType": inst_type, "instId": inst_id, "markPx": f"{price:.1f}", "ts": str(now)}],
        }
    )


# ── BitMEX ─────────────────────────────────────────────────────────────────────────────────────

BITMEX_TYPES = {"orderID": "guid", "symbol": "symbol", "side": "symbol", "price": "float", "leavesQty": "long"}


def bitmex_row(liq: Liq) -> dict[str, Any]:
    return {
        "orderID": liq.ref,
        "symbol": liq.symbol,
        "side": "Sell" if liq.side == LONG else "Buy",  # the liquidation ORDER side
        "price": num(liq.price),
        "leavesQty": int(_decimal(liq.size)),
    }


def bitmex_insert(liqs: Sequence[Liq]) -> str:
    return dumps({"table": "liquidation", "action": "insert", "data": [bitmex_row(liq) for liq in liqs]})


def bitmex_partial_fill(liq: Liq) -> str:
    """An `update`: part of the order filled, `leavesQty` went down (yields no event)."""
    left = max(1, int(_decimal(liq.size)) // 2)
    row = {"orderID": liq.ref, "symbol": liq.symbol, "leavesQty": left}
    return dumps({"table": "liquidation", "action": "update", "data": [row]})


def bitmex_delete(liq: Liq) -> str:
    return dumps({"table": "liquidation", "action": "delete", "data": [{"orderID": liq.ref, "symbol": liq.symbol}]})


def bitmex_partial(liqs: Sequence[Liq], symbol: str = "") -> str:
    """The `partial` sent on subscribe: the liquidation orders active right now."""
    rows = [bitmex_row(liq) for liq in liqs if not symbol or liq.symbol == symbol]
    return dumps(
        {
            "table": "liquidation",
            "action": "partial",
            "keys": ["orderID"],
            "types": BITMEX_TYPES,
            "filter": {"symbol": symbol} if symbol else {},
            "data": rows,
        }
    )


def iso_ms(ms: int) -> str:
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def bitmex_table_partial(table: str, keys: list[str], rows: list[dict[str, Any]], symbol: str = "") -> str:
    """The `partial` of a table sent on subscribe (the instrument table: the instruments' full rows)."""
    types = {key: "symbol" for key in keys}
    return dumps(
        {
            "table": table,
            "action": "partial",
            "keys": keys,
            "types": types,
            "filter": {"symbol": symbol} if symbol else {},
            "data": rows,
        }
    )


def bitmex_instrument(symbol: str, price: float, now: int) -> str:
    """An `update` of the instrument table: the mark price moved (the companion stream)."""
    mark = round(price * 2) / 2
    row = {"symbol": symbol, "markPrice": mark, "fairPrice": mark, "timestamp": iso_ms(now)}
    return dumps({"table": "instrument", "action": "update", "data": [row]})


# ── Deribit ────────────────────────────────────────────────────────────────────────────────────


def deribit_trade(liq: Liq, flag: str) -> dict[str, Any]:
    """A public trade flagged `liquidation` (`flag` M, T or MT); `direction` is the TAKER's."""
    long = liq.side == LONG
    if flag == "T":  # the taker was liquidated: its order side closed its position
        direction = "sell" if long else "buy"
    elif flag == "M":  # the maker was liquidated: the taker traded against it
        direction = "buy" if long else "sell"
    else:
        direction = "buy" if liq.variant & 4 else "sell"
    price = float(liq.price) if liq.price else 0.0
    trade_id = liq.ref or str(liq.ts)
    return {
        "trade_seq": 40_000_000 + int(trade_id) % 10_000_000 if trade_id.isdigit() else 1,
        "trade_id": trade_id,
        "timestamp": liq.ts,
        "tick_direction": liq.variant % 4,
        "price": num(liq.price) if liq.price else 0,
        "mark_price": round(price * 1.0002, 2),
        "instrument_name": liq.symbol,
        "index_price": round(price * 0.9997, 2),
        "direction": direction,
        "amount": num(liq.size),
        "liquidation": flag,
    }


def deribit_trades(liqs: Sequence[Liq]) -> list[dict[str, Any]]:
    """Trades of a batch: two truths with one trade id and opposite sides are one "MT" trade."""
    trades: list[dict[str, Any]] = []
    index: dict[tuple[str, str], int] = {}
    for liq in liqs:
        key = (liq.symbol, liq.ref)
        if liq.ref and key in index:
            trades[index[key]]["liquidation"] = "MT"
            continue
        index[key] = len(trades)
        trades.append(deribit_trade(liq, "T" if liq.variant & 2 else "M"))
    for trade in trades:
        if trade["liquidation"] == "MT":
            trade["direction"] = "buy" if int(trade["tick_direction"]) % 2 else "sell"
    return trades


def deribit_notification(channel: str, trades: list[dict[str, Any]]) -> str:
    return dumps({"jsonrpc": "2.0", "method": "subscription", "params": {"channel": channel, "data": trades}})


def deribit_frame(liqs: Sequence[Liq], channel: str) -> str:
    return deribit_notification(channel, deribit_trades(liqs))


def deribit_plain_trade(instrument: str, price: float, now: int, trade_id: int, taker_buys: bool) -> dict[str, Any]:
    amount = 10 * (1 + trade_id % 30) if "USDC" not in instrument else round(0.001 * (1 + trade_id % 50), 3)
    return {
        "trade_seq": trade_id % 100_000_000,
        "trade_id": str(trade_id),
        "timestamp": now,
        "tick_direction": trade_id % 4,
        "price": round(price * 2) / 2,
        "mark_price": round(price, 2),
        "instrument_name": instrument,
        "index_price": round(price * 0.9998, 2),
        "direction": "buy" if taker_buys else "sell",
        "amount": amount,
    }


# ── Bitget ─────────────────────────────────────────────────────────────────────────────────────


def bitget_entry(liq: Liq) -> dict[str, Any]:
    side = "buy" if liq.side == LONG else "sell"  # POSITION side: buy = a long was liquidated
    return {"symbol": liq.symbol, "side": side, "price": liq.price, "amount": liq.size, "ts": str(liq.ts)}


def bitget_frame(liqs: Sequence[Liq], inst_type: str, at: int) -> str:
    return dumps(
        {
            "action": "update",
            "arg": {"instType": inst_type, "topic": "liquidation"},
            "data": [bitget_entry(liq) for liq in liqs],
            "ts": at,
        }
    )


def bitget_ticker(inst_type: str, symbol: str, price: float, now: int) -> str:
    mark = f"{price:.1f}"
    data = {
        "symbol": symbol,
        "lastPrice": mark,
        "markPrice": mark,
        "indexPrice": f"{price * 0.9998:.1f}",
        "fundingRate": "0.0001",
        "ts": str(now),
    }
    return dumps(
        {
            "action": "snapshot",
            "arg": {"instType": inst_type, "topic": "ticker", "symbol": symbol},
            "data": [data],
            "ts": now,
        }
    )


# ── Gate ───────────────────────────────────────────────────────────────────────────────────────


def gate_entry(liq: Liq, decimal: bool) -> dict[str, Any]:
    """`size` is the signed ORDER size in contracts: negative (a sell) closed a long."""
    magnitude = liq.size.lstrip("-")
    signed = "-" + magnitude if liq.side == LONG and magnitude not in ("0", "") else magnitude
    size: int | str = signed if decimal else int(_decimal(signed))
    return {"price": liq.price, "size": size, "time": liq.ts, "contract": liq.symbol}


def gate_frame(liqs: Sequence[Liq], at: int, decimal: bool = False) -> str:
    """`futures.public_liquidates` update; `decimal`: the X-Gate-Size-Decimal: 1 form (size as text)."""
    return dumps(
        {
            "channel": "futures.public_liquidates",
            "event": "update",
            "time": at // 1000,
            "time_ms": at,
            "result": [gate_entry(liq, decimal) for liq in liqs],
        }
    )


def gate_ticker(contract: str, price: float, now: int) -> str:
    mark = f"{price:.1f}"
    result = {
        "contract": contract,
        "last": mark,
        "mark_price": mark,
        "index_price": f"{price * 0.9998:.2f}",
        "funding_rate": "0.0001",
        "total_size": "169531691",
        "volume_24h": "215705969",
    }
    return dumps(
        {"time": now // 1000, "time_ms": now, "channel": "futures.tickers", "event": "update", "result": [result]}
    )


# ── Hyperliquid (no public liquidation feed: trades only, for the companion stream) ─────────────


def hyperliquid_trades(coin: str, price: float, now: int, tid: int) -> str:
    trade = {
        "coin": coin,
        "side": "B" if tid % 2 else "A",
        "px": f"{price:.1f}",
        "sz": f"{0.001 * (1 + tid % 400):.5f}",
        "time": now,
        "hash": f"0x{tid:064x}",
        "tid": tid,
    }
    return dumps({"channel": "trades", "data": [trade]})


# ── Kraken Futures ─────────────────────────────────────────────────────────────────────────────


def kraken_trade(liq: Liq, seq: int, kind: str = "liquidation") -> dict[str, Any]:
    """One `trade` of the v1 feed: `side` is the taker's, the liquidation order (sell closes a long)."""
    return {
        "feed": "trade",
        "product_id": liq.symbol,
        "uid": liq.ref,
        "side": "sell" if liq.side == LONG else "buy",
        "type": kind,
        "seq": seq,
        "time": liq.ts,
        "qty": num(liq.size),
        "price": num(liq.price),
    }


def kraken_frame(liq: Liq, seq: int) -> str:
    return dumps(kraken_trade(liq, seq))


def kraken_snapshot(product: str, trades: Sequence[dict[str, Any]]) -> str:
    """The `trade_snapshot` sent on subscribe: the product's latest trades, newest first."""
    return dumps({"feed": "trade_snapshot", "product_id": product, "trades": list(trades)})


def kraken_fill(product: str, price: float, now: int, seq: int) -> dict[str, Any]:
    """An ordinary trade (`type: fill`), the companion data that proves the feed alive."""
    return {
        "feed": "trade",
        "product_id": product,
        "uid": f"{seq:08x}-0000-4000-8000-{now:012x}"[-36:],
        "side": "buy" if seq % 2 else "sell",
        "type": "fill",
        "seq": seq,
        "time": now,
        "qty": round(0.001 * (1 + seq % 50), 4),
        "price": round(price, 1),
    }


def kraken_ticker_lite(product: str, price: float, now: int) -> str:
    """The `ticker_lite` companion (a subset of the `ticker` feed's fields)."""
    ticker = {"feed": "ticker_lite", "product_id": product, "bid": round(price - 0.5, 1), "ask": round(price + 0.5, 1)}
    ticker |= {"change": -0.41, "premium": 0.02, "volume": 8125.3, "tag": "perpetual", "pair": "XBT:USD", "dtm": 0}
    return dumps(ticker | {"maturityTime": 0, "volumeQuote": 774_112_405.2, "time": now})


# ── Bitfinex ───────────────────────────────────────────────────────────────────────────────────


def bitfinex_row(liq: Liq, is_match: int = 0, amount: str | None = None, offset_ms: int = 0) -> list[Any]:
    """`["pos", POS_ID, MTS, null, SYMBOL, AMOUNT, BASE_PRICE, null, IS_MATCH, IS_MARKET_SOLD, null,
    LIQUIDATION_PRICE]`: AMOUNT is the signed position (> 0 long), in base coin."""
    size = amount if amount is not None else liq.size
    signed = num(size) if liq.side == LONG else -num(size)
    entry = _decimal(liq.price) * (Decimal("1.04") if liq.side == LONG else Decimal("0.96"))
    base_price = num(mk.text(mk.quantize(entry, _market(liq).tick)))
    pos_id = int(liq.ref) if liq.ref.isdigit() else 1
    ts = liq.ts + offset_ms
    return ["pos", pos_id, ts, None, liq.symbol, signed, base_price, None, is_match, 1, None, num(liq.price)]


def bitfinex_frame(rows: Sequence[list[Any]], chan_id: int = 0) -> str:
    """A `liq:global` update; the session writes its own channel id over `chan_id`."""
    return dumps([chan_id, list(rows)])


def bitfinex_ticker(chan_id: int, price: float) -> str:
    bid = round(price - 1, 1)
    return dumps([chan_id, [bid, 12.5, round(price, 1), 9.75, -120.0, -0.0041, round(price, 1), 8125.3, 0, 0]])


# ── HTX ────────────────────────────────────────────────────────────────────────────────────────


def htx_order(liq: Liq) -> dict[str, Any]:
    """One liquidation order: `direction` is the ORDER side (sell closes a long), `volume` contracts."""
    m = _market(liq)
    return {
        "symbol": m.coin,
        "contract_code": liq.symbol,
        "direction": "sell" if liq.side == LONG else "buy",
        "offset": "close",
        "volume": num(liq.size),
        "price": num(liq.price),
        "created_at": liq.ts,
        "pair": f"{m.coin}-{m.quote}",
        "business_type": "futures" if m.expiry else "swap",
    }


def htx_topic(liq: Liq) -> str:
    """`public.BTC-USDT.liquidation_orders`; coin-M futures are keyed by the coin (`public.BTC.…`)."""
    m = _market(liq)
    return f"public.{m.coin if m.conn == 'futures' else liq.symbol}.liquidation_orders"


def htx_frame(liqs: Sequence[Liq], at: int) -> str:
    return dumps({"op": "notify", "topic": htx_topic(liqs[0]), "ts": at, "data": [htx_order(liq) for liq in liqs]})


# ── one truth, any venue ───────────────────────────────────────────────────────────────────────


def encode(liq: Liq, *, at: int | None = None) -> str:
    """The frame the venue would push for this one liquidation (the round-trip unit)."""
    return encode_batch([liq], at=at)


def encode_batch(liqs: Sequence[Liq], *, at: int | None = None) -> str:
    """One frame carrying `liqs` (all of one venue; same symbol for Bybit, same instType for OKX)."""
    first = liqs[0]
    when = at if at is not None else max(liq.ts for liq in liqs) + 5
    venue = first.venue
    if venue.startswith("binance") or venue == "aster":
        if len(liqs) != 1:
            raise ValueError("a Binance (or Aster) frame carries one liquidation")
        return binance_payload(first, when)
    if venue == "bybit":
        return bybit_frame(liqs, when)
    if venue == "okx":
        return okx_frame(liqs, _market(first).group or "SWAP")
    if venue == "bitmex":
        return bitmex_insert(liqs)
    if venue == "deribit":
        return deribit_frame(liqs, f"trades.future.{_market(first).group or 'BTC'}.100ms")
    if venue == "bitget":
        return bitget_frame(liqs, _market(first).group or "usdt-futures", when)
    if venue == "gate":
        return gate_frame(liqs, when)
    if venue == "dydx":
        return dydx_batch(first.symbol, [dydx_trade(liq) for liq in liqs], when)
    if venue == "lighter":
        return lighter_update(first.symbol, [], [lighter_trade(liq) for liq in liqs], when)
    if venue == "kraken_futures":
        if len(liqs) != 1:
            raise ValueError("a Kraken Futures trade frame carries one trade")
        return kraken_frame(first, 1)
    if venue == "bitfinex":
        return bitfinex_frame([bitfinex_row(liq) for liq in liqs])
    if venue == "htx":
        return htx_frame(liqs, when)
    if venue == "hyperliquid":
        return hyperliquid_block(liqs, when, when // 100)
    raise ValueError(f"no encoder for venue {venue!r}")


# ── dYdX v4 indexer and Lighter (trade tapes: liquidations are trades of their own type) ──────


DYDX_CONNECTION = "00000000-0000-4000-8000-000000000000"  # pushes are shared by every client: one id


def dydx_trade(liq: Liq, kind: str = "LIQUIDATED") -> dict[str, Any]:
    """A v4_trades trade; `side` is the taker's: the liquidation order SELLs a long, BUYs a short."""
    return {
        "id": liq.ref or f"{liq.ts:012x}{liq.variant:04x}00000000",
        "side": "SELL" if liq.side == LONG else "BUY",
        "size": liq.size,
        "price": liq.price,
        "type": kind,
        "createdAt": iso_ms(liq.ts),
        "createdAtHeight": str(liq.ts // 1000 - 1_700_000_000),
    }


def dydx_batch(ticker: str, trades: Sequence[dict[str, Any]], at: int, message_id: int = 0) -> str:
    """`channel_batch_data` of one market: one `{"trades": …}` per block."""
    return dumps(
        {
            "type": "channel_batch_data",
            "connection_id": DYDX_CONNECTION,
            "message_id": message_id or at % 1_000_000,
            "id": ticker,
            "channel": "v4_trades",
            "version": "2.1.0",
            "contents": [{"trades": list(trades)}],
        }
    )


def dydx_subscribed(ticker: str, trades: Sequence[dict[str, Any]], connection_id: str, message_id: int) -> str:
    """The answer to a v4_trades subscribe: the market's recent trades, newest first (history)."""
    return dumps(
        {
            "type": "subscribed",
            "connection_id": connection_id,
            "message_id": message_id,
            "channel": "v4_trades",
            "id": ticker,
            "contents": {"trades": list(trades)},
        }
    )


def dydx_block_height(height: int, now: int, connection_id: str, message_id: int) -> str:
    return dumps(
        {
            "type": "channel_data",
            "connection_id": connection_id,
            "message_id": message_id,
            "id": "dydx",
            "channel": "v4_block_height",
            "version": "1.0.0",
            "contents": {"blockHeight": str(height), "time": iso_ms(now)},
        }
    )


def _lighter_market(symbol: str) -> int:
    return int(symbol) if symbol.isdigit() else int(UNKNOWN_MARKET_ID)


def lighter_trade(liq: Liq, kind: str = "liquidation") -> dict[str, Any]:
    """A Lighter Trade JSON; the liquidated account is the taker: it buys (maker ask) to close a short."""
    trade_id = int(liq.ref) if liq.ref.isdigit() else liq.ts
    usd = _decimal(liq.size) * _decimal(liq.price)
    return {
        "trade_id": trade_id,
        "trade_id_str": str(trade_id),
        "tx_hash": f"{trade_id:064x}",
        "type": kind,
        "market_id": _lighter_market(liq.symbol),
        "size": liq.size,
        "price": liq.price,
        "usd_amount": format(usd, "f"),
        "ask_account_id": 281474976600000 + liq.variant,
        "bid_account_id": 281474976700000 + liq.variant,
        "is_maker_ask": liq.side != LONG,
        "block_height": liq.ts // 1000 - 1_570_000_000,
        "timestamp": liq.ts,
        "taker_fee": 10000 if kind == "liquidation" else 280,
        "transaction_time": liq.ts * 1000 + liq.variant % 1000,
    }


def lighter_update(
    symbol: str, trades: Sequence[dict[str, Any]], liquidations: Sequence[dict[str, Any]], nonce: int
) -> str:
    market = _lighter_market(symbol)
    return dumps(
        {
            "type": "update/trade",
            "channel": f"trade:{market}",
            "nonce": nonce,
            "trades": list(trades),
            "liquidation_trades": list(liquidations),
        }
    )


def lighter_subscribed(
    symbol: str, trades: Sequence[dict[str, Any]], liquidations: Sequence[dict[str, Any]], nonce: int
) -> str:
    market = _lighter_market(symbol)
    return dumps(
        {
            "type": "subscribed/trade",
            "channel": f"trade:{market}",
            "nonce": nonce,
            "trades": list(trades),
            "liquidation_trades": list(liquidations),
        }
    )


# ── impossible values (fault injection) ────────────────────────────────────────────────────────

IMPOSSIBLE = ("negative-size", "zero-price", "unknown-symbol")
UNKNOWN_SYMBOL = "UNKNOWN404"
UNKNOWN_MARKET_ID = "404404"  # Lighter names markets by number


def unknown_symbol(venue: str) -> str:
    return UNKNOWN_MARKET_ID if venue == "lighter" else UNKNOWN_SYMBOL


def impossible(liq: Liq, how: str) -> Liq:
    """`liq` with one value no venue would send: a negative size, a zero price, an unknown symbol.

    Gate's and Bitfinex's sizes are signed by design, so their "negative" size is a zero size.
    """
    if how == "negative-size":
        return liq._replace(size="0" if liq.venue in ("gate", "bitfinex") else "-" + liq.size.lstrip("-"))
    if how == "zero-price":
        return liq._replace(price="0")
    if how == "unknown-symbol":
        return liq._replace(symbol=unknown_symbol(liq.venue))
    raise ValueError(f"unknown impossible value {how!r} (known: {', '.join(IMPOSSIBLE)})")


# ── Hyperliquid: a node's fills files (node_fills_by_block lines) ─────────────────────────────────

HLP_LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"  # takes the other leg of market liquidations
MAKER = "0x010461c14e146ac35fe42271bdc1134ee31c703a"


def hyperliquid_tid(liq: Liq) -> int:
    """The trade id (the tape's ref; any other ref is hashed to one)."""
    return int(liq.ref) if liq.ref.isdigit() else zlib.crc32(liq.ref.encode())


def hyperliquid_user(liq: Liq) -> str:
    """The liquidated account: a stable address per liquidation (from its seeded variant and tid)."""
    return f"0x{(liq.variant * 1_000_003 + hyperliquid_tid(liq)) % (1 << 160):040x}"


def hyperliquid_fill(liq: Liq, user_side: str, start: str, liquidated: str | None, dir_: str) -> dict[str, Any]:
    fill: dict[str, Any] = {
        "coin": liq.symbol,
        "px": liq.price,
        "sz": liq.size,
        "side": user_side,
        "time": liq.ts,
        "startPosition": start,
        "dir": dir_,
        "closedPnl": "0.0",
        "hash": f"0x{hyperliquid_tid(liq):064x}",
        "oid": hyperliquid_tid(liq) * 2 + (user_side == "A"),
        "crossed": True,
        "fee": "0.0",
        "tid": hyperliquid_tid(liq),
        "feeToken": "USDC",
    }
    if liquidated is not None:
        fill["liquidation"] = {"liquidatedUser": liquidated, "markPx": liq.price, "method": "market"}
    return fill


def hyperliquid_legs(liq: Liq) -> list[list[Any]]:
    """Both legs of one liquidation trade: the liquidated user's (A closes a long, B a short) and HLP's."""
    user = hyperliquid_user(liq)
    size = _decimal(liq.size)
    if liq.side == LONG:
        own = hyperliquid_fill(liq, "A", mk.text(size * 2), user, "Close Long")
        other = hyperliquid_fill(liq, "B", "0.0", user, "Open Long")
    else:
        own = hyperliquid_fill(liq, "B", mk.text(-size), user, "Close Short")
        other = hyperliquid_fill(liq, "A", "0.0", user, "Open Short")
    return [[user, own], [HLP_LIQUIDATOR, other]]


def hyperliquid_block(liqs: Sequence[Liq], at: int, block_number: int) -> str:
    """One `node_fills_by_block` line: the block's fills, liquidations with both legs."""
    events = [leg for liq in liqs for leg in hyperliquid_legs(liq)]
    return hyperliquid_block_of(events, at, block_number)


def hyperliquid_block_of(events: list[list[Any]], at: int, block_number: int) -> str:
    stamp = datetime.fromtimestamp(at / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return dumps({"local_time": stamp, "block_time": stamp, "block_number": block_number, "events": events})


def hyperliquid_ordinary(coin: str, price: str, size: str, at: int, tid: int) -> list[list[Any]]:
    """An ordinary trade's two legs (no liquidation): what most of a node's lines are."""
    fill = {"coin": coin, "px": price, "sz": size, "time": at, "startPosition": "0.0", "dir": "Open Long"}
    fill |= {"closedPnl": "0.0", "hash": f"0x{tid:064x}", "crossed": True, "fee": "0.0", "tid": tid}
    return [[MAKER, fill | {"side": "B", "oid": tid * 2}], [HLP_LIQUIDATOR, fill | {"side": "A", "oid": tid * 2 + 1}]]
