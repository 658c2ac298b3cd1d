"""Bybit v5 (`bybit`): `allLiquidation.{symbol}` on the linear and inverse public streams.

Docs: https://bybit-exchange.github.io/docs/v5/websocket/public/all-liquidation
      https://bybit-exchange.github.io/docs/v5/market/instrument (bybit_rest.py)
      https://bybit-exchange.github.io/docs/v5/ws/connect

Side: `S` is the side of the liquidated POSITION (doc: "When you receive a Buy update, this means
  that a long position has been liquidated"): Buy → long, Sell → short, the opposite of Binance's
  raw value. The deprecated `liquidation.{symbol}` topic and pre-v5 (v2) `liquidation.{symbol}`
  frames use the same rule for their `side` (tardis-node, quoting Bybit support).
Size: `v` is the executed size, `p` the BANKRUPTCY price (not a fill price).
  Linear (USDT/USDC perpetuals and futures): v in base coin → usd = v × p (exact product).
    Bundled coins (1000PEPEUSDT, 1000000MOGUSDT, suffix form SHIB1000USDT) quote a bundle:
    qty = v × bundle coins, price = p / bundle; usd = v × p is unchanged.
  Inverse (BTCUSD, BTCUSDH25, …): v in contracts of 1 USD → usd = v, qty = v / p.
  Linear vs inverse: the catalogue (`contractType` of /v5/market/instruments-info), else the
  documented symbol convention (`derive`); neither → unpriced (venues/base.py UNLISTED SYMBOLS).
Coverage: complete. `allLiquidation` pushes every liquidation, batched every 500 ms (a frame may
  carry several entries: each is an event). The deprecated v5 and pre-v5 `liquidation.{symbol}`
  frames (bybit_legacy.py) are parsed too, so old captures import; their events are "sampled".
Id: `bybit:{s}:{T}:{S}:{v}:{p}` (research §0.5; v and p canonical, venues/ids.py, so Bybit's
  "45171.00" and Tardis's "45171" agree); T falls back to the envelope `ts`.
Subscriptions: one topic per symbol, no wildcard, a `tickers.*` topic per connection proves it
  alive; requests split to keep `args` within 21,000 characters (bybit_subscribe.py, UNCONFIRMED
  wording). Heartbeat: `{"op":"ping"}` every 20 s (idle connections are cut after ~10 min).
UNCONFIRMED: whether the server still serves the deprecated `liquidation.{symbol}` topic (we do not
  subscribe to it).
"""

from __future__ import annotations

import math
from decimal import Decimal

import msgspec

from liqwatch.instruments import Catalogue
from liqwatch.model import COMPLETE, LONG, SAMPLED, SHORT, Coverage, Liquidation
from liqwatch.numbers import EXACT_DECIMAL, POW10, BadNumber, positive, text_of
from liqwatch.venues.base import BadFrame, Frame, Heartbeat, Parse, VenueSpec, refuse_impossible
from liqwatch.venues.bybit_legacy import OLD_TOPIC, OldEntry, old_entries
from liqwatch.venues.bybit_rest import derive as derive  # re-exported: sim/tape.py, tests
from liqwatch.venues.bybit_rest import instrument_requests, parse_instruments
from liqwatch.venues.bybit_subscribe import connections
from liqwatch.venues.ids import number_key

VENUE = "bybit"

URLS = {"linear": "wss://stream.bybit.com/v5/public/linear", "inverse": "wss://stream.bybit.com/v5/public/inverse"}
REST = "https://api.bybit.com"

SIDES = {"Buy": LONG, "Sell": SHORT}  # position side → liquidated side
LIQ_TOPIC = "allLiquidation."

_MAX_TS = 2**63 - 1
_EXACT_INT = 2**53  # integers below this are exact in a double
INF = math.inf


class Entry(msgspec.Struct, frozen=True, gc=False):  # one `allLiquidation` entry
    s: str  # symbol, e.g. ROSEUSDT, BTCUSD
    S: str  # POSITION side: Buy (a long was liquidated) or Sell (a short)
    v: str  # executed size: base coin (linear) or USD contracts of 1 USD (inverse)
    p: str  # bankruptcy price, quote per coin (per bundle for 1000PEPEUSDT)
    T: int = 0  # updated time, ms (else the envelope `ts`)


class Push(msgspec.Struct, frozen=True, gc=False):  # allLiquidation entries or an OldEntry, in one pass
    topic: str = ""  # "allLiquidation.ROSEUSDT", "tickers.BTCUSDT"; absent on acks and pongs
    ts: int = 0  # push time, ms
    data: list[Entry] | OldEntry | None = None


class Envelope(msgspec.Struct, frozen=True):  # any frame (acks, pongs too), `data` left undecoded
    topic: str = ""
    ts: int = 0
    data: msgspec.Raw = msgspec.Raw()


_decode_push = msgspec.json.Decoder(Push).decode
_decode_any = msgspec.json.Decoder(Envelope).decode
_decode_entries = msgspec.json.Decoder(list[Entry]).decode


# Per symbol and catalogue: (mode, coin, price divisor, contract size, usd_quoted, id prefix).
_Route = tuple[int, str, float, float, bool, str]
PRICE_ONLY, INVERSE, LINEAR = 0, 1, 2


def _route(symbol: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, symbol, derive)
    prefix = f"{VENUE}:{symbol}:"
    if inst is None:  # not listed and not a documented form: size unit unknown, stored unpriced
        return (PRICE_ONLY, symbol, 1.0, 0.0, False, prefix)
    if inst.kind == "inverse":
        return (INVERSE, inst.coin, 1.0, inst.contract_size, inst.usd_quoted, prefix)
    if inst.kind == "linear":
        unit = inst.price_unit if 0.0 < inst.price_unit < INF else math.nan  # broken: no price is right
        return (LINEAR, inst.coin, unit, inst.contract_size, inst.usd_quoted, prefix)
    return (PRICE_ONLY, inst.coin, 1.0, 0.0, False, prefix)  # quanto: Bybit lists none


def parser(max_usd: float = INF, min_ts: float = -INF) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    `_event`'s rules inline for the entries they plainly cover (listed symbol, known side, plain
    decimal v and p whose digit product is exact in a double: `numbers.exact_product2`'s fast
    rule); a push with any other goes whole to `_all_events`, other frames to `_parse_other`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        try:
            msg = _decode_push(frame)
        except (msgspec.DecodeError, UnicodeError):
            return refuse_impossible(_parse_other(frame, recv_ts, cat), max_usd, min_ts)
        entries = msg.data
        topic = msg.topic
        if not isinstance(entries, list) or not topic.startswith(LIQ_TOPIC):
            if isinstance(entries, OldEntry) and topic.startswith(OLD_TOPIC):
                return refuse_impossible([_old_event(topic, entries, recv_ts, cat)], max_usd, min_ts)
            if topic.startswith(LIQ_TOPIC) or topic.startswith(OLD_TOPIC):
                return refuse_impossible(_parse_other(frame, recv_ts, cat), max_usd, min_ts)
            return []
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        out = []
        check = False
        for entry in entries:
            # the rules of `_event`, inline for speed; any entry they do not plainly cover is `_event`'s
            symbol = entry.s
            side_text = entry.S
            v = entry.v
            p = entry.p
            ts = entry.T or msg.ts
            v_head, _, v_tail = v.partition(".")
            p_head, _, p_tail = p.partition(".")
            v_digits = v_head + v_tail
            p_digits = p_head + p_tail
            digits = v_digits + p_digits
            v_places = len(v_tail)
            p_places = len(p_tail)
            places = v_places + p_places
            try:
                route = routes[symbol]
            except KeyError:
                route = None
            side = LONG if side_text == "Buy" else SHORT if side_text == "Sell" else None  # SIDES
            plain = digits.isascii() and digits.isdecimal()
            try:  # int() reads digits faster than float() does
                v_value = int(v_digits)
                p_value = int(p_digits)
            except ValueError:  # not a number, an empty v or p, more digits than int() reads
                v_value = p_value = 0
            product = v_value * p_value
            if (
                route is None
                or side is None
                or not (0 < ts <= _MAX_TS and plain and places < 23 and 0 < product < _EXACT_INT)
            ):
                return _all_events(entries, msg.ts, recv_ts, cat, max_usd, min_ts)
            mode, coin, divisor, contract_size, usd_quoted, prefix = route
            size = v_value / POW10[v_places]
            price = p_value / POW10[p_places]
            usd: float | None = None
            qty: float | None = None
            if mode == LINEAR:
                qty = size * contract_size
                if usd_quoted:
                    usd = product / POW10[places]  # exact: every factor below 2**53
            elif mode == INVERSE and usd_quoted:
                usd = size * contract_size
                qty = usd / price
            coin_price = price / divisor
            if not (0.0 < coin_price < INF and (qty is None or 0.0 < qty < INF)):
                return _all_events(entries, msg.ts, recv_ts, cat, max_usd, min_ts)
            # ids.number_key inline for ASCII digits with at most one point: `x >= "1"` says x[0] is
            # 1-9, `"0." <= x < "0/"` that x starts with "0."; trailing zeros and point dropped
            if not (v >= "1" or "0." <= v < "0/"):
                v = number_key(v)
            elif v[-1] <= "0" and "." in v:
                v = v.rstrip("0").rstrip(".")
            if not (p >= "1" or "0." <= p < "0/"):
                p = number_key(p)
            elif p[-1] <= "0" and "." in p:
                p = p.rstrip("0").rstrip(".")
            if ts < min_ts or (usd is not None and usd > max_usd):
                check = True
            event_id = f"{prefix}{ts}:{side_text}:{v}:{p}"
            out.append(Liquidation(VENUE, symbol, coin, side, coin_price, qty, usd, ts, recv_ts, COMPLETE, event_id))
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


def _parse_other(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """Frames the typed decode does not take: deprecated/legacy pushes (v2 lists too), acks and
    other topics ([]), and broken liquidation frames (BadFrame naming what is wrong)."""
    try:
        msg = _decode_any(frame)
        topic = msg.topic
        if topic.startswith(LIQ_TOPIC):
            if not msg.data:
                raise BadFrame(f"bybit {topic}: no data")
            return _all_events(_decode_entries(msg.data), msg.ts, recv_ts, cat)
        if topic.startswith(OLD_TOPIC):
            return [_old_event(topic, old, recv_ts, cat) for old in old_entries(topic, msg.data)]
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"bybit: {exc}") from None
    return []


parse = parser()


def _all_events(
    entries: list[Entry], push_ts: int, recv_ts: int, cat: Catalogue, max_usd: float = INF, min_ts: float = -INF
) -> list[Liquidation]:
    out = [_event(e.s, e.S, e.v, e.p, e.T or push_ts, COMPLETE, recv_ts, cat) for e in entries]
    return refuse_impossible(out, max_usd, min_ts)


def _old_event(topic: str, old: OldEntry, recv_ts: int, cat: Catalogue) -> Liquidation:
    size = old.size or old.qty
    if size == "":
        raise BadFrame(f"bybit {topic}: no size")
    ts = old.updatedTime or old.time
    return _event(old.symbol, old.side, text_of(size), text_of(old.price), ts, SAMPLED, recv_ts, cat)


def _event(
    symbol: str, side_text: str, v: str, p: str, ts: int, coverage: Coverage, recv_ts: int, cat: Catalogue
) -> Liquidation:
    """The rules: one entry (v and p as text, JSON numbers by their repr) → its event, or BadFrame."""
    try:
        side = SIDES.get(side_text)
        if side is None:
            raise BadNumber(f"{symbol}: unknown side {side_text!r}")
        if not 0 < ts <= _MAX_TS:
            raise BadNumber(f"{symbol}: bad or missing time {ts!r}")
        if not symbol:
            raise BadNumber("empty symbol")
        size = positive(v, "v (size)")
        price = positive(p, "p (bankruptcy price)")
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        route = routes.get(symbol) or routes.setdefault(symbol, _route(symbol, cat))
        mode, coin, divisor, contract_size, usd_quoted, _ = route
        qty: float | None = None
        usd: float | None = None
        if mode == INVERSE and usd_quoted:  # contracts of 1 USD
            usd = size * contract_size
            qty = usd / price
        elif mode == LINEAR:
            qty = size * contract_size
            usd = float(EXACT_DECIMAL.multiply(Decimal(v), Decimal(p))) if usd_quoted else None  # exact, rounded once
        coin_price = price / divisor
        for value in (coin_price, qty, usd):  # extreme inputs over/underflow once multiplied
            if value is not None and not 0.0 < value < INF:
                raise BadNumber(f"{symbol}: size or price out of range")
    except (BadNumber, ArithmeticError) as exc:  # ArithmeticError: decimal signals, overflow
        raise BadFrame(f"bybit: {exc}") from None
    event_id = f"{VENUE}:{symbol}:{ts}:{side_text}:{number_key(v)}:{number_key(p)}"
    return Liquidation(VENUE, symbol, coin, side, coin_price, qty, usd, ts, recv_ts, coverage, event_id)


def is_data(frame: Frame) -> bool:
    # Pushes carry "topic"; subscribe acks and pongs ({"success","ret_msg","op"}) do not.
    return (b'"topic"' in frame) if isinstance(frame, bytes) else ('"topic"' in frame)


BYBIT_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(
        interval_s=20.0, ping=lambda _now_ms: '{"op":"ping"}'
    ),  # idle connections are cut after ~10 min
    silence_s=30.0,
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes="Bybit publishes every liquidation (allLiquidation, 500 ms batches); p is the bankruptcy price.",
    checked_parse=parser,
)
