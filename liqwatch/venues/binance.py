"""Binance USD-M (`binance_usdm`) and COIN-M (`binance_coinm`): the `!forceOrder@arr` stream.

Docs: https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Liquidation-Order-Streams
      https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams/All-Market-Liquidation-Order-Streams
      https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Important-WebSocket-Change-Notice
URLs: since the 2026 split the stream lives on the `/market` path (legacy URLs still ack and then
  stay silent). Since the 2026-06-30 COIN-M/USD-M integration both hosts push the merged universe
  with an `st` field (1 = UM, 2 = CM); the event's venue follows `st` (else the symbol), so the same
  liquidation received on both hosts gets the same id and is stored once. Instruments (REST
  `/fapi/v1/exchangeInfo`, `/dapi/v1/exchangeInfo`) and the naming rules: venues/binance_rest.py.
Side: `o.S` is the liquidation ORDER side: SELL closes a long, BUY closes a short.
Size: `o.z` is the accumulated filled quantity, `o.ap` the average fill price (an order that never
  filled reports ap 0: its limit price `o.p` is used). Only final states count (FILLED, EXPIRED,
  CANCELED); a PARTIALLY_FILLED order is followed by a final state.
  USD-M: z is in base coin (or in bundles for 1000PEPEUSDT) → usd = z × ap (the exact decimal
    product, for USD quotes), qty = z × bundle, price = ap / bundle.
  COIN-M: z is in contracts of 100 USD (BTC) or 10 USD (others; the catalogue's contractSize wins)
    → usd = z × contractSize, qty = usd / ap.
Coverage: sampled. Binance pushes at most one liquidation per symbol per second, so totals are
  lower bounds.
Id: `{venue}:{s}:{T}:{S}:{z}`, z in canonical decimal text (venues/ids.py).
Limits (USD-M stream page): a connection lives 24 h; the server pings every 3 min and drops a
  client without a pong for 10 min; 10 incoming messages/s per connection.
UNCONFIRMED: "latest" or "largest" liquidation per symbol per second (the connector's docstrings
  flip-flopped); where `st`/`ps` sit after the COIN-M integration; whether dstream has a `/market`
  path; whether both hosts push the same events (the docs imply it; the ids make it harmless).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import msgspec

from liqwatch.instruments import Catalogue
from liqwatch.model import LONG, SAMPLED, SHORT, Liquidation
from liqwatch.numbers import MAX_DIGITS, POW10, BadNumber, exact_product2
from liqwatch.venues import binance_rest
from liqwatch.venues.base import BadFrame, Frame, Heartbeat, Parse, RestRequest, VenueSpec, refuse_impossible, unlisted
from liqwatch.venues.binance_rest import derive_coinm, derive_usdm, parse_coinm_instruments, parse_usdm_instruments
from liqwatch.venues.ids import number_key

USDM = "binance_usdm"
COINM = "binance_coinm"

USDM_URLS = {"market": "wss://fstream.binance.com/market/stream"}
COINM_URLS = {"market": "wss://dstream.binance.com/stream"}
USDM_REST = "https://fapi.binance.com"
COINM_REST = "https://dapi.binance.com"

SIDES = {"SELL": LONG, "BUY": SHORT}
FINAL_STATES = frozenset({"FILLED", "EXPIRED", "CANCELED"})
INF = math.inf
EXACT_DIGITS = 2**53  # numbers.EXACT_INT as an int: digit products below it are exact in a double


class Order(msgspec.Struct, frozen=True, gc=False):  # the fields read (q, l, o, f, ps are skipped)
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


class Envelope(msgspec.Struct, frozen=True, gc=False):  # raw payloads, combined-stream wrappers, acks
    e: str = ""
    o: Order | None = None
    st: int = 0
    data: Event | list[msgspec.Raw] | None = None  # list: `!markPrice@arr` arrays


_decode = msgspec.json.Decoder(Envelope).decode


def is_coinm(symbol: str, symbol_type: int) -> bool:
    if symbol_type:
        return symbol_type == 2
    return symbol.split("_", 1)[0].endswith("USD")


# Per (symbol, st) and catalogue version: venue, coin, inverse, contract_size (USD per contract if
# inverse, else coins per unit of z), price_unit, usd_quoted, id_prefix.
_Route = tuple[str, str, bool, float, float, bool, str]
# A symbol's route, or the venue id alone for a symbol it cannot size (stored unpriced, base.py).
RouteOf = Callable[[str, int, Catalogue], _Route | str]
Routes = dict[object, _Route]  # (symbol, st) → route, memoized per catalogue version


def _route(symbol: str, symbol_type: int, cat: Catalogue) -> _Route | str:
    if is_coinm(symbol, symbol_type):
        venue, inst = COINM, cat.resolve(COINM, symbol, derive_coinm)
    else:
        venue, inst = USDM, cat.resolve(USDM, symbol, derive_usdm)
    if inst is None:
        return venue
    inverse = inst.kind == "inverse"
    usd_quoted = inverse or inst.usd_quoted
    return (venue, inst.coin, inverse, inst.contract_size, inst.price_unit, usd_quoted, f"{venue}:{symbol}:")


def parser(
    max_usd: float = math.inf, min_ts: float = -math.inf, route_of: RouteOf = _route, memo: str = "binance"
) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    A final forceOrder becomes an event by `_event`'s rules, inline for the orders they plainly
    cover (known side, a memoized route, plain positive numbers). `route_of` maps (symbol, st,
    catalogue) to the venue and contract, memoized under `memo`; clones (aster.py) pass theirs.
    """

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
                return []  # acks, companion streams
            order = data.o
            symbol_type = data.st
        elif msg.e != "forceOrder":
            return []
        status = order.X
        if status != "FILLED" and status not in FINAL_STATES:
            return []
        side_text = order.S
        symbol = order.s
        routes: Routes = cat.memo(memo)  # type: ignore[assignment]
        route = routes.get(symbol if not symbol_type else (symbol, symbol_type))
        if route is None:
            return slow(order, symbol_type, recv_ts, cat, routes)
        if side_text == "SELL":
            side = LONG
        elif side_text == "BUY":
            side = SHORT
        else:
            return slow(order, symbol_type, recv_ts, cat, routes)
        # the rules of `_event`, inline for speed; any order they do not plainly cover is `_event`'s
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
                return slow(order, symbol_type, recv_ts, cat, routes)
            usd = filled * contract_size
            qty = usd / price
            coin_price = price
            # whole contracts, as a rule: canonical unless a leading zero
            key = z if z.isdecimal() and z.isascii() and (z[0] != "0" or len(z) == 1) else number_key(z)
        else:
            # numbers.exact_product2's fast rule inline: plain decimal z and ap with an exact digit
            # product, one correctly rounded division (a frame shorter than MAX_DIGITS holds no
            # digit string int() would refuse)
            head, _, tail = z.partition(".")
            z_digits = head + tail
            z_places = len(tail)
            head, _, tail = order.ap.partition(".")
            ap_digits = head + tail
            ap_places = len(tail)
            places = z_places + ap_places
            if not (z_digits.isdecimal() and ap_digits.isdecimal() and places < 23 and len(frame) < MAX_DIGITS):
                return slow(order, symbol_type, recv_ts, cat, routes)
            z_value = int(z_digits)  # int() reads short digit strings faster than float()
            ap_value = int(ap_digits)
            product = z_value * ap_value
            if not 0 < product < EXACT_DIGITS:
                return slow(order, symbol_type, recv_ts, cat, routes)
            qty = z_value / POW10[z_places] * contract_size
            coin_price = ap_value / POW10[ap_places] / price_unit
            usd = product / POW10[places] if usd_quoted else None
            # plain decimal text: canonical unless a trailing zero or point, or a leading zero
            key = z if z[-1] not in "0." and (z[0] in "123456789" or z[1:2] == ".") and z.isascii() else number_key(z)
        ts = order.T
        event_id = f"{id_prefix}{ts}:{side_text}:{key}"
        out = [Liquidation(venue, symbol, coin, side, coin_price, qty, usd, ts, recv_ts, SAMPLED, event_id)]
        return refuse_impossible(out, max_usd, min_ts) if ts < min_ts or (usd is not None and usd > max_usd) else out

    def slow(order: Order, symbol_type: int, recv_ts: int, cat: Catalogue, routes: Routes) -> list[Liquidation]:
        return refuse_impossible([_event(order, symbol_type, recv_ts, cat, routes, route_of)], max_usd, min_ts)

    return parse


parse = parser()


def _event(
    order: Order, symbol_type: int, recv_ts: int, cat: Catalogue, routes: Routes, route_of: RouteOf
) -> Liquidation:
    """THE RULES: a final forceOrder order → its event (module docstring), else BadFrame with the reason."""
    try:
        side = SIDES.get(order.S)
        if side is None:
            raise BadNumber(f"unknown side {order.S!r}")
        filled = float(order.z)
        if not 0.0 < filled < INF:
            raise BadNumber(f"z (filled quantity) must be positive: {order.z!r}")
        price_text = order.ap
        price = float(price_text)
        if not 0.0 < price < INF:  # an order that never filled reports ap 0: use its limit price
            price_text = order.p
            price = float(price_text)
            if not 0.0 < price < INF:
                raise BadNumber(f"ap and p (price) must be positive: {order.ap!r}, {order.p!r}")
        key = order.s if not symbol_type else (order.s, symbol_type)
        route = routes.get(key)
        if route is None:
            found = route_of(order.s, symbol_type, cat)
            if isinstance(found, str):  # not listed, no quote asset we know: unpriced
                event_id = f"{found}:{order.s}:{order.T}:{order.S}:{number_key(order.z)}"
                return unlisted(found, order.s, side, price, order.T, recv_ts, SAMPLED, event_id)
            route = found
            if route[2] or route[4] != 0.0:  # not memoized: a linear price_unit of 0 (parse divides by it)
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
        event_id = f"{id_prefix}{order.T}:{order.S}:{number_key(order.z)}"
        return Liquidation(venue, order.s, coin, side, coin_price, qty, usd, order.T, recv_ts, SAMPLED, event_id)
    except (BadNumber, ValueError, ArithmeticError, IndexError) as exc:
        raise BadFrame(f"binance {order.s}: {exc}") from None


def is_data(frame: Frame) -> bool:
    return (b'"e"' in frame) if isinstance(frame, bytes) else ('"e"' in frame)


NOTE = "Binance pushes at most one liquidation per symbol per second: totals are lower bounds."


Instruments = binance_rest.Instruments


def _spec(venue: str, urls: dict[str, str], rest: str, mark: str, path: str, page: Instruments) -> VenueSpec:
    """`mark`: the symbol whose mark price ticks every second and proves the socket alive between
    liquidations (the all-symbol `!markPrice@arr@1s` would journal ~8 GB a day)."""
    return VenueSpec(
        id=venue,
        coverage=SAMPLED,
        urls=urls,
        rest_base=rest,
        connections=binance_rest.connections("!forceOrder@arr", f"{mark}@markPrice@1s"),
        parse=parse,
        is_data=is_data,
        heartbeat=Heartbeat(interval_s=60.0),  # the server pings every 3 min; the client library pongs
        silence_s=30.0,
        instrument_requests=lambda: [RestRequest(path)],
        parse_instruments=page,
        notes=NOTE,
        checked_parse=parser,
    )


USDM_SPEC = _spec(USDM, USDM_URLS, USDM_REST, "btcusdt", "/fapi/v1/exchangeInfo", parse_usdm_instruments)
COINM_SPEC = _spec(COINM, COINM_URLS, COINM_REST, "btcusd_perp", "/dapi/v1/exchangeInfo", parse_coinm_instruments)
