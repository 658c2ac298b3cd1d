"""Binance USD-M (`binance_usdm`) and COIN-M (`binance_coinm`) `!forceOrder@arr`.

Docs: https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Liquidation-Order-Streams
      https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams/All-Market-Liquidation-Order-Streams

Side: `o.S` is the liquidation ORDER side: SELL closes a long, BUY closes a short.
Size: `o.z` is the accumulated filled quantity, `o.ap` the average fill price.
  USD-M: z is in base coin (or in bundles for 1000PEPEUSDT) → usd = z × ap.
  COIN-M: z is in contracts of 100 USD (BTC) or 10 USD (others) → usd = z × contractSize, qty = usd / ap.
Coverage: sampled. Binance pushes at most one liquidation per symbol per second, so totals are
  lower bounds.
URLs: since the 2026 split the stream lives on the `/market` path (legacy URLs still ack and then
  stay silent). Since the 2026-06-30 COIN-M/USD-M integration both hosts push the merged universe
  with an `st` field (1 = UM, 2 = CM); the event's venue follows `st` (else the symbol), so the same
  liquidation received on both hosts gets the same id and is stored once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin, split_symbol
from liqwatch.model import LONG, SAMPLED, SHORT, Liquidation
from liqwatch.numbers import BadNumber, exact_product2
from liqwatch.venues.base import (
    BadFrame,
    Connection,
    Frame,
    Heartbeat,
    InstrumentsPage,
    RestRequest,
    VenueSpec,
)

USDM = "binance_usdm"
COINM = "binance_coinm"

USDM_URLS = {"market": "wss://fstream.binance.com/market/stream"}
COINM_URLS = {"market": "wss://dstream.binance.com/stream"}
USDM_REST = "https://fapi.binance.com"
COINM_REST = "https://dapi.binance.com"

# Quote assets of USD-M symbols, longest first so "USDC" is not read as "USD" + "C".
USDM_QUOTES = ("FDUSD", "BUSD", "USDT", "USDC")
SIDES = {"SELL": LONG, "BUY": SHORT}
# A final order state with a filled quantity; PARTIALLY_FILLED is followed by a final state.
FINAL_STATES = frozenset({"FILLED", "EXPIRED", "CANCELED"})


class Order(msgspec.Struct, frozen=True, gc=False):
    # Only the fields liqwatch reads are decoded (q, l, o, f, ps are skipped unparsed).
    s: str  # symbol, e.g. BTCUSDT, BTCUSD_PERP
    S: str  # liquidation ORDER side: SELL (closes a long) or BUY (closes a short)
    p: str  # order (bankruptcy-side limit) price
    ap: str  # average fill price
    X: str  # order status
    z: str  # accumulated filled quantity (USD-M: base coin or bundles; COIN-M: contracts)
    T: int  # trade time, ms


class Event(msgspec.Struct, frozen=True, gc=False):
    e: str = ""  # "forceOrder", "markPriceUpdate", …
    o: Order | None = None
    st: int = 0  # symbol type after the 2026 integration: 1 = UM, 2 = CM


class Envelope(msgspec.Struct, frozen=True, gc=False):
    """Raw stream payloads, combined-stream wrappers and SUBSCRIBE acks in one shape."""

    e: str = ""
    o: Order | None = None
    st: int = 0
    data: Event | list[msgspec.Raw] | None = None  # list: `!markPrice@arr` arrays


_decode = msgspec.json.Decoder(Envelope).decode


def derive_usdm(symbol: str) -> Instrument | None:
    pair = symbol.split("_", 1)[0]
    parts = split_symbol(pair, USDM_QUOTES)
    if parts is None:
        return None
    coin, bundle = normalize_coin(parts[0])
    return Instrument(USDM, symbol, coin, "linear", bundle, parts[1], price_unit=bundle)


def derive_coinm(symbol: str) -> Instrument | None:
    pair = symbol.split("_", 1)[0]
    if not pair.endswith("USD") or len(pair) <= 3:
        return None
    coin, _ = normalize_coin(pair[:-3])
    return Instrument(COINM, symbol, coin, "inverse", 100.0 if coin == "BTC" else 10.0, "USD")


def is_coinm(symbol: str, symbol_type: int) -> bool:
    if symbol_type:
        return symbol_type == 2
    return symbol.split("_", 1)[0].endswith("USD")


class _Route(NamedTuple):
    """What a symbol's events need, computed once per (symbol, st) and catalogue version."""

    venue: str
    coin: str
    inverse: bool
    contract_size: float  # USD per contract (inverse) or coins per unit of z (linear)
    price_unit: float
    usd_quoted: bool
    id_prefix: str


def _route(symbol: str, symbol_type: int, cat: Catalogue) -> _Route:
    if is_coinm(symbol, symbol_type):
        venue, inst = COINM, cat.resolve(COINM, symbol, derive_coinm)
        if inst is None:
            raise BadNumber(f"symbol {symbol!r} is not a COIN-M contract")
    else:
        venue, inst = USDM, cat.resolve(USDM, symbol, derive_usdm)
        if inst is None:
            raise BadNumber(f"symbol {symbol!r} has no known quote asset")
    inverse = inst.kind == "inverse"
    return _Route(
        venue,
        inst.coin,
        inverse,
        inst.contract_size,
        inst.price_unit,
        inverse or inst.usd_quoted,
        f"{venue}:{symbol}:",
    )


def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    try:
        msg = _decode(frame)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"binance: {exc}") from None
    order = msg.o
    symbol_type = msg.st
    if order is None:
        data = msg.data
        if not isinstance(data, Event) or data.o is None or data.e != "forceOrder":
            return []
        order = data.o
        symbol_type = data.st
    elif msg.e != "forceOrder":
        return []
    if order.X not in FINAL_STATES:
        return []
    try:
        return [_liquidation(order, symbol_type, recv_ts, cat)]
    except (BadNumber, ValueError, ArithmeticError, IndexError) as exc:
        raise BadFrame(f"binance {order.s}: {exc}") from None


def _liquidation(order: Order, symbol_type: int, recv_ts: int, cat: Catalogue) -> Liquidation:
    side = SIDES.get(order.S)
    if side is None:
        raise BadNumber(f"unknown side {order.S!r}")
    filled = float(order.z)
    if not 0.0 < filled < math.inf:
        raise BadNumber(f"z (filled quantity) must be positive: {order.z!r}")
    price_text = order.ap
    price = float(price_text)
    if not 0.0 < price < math.inf:  # an order that never filled reports ap 0: use its limit price
        price_text = order.p
        price = float(price_text)
        if not 0.0 < price < math.inf:
            raise BadNumber(f"ap and p (price) must be positive: {order.ap!r}, {order.p!r}")
    routes: dict[object, _Route] = cat.memo("binance")  # type: ignore[assignment]
    key = order.s if not symbol_type else (order.s, symbol_type)
    route = routes.get(key)
    if route is None:
        route = routes[key] = _route(order.s, symbol_type, cat)
    usd: float | None
    if route.inverse:
        usd = filled * route.contract_size
        qty = usd / price
        coin_price = price
    else:
        qty = filled * route.contract_size
        coin_price = price / route.price_unit
        usd = exact_product2(order.z, price_text) if route.usd_quoted else None
    return Liquidation(
        route.venue,
        order.s,
        route.coin,
        side,
        coin_price,
        qty,
        usd,
        order.T,
        recv_ts,
        SAMPLED,
        f"{route.id_prefix}{order.T}:{order.S}:{order.z}",
    )


def is_data(frame: Frame) -> bool:
    return (b'"e"' in frame) if isinstance(frame, bytes) else ('"e"' in frame)


def _subscribe(streams: list[str]) -> str:
    return msgspec.json.encode({"method": "SUBSCRIBE", "params": streams, "id": 1}).decode()


def usdm_connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    # BTCUSDT's mark price ticks every second: it proves the socket alive between liquidations
    # (the all-symbol `!markPrice@arr@1s` would journal ~8 GB a day).
    return [Connection("market", urls["market"], [_subscribe(["!forceOrder@arr", "btcusdt@markPrice@1s"])])]


def coinm_connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    return [Connection("market", urls["market"], [_subscribe(["!forceOrder@arr", "btcusd_perp@markPrice@1s"])])]


class _Symbol(msgspec.Struct):
    symbol: str
    baseAsset: str = ""
    quoteAsset: str = ""
    contractType: str = ""
    contractSize: float = 0.0  # COIN-M only: USD per contract
    status: str = ""
    contractStatus: str = ""


class _ExchangeInfo(msgspec.Struct):
    symbols: list[_Symbol] = []


def _parse_usdm_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    info = msgspec.json.decode(body, type=_ExchangeInfo)
    out = []
    for sym in info.symbols:
        coin, bundle = normalize_coin(sym.baseAsset or sym.symbol)
        out.append(Instrument(USDM, sym.symbol, coin, "linear", bundle, sym.quoteAsset, bundle, "rest"))
    return InstrumentsPage(out)


def _parse_coinm_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    info = msgspec.json.decode(body, type=_ExchangeInfo)
    out = []
    for sym in info.symbols:
        if sym.contractSize <= 0:
            continue
        coin, _ = normalize_coin(sym.baseAsset)
        out.append(Instrument(COINM, sym.symbol, coin, "inverse", sym.contractSize, "USD", 1.0, "rest"))
    return InstrumentsPage(out)


NOTE = "Binance pushes at most one liquidation per symbol per second: totals are lower bounds."

USDM_SPEC = VenueSpec(
    id=USDM,
    coverage=SAMPLED,
    urls=USDM_URLS,
    rest_base=USDM_REST,
    connections=usdm_connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=60.0),  # the server pings every 3 min; the client library pongs
    silence_s=30.0,
    instrument_requests=lambda: [RestRequest("/fapi/v1/exchangeInfo")],
    parse_instruments=_parse_usdm_instruments,
    notes=NOTE,
)

COINM_SPEC = VenueSpec(
    id=COINM,
    coverage=SAMPLED,
    urls=COINM_URLS,
    rest_base=COINM_REST,
    connections=coinm_connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=60.0),
    silence_s=30.0,
    instrument_requests=lambda: [RestRequest("/dapi/v1/exchangeInfo")],
    parse_instruments=_parse_coinm_instruments,
    notes=NOTE,
)
