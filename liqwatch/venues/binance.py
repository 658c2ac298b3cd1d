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
from collections.abc import Callable, Mapping
from typing import Literal

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin, split_symbol
from liqwatch.model import LONG, SAMPLED, SHORT, Liquidation
from liqwatch.numbers import EXACT_INT, MAX_DIGITS, POW10, BadNumber, exact_product2
from liqwatch.venues.base import (
    BadFrame,
    Connection,
    Frame,
    Heartbeat,
    InstrumentsPage,
    Parse,
    RestRequest,
    VenueSpec,
    impossible,
    refuse_impossible,
    unlisted,
)
from liqwatch.venues.ids import number_key

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
INF = math.inf


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


class _FastOrder(msgspec.Struct, frozen=True, gc=False):
    """Order, as strict as it and stricter: a liquidation the fast path takes (any other: `_decode`)."""

    s: str
    S: Literal["SELL", "BUY"]
    p: str
    ap: str
    X: Literal["FILLED", "EXPIRED", "CANCELED"]  # FINAL_STATES
    z: str
    T: int


class _FastEvent(msgspec.Struct, frozen=True, gc=False):
    e: Literal["forceOrder"]
    o: _FastOrder
    st: int = 0


class _FastEnvelope(msgspec.Struct, frozen=True, gc=False):
    e: Literal["forceOrder", ""] = ""
    o: _FastOrder | None = None
    st: int = 0
    data: _FastEvent | None = None


_decode_fast = msgspec.json.Decoder(_FastEnvelope).decode


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


# What a symbol's events need, computed once per (symbol, st) and catalogue version (a plain
# tuple: unpacking it is cheaper than a NamedTuple's): venue, coin, inverse, contract_size (USD
# per contract if inverse, else coins per unit of z), price_unit, usd_quoted, id_prefix.
_Route = tuple[str, str, bool, float, float, bool, str]


# A symbol's route, or the venue id alone for a symbol it cannot size (stored unpriced, base.py).
RouteOf = Callable[[str, int, Catalogue], _Route | str]


def _route(symbol: str, symbol_type: int, cat: Catalogue) -> _Route | str:
    if is_coinm(symbol, symbol_type):
        venue, inst = COINM, cat.resolve(COINM, symbol, derive_coinm)
    else:
        venue, inst = USDM, cat.resolve(USDM, symbol, derive_usdm)
    if inst is None:
        return venue
    inverse = inst.kind == "inverse"
    return (
        venue,
        inst.coin,
        inverse,
        inst.contract_size,
        inst.price_unit,
        inverse or inst.usd_quoted,
        f"{venue}:{symbol}:",
    )


def parser(
    max_usd: float = math.inf, min_ts: float = -math.inf, route_of: RouteOf = _route, memo: str = "binance"
) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    `route_of` maps (symbol, st, catalogue) to the symbol's venue and contract (memoized under
    `memo`): Binance's own by default; Binance clones (aster.py) pass theirs.
    """

    def _parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        return reference_parse(frame, recv_ts, cat, route_of, memo)

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        # The fast decode takes final liquidation orders only; every other frame, valid or not,
        # goes to _parse (as do first events of a symbol, and numbers the fast path does not cover).
        try:
            msg = _decode_fast(frame)
        except (msgspec.DecodeError, UnicodeError):
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        order = msg.o
        symbol_type = msg.st
        if order is None:
            data = msg.data
            if data is None:
                return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
            order = data.o
            symbol_type = data.st
        elif not msg.e:
            return []  # an order without "e": not a forceOrder event (as _parse finds)
        side_text = order.S
        symbol = order.s
        routes: dict[object, _Route] = cat.memo(memo)  # type: ignore[assignment]
        route = routes.get(symbol if not symbol_type else (symbol, symbol_type))
        if route is None:
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        venue, coin, inverse, contract_size, price_unit, usd_quoted, id_prefix = route
        z = order.z
        usd: float | None
        if inverse:
            try:
                filled = float(z)
                price = float(order.ap)
            except ValueError:
                filled = price = 0.0
            if not (0.0 < filled < INF and 0.0 < price < INF):
                return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
            usd = filled * contract_size
            qty = usd / price
            coin_price = price
        else:
            # numbers.plain_digits inline (the fast rule of numbers.exact_product2): plain decimal z
            # and ap whose digit product is exact. float(z) and float(ap) are then the digits over
            # their exact powers of ten, and usd the one correctly rounded division.
            # (A frame shorter than MAX_DIGITS holds no digit string int() would refuse.)
            head, _, tail = z.partition(".")
            z_digits = head + tail
            z_places = len(tail)
            head, _, tail = order.ap.partition(".")
            ap_digits = head + tail
            ap_places = len(tail)
            places = z_places + ap_places
            if not (z_digits.isdecimal() and ap_digits.isdecimal() and places < 23 and len(frame) < MAX_DIGITS):
                return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
            z_value = float(z_digits)
            ap_value = float(ap_digits)
            product = z_value * ap_value
            if not 0.0 < product < EXACT_INT:
                return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
            qty = z_value / POW10[z_places] * contract_size
            coin_price = ap_value / POW10[ap_places] / price_unit
            usd = product / POW10[places] if usd_quoted else None
        ts = order.T
        # number_key(z) without the call where z is plain decimal text (linear) and already canonical
        if inverse:  # whole contracts, as a rule: canonical unless a leading zero
            key = z if z.isdecimal() and z.isascii() and (z[0] != "0" or len(z) == 1) else number_key(z)
        else:  # plain decimal text here: canonical unless a trailing zero or point, or a leading zero
            key = z if z[-1] not in "0." and (z[0] in "123456789" or z[1:2] == ".") and z.isascii() else number_key(z)
        event = Liquidation(
            venue,
            symbol,
            coin,
            LONG if side_text == "SELL" else SHORT,  # SIDES; the fast decode takes SELL and BUY only
            coin_price,
            qty,
            usd,
            ts,
            recv_ts,
            SAMPLED,
            f"{id_prefix}{ts}:{side_text}:{key}",
        )
        if ts < min_ts or (usd is not None and usd > max_usd):
            raise impossible(event)
        return [event]

    return parse


parse = parser()


def reference_parse(
    frame: Frame, recv_ts: int, cat: Catalogue, route_of: RouteOf = _route, memo: str = "binance"
) -> list[Liquidation]:
    """The reference parse: every frame the fast path in `parser` does not take comes here."""
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
        return [_liquidation(order, symbol_type, recv_ts, cat, route_of, memo)]
    except (BadNumber, ValueError, ArithmeticError, IndexError) as exc:
        raise BadFrame(f"binance {order.s}: {exc}") from None


_parse = reference_parse  # the reference path, as the other venue modules name it


def _liquidation(
    order: Order, symbol_type: int, recv_ts: int, cat: Catalogue, route_of: RouteOf, memo: str
) -> Liquidation:
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
    routes: dict[object, _Route] = cat.memo(memo)  # type: ignore[assignment]
    key = order.s if not symbol_type else (order.s, symbol_type)
    route = routes.get(key)
    if route is None:
        found = route_of(order.s, symbol_type, cat)
        if isinstance(found, str):  # not listed, no quote asset we know: unpriced
            event_id = f"{found}:{order.s}:{order.T}:{order.S}:{number_key(order.z)}"
            return unlisted(found, order.s, side, price, order.T, recv_ts, SAMPLED, event_id)
        route = found
        if route[2] or route[4] != 0.0:  # not memoized: a linear price_unit of 0 (the fast path divides by it)
            routes[key] = route
    usd: float | None
    venue, coin, inverse, contract_size, price_unit, usd_quoted, id_prefix = route
    if inverse:
        usd = filled * contract_size
        qty = usd / price
        coin_price = price
    else:
        qty = filled * contract_size
        coin_price = price / price_unit
        usd = exact_product2(order.z, price_text) if usd_quoted else None
    return Liquidation(
        venue,
        order.s,
        coin,
        side,
        coin_price,
        qty,
        usd,
        order.T,
        recv_ts,
        SAMPLED,
        f"{id_prefix}{order.T}:{order.S}:{number_key(order.z)}",
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
    checked_parse=parser,
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
    checked_parse=parser,
)
