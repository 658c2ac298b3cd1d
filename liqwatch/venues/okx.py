"""OKX v5 (`okx`): the `liquidation-orders` channel of the public WebSocket, keyed by instType.

Docs: https://www.okx.com/docs-v5/en/#public-data-websocket-liquidation-orders-channel
      https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments
      https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders
      https://www.okx.com/docs-v5/en/#overview-websocket-connect (30 s idle cut, text ping/pong)

Side: `posSide` first: in hedge mode it is `long`/`short` and IS the liquidated position. In one-way
  mode (`net`, or empty) `side` is the liquidation ORDER side: sell closes a long → long, buy closes
  a short → short.
Size: `sz` is in CONTRACTS for SWAP/FUTURES, `bkPx` the bankruptcy price (quote per coin).
  linear  (ctType linear, ctValCcy = the base coin): qty = sz × ctVal × ctMult, usd = qty × bkPx
          (one exact product sz × ctVal × ctMult × bkPx; settlement in USDT/USDC counts as USD).
  inverse (ctType inverse, ctValCcy USD): usd = sz × ctVal × ctMult, qty = usd / bkPx.
  MARGIN: `sz` is in base currency (the documented convention, `derive`): qty = sz, usd = sz × bkPx.
  Contract values come from the catalogue (instruments endpoint, or the bundled snapshot). Linear
  contract values differ per coin and have no convention, so an unknown linear SWAP/FUTURES
  instrument gives usd None and qty None — never a guess. Inverse (coin-margined, `-USD-`) contracts
  follow OKX's long-standing convention of 100 USD for BTC and 10 USD for every other coin (captured
  instruments 2022, research §4): that rule (`INVERSE_USD`) prices expired futures, which the
  instruments endpoint no longer lists, when old captures are imported.
  OPTION entries (we do not subscribe) are skipped: `bkPx` is a premium.
Every entry of `data[]` and every entry of each `details[]` is one liquidation (peers that read
  only details[0] drop the rest).
Coin: the first part of instId (BTC-USDT-SWAP → BTC, XRP-USD-230929 → XRP). ts: `details[].ts`.
Coverage: sampled. The doc: "This data doesn't represent the total number of liquidations on OKX";
  older sources say at most one order per contract per second. Pushes are not in time order.
Id: `okx:{instId}:{ts}:{long|short}:{sz}:{bkPx}` (venues/ids.py: the liquidated POSITION side, not
  side/posSide, which Tardis rows do not carry; sz and bkPx as canonical decimals).
  The first push after subscribing can replay recent liquidations (tardis-node drops it): the ids
  are stable, so a replay, a reconnect or the REST backfill overlapping the stream is stored once.
Heartbeat: OKX cuts a connection that receives nothing for 30 s; the client sends the TEXT `ping`
  every 20 s and the server answers the text `pong` (not JSON: `parse` returns [] for it).
  The companion `mark-price` channel for BTC-USDT-SWAP pushes when the mark price changes (BTC's
  moves many times a minute), so a silent-but-open socket is detected within `silence_s`.
REST backfill: `GET /api/v5/public/liquidation-orders` (about the last day, ≤100 rows a call,
  instFamily/uly and state required for SWAP/FUTURES). The response rows have the WS `data[]`
  shape (plus `totalLoss`): `parse_rest_liquidations` reuses the per-entry logic.
UNCONFIRMED: the verbatim REST response (research holds an assembled shape only); the coverage
  rule (≤1 per contract per second?) and the first-message replay.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import msgspec

from liqwatch.instruments import Catalogue, Instrument, Kind, normalize_coin
from liqwatch.model import LONG, SAMPLED, SHORT, Liquidation, Side
from liqwatch.numbers import EXACT_INT, MAX_DIGITS, POW10, BadNumber, exact_digits, exact_product, positive
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
from liqwatch.venues.routes import contract_amounts, in_range

VENUE = "okx"

URLS = {"public": "wss://ws.okx.com:8443/ws/v5/public"}
REST = "https://www.okx.com"

CHANNEL = "liquidation-orders"
INST_TYPES = ("SWAP", "FUTURES")  # one subscription per instType covers every instrument of it
COMPANION = {"channel": "mark-price", "instId": "BTC-USDT-SWAP"}
INSTRUMENTS_PATH = "/api/v5/public/instruments"
LIQUIDATIONS_PATH = "/api/v5/public/liquidation-orders"

# Hedge mode: posSide names the liquidated position.
POSITION_SIDES: dict[str, Side] = {"long": LONG, "short": SHORT}
# One-way mode (posSide "net" or empty): side is the liquidation ORDER side; sell closes a long.
ORDER_SIDES: dict[str, Side] = {"sell": LONG, "buy": SHORT}
ONE_WAY = frozenset({"net", ""})
INF = math.inf

_MAX_MS_DIGITS = 15  # ms timestamps have 13 digits until the year 2286


class Detail(msgspec.Struct, frozen=True):
    sz: str  # size: contracts (SWAP/FUTURES/OPTION) or base currency (MARGIN), decimal text
    bkPx: str  # bankruptcy price ("liquidation mark price"), quote currency per coin, decimal text
    ts: str  # liquidation time, ms since epoch, decimal text
    side: str = ""  # liquidation ORDER side: buy | sell (FUTURES/SWAP)
    posSide: str = ""  # position side: long | short (hedge mode), net (one-way mode)
    bkLoss: str = ""  # bankruptcy loss, settlement currency (not used)
    ccy: str = ""  # MARGIN only: the currency of the liquidated position (not used)


class Entry(msgspec.Struct, frozen=True):
    instId: str  # instrument id: BTC-USDT-SWAP, XRP-USD-230929, BTC-USDT (MARGIN)
    details: list[Detail]  # one element per liquidation order
    instType: str = ""  # SWAP | FUTURES | MARGIN | OPTION
    instFamily: str = ""  # e.g. BTC-USDT
    uly: str = ""  # underlying, e.g. BTC-USDT
    totalLoss: str = ""  # REST only: total bankruptcy loss (not used)


class Arg(msgspec.Struct, frozen=True):
    channel: str = ""  # liquidation-orders | mark-price | …
    instType: str = ""  # liquidation-orders: SWAP | FUTURES | MARGIN | OPTION
    instId: str = ""  # mark-price: the instrument


class Push(msgspec.Struct, frozen=True):
    """Data pushes (`arg` + `data`), subscribe acks and errors (`event`) in one shape."""

    arg: Arg | None = None
    data: msgspec.Raw = msgspec.Raw()  # decoded as list[Entry] only for liquidation-orders
    event: str = ""  # subscribe | unsubscribe | error | notice: control frames
    code: str = ""  # error code (event error)
    msg: str = ""  # error message (event error)


class RestLiquidations(msgspec.Struct, frozen=True):
    code: str  # "0" = success
    data: list[Entry] = []
    msg: str = ""


_decode_push = msgspec.json.Decoder(Push).decode
_decode_entries = msgspec.json.Decoder(list[Entry]).decode
_decode_rest = msgspec.json.Decoder(RestLiquidations).decode


INVERSE_USD = {"BTC": 100.0}  # USD per inverse contract; every other coin: INVERSE_USD_OTHER
INVERSE_USD_OTHER = 10.0


def derive(symbol: str) -> Instrument | None:
    """MARGIN instIds (BASE-QUOTE): `sz` is base currency. Inverse BASE-USD-…: the USD convention.

    Linear SWAP/FUTURES sizes: catalogue only.
    """
    parts = symbol.split("-")
    if len(parts) == 3 and parts[1] == "USD" and parts[0]:
        coin, _ = normalize_coin(parts[0])
        return Instrument(VENUE, symbol, coin, "inverse", INVERSE_USD.get(coin, INVERSE_USD_OTHER), "USD")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    coin, bundle = normalize_coin(parts[0])
    return Instrument(VENUE, symbol, coin, "linear", bundle, parts[1], price_unit=bundle)


def liquidated_side(side: str, pos_side: str) -> Side:
    """The side of the liquidated POSITION from an OKX detail's `side` and `posSide`."""
    if side not in ORDER_SIDES and side != "":
        raise BadNumber(f"unknown side {side!r}")
    position = POSITION_SIDES.get(pos_side)
    if position is not None:
        return position
    if pos_side not in ONE_WAY:
        raise BadNumber(f"unknown posSide {pos_side!r}")
    order = ORDER_SIDES.get(side)
    if order is None:
        raise BadNumber(f"no side for a one-way (posSide {pos_side!r}) liquidation")
    return order


def milliseconds(text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_MS_DIGITS:
        raise BadNumber(f"{what} is not a ms timestamp: {text!r}")
    value = int(text)
    if value <= 0:
        raise BadNumber(f"{what} must be positive: {text!r}")
    return value


def _inst_type(entry: Entry | _FastEntry, pushed_type: str) -> str:
    if entry.instType:
        return entry.instType
    if pushed_type:
        return pushed_type
    parts = entry.instId.split("-")
    if len(parts) == 2:
        return "MARGIN"
    if len(parts) == 5:
        return "OPTION"
    return "SWAP" if parts[-1] == "SWAP" else "FUTURES"


def _liquidation(entry: Entry | _FastEntry, detail: Detail | _FastDetail, recv_ts: int, cat: Catalogue) -> Liquidation:
    side = liquidated_side(detail.side, detail.posSide)
    price = positive(detail.bkPx, "bkPx")
    positive(detail.sz, "sz")
    ts = milliseconds(detail.ts, "ts")
    inst = cat.resolve(VENUE, entry.instId, derive)
    qty: float | None = None
    usd: float | None = None
    if inst is None:
        coin, bundle = normalize_coin(entry.instId.split("-", 1)[0])
        coin_price = price / bundle
    else:
        coin = inst.coin
        coin_price, qty, usd = contract_amounts(inst, detail.sz, detail.bkPx, price)
    return Liquidation(
        venue=VENUE,
        symbol=entry.instId,
        coin=coin,
        side=side,
        price=coin_price,
        qty=in_range(qty, "qty"),
        usd=in_range(usd, "usd"),
        ts=ts,
        recv_ts=recv_ts,
        coverage=SAMPLED,
        id=f"{VENUE}:{entry.instId}:{ts}:{side}:{number_key(detail.sz)}:{number_key(detail.bkPx)}",
    )


def events(entries: list[Entry], pushed_type: str, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """One event per detail of every entry (OPTION entries skipped)."""
    out: list[Liquidation] = []
    for entry in entries:
        if _inst_type(entry, pushed_type) == "OPTION":
            continue
        for detail in entry.details:
            try:
                out.append(_liquidation(entry, detail, recv_ts, cat))
            except (BadNumber, ValueError, OverflowError) as exc:
                raise BadFrame(f"okx {entry.instId}: {exc}") from None
    return out


def _parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The reference parse: every frame the fast path in `parser` does not take comes here."""
    if frame == "pong" or frame == b"pong":
        return []
    try:
        push = _decode_push(frame)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"okx: {exc}") from None
    arg = push.arg
    if push.event or arg is None or arg.channel != CHANNEL:
        return []
    if not push.data:
        raise BadFrame("okx: liquidation-orders push without data")
    try:
        entries = _decode_entries(push.data)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"okx: {exc}") from None
    return events(entries, arg.instType, recv_ts, cat)


class _FastDetail(msgspec.Struct, frozen=True, gc=False):
    """Detail, as strict as it and stricter: sides the fast path knows (else `_parse`)."""

    sz: str
    bkPx: str
    ts: str
    side: Literal["buy", "sell", ""] = ""
    posSide: Literal["long", "short", "net", ""] = ""
    bkLoss: str = ""
    ccy: str = ""


class _FastEntry(msgspec.Struct, frozen=True, gc=False):
    instId: str
    details: list[_FastDetail]
    instType: str = ""
    instFamily: str = ""
    uly: str = ""
    totalLoss: str = ""


class _FastPush(msgspec.Struct, frozen=True, gc=False):
    """Push with `data` decoded in the same pass (fields and types as Push, data as entries)."""

    arg: Arg | None = None
    data: list[_FastEntry] | None = None
    event: str = ""
    code: str = ""
    msg: str = ""


_decode_fast = msgspec.json.Decoder(_FastPush).decode

# Liquidated side by posSide, then side (liquidated_side as a table; absent pairs are errors).
_SIDES: dict[str, dict[str, Side]] = {
    "long": {"buy": LONG, "sell": LONG, "": LONG},
    "short": {"buy": SHORT, "sell": SHORT, "": SHORT},
    "net": ORDER_SIDES,
    "": ORDER_SIDES,
}

# How an instrument's events are computed (_liquidation's branches, per instId and catalogue):
_PRICE_ONLY = 0  # unknown size (unlisted, quanto, inverse not in USD): qty and usd None
_INVERSE = 1  # usd = sz × contract value, qty = usd / price
_LINEAR = 2  # qty = sz × contract value (no USD quote)
_LINEAR_USD = 3  # qty = sz × contract value, usd = qty × bkPx (÷ price_unit)
_SLOW = 4  # a contract value whose digits are not exact in a double: _liquidation decides
# (mode, coin, price divisor, contract value digits, their places, price_unit, id prefix)
_Route = tuple[int, str, float, float, int, float, str]


def _route(inst_id: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, inst_id, derive)
    prefix = f"{VENUE}:{inst_id}:"
    if inst is None:
        coin, bundle = normalize_coin(inst_id.split("-", 1)[0])
        return (_PRICE_ONLY, coin, bundle, 0.0, 0, 1.0, prefix)
    size = exact_digits(inst.contract_size)  # as exact_product reads it
    size_digits, size_places = size if size is not None else (0.0, 0)
    if not 0.0 < inst.price_unit < INF:  # a broken catalogue entry: _liquidation words the error
        return (_SLOW, inst.coin, 1.0, 0.0, 0, 1.0, prefix)
    if inst.kind == "inverse":
        mode = (_INVERSE if size else _SLOW) if inst.usd_quoted else _PRICE_ONLY
        return (mode, inst.coin, 1.0, size_digits, size_places, 1.0, prefix)
    if inst.kind == "linear":
        mode = (_LINEAR_USD if inst.usd_quoted else _LINEAR) if size else _SLOW
        return (mode, inst.coin, inst.price_unit, size_digits, size_places, inst.price_unit, prefix)
    return (_PRICE_ONLY, inst.coin, inst.price_unit, 0.0, 0, 1.0, prefix)


def _one(entry: Entry | _FastEntry, detail: Detail | _FastDetail, recv_ts: int, cat: Catalogue) -> Liquidation:
    try:
        return _liquidation(entry, detail, recv_ts, cat)
    except (BadNumber, ValueError, OverflowError) as exc:
        raise BadFrame(f"okx {entry.instId}: {exc}") from None


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    One decode into typed structs, then per detail a fast path that gives what `_liquidation`
    gives (`numbers.plain_digits` inline: plain decimal sz and bkPx whose digit products with the
    contract value are exact); anything else goes to `_liquidation`, frames of any other shape
    to `_parse`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        if frame == "pong" or frame == b"pong":
            return []
        try:
            push = _decode_fast(frame)
        except (msgspec.DecodeError, UnicodeError):
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        arg = push.arg
        if push.event or arg is None or arg.channel != CHANNEL:
            return []
        entries = push.data
        if entries is None:
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        short = len(frame) < MAX_DIGITS  # no digit string in it that int() would refuse
        out: list[Liquidation] = []
        check = False
        for entry in entries:
            if (entry.instType or arg.instType or _inst_type(entry, "")) == "OPTION":
                continue
            inst_id = entry.instId
            route = routes.get(inst_id)
            if route is None:
                route = routes[inst_id] = _route(inst_id, cat)
            mode, coin, divisor, size_digits, size_places, price_unit, prefix = route
            for detail in entry.details:
                side = _SIDES[detail.posSide].get(detail.side)
                sz = detail.sz
                px = detail.bkPx
                ts_text = detail.ts
                head, _, tail = sz.partition(".")
                sz_digits = head + tail
                sz_places = len(tail)
                if (
                    side is None
                    or mode == _SLOW
                    or not sz_digits.isdecimal()
                    or not ts_text.isdigit()
                    or not ts_text.isascii()
                    or len(ts_text) > _MAX_MS_DIGITS
                    or not (short or len(sz) + len(px) < MAX_DIGITS)
                ):
                    out.append(_one(entry, detail, recv_ts, cat))
                    check = True
                    continue
                ts = int(ts_text)
                sz_value = float(sz_digits)
                qty: float | None
                usd: float | None
                if mode == _LINEAR_USD:
                    head, _, tail = px.partition(".")
                    px_digits = head + tail
                    px_places = len(tail)
                    places = sz_places + size_places
                    qty_digits = sz_value * size_digits
                    px_value = float(px_digits) if px_digits.isdecimal() else 0.0
                    usd_digits = qty_digits * px_value
                    if not (0.0 < usd_digits < EXACT_INT and places + px_places < 23 and ts > 0):
                        out.append(_one(entry, detail, recv_ts, cat))
                        check = True
                        continue
                    price = px_value / POW10[px_places]
                    # number_key without the call: px is plain decimal text here
                    px_key = (
                        px
                        if px[-1] not in "0." and (px[0] in "123456789" or px[1:2] == ".") and px.isascii()
                        else number_key(px)
                    )
                    qty = qty_digits / POW10[places]
                    usd = usd_digits / POW10[places + px_places]
                    if price_unit != 1.0:
                        usd /= price_unit
                        if not 0.0 < usd < INF:
                            out.append(_one(entry, detail, recv_ts, cat))
                            check = True
                            continue
                else:
                    try:
                        price = float(px)
                    except ValueError:
                        price = 0.0
                    qty = usd = None
                    plain = (
                        px != "" and px[-1] not in "0." and (px[0] in "123456789" or px[1:2] == ".") and px.isascii()
                    )
                    px_key = px if plain and px.replace(".", "", 1).isdigit() else number_key(px)
                    if mode == _INVERSE:
                        places = sz_places + size_places
                        usd_digits = sz_value * size_digits
                        if 0.0 < usd_digits < EXACT_INT and places < 23:
                            usd = usd_digits / POW10[places]
                            qty = usd / price if price > 0.0 else 0.0
                    elif mode == _LINEAR:
                        places = sz_places + size_places
                        qty_digits = sz_value * size_digits
                        if 0.0 < qty_digits < EXACT_INT and places < 23:
                            qty = qty_digits / POW10[places]
                    elif 0.0 < sz_value < EXACT_INT and sz_places < 23:
                        qty = 1.0  # no quantity, but sz and the rest are valid: keep the fast path
                    if not (0.0 < price < INF and ts > 0 and qty is not None and 0.0 < qty < INF):
                        out.append(_one(entry, detail, recv_ts, cat))
                        check = True
                        continue
                    if mode == _PRICE_ONLY:
                        qty = None
                if ts < min_ts or (usd is not None and usd > max_usd):
                    check = True
                sz_key = (
                    sz
                    if sz != "" and sz[-1] not in "0." and (sz[0] in "123456789" or sz[1:2] == ".") and sz.isascii()
                    else number_key(sz)
                )
                out.append(
                    Liquidation(
                        VENUE,
                        inst_id,
                        coin,
                        side,
                        price / divisor,
                        qty,
                        usd,
                        ts,
                        recv_ts,
                        SAMPLED,
                        f"{prefix}{ts}:{side}:{sz_key}:{px_key}",
                    )
                )
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()


def parse_rest_liquidations(body: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The `GET /api/v5/public/liquidation-orders` response (shape UNVERIFIED, see module doc)."""
    try:
        response = _decode_rest(body)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"okx rest: {exc}") from None
    if response.code != "0":
        raise BadFrame(f"okx rest: error {response.code}: {response.msg}")
    return events(response.data, "", recv_ts, cat)


def liquidation_orders_request(
    inst_type: str = "SWAP",
    *,
    inst_family: str = "",
    uly: str = "",
    state: str = "filled",
    after: str = "",
    before: str = "",
    limit: int = 100,
) -> RestRequest:
    """A backfill request. Page to older rows with `after` = the oldest `ts` already received."""
    if inst_type in INST_TYPES and not (inst_family or uly):
        raise ValueError("okx liquidation-orders: SWAP/FUTURES need inst_family or uly")
    params = {"instType": inst_type, "limit": str(min(max(limit, 1), 100))}
    optional = {"instFamily": inst_family, "uly": uly, "state": state, "after": after, "before": before}
    params.update({key: value for key, value in optional.items() if value})
    return RestRequest(LIQUIDATIONS_PATH, params)


def is_data(frame: Frame) -> bool:
    return (b'"data"' in frame) if isinstance(frame, bytes) else ('"data"' in frame)


def subscribe_message() -> str:
    args = [{"channel": CHANNEL, "instType": inst_type} for inst_type in INST_TYPES]
    args.append(COMPANION)
    return msgspec.json.encode({"op": "subscribe", "args": args}).decode()


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    return [Connection("public", urls["public"], [subscribe_message()])]


def _ping(_now_ms: int) -> str:
    return "ping"


class _Instrument(msgspec.Struct):
    instId: str
    instType: str = ""
    ctVal: str = ""  # contract value, in ctValCcy
    ctMult: str = ""  # contract multiplier
    ctType: str = ""  # linear | inverse (SWAP/FUTURES)
    ctValCcy: str = ""  # linear: the base coin; inverse: USD
    settleCcy: str = ""  # linear: USDT/USDC; inverse: the coin
    uly: str = ""
    instFamily: str = ""
    state: str = ""  # live | suspend | preopen | test


class _Instruments(msgspec.Struct):
    code: str = "0"
    msg: str = ""
    data: list[_Instrument] = []


def instrument(raw: _Instrument, source: str = "rest") -> Instrument | None:
    """The catalogue entry of one instruments-endpoint row; None when it has no contract value."""
    ct_mult = raw.ctMult or "1"
    try:
        positive(raw.ctVal, "ctVal")
        positive(ct_mult, "ctMult")
        value = exact_product(raw.ctVal, ct_mult)
    except (BadNumber, ValueError, OverflowError):
        return None
    parts = raw.instId.split("-")
    if len(parts) < 2 or not parts[0]:
        return None
    coin, bundle = normalize_coin(parts[0])
    if raw.ctType == "inverse":
        return Instrument(VENUE, raw.instId, coin, "inverse", value, raw.ctValCcy, 1.0, source)
    if raw.ctType != "linear":
        return None
    value_coin, value_bundle = normalize_coin(raw.ctValCcy) if raw.ctValCcy else (coin, bundle)
    kind: Kind = "linear" if value_coin == coin else "quanto"  # quanto: the value is in another coin
    size = value if value_bundle == 1.0 else exact_product(value, value_bundle)
    quote = raw.settleCcy or parts[1]
    return Instrument(VENUE, raw.instId, coin, kind, size, quote, bundle, source)


def instrument_requests() -> list[RestRequest]:
    return [RestRequest(INSTRUMENTS_PATH, {"instType": inst_type}) for inst_type in INST_TYPES]


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        response = msgspec.json.decode(body, type=_Instruments)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"okx instruments: {exc}") from None
    if response.code != "0":
        raise BadFrame(f"okx instruments: error {response.code}: {response.msg}")
    found = (instrument(raw) for raw in response.data)
    return InstrumentsPage([inst for inst in found if inst is not None])


NOTE = (
    "OKX: the liquidation-orders channel 'doesn't represent the total number of liquidations': totals are lower bounds."
)

OKX_SPEC = VenueSpec(
    id=VENUE,
    coverage=SAMPLED,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=20.0, ping=_ping),  # the server cuts after 30 s without traffic
    silence_s=30.0,
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes=NOTE,
    checked_parse=parser,
)
