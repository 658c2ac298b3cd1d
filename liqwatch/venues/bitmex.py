"""BitMEX (`bitmex`) `liquidation` table.

Docs: https://www.bitmex.com/app/wsAPI (subscriptions, heartbeats)
      https://www.bitmex.com/api/explorer/#/Liquidation (swagger `Liquidation`: "Active Liquidations")
      https://www.bitmex.com/api/explorer/#/Instrument (`GET /api/v1/instrument/active`)
      support.bitmex.com "How Do I Calculate Contract Size…" (inverse / linear / quanto values)

The `liquidation` table lists the liquidation orders that are ACTIVE on the book:
`partial` (sent on subscribe: the orders active right now), `insert` (a liquidation order was
created), `update` (its `leavesQty` changed while it fills) and `delete` (it is done).
Events: every row of an `insert` yields one event, and so does every row of a `partial`, with the
SAME id the insert has (`bitmex:<symbol>:<orderID>`), so the partial replayed after a reconnect
never double counts an order already seen. `update` and `delete` rows yield nothing (they describe
the same order again). Limits, said plainly: the size is `leavesQty` at insert time (BitMEX does not
publish how much of it filled in the book rather than by the insurance fund — UNCONFIRMED whether the
two differ); an order first seen in a `partial` is counted with the `leavesQty` still open then.

Side: `side` is the liquidation ORDER side: Buy closes (liquidates) a short, Sell closes a long.
Time: the table has no timestamp field, so `ts` is the local receive time (`ts == recv_ts`).
Size (from the instrument catalogue, `GET /api/v1/instrument/active`):
  inverse (isInverse, e.g. XBTUSD): one contract is `multiplier / underlyingToSettleMultiplier`
    quote units (XBTUSD: -100000000 / -100000000 = 1 USD) → usd = leavesQty × that,
    qty = usd / price.
  linear (neither inverse nor quanto, e.g. XBTUSDT): one contract is
    `1 / underlyingToPositionMultiplier` coins (XBTUSDT: 1/1000000 BTC) → qty = leavesQty / uTPM,
    usd = qty × price (USDT at par).
  quanto (isQuanto, e.g. ETHUSD): the value is `leavesQty × multiplier × price` satoshis, which
    needs the XBT/USD price to become USD; a pure parser does not have it, so usd and qty are None.
  Unknown symbols (not in the catalogue): only XBTUSD (and BTCUSD, in case the API drops the XBT
    alias — UNCONFIRMED, see INVERSE_1USD) is derived, as the documented 1-USD inverse perpetual;
    anything else gets usd None and qty None (never guessed).
Prices are JSON numbers (e.g. 2.17e-06); products use `numbers.exact_product` on their repr.
Coverage: complete (every liquidation order appears in the table).
Heartbeat: the text `ping`, answered by the text `pong`; BitMEX recommends pinging after ~5 s
  without a message (UNCONFIRMED value: PING_INTERVAL_S). The `instrument:<XBTUSD>` subscription
  on the same socket ticks every few seconds and proves the feed alive between liquidations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Literal

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin, split_symbol
from liqwatch.model import COMPLETE, LONG, SHORT, Liquidation, Side
from liqwatch.numbers import EXACT_INT, POW10, BadNumber, exact_product, float_digits, positive
from liqwatch.venues import routes
from liqwatch.venues.base import (
    BadFrame,
    Connection,
    Frame,
    Heartbeat,
    InstrumentsPage,
    Parse,
    RestRequest,
    VenueSpec,
    refuse_impossible,
)
from liqwatch.venues.routes import contract_route, price_only

VENUE = "bitmex"
URLS = {"realtime": "wss://ws.bitmex.com/realtime"}
REST = "https://www.bitmex.com"

# UNCONFIRMED (research §5 ping wording): BitMEX suggests a ping after ~5 s without any message.
PING_INTERVAL_S = 5.0
# The instrument whose `instrument` table updates prove the socket alive. The first of these found in
# the REST catalogue wins (UNCONFIRMED whether the API renames XBT… symbols to BTC…).
COMPANION_SYMBOLS = ("XBTUSD", "BTCUSD")
# Symbols the docs describe as 1-USD inverse perpetuals; used only when the catalogue lacks them.
INVERSE_1USD = frozenset({"XBTUSD", "BTCUSD"})

SIDES: dict[str, Side] = {"Sell": LONG, "Buy": SHORT}
INF = math.inf
COUNTED_ACTIONS = frozenset({"insert", "partial"})
IGNORED_ACTIONS = frozenset({"update", "delete"})
# Quote suffixes of BitMEX perpetual symbols, longest first ("XBTUSDT" is not "XBTUSD" + "T").
QUOTES = ("USDT", "USDC", "USD", "EUR", "XBT")
# Futures symbols end in a month code and a two-digit year: XBTZ24, TRXZ19, XBTUSDTH25.
_FUTURES_SUFFIX = re.compile(r"^(.+?)[FGHJKMNQUVXZ]\d\d$")


class Row(msgspec.Struct, frozen=True):
    """One row of an `insert` or `partial` of the `liquidation` table."""

    orderID: str  # guid of the liquidation order: with the symbol, the dedup key
    symbol: str  # venue-native instrument, e.g. XBTUSD
    side: str  # liquidation ORDER side: "Buy" (closes a short) or "Sell" (closes a long)
    price: float  # order price, quote currency per coin (per bundle of coins for prefixed roots)
    leavesQty: float  # open quantity in contracts (integer on the wire)


class KeyRow(msgspec.Struct, frozen=True):
    """A row of an `update` or `delete`: only the keys are required; they yield no event."""

    orderID: str
    symbol: str = ""


class Envelope(msgspec.Struct, frozen=True):
    """Table frames, the welcome/info frame, subscribe acks and errors in one shape."""

    table: str = ""  # "liquidation", "instrument", … ("" for info/acks/errors)
    action: str = ""  # "partial" | "insert" | "update" | "delete"
    data: msgspec.Raw = msgspec.Raw()  # rows, decoded only for the liquidation table (empty: absent)


_decode = msgspec.json.Decoder(Envelope).decode
_decode_rows = msgspec.json.Decoder(list[Row]).decode
_decode_keys = msgspec.json.Decoder(list[KeyRow]).decode


def _root(symbol: str) -> tuple[str, str]:
    """(root, quote) guessed from a symbol: "XBTUSD" → ("XBT", "USD"), "TRXZ19" → ("TRX", "")."""
    futures = _FUTURES_SUFFIX.match(symbol)
    body = futures.group(1) if futures else symbol
    parts = split_symbol(body, QUOTES)
    if parts is not None:
        return parts[0].rstrip("_"), parts[1]
    return body, ""


def coin_of(symbol: str) -> tuple[str, float]:
    """(coin, coins per quoted unit) guessed from an unlisted symbol: "1000PEPEUSDT" → ("PEPE", 1000)."""
    return normalize_coin(_root(symbol)[0])


def derive(symbol: str) -> Instrument | None:
    """The documented convention for symbols the catalogue does not list (see module docstring)."""
    if symbol in INVERSE_1USD:
        return Instrument(VENUE, symbol, "BTC", "inverse", 1.0, "USD")
    return None


def _parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The reference parse: every frame the fast path in `parser` does not take comes here."""
    if frame == "pong" or frame == b"pong":
        return []
    try:
        msg = _decode(frame)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"bitmex: {exc}") from None
    if msg.table != "liquidation":
        return []
    if not msg.data:
        raise BadFrame(f"bitmex: liquidation {msg.action or 'frame'} without data")
    if msg.action in IGNORED_ACTIONS:
        try:
            _decode_keys(msg.data)
        except msgspec.DecodeError as exc:
            raise BadFrame(f"bitmex: liquidation {msg.action}: {exc}") from None
        return []
    if msg.action not in COUNTED_ACTIONS:
        raise BadFrame(f"bitmex: unknown liquidation action {msg.action!r}")
    try:
        rows = _decode_rows(msg.data)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"bitmex: liquidation {msg.action}: {exc}") from None
    out = []
    for row in rows:
        out.append(_one(row, recv_ts, cat))
    return out


def _one(row: Row | _FastRow, recv_ts: int, cat: Catalogue) -> Liquidation:
    try:
        return _liquidation(row, recv_ts, cat)
    except BadNumber as exc:
        raise BadFrame(f"bitmex {row.symbol}: {exc}") from None


class _FastRow(msgspec.Struct, frozen=True, gc=False):
    """Row, as strict as it and stricter: a side the fast path knows (else `_parse`)."""

    orderID: str
    symbol: str
    side: Literal["Sell", "Buy"]
    price: float
    leavesQty: float


class _FastEnvelope(msgspec.Struct, frozen=True, gc=False):
    """Envelope with `data` decoded as rows in the same pass (an insert or partial)."""

    table: str = ""
    action: str = ""
    data: list[_FastRow] | None = None


_decode_fast = msgspec.json.Decoder(_FastEnvelope).decode

# How a symbol's events are computed (see venues/routes.py; _liquidation is the reference path):
_PRICE_ONLY = routes.PRICE_ONLY
_INVERSE = routes.INVERSE
_LINEAR = routes.LINEAR
_SLOW = routes.SLOW
_Route = routes.Route


def _route(symbol: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, symbol, derive)
    prefix = f"{VENUE}:{symbol}:"
    if inst is None:
        coin, bundle = coin_of(symbol)
        return price_only(coin, bundle, prefix)
    return contract_route(inst, prefix)


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    One decode into typed rows, then per row a fast path that gives what `_liquidation` gives:
    leavesQty and price as exact digits of their shortest repr (numbers.float_digits, integers
    inline), products below 2**53 divided once by an exact power of ten. Anything else goes to
    `_liquidation`, frames of any other shape to `_parse`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        if frame == "pong" or frame == b"pong":
            return []
        try:
            msg = _decode_fast(frame)
        except (msgspec.DecodeError, UnicodeError):
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        if msg.table != "liquidation":
            return []
        rows = msg.data
        if rows is None or msg.action not in COUNTED_ACTIONS:
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        out: list[Liquidation] = []
        check = recv_ts < min_ts  # every event's ts is recv_ts
        for row in rows:
            symbol = row.symbol
            route = routes.get(symbol)
            if route is None:
                route = routes[symbol] = _route(symbol, cat)
            mode, coin, divisor, size_digits, size_places, factor_digits, factor_places, usd_quoted, prefix = route
            contracts = row.leavesQty
            price = row.price
            # leavesQty's digits: an integer below 2**53 is its own (else _liquidation decides)
            if not (0.0 < price < INF and 0.0 < contracts < EXACT_INT and contracts.is_integer()):
                out.append(_one(row, recv_ts, cat))
                check = True
                continue
            qty: float | None
            usd: float | None
            if mode == _INVERSE:
                value = contracts * size_digits
                qty = value / POW10[size_places] / price if value < EXACT_INT else 0.0
                if not 0.0 < qty < INF:
                    out.append(_one(row, recv_ts, cat))
                    check = True
                    continue
                if usd_quoted:
                    usd = value / POW10[size_places]
                    if usd > max_usd:
                        check = True
                else:
                    usd = None
            elif mode == _LINEAR:
                qty_digits = contracts * size_digits
                if not qty_digits < EXACT_INT:
                    out.append(_one(row, recv_ts, cat))
                    check = True
                    continue
                qty = qty_digits / POW10[size_places]
                usd = None
                if usd_quoted:
                    found = (price, 0) if price.is_integer() and price < EXACT_INT else float_digits(price)
                    if found is None:
                        out.append(_one(row, recv_ts, cat))
                        check = True
                        continue
                    usd_digits = contracts * factor_digits * found[0]
                    places = factor_places + found[1]
                    if not (usd_digits < EXACT_INT and places < 23):
                        out.append(_one(row, recv_ts, cat))
                        check = True
                        continue
                    usd = usd_digits / POW10[places]
                    if usd > max_usd:
                        check = True
            elif mode == _PRICE_ONLY:
                qty = usd = None
            else:
                out.append(_one(row, recv_ts, cat))
                check = True
                continue
            out.append(
                Liquidation(
                    VENUE,
                    symbol,
                    coin,
                    SIDES[row.side],
                    price / divisor,
                    qty,
                    usd,
                    recv_ts,
                    recv_ts,
                    COMPLETE,
                    prefix + row.orderID,
                )
            )
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()


def _sane(value: float, what: str) -> float:
    """A product or quotient of positive inputs that neither overflowed nor underflowed."""
    if not (math.isfinite(value) and value > 0):
        raise BadNumber(f"{what} out of range: {value!r}")
    return value


def _liquidation(row: Row | _FastRow, recv_ts: int, cat: Catalogue) -> Liquidation:
    side = SIDES.get(row.side)
    if side is None:
        raise BadNumber(f"unknown side {row.side!r}")
    positive(row.leavesQty, "leavesQty")
    price = positive(row.price, "price")
    inst = cat.resolve(VENUE, row.symbol, derive)
    qty: float | None = None
    usd: float | None = None
    coin_price = price
    if inst is None:
        coin, bundle = coin_of(row.symbol)
        coin_price = price / bundle
    else:
        coin = inst.coin
        if inst.kind == "inverse":
            quote_value = _sane(exact_product(row.leavesQty, inst.contract_size), "value")
            qty = _sane(quote_value / price, "qty")
            usd = quote_value if inst.usd_quoted else None
        elif inst.kind == "linear":
            qty = _sane(exact_product(row.leavesQty, inst.contract_size), "qty")
            coin_price = price / inst.price_unit
            if inst.usd_quoted:
                usd = _sane(exact_product(row.leavesQty, inst.contract_size / inst.price_unit, price), "usd")
        # quanto: the USD value needs the settlement coin's price → qty and usd stay None
    return Liquidation(
        venue=VENUE,
        symbol=row.symbol,
        coin=coin,
        side=side,
        price=coin_price,
        qty=qty,
        usd=usd,
        ts=recv_ts,
        recv_ts=recv_ts,
        coverage=COMPLETE,
        id=f"{VENUE}:{row.symbol}:{row.orderID}",
    )


def is_data(frame: Frame) -> bool:
    return (b'"table"' in frame) if isinstance(frame, bytes) else ('"table"' in frame)


def ping(_now_ms: int) -> str:
    return "ping"


def companion_symbol(cat: Catalogue) -> str:
    """XBTUSD unless the venue's own instrument list only knows the BTC… name."""
    for symbol in COMPANION_SYMBOLS:
        inst = cat.get(VENUE, symbol)
        if inst is not None and inst.source == "rest":
            return symbol
    return COMPANION_SYMBOLS[0]


def subscribe_message(companion: str) -> str:
    return msgspec.json.encode({"op": "subscribe", "args": ["liquidation", f"instrument:{companion}"]}).decode()


def connections(urls: Mapping[str, str], cat: Catalogue) -> list[Connection]:
    return [Connection("realtime", urls["realtime"], [subscribe_message(companion_symbol(cat))])]


class _Instrument(msgspec.Struct):
    symbol: str
    rootSymbol: str | None = None
    underlying: str | None = None  # base coin, e.g. XBT, ETH
    quoteCurrency: str | None = None  # e.g. USD, USDT
    settlCurrency: str | None = None  # e.g. XBt, USDt
    typ: str | None = None  # FFWCSX perpetual, FFCCSX future, MRCXXX index, …
    isInverse: bool | None = None
    isQuanto: bool | None = None
    multiplier: float | None = None  # XBTUSD: -100000000 (satoshi per contract per 1/price)
    underlyingToPositionMultiplier: float | None = None  # linear: contracts per coin
    underlyingToSettleMultiplier: float | None = None  # inverse: settle units per coin


def _instrument(raw: _Instrument) -> Instrument | None:
    underlying = raw.underlying or raw.rootSymbol
    if not underlying or not raw.quoteCurrency:
        return None
    coin, bundle = normalize_coin(underlying)
    quote = raw.quoteCurrency.upper()
    if raw.isQuanto:
        size = raw.multiplier if raw.multiplier else 0.0
        return Instrument(VENUE, raw.symbol, coin, "quanto", size, quote, 1.0, "rest")
    if raw.isInverse:
        if not raw.multiplier or not raw.underlyingToSettleMultiplier:
            return None
        size = raw.multiplier / raw.underlyingToSettleMultiplier
        if not (math.isfinite(size) and size > 0):
            return None
        return Instrument(VENUE, raw.symbol, coin, "inverse", size, quote, 1.0, "rest")
    per_coin = raw.underlyingToPositionMultiplier
    if not per_coin or not math.isfinite(per_coin) or per_coin <= 0:
        return None  # indices, spot pairs without a position multiplier
    return Instrument(VENUE, raw.symbol, coin, "linear", bundle / per_coin, quote, bundle, "rest")


def instrument_requests() -> list[RestRequest]:
    return [RestRequest("/api/v1/instrument/active")]


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        rows = msgspec.json.decode(body, type=list[_Instrument])
    except msgspec.DecodeError as exc:
        raise BadFrame(f"bitmex instruments: {exc}") from None
    return InstrumentsPage([inst for inst in map(_instrument, rows) if inst is not None])


BITMEX_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=PING_INTERVAL_S, ping=ping),
    silence_s=30.0,
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes=(
        "BitMEX publishes no liquidation timestamp (receive time is used) and sizes orders by their "
        "open quantity at insert; quanto contracts (e.g. ETHUSD) have no USD value."
    ),
    checked_parse=parser,
)
