"""OKX v5 (`okx`): the `liquidation-orders` channel of the public WebSocket, keyed by instType.

Docs: https://www.okx.com/docs-v5/en/#public-data-websocket-liquidation-orders-channel
      https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments
      https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders
      https://www.okx.com/docs-v5/en/#overview-websocket-connect (30 s idle cut, text ping/pong)

Side: `posSide` first: in hedge mode `long`/`short` IS the liquidated position. In one-way mode
  (`net`, or empty) `side` is the liquidation ORDER side: sell closes a long → long, buy closes a
  short → short. Any other value, or one-way without `side`: BadFrame.
Size: `sz` is in CONTRACTS for SWAP/FUTURES, `bkPx` the bankruptcy price (quote per coin).
  linear  (ctType linear, ctValCcy = the base coin): qty = sz × ctVal × ctMult, usd = qty × bkPx
          (one exact product sz × ctVal × ctMult × bkPx; settlement in USDT/USDC counts as USD).
  inverse (ctType inverse, ctValCcy USD): usd = sz × ctVal × ctMult, qty = usd / bkPx.
  MARGIN: `sz` is in base currency (the documented convention, `derive`): qty = sz, usd = sz × bkPx.
  Contract values: the catalogue (instruments endpoint or the bundled snapshot). Linear values
  differ per coin with no convention: an unknown linear SWAP/FUTURES gives usd and qty None, never
  a guess. Inverse (`-USD-`) contracts follow OKX's long-standing 100 USD for BTC, 10 USD for every
  other coin (captured instruments 2022, research §4; `INVERSE_USD`), which prices expired futures
  the endpoint no longer lists when old captures are imported. OPTION entries (not subscribed) are
  skipped: `bkPx` is a premium. Padded number text ("1.5 ", "1_5") is refused (numbers.py).
Every entry of `data[]` and of each `details[]` is one liquidation (peers reading details[0] drop
  the rest). Coin: the first part of instId (BTC-USDT-SWAP → BTC). ts: `details[].ts`.
Coverage: sampled. The doc: "This data doesn't represent the total number of liquidations on OKX";
  older sources say at most one order per contract per second. Pushes are not in time order.
Id: `okx:{instId}:{ts}:{long|short}:{sz}:{bkPx}` (venues/ids.py: the liquidated POSITION side, not
  side/posSide, which Tardis rows lack; sz and bkPx canonical). The first push after subscribing
  can replay recent liquidations (tardis-node drops it): stable ids store a replay, a reconnect or
  a REST backfill overlapping the stream once.
Heartbeat: OKX cuts a connection quiet for 30 s; the client sends the TEXT `ping` every 20 s,
  answered by the text `pong` (`parse` returns [] for it). The `mark-price` companion of
  BTC-USDT-SWAP pushes many times a minute: a silent-but-open socket shows within `silence_s`.
REST backfill: `GET /api/v5/public/liquidation-orders` rows have the stream's `data[]` shape (plus
  `totalLoss`): `parse_rest_liquidations` parses them as that push. The requests, subscribe and
  naming rules (`derive`, `INVERSE_USD`): okx_rest.py.
UNCONFIRMED: the verbatim REST response (research holds an assembled shape only); the coverage
  rule (≤1 per contract per second?) and the first-message replay.
"""

from __future__ import annotations

import math
from typing import Literal

import msgspec

from liqwatch.instruments import Catalogue, normalize_coin
from liqwatch.model import LONG, SAMPLED, SHORT, Liquidation, Side
from liqwatch.numbers import EXACT_INT, MAX_DIGITS, POW10, BadNumber, exact_digits, positive
from liqwatch.venues import okx_rest
from liqwatch.venues.base import BadFrame, Frame, Heartbeat, Parse, VenueSpec, refuse_impossible
from liqwatch.venues.ids import number_key
from liqwatch.venues.okx_rest import CHANNEL, derive
from liqwatch.venues.okx_rest import LIQUIDATIONS_PATH as LIQUIDATIONS_PATH  # callers and tests use okx.…
from liqwatch.venues.okx_rest import liquidation_orders_request as liquidation_orders_request
from liqwatch.venues.okx_rest import subscribe_message as subscribe_message  # tests use okx.…
from liqwatch.venues.routes import contract_amounts, in_range

VENUE = "okx"
URLS = {"public": "wss://ws.okx.com:8443/ws/v5/public"}
REST = "https://www.okx.com"

# Hedge mode: posSide names the liquidated position. One-way mode (posSide "net" or empty): side is
# the liquidation ORDER side; sell closes a long. As a table: posSide → side → position (absent: error).
ORDER_SIDES: dict[str, Side] = {"sell": LONG, "buy": SHORT}
_SIDES: dict[str, dict[str, Side]] = {
    "long": {"buy": LONG, "sell": LONG, "": LONG},
    "short": {"buy": SHORT, "sell": SHORT, "": SHORT},
    "net": ORDER_SIDES,
    "": ORDER_SIDES,
}
INF = math.inf
_MAX_MS_DIGITS = 15  # ms timestamps have 13 digits until the year 2286
# Route modes: how a symbol's events are sized (per instId and catalogue version, `_route`).
PRICE_ONLY, INVERSE, LINEAR_USD, OTHER = 0, 1, 2, 3  # OTHER: `_event` decides every detail


class Detail(msgspec.Struct, frozen=True, gc=False):
    sz: str  # size: contracts (SWAP/FUTURES/OPTION) or base currency (MARGIN), decimal text
    bkPx: str  # bankruptcy price ("liquidation mark price"), quote currency per coin, decimal text
    ts: str  # liquidation time, ms since epoch, decimal text
    side: Literal["buy", "sell", ""] = ""  # liquidation ORDER side (FUTURES/SWAP); others: BadFrame
    posSide: Literal["long", "short", "net", ""] = ""  # position side: hedge mode long|short, one-way net


class Entry(msgspec.Struct, frozen=True, gc=False):
    instId: str  # instrument id: BTC-USDT-SWAP, XRP-USD-230929, BTC-USDT (MARGIN)
    details: list[Detail]  # one element per liquidation order
    instType: str = ""  # SWAP | FUTURES | MARGIN | OPTION


class Arg(msgspec.Struct, frozen=True, gc=False):
    channel: str = ""  # liquidation-orders | mark-price | …
    instType: str = ""  # liquidation-orders: SWAP | FUTURES | MARGIN | OPTION


class Push(msgspec.Struct, frozen=True, gc=False):  # `arg` + `data`, decoded in one pass; acks carry `event`
    arg: Arg | None = None
    data: list[Entry] | None = None
    event: str = ""  # subscribe | unsubscribe | error | notice: control frames


class Envelope(msgspec.Struct, frozen=True):  # a frame Push cannot read: control frame, or broken push?
    arg: Arg | None = None
    event: str = ""


_decode_push = msgspec.json.Decoder(Push).decode
_decode_envelope = msgspec.json.Decoder(Envelope).decode


# (mode, coin, price divisor, contract value digits, their places, price_unit, id prefix)
_Route = tuple[int, str, float, float, int, float, str]


def _route(inst_id: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, inst_id, derive)
    prefix = f"{VENUE}:{inst_id}:"
    if inst is None:  # unlisted: priced only (venues/base.py UNLISTED SYMBOLS)
        coin, bundle = normalize_coin(inst_id.split("-", 1)[0])
        return (PRICE_ONLY, coin, bundle, 1.0, 0, 1.0, prefix)
    size = exact_digits(inst.contract_size)  # as exact_product reads it
    if size is None or not 0.0 < inst.price_unit < math.inf:  # `_event` words what is wrong
        return (OTHER, inst.coin, 1.0, 0.0, 0, 1.0, prefix)
    if inst.kind == "inverse":
        return (INVERSE if inst.usd_quoted else PRICE_ONLY, inst.coin, 1.0, *size, 1.0, prefix)
    if inst.kind == "linear":
        return (LINEAR_USD if inst.usd_quoted else OTHER, inst.coin, inst.price_unit, *size, inst.price_unit, prefix)
    return (PRICE_ONLY, inst.coin, inst.price_unit, 1.0, 0, 1.0, prefix)  # quanto: no USD rule


def _event(inst_id: str, detail: Detail, recv_ts: int, cat: Catalogue) -> Liquidation:
    """THE RULES for one detail (`parse`'s loop inlines them where they plainly apply)."""
    try:
        side = _SIDES[detail.posSide].get(detail.side)  # unknown values: refused by the decoder
        if side is None:
            raise BadNumber(f"no side for a one-way (posSide {detail.posSide!r}) liquidation")
        price = positive(detail.bkPx, "bkPx")
        positive(detail.sz, "sz")  # refuses "1.5 " and "1_5", as every venue's rules (numbers.number)
        ts_text = detail.ts
        if not (ts_text.isascii() and ts_text.isdigit()) or len(ts_text) > _MAX_MS_DIGITS or int(ts_text) <= 0:
            raise BadNumber(f"ts is not a positive ms timestamp: {ts_text!r}")
        ts = int(ts_text)
        sz, px = number_key(detail.sz), number_key(detail.bkPx)  # the decimals stated: also the id's
        inst = cat.resolve(VENUE, inst_id, derive)
        if inst is None:  # unlisted: priced only
            coin, bundle = normalize_coin(inst_id.split("-", 1)[0])
            coin_price, qty, usd = price / bundle, None, None
        else:  # linear: qty = sz × ctVal × ctMult, usd = qty × bkPx; inverse: usd = sz × value, qty = usd / bkPx
            coin = inst.coin
            coin_price, qty, usd = contract_amounts(inst, sz, px, price)
        qty, usd = in_range(qty, "qty"), in_range(usd, "usd")
    except (BadNumber, ValueError, OverflowError) as exc:
        raise BadFrame(f"okx {inst_id}: {exc}") from None
    event_id = f"{VENUE}:{inst_id}:{ts}:{side}:{sz}:{px}"
    return Liquidation(VENUE, inst_id, coin, side, coin_price, qty, usd, ts, recv_ts, SAMPLED, event_id)


def _other(frame: Frame, error: object) -> list[Liquidation]:
    """A frame that is not a well-formed push: [] for `pong`, acks and other channels, else BadFrame
    naming `error` (what the typed decode found wrong)."""
    if frame == "pong" or frame == b"pong":  # the answer to our text `ping`
        return []
    try:
        msg = _decode_envelope(frame)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"okx: {exc}") from None
    if msg.event or msg.arg is None or msg.arg.channel != CHANNEL:
        return []
    raise BadFrame(f"okx: {error}")


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    One decode into typed entries; per detail `_event`'s rules inline for plain decimal sz and bkPx
    whose digit products with the contract value are exact below 2**53 (numbers.plain_digits), one
    division by an exact power of ten; every other detail is `_event`'s, other frames `_other`'s.
    """

    memo_cat: Catalogue | None = None  # the last catalogue and its routes memo (Catalogue.memo keeps it)
    memo_routes: dict[object, _Route] = {}

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        nonlocal memo_cat, memo_routes
        try:
            push = _decode_push(frame)
        except (msgspec.DecodeError, UnicodeError) as exc:
            return _other(frame, exc)
        arg = push.arg
        if push.event or arg is None or arg.channel != CHANNEL:
            return []
        entries = push.data
        if entries is None:
            raise BadFrame("okx: liquidation-orders push without data")
        routes = memo_routes
        if cat is not memo_cat:
            routes = memo_routes = cat.memo(VENUE)  # type: ignore[assignment]
            memo_cat = cat
        short = len(frame) < MAX_DIGITS  # no digit string in it that int() would refuse
        out: list[Liquidation] = []
        check = False
        for entry in entries:
            inst_id = entry.instId
            if (entry.instType or arg.instType or ("OPTION" if inst_id.count("-") == 4 else "")) == "OPTION":
                continue  # `bkPx` is a premium (an instId names an option by its five parts)
            route = routes.get(inst_id) or routes.setdefault(inst_id, _route(inst_id, cat))
            mode, coin, divisor, size_digits, size_places, price_unit, prefix = route
            for detail in entry.details:
                side = _SIDES[detail.posSide].get(detail.side)
                sz = detail.sz
                px = detail.bkPx
                ts_text = detail.ts
                sz_head, sz_dot, sz_tail = sz.partition(".")
                sz_digits = sz_head + sz_tail
                if (
                    side is None
                    or mode == OTHER
                    or not (sz_digits.isdecimal() and ts_text.isdigit() and ts_text.isascii())
                    or len(ts_text) > _MAX_MS_DIGITS
                    or ts_text[0] == "0"  # ts > 0, and ts_text is its canonical text
                    or not (short or len(sz) + len(px) < MAX_DIGITS)
                ):
                    out.append(_event(inst_id, detail, recv_ts, cat))
                    check = True
                    continue
                ts = int(ts_text)
                sz_value = float(sz_digits) * size_digits
                places = len(sz_tail) + size_places
                qty: float | None
                usd: float | None
                if mode == LINEAR_USD:  # qty = sz × value, usd = qty × bkPx (÷ price_unit), from digits
                    px_head, px_dot, px_tail = px.partition(".")
                    px_digits = px_head + px_tail
                    px_value = float(px_digits) if px_digits.isdecimal() else 0.0
                    usd_digits = sz_value * px_value
                    usd_places = places + len(px_tail)
                    ok = 0.0 < usd_digits < EXACT_INT and usd_places < 23
                    if ok:
                        price = px_value / POW10[len(px_tail)]
                        in_usd = usd_digits / POW10[usd_places] / price_unit
                        qty, usd = sz_value / POW10[places], in_usd
                        ok = 0.0 < in_usd < INF
                        # number_key without the call where the text is plainly canonical (ids.py)
                        plain = px[0] in "123456789" or px[1:2] == "."
                        px_key = px if plain and (not px_dot or px[-1] not in "0.") and px.isascii() else number_key(px)
                else:
                    try:
                        price = float(px)
                    except ValueError:
                        price = 0.0
                    qty = usd = None
                    ok = 0.0 < price < INF and 0.0 < sz_value < EXACT_INT and places < 23
                    if ok and mode == INVERSE:  # usd = sz × value, qty = usd / bkPx
                        in_usd = sz_value / POW10[places]
                        in_qty = in_usd / price
                        qty, usd = in_qty, in_usd
                        ok = 0.0 < in_qty < INF
                    if ok:
                        plain = px[-1] not in "0." and (px[0] in "123456789" or px[1:2] == ".") and px.isascii()
                        if plain and px.replace(".", "", 1).isdigit():
                            px_key = px
                        else:  # float() reads "1.5 " and "1_5": `_event` refuses them
                            px_key = number_key(px)
                            ok = px == px.strip() and "_" not in px
                if not ok:
                    out.append(_event(inst_id, detail, recv_ts, cat))
                    check = True
                    continue
                if ts < min_ts or (usd is not None and usd > max_usd):
                    check = True
                plain = sz[0] in "123456789" or sz[1:2] == "."
                sz_key = sz if plain and (not sz_dot or sz[-1] not in "0.") and sz.isascii() else number_key(sz)
                event_id = f"{prefix}{ts_text}:{side}:{sz_key}:{px_key}"
                out.append(
                    Liquidation(VENUE, inst_id, coin, side, price / divisor, qty, usd, ts, recv_ts, SAMPLED, event_id)
                )
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()


def parse_rest_liquidations(body: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The `GET /api/v5/public/liquidation-orders` response (shape UNVERIFIED, see module doc)."""
    push = okx_rest.rest_rows_as_push(body)
    return parse(push, recv_ts, cat) if push else []


def is_data(frame: Frame) -> bool:
    return (b'"data"' in frame) if isinstance(frame, bytes) else ('"data"' in frame)


NOTE = (
    "OKX: the liquidation-orders channel 'doesn't represent the total number of liquidations': totals are lower bounds."
)

OKX_SPEC = VenueSpec(
    id=VENUE,
    coverage=SAMPLED,
    urls=URLS,
    rest_base=REST,
    connections=okx_rest.connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=20.0, ping=lambda _now_ms: "ping"),  # the server cuts after 30 s without traffic
    silence_s=30.0,
    instrument_requests=okx_rest.instrument_requests,
    parse_instruments=okx_rest.parse_instruments,
    notes=NOTE,
    checked_parse=parser,
)
