"""BitMEX (`bitmex`): the `liquidation` table. CLOSED 2026-09-23 (venues/lifecycle.py): the parser stays
for capture journals and Tardis history; live collection refuses it.

Docs: https://www.bitmex.com/app/wsAPI (subscriptions, heartbeats)
      https://www.bitmex.com/api/explorer/#/Liquidation (swagger `Liquidation`: "Active Liquidations")
      https://www.bitmex.com/api/explorer/#/Instrument (`GET /api/v1/instrument/active`)
      support.bitmex.com "How Do I Calculate Contract Size…" (inverse / linear / quanto values)
URLs: `wss://ws.bitmex.com/realtime`; REST `https://www.bitmex.com`. Instruments, and the naming
  rules for symbols the catalogue lacks: venues/bitmex_rest.py.
The table lists the liquidation orders ACTIVE on the book: `partial` (sent on subscribe: those
  active now), `insert` (one was created), `update` (its `leavesQty` changed while it fills) and
  `delete` (it is done). Every row of an `insert` or a `partial` yields one event, a partial's with
  the id the insert has, so the partial replayed after a reconnect never double counts an order.
  `update` and `delete` rows yield nothing (they describe the same order again).
Limits, said plainly: the size is `leavesQty` at insert time (BitMEX does not publish how much of it
  filled in the book rather than by the insurance fund — UNCONFIRMED whether the two differ); an
  order first seen in a `partial` is counted with the `leavesQty` still open then.
Side: `side` is the liquidation ORDER side: Buy closes (liquidates) a short, Sell closes a long.
Time: the table has no timestamp field, so `ts` is the local receive time (`ts == recv_ts`).
Size (contract values from the catalogue, bitmex_rest.py):
  inverse (isInverse, e.g. XBTUSD: 1 USD a contract): usd = leavesQty × value, qty = usd / price.
  linear (e.g. XBTUSDT: 1/1000000 BTC a contract): qty = leavesQty / underlyingToPositionMultiplier,
    usd = qty × price (USDT at par).
  quanto (isQuanto, e.g. ETHUSD): the value is `leavesQty × multiplier × price` satoshis, which
    needs the XBT/USD price to become USD: a pure parser lacks it, so usd and qty are None.
  Unlisted: only XBTUSD and BTCUSD (UNCONFIRMED alias, INVERSE_1USD) are derived, as the 1-USD
    inverse perpetual; anything else gets usd and qty None (never guessed), coin from the name.
  Prices are JSON numbers (e.g. 2.17e-06); products are exact (`numbers.exact_product` on their repr).
Coverage: complete (every liquidation order appears in the table).
Id: `bitmex:{symbol}:{orderID}` (venues/ids.py).
Heartbeat and subscriptions (bitmex_rest.py): the text `ping` (answered `pong`) after ~5 s quiet
  (UNCONFIRMED); `instrument:<XBTUSD>` on the same socket proves the feed alive.
"""

from __future__ import annotations

import math

import msgspec

from liqwatch.instruments import Catalogue
from liqwatch.model import COMPLETE, LONG, SHORT, Liquidation, Side
from liqwatch.numbers import EXACT_INT, POW10, BadNumber, exact_product, float_digits, positive
from liqwatch.venues import bitmex_rest
from liqwatch.venues.base import BadFrame, Frame, Heartbeat, Parse, VenueSpec, refuse_impossible
from liqwatch.venues.bitmex_rest import coin_of, derive
from liqwatch.venues.routes import INVERSE, LINEAR, PRICE_ONLY, Route, contract_route, price_only

VENUE = "bitmex"
URLS = {"realtime": "wss://ws.bitmex.com/realtime"}
REST = "https://www.bitmex.com"

SIDES: dict[str, Side] = {"Sell": LONG, "Buy": SHORT}
INF = math.inf
COUNTED_ACTIONS = frozenset({"insert", "partial"})
IGNORED_ACTIONS = frozenset({"update", "delete"})


class Row(msgspec.Struct, frozen=True, gc=False):  # a row of an `insert` or `partial`
    orderID: str  # guid of the liquidation order: with the symbol, the dedup key
    symbol: str  # venue-native instrument, e.g. XBTUSD
    side: str  # liquidation ORDER side: "Buy" (closes a short) or "Sell" (closes a long)
    price: float  # order price, quote currency per coin (per bundle of coins for prefixed roots)
    leavesQty: float  # open quantity in contracts (integer on the wire)


class Table(msgspec.Struct, frozen=True, gc=False):  # a table frame, its rows decoded in the same pass
    table: str = ""  # "liquidation", "instrument", …
    action: str = ""  # "partial" | "insert" | "update" | "delete"
    data: list[Row] | None = None


class KeyRow(msgspec.Struct, frozen=True):  # a row of an `update` or `delete`: keys only, no event
    orderID: str
    symbol: str = ""


class Envelope(msgspec.Struct, frozen=True):  # any frame: tables, the welcome/info frame, acks, errors
    table: str = ""  # "" for info/acks/errors
    action: str = ""
    data: msgspec.Raw = msgspec.Raw()  # rows, read only for the liquidation table (empty: absent)


_decode_table = msgspec.json.Decoder(Table).decode
_decode_any = msgspec.json.Decoder(Envelope).decode
_decode_rows = msgspec.json.Decoder(list[Row]).decode
_decode_keys = msgspec.json.Decoder(list[KeyRow]).decode


def _route(symbol: str, cat: Catalogue) -> Route:
    inst = cat.resolve(VENUE, symbol, derive)
    prefix = f"{VENUE}:{symbol}:"
    if inst is None:
        coin, bundle = coin_of(symbol)
        return price_only(coin, bundle, prefix)
    return contract_route(inst, prefix)


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    `_event`'s rules inline for the insert/partial rows they plainly cover (known side, exact digits
    of leavesQty and price, products below 2**53 divided once by a power of ten); other frames go
    to `_parse_other`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        if frame == "pong" or frame == b"pong":
            return []
        try:
            msg = _decode_table(frame)
        except (msgspec.DecodeError, UnicodeError):
            return _parse_other(frame, recv_ts, cat, max_usd, min_ts)
        if msg.table != "liquidation":
            return []
        rows = msg.data
        if rows is None or msg.action not in COUNTED_ACTIONS:
            return _parse_other(frame, recv_ts, cat, max_usd, min_ts)
        routes: dict[object, Route] = cat.memo(VENUE)  # type: ignore[assignment]
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
            side = SIDES.get(row.side)
            qty: float | None = None
            usd: float | None = None
            # leavesQty's digits: an integer below 2**53 is its own
            plain = 0.0 < price < INF and 0.0 < contracts < EXACT_INT and contracts.is_integer()
            if not plain:
                pass
            elif mode == INVERSE:
                value = contracts * size_digits
                qty = value / POW10[size_places] / price if value < EXACT_INT else 0.0
                plain = 0.0 < qty < INF
                if usd_quoted:
                    usd = value / POW10[size_places]
            elif mode == LINEAR:
                qty_digits = contracts * size_digits
                qty = qty_digits / POW10[size_places]
                plain = qty_digits < EXACT_INT
                if plain and usd_quoted:
                    found = (price, 0) if price.is_integer() and price < EXACT_INT else float_digits(price)
                    if found is None:
                        plain = False
                    else:
                        usd_digits = contracts * factor_digits * found[0]
                        places = factor_places + found[1]
                        plain = usd_digits < EXACT_INT and places < 23
                        usd = usd_digits / POW10[places] if plain else None
            else:
                plain = mode == PRICE_ONLY
            if plain and side is not None:
                coin_price = price / divisor
                event_id = prefix + row.orderID
                event = Liquidation(
                    VENUE, symbol, coin, side, coin_price, qty, usd, recv_ts, recv_ts, COMPLETE, event_id
                )
                if usd is not None and usd > max_usd:
                    check = True
            else:  # anything the plain rules do not cover: `_event` decides (or words the error)
                event = _event(row, recv_ts, cat)
                check = True
            out.append(event)
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()


def _parse_other(frame: Frame, recv_ts: int, cat: Catalogue, max_usd: float, min_ts: float) -> list[Liquidation]:
    """[] for other tables, info frames, acks, update/delete rows; BadFrame naming what is broken."""
    try:
        msg = _decode_any(frame)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"bitmex: {exc}") from None
    if msg.table != "liquidation":
        return []
    if not msg.data:
        raise BadFrame(f"bitmex: liquidation {msg.action or 'frame'} without data")
    if msg.action not in COUNTED_ACTIONS and msg.action not in IGNORED_ACTIONS:
        raise BadFrame(f"bitmex: unknown liquidation action {msg.action!r}")
    try:
        if msg.action in IGNORED_ACTIONS:
            _decode_keys(msg.data)
            return []
        rows = _decode_rows(msg.data)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"bitmex: liquidation {msg.action}: {exc}") from None
    return refuse_impossible([_event(row, recv_ts, cat) for row in rows], max_usd, min_ts)


def _event(row: Row, recv_ts: int, cat: Catalogue) -> Liquidation:
    """THE RULES: a row of an insert or partial → its event (module docstring), else BadFrame."""
    try:
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
                if not inst.price_unit > 0.0:  # a broken catalogue row sizes nothing
                    raise BadNumber(f"catalogue price unit must be positive: {inst.price_unit!r}")
                qty = _sane(exact_product(row.leavesQty, inst.contract_size), "qty")
                coin_price = price / inst.price_unit
                if inst.usd_quoted:
                    usd = _sane(exact_product(row.leavesQty, inst.contract_size / inst.price_unit, price), "usd")
            # quanto: the USD value needs the settlement coin's price → qty and usd stay None
    except BadNumber as exc:
        raise BadFrame(f"bitmex {row.symbol}: {exc}") from None
    event_id = f"{VENUE}:{row.symbol}:{row.orderID}"
    return Liquidation(VENUE, row.symbol, coin, side, coin_price, qty, usd, recv_ts, recv_ts, COMPLETE, event_id)


def _sane(value: float, what: str) -> float:  # a product or quotient of positive inputs, in range
    if not (math.isfinite(value) and value > 0):
        raise BadNumber(f"{what} out of range: {value!r}")
    return value


def is_data(frame: Frame) -> bool:
    return (b'"table"' in frame) if isinstance(frame, bytes) else ('"table"' in frame)


BITMEX_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=bitmex_rest.connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=bitmex_rest.PING_INTERVAL_S, ping=bitmex_rest.ping),
    silence_s=30.0,
    instrument_requests=bitmex_rest.instrument_requests,
    parse_instruments=bitmex_rest.parse_instruments,
    notes=(
        "BitMEX publishes no liquidation timestamp (receive time is used) and sizes orders by their "
        "open quantity at insert; quanto contracts (e.g. ETHUSD) have no USD value."
    ),
    checked_parse=parser,
)
