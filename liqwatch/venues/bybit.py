"""Bybit v5 (`bybit`): `allLiquidation.{symbol}` on the linear and inverse public streams.

Docs: https://bybit-exchange.github.io/docs/v5/websocket/public/all-liquidation
      https://bybit-exchange.github.io/docs/v5/market/instrument
      https://bybit-exchange.github.io/docs/v5/ws/connect

Side: `S` is the side of the liquidated POSITION (doc: "When you receive a Buy update, this means
  that a long position has been liquidated"): Buy → long, Sell → short. The opposite of Binance's
  raw value. The deprecated `liquidation.{symbol}` topic and the pre-v5 (v2) `liquidation.{symbol}`
  frames use the same rule for their `side` field (tardis-node, quoting Bybit support).
Size: `v` is the executed size, `p` the BANKRUPTCY price (not a fill price).
  Linear (USDT/USDC perpetuals and futures): v is in base coin → usd = v × p.
    Bundled coins (1000PEPEUSDT, 1000000MOGUSDT, and the suffix form SHIB1000USDT) quote a bundle:
    qty = v × bundle coins, price = p / bundle; usd = v × p is unchanged.
  Inverse (BTCUSD, BTCUSDH25, …): v is in contracts of 1 USD → usd = v, qty = v / p.
  Linear vs inverse comes from the catalogue (`contractType` of /v5/market/instruments-info), else
  from the documented symbol convention (`derive`).
Coverage: complete. `allLiquidation` pushes every liquidation, batched every 500 ms (one frame
  may carry several entries, each becomes an event). The deprecated v5 `liquidation.{symbol}`
  (pushed at most one per second per symbol, removed from the docs 2025-11-19) and the pre-v5
  v2 frames are parsed too, so old captures import; their events are tagged "sampled".
Id: `bybit:{s}:{T}:{S}:{v}:{p}` (research §0.5; v and p as canonical decimals, venues/ids.py, so
  Bybit's "45171.00" and Tardis's "45171" agree); the deprecated/legacy frames use the same fields
  under their own names (symbol, updatedTime/time, side, size/qty, price).
Subscriptions: one topic per symbol, no wildcard. The symbols come from the catalogue (refreshed
  from the instruments endpoint), split into the linear and the inverse connection, else a short
  default list. One subscribe request's `args` array must stay within 21,000 characters, so the
  topics are split over several requests. A `tickers.*` topic on each connection ticks every
  100 ms and proves the socket alive between liquidations.
Legacy pre-v5 frames (tardis 2021 capture: `{"topic":"liquidation.BTCUSDT","data":{"symbol",
  "side","price","qty","time"}}`) differ from the deprecated v5 shape only in field names (`qty`
  for `size`, `time` for `updatedTime`), so they are read by the same struct.
UNCONFIRMED: whether the server still serves the deprecated `liquidation.{symbol}` topic (we do not
  subscribe to it); the exact limit wording ("args array ≤ 21,000 characters") — we count the
  JSON-encoded array, which is the stricter reading (`MAX_ARGS_CHARS`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Literal

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin
from liqwatch.model import COMPLETE, LONG, SAMPLED, SHORT, Coverage, Liquidation
from liqwatch.numbers import EXACT_INT, MAX_DIGITS, POW10, BadNumber, exact_product2, positive, text_of
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
from liqwatch.venues.ids import number_key

VENUE = "bybit"

URLS = {
    "linear": "wss://stream.bybit.com/v5/public/linear",
    "inverse": "wss://stream.bybit.com/v5/public/inverse",
}
REST = "https://api.bybit.com"

# Position side → liquidated side (Buy = a long was liquidated).
SIDES = {"Buy": LONG, "Sell": SHORT}
# The whole `args` array of one subscribe request must stay within this many characters.
MAX_ARGS_CHARS = 21_000
# Subscribed on a connection whose kind the catalogue lists no Bybit symbols for.
DEFAULT_SYMBOLS = {
    "linear": ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "BNBUSDT", "1000PEPEUSDT", "SHIB1000USDT"),
    "inverse": ("BTCUSD", "ETHUSD", "XRPUSD"),
}
# Companion topic per connection: ticks every 100 ms, so a silent socket is detected.
COMPANION = {"linear": "tickers.BTCUSDT", "inverse": "tickers.BTCUSD"}

LIQ_TOPIC = "allLiquidation."
OLD_TOPIC = "liquidation."  # deprecated v5 and pre-v5 (v2): at most one per second per symbol

_LINEAR_QUOTES = ("USDT", "USDC")
# USDT/USDC-dated linear futures: "BTCUSDT-26DEC25", "BTC-26DEC25" (USDC).
_DATED = re.compile(r"^([A-Z0-9]+)-(\d{1,2}[A-Z]{3}\d{2})$")
# Inverse futures: "BTCUSDH25" (USD + futures month code + year).
_INVERSE_DATED = re.compile(r"^([A-Z0-9]+)USD[FGHJKMNQUVXZ]\d{2}$")
# Bybit also writes the bundle after the coin: "SHIB1000" = 1000 SHIB.
_SUFFIX_BUNDLE = re.compile(r"^([A-Z]+)(10{3,})$")
_MAX_TS = 2**63 - 1
INF = math.inf


class Entry(msgspec.Struct, frozen=True):
    """One `allLiquidation` entry."""

    s: str  # symbol, e.g. ROSEUSDT, BTCUSD
    S: str  # POSITION side: Buy (a long was liquidated) or Sell (a short)
    v: str  # executed size: base coin (linear) or USD contracts of 1 USD (inverse)
    p: str  # bankruptcy price, quote per coin (per bundle for 1000PEPEUSDT)
    T: int = 0  # updated time, ms (falls back to the envelope `ts`)


class OldEntry(msgspec.Struct, frozen=True):
    """The data object of the deprecated v5 `liquidation.{symbol}` topic and of pre-v5 frames."""

    symbol: str  # symbol
    side: str  # POSITION side, same rule as `S`
    price: str | int | float  # bankruptcy price (a JSON number in v2 REST liq-records)
    size: str = ""  # deprecated v5: size, same unit as `v`
    qty: str | int | float = ""  # pre-v5 (v2) name of `size` (a JSON number in v2 REST liq-records)
    updatedTime: int = 0  # deprecated v5: ms (the doc table says updateTime, every example updatedTime)
    time: int = 0  # pre-v5 (v2) name of `updatedTime`


class Envelope(msgspec.Struct, frozen=True):
    """Data pushes, subscribe acks and pongs (`{"success","ret_msg","op",…}`) in one shape."""

    topic: str = ""  # "allLiquidation.ROSEUSDT", "tickers.BTCUSDT"; absent on acks and pongs
    ts: int = 0  # push time, ms
    data: msgspec.Raw = msgspec.Raw()  # list of Entry, or one OldEntry object


_decode = msgspec.json.Decoder(Envelope).decode
_decode_entries = msgspec.json.Decoder(list[Entry]).decode
_decode_old = msgspec.json.Decoder(OldEntry | list[OldEntry]).decode


def _coin(raw_base: str) -> tuple[str, float]:
    """("PEPE", 1000) from "1000PEPE"; ("SHIB", 1000) from Bybit's suffix form "SHIB1000"."""
    suffix = _SUFFIX_BUNDLE.match(raw_base)
    if suffix:
        coin, _ = normalize_coin(suffix.group(1))
        return coin, float(suffix.group(2))
    return normalize_coin(raw_base)


def _linear(symbol: str, base: str, quote: str) -> Instrument:
    coin, bundle = _coin(base)
    return Instrument(VENUE, symbol, coin, "linear", bundle, quote, price_unit=bundle)


def _inverse(symbol: str, base: str) -> Instrument:
    coin, _ = _coin(base)
    return Instrument(VENUE, symbol, coin, "inverse", 1.0, "USD")


def derive(symbol: str) -> Instrument | None:
    """The documented symbol convention, for symbols the catalogue does not list.

    Linear: …USDT, …USDC, …PERP (USDC perpetual), …USDT-26DEC25 / BTC-26DEC25 (dated).
    Inverse: …USD, …USDH25 (USD + month code + year), 1 contract = 1 USD.
    """
    dated = _DATED.match(symbol)
    if dated:
        head = dated.group(1)
        for quote in _LINEAR_QUOTES:
            if head.endswith(quote) and len(head) > len(quote):
                return _linear(symbol, head[: -len(quote)], quote)
        return _linear(symbol, head, "USDC")
    for quote in _LINEAR_QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return _linear(symbol, symbol[: -len(quote)], quote)
    if symbol.endswith("PERP") and len(symbol) > 4:
        return _linear(symbol, symbol[:-4], "USDC")
    if symbol.endswith("USD") and len(symbol) > 3:
        return _inverse(symbol, symbol[:-3])
    inverse_dated = _INVERSE_DATED.match(symbol)
    if inverse_dated:
        return _inverse(symbol, inverse_dated.group(1))
    return None


def _parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The reference parse: every frame the fast path in `parser` does not take comes here."""
    try:
        msg = _decode(frame)
        topic = msg.topic
        if topic.startswith(LIQ_TOPIC):
            if not msg.data:
                raise BadFrame(f"bybit {topic}: no data")
            entries = _decode_entries(msg.data)
            return [_event(e.s, e.S, e.v, e.p, e.T or msg.ts, COMPLETE, recv_ts, cat) for e in entries]
        if topic.startswith(OLD_TOPIC):
            if not msg.data:
                raise BadFrame(f"bybit {topic}: no data")
            decoded = _decode_old(msg.data)
            return [
                _old_event(topic, old, recv_ts, cat) for old in (decoded if isinstance(decoded, list) else [decoded])
            ]
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"bybit: {exc}") from None
    except (BadNumber, OverflowError, IndexError) as exc:  # numbers beyond float or table range
        raise BadFrame(f"bybit: {exc}") from None
    return []


def _one(entry: _FastEntry, ts: int, recv_ts: int, cat: Catalogue) -> Liquidation:
    try:
        return _event(entry.s, entry.S, entry.v, entry.p, ts, COMPLETE, recv_ts, cat)
    except (BadNumber, OverflowError, IndexError) as exc:
        raise BadFrame(f"bybit: {exc}") from None


class _FastEntry(msgspec.Struct, frozen=True, gc=False):
    """Entry, as strict as it and stricter: sides the fast path knows (else `_parse`)."""

    s: str
    S: Literal["Buy", "Sell"]
    v: str
    p: str
    T: int = 0


class _FastEnvelope(msgspec.Struct, frozen=True, gc=False):
    """Envelope with `data` decoded as allLiquidation entries in the same pass."""

    topic: str = ""
    ts: int = 0
    data: list[_FastEntry] | None = None


_decode_fast = msgspec.json.Decoder(_FastEnvelope).decode

# How a symbol's events are computed (_event's branches, per symbol and catalogue):
_PRICE_ONLY = 0  # unknown or quanto: qty and usd None
_INVERSE = 1  # usd = v × contract value (USD quote), qty = usd / p
_LINEAR = 2  # qty = v × contract size, usd = v × p exactly (USD quote)
_SLOW = 3  # a broken catalogue entry: _event words the error
# (mode, coin, price divisor, contract_size, usd_quoted, id prefix)
_Route = tuple[int, str, float, float, bool, str]


def _route(symbol: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, symbol, derive)
    prefix = f"{VENUE}:{symbol}:"
    if inst is None:
        return (_PRICE_ONLY, symbol, 1.0, 0.0, False, prefix)
    if inst.kind == "inverse":
        return (_INVERSE, inst.coin, 1.0, inst.contract_size, inst.usd_quoted, prefix)
    if inst.kind == "linear":
        mode = _LINEAR if 0.0 < inst.price_unit < math.inf else _SLOW
        return (mode, inst.coin, inst.price_unit, inst.contract_size, inst.usd_quoted, prefix)
    return (_PRICE_ONLY, inst.coin, 1.0, 0.0, False, prefix)


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    `allLiquidation` pushes are decoded once into typed entries; per entry a fast path gives what
    `_event` gives for plain decimal v and p (`numbers.plain_digits` inline, the fast rule of
    `numbers.exact_product2`). Anything else goes to `_event`, frames of any other shape to `_parse`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        try:
            msg = _decode_fast(frame)
        except (msgspec.DecodeError, UnicodeError):
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        entries = msg.data
        if entries is None or not msg.topic.startswith(LIQ_TOPIC):
            if msg.topic.startswith(LIQ_TOPIC) or msg.topic.startswith(OLD_TOPIC):
                return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
            return []
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        short = len(frame) < MAX_DIGITS  # no digit string in it that int() would refuse
        out: list[Liquidation] = []
        check = False
        envelope_ts = msg.ts
        for entry in entries:
            symbol = entry.s
            ts = entry.T or envelope_ts
            v = entry.v
            p = entry.p
            head, _, tail = v.partition(".")
            v_digits = head + tail
            v_places = len(tail)
            head, _, tail = p.partition(".")
            p_digits = head + tail
            p_places = len(tail)
            if (
                not symbol
                or not 0 < ts <= _MAX_TS
                or not v_digits.isdecimal()
                or not p_digits.isdecimal()
                or v_places + p_places > 22
                or not (short or len(v) + len(p) < MAX_DIGITS)
            ):
                out.append(_one(entry, ts, recv_ts, cat))
                check = True
                continue
            v_value = float(v_digits)
            p_value = float(p_digits)
            product = v_value * p_value
            route = routes.get(symbol)
            if route is None:
                route = routes[symbol] = _route(symbol, cat)
            mode, coin, divisor, contract_size, usd_quoted, prefix = route
            if not 0.0 < product < EXACT_INT or mode == _SLOW:
                out.append(_one(entry, ts, recv_ts, cat))
                check = True
                continue
            size = v_value / POW10[v_places]
            price = p_value / POW10[p_places]
            coin_price = price / divisor
            qty: float | None = None
            usd: float | None = None
            if mode == _LINEAR:
                qty = size * contract_size
                if usd_quoted:
                    usd = product / POW10[v_places + p_places]
            elif mode == _INVERSE and usd_quoted:
                usd = size * contract_size
                qty = usd / price
                if not 0.0 < usd < INF:
                    out.append(_one(entry, ts, recv_ts, cat))
                    check = True
                    continue
            if not (0.0 < coin_price < INF and (qty is None or 0.0 < qty < INF)):
                out.append(_one(entry, ts, recv_ts, cat))
                check = True
                continue
            if ts < min_ts or (usd is not None and usd > max_usd):
                check = True
            # number_key without the call: v and p are plain decimal text here
            v_key = v if v[-1] not in "0." and (v[0] in "123456789" or v[1:2] == ".") and v.isascii() else number_key(v)
            p_key = p if p[-1] not in "0." and (p[0] in "123456789" or p[1:2] == ".") and p.isascii() else number_key(p)
            out.append(
                Liquidation(
                    VENUE,
                    symbol,
                    coin,
                    LONG if entry.S == "Buy" else SHORT,  # SIDES; the fast decode takes Buy and Sell only
                    coin_price,
                    qty,
                    usd,
                    ts,
                    recv_ts,
                    COMPLETE,
                    f"{prefix}{ts}:{entry.S}:{v_key}:{p_key}",
                )
            )
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()


def _old_event(topic: str, old: OldEntry, recv_ts: int, cat: Catalogue) -> Liquidation:
    """A deprecated v5 or pre-v5 entry; v2 REST liq-records (recorded as a list) carry JSON numbers."""
    size = old.size or old.qty
    if size == "":
        raise BadFrame(f"bybit {topic}: no size")
    ts = old.updatedTime or old.time
    return _event(old.symbol, old.side, text_of(size), text_of(old.price), ts, SAMPLED, recv_ts, cat)


def _event(
    symbol: str,
    side_text: str,
    size_text: str,
    price_text: str,
    ts: int,
    coverage: Coverage,
    recv_ts: int,
    cat: Catalogue,
) -> Liquidation:
    side = SIDES.get(side_text)
    if side is None:
        raise BadNumber(f"{symbol}: unknown side {side_text!r}")
    if not 0 < ts <= _MAX_TS:
        raise BadNumber(f"{symbol}: bad or missing time {ts!r}")
    if not symbol:
        raise BadNumber("empty symbol")
    size = positive(size_text, "v (size)")
    price = positive(price_text, "p (bankruptcy price)")
    inst = cat.resolve(VENUE, symbol, derive)
    usd: float | None
    qty: float | None
    if inst is None:  # not listed and not a documented symbol form: size unit unknown
        coin, coin_price, qty, usd = symbol, price, None, None
    elif inst.kind == "inverse":
        coin, coin_price = inst.coin, price
        usd = size * inst.contract_size if inst.usd_quoted else None  # contracts of 1 USD
        qty = usd / price if usd is not None else None
    elif inst.kind == "linear":
        coin = inst.coin
        coin_price = price / inst.price_unit
        qty = size * inst.contract_size
        usd = exact_product2(size_text, price_text) if inst.usd_quoted else None
    else:  # quanto: settles in another coin, Bybit lists none
        coin, coin_price, qty, usd = inst.coin, price, None, None
    _check_range(symbol, coin_price, qty, usd)
    return Liquidation(
        VENUE,
        symbol,
        coin,
        side,
        coin_price,
        qty,
        usd,
        ts,
        recv_ts,
        coverage,
        f"{VENUE}:{symbol}:{ts}:{side_text}:{number_key(size_text)}:{number_key(price_text)}",
    )


def _check_range(symbol: str, price: float, qty: float | None, usd: float | None) -> None:
    """Extreme but positive inputs can overflow to inf or underflow to 0 once multiplied."""
    for value in (price, qty, usd):
        if value is not None and not 0.0 < value < math.inf:
            raise BadNumber(f"{symbol}: size or price out of range")


def is_data(frame: Frame) -> bool:
    # Pushes carry "topic"; subscribe acks and pongs ({"success","ret_msg","op"}) do not.
    return (b'"topic"' in frame) if isinstance(frame, bytes) else ('"topic"' in frame)


def subscribe_messages(topics: list[str]) -> list[str]:
    """Subscribe requests whose encoded `args` array stays within MAX_ARGS_CHARS characters each."""
    out: list[str] = []
    batch: list[str] = []
    size = 2  # "[" and "]"
    for topic in topics:
        cost = len(msgspec.json.encode(topic)) + (1 if batch else 0)
        if batch and size + cost > MAX_ARGS_CHARS:
            out.append(msgspec.json.encode({"op": "subscribe", "args": batch}).decode())
            batch, size = [], 2
            cost -= 1
        batch.append(topic)
        size += cost
    if batch:
        out.append(msgspec.json.encode({"op": "subscribe", "args": batch}).decode())
    return out


def symbols_by_kind(cat: Catalogue) -> dict[str, list[str]]:
    """The catalogue's Bybit symbols split into the linear and inverse connections."""
    split: dict[str, list[str]] = {"linear": [], "inverse": []}
    for symbol in cat.symbols(VENUE):
        inst = cat.get(VENUE, symbol)
        if inst is not None and inst.kind in split:
            split[inst.kind].append(symbol)
    return split


def connections(urls: Mapping[str, str], cat: Catalogue) -> list[Connection]:
    listed = symbols_by_kind(cat)
    out = []
    for name in ("linear", "inverse"):
        symbols = listed[name] or list(DEFAULT_SYMBOLS[name])
        topics = [COMPANION[name]] + [LIQ_TOPIC + symbol for symbol in symbols]
        out.append(Connection(name, urls[name], subscribe_messages(topics)))
    return out


def _ping(_now_ms: int) -> str:
    return '{"op":"ping"}'


class _Instrument(msgspec.Struct):
    symbol: str
    contractType: str = ""  # LinearPerpetual, LinearFutures, InversePerpetual, InverseFutures
    status: str = ""  # Trading, PreLaunch, Delivering, Closed
    baseCoin: str = ""  # "1000PEPE" for 1000PEPEUSDT: the bundle is in the name
    quoteCoin: str = ""  # USDT, USDC (linear), USD (inverse)
    settleCoin: str = ""  # USDT, USDC, or the coin itself (inverse)


class _Result(msgspec.Struct):
    category: str = ""
    items: list[_Instrument] = msgspec.field(default_factory=list, name="list")
    nextPageCursor: str = ""


class _Response(msgspec.Struct):
    retCode: int = 0
    retMsg: str = ""
    result: _Result | None = None


_LINEAR_TYPES = frozenset({"LinearPerpetual", "LinearFutures"})
_INVERSE_TYPES = frozenset({"InversePerpetual", "InverseFutures"})


def instrument_requests() -> list[RestRequest]:
    return [
        RestRequest("/v5/market/instruments-info", {"category": category, "limit": "1000"})
        for category in ("linear", "inverse")
    ]


def parse_instruments(req: RestRequest, body: bytes) -> InstrumentsPage:
    response = msgspec.json.decode(body, type=_Response)
    if response.retCode != 0 or response.result is None:
        raise BadFrame(f"bybit instruments-info: retCode {response.retCode} {response.retMsg!r}")
    out = []
    for item in response.result.items:
        base = item.baseCoin
        if item.contractType in _LINEAR_TYPES:
            if not base or not item.quoteCoin:
                continue
            coin, bundle = _coin(base)
            out.append(Instrument(VENUE, item.symbol, coin, "linear", bundle, item.quoteCoin, bundle, "rest"))
        elif item.contractType in _INVERSE_TYPES:
            if not base:
                continue
            coin, _ = _coin(base)
            out.append(Instrument(VENUE, item.symbol, coin, "inverse", 1.0, item.quoteCoin or "USD", 1.0, "rest"))
    cursor = response.result.nextPageCursor
    following = None
    if cursor and response.result.items:
        following = RestRequest(req.path, {**req.params, "cursor": cursor})
    return InstrumentsPage(out, following)


BYBIT_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=20.0, ping=_ping),  # idle connections are cut after ~10 min
    silence_s=30.0,
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes="Bybit publishes every liquidation (allLiquidation, 500 ms batches); p is the bankruptcy price.",
    checked_parse=parser,
)
