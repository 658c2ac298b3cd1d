"""Gate futures v4 (`gate`): `futures.public_liquidates` with `["!all"]`, USDT- and BTC-settled.

Docs: https://www.gate.com/docs/developers/futures/ws/en/ (public liquidates, tickers, ping/pong,
        contract_info; changelog 2026-08-20)
      https://www.gate.com/docs/developers/apiv4/en/#list-all-futures-contracts

Side (UNCONFIRMED officially): `size` is SIGNED and taken as the liquidation ORDER direction:
  negative (a sell) closes a long → long, positive (a buy) closes a short → short. The doc only says
  "liquidation order size"; several independent clients read it this way. The REST `liq_orders`
  `size` is the POSITION size (opposite sign). Flip `NEGATIVE_SIZE_SIDE` if live data disagrees.
Size: `size` is in CONTRACTS, a JSON integer, or a decimal string when the connection sends the
  header `X-Gate-Size-Decimal: 1`; both are read. Zero size is a bad frame.
  USDT-settled (type direct): qty = |size| × quanto_multiplier, usd = qty × price (one exact product).
  BTC-settled (type inverse): a contract's USD value is UNCONFIRMED: usd only where the catalogue
  lists one (gate_rest.INVERSE_USD_PER_CONTRACT, empty until verified), else usd and qty None. An
  unknown contract gives usd and qty None: quanto_multiplier varies per contract (BTC 0.0001, ETH
  0.01, …) and is never guessed. A 1000XXX_USDT contract quotes a bundle: qty in coins, price per coin.
Time: `result[].time` was seconds until 2026-08-20, milliseconds since: ts = t × 1000 if t < 1e12.
Coverage: "complete" for events with ts ≥ 2026-08-20 00:00 UTC (`COMPLETE_SINCE_MS`): Gate then
  switched to an aggregated push of every liquidation order (merged per contract per 1 s, or as soon
  as 20 are cached); "sampled" before (at most one order per contract per second).
Id: `gate:{contract}:{ts}:{size}:{price}` (research §0.5) with ts in ms and size written without
  trailing zeros, so the integer and the decimal form of one liquidation get the same id.
Connections, heartbeat, subscribe `time`, instruments (`GET /api/v4/futures/{usdt,btc}/contracts`)
  and `futures.contract_info` pushes of quanto_multiplier changes: gate_rest.py.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

import msgspec

from liqwatch.instruments import Catalogue, normalize_coin
from liqwatch.model import COMPLETE, LONG, SAMPLED, SHORT, Liquidation, Side
from liqwatch.numbers import EXACT_DECIMAL, POW10, BadNumber, exact_digits, positive
from liqwatch.venues import gate_rest
from liqwatch.venues.base import BadFrame, Frame, Heartbeat, Parse, VenueSpec, refuse_impossible
from liqwatch.venues.gate_rest import CHANNEL, base_of, derive
from liqwatch.venues.gate_rest import parse_contract_info as parse_contract_info  # re-exported: tests
from liqwatch.venues.ids import number_key

VENUE = "gate"

URLS = {"usdt": "wss://fx-ws.gateio.ws/v4/ws/usdt", "btc": "wss://fx-ws.gateio.ws/v4/ws/btc"}
REST = "https://api.gateio.ws"

# UNCONFIRMED (research §8): a negative `size` is a sell liquidation order, which closes a LONG.
NEGATIVE_SIZE_SIDE: Side = LONG
POSITIVE_SIZE_SIDE: Side = SHORT if NEGATIVE_SIZE_SIDE == LONG else LONG

COMPLETE_SINCE_MS = 1_787_184_000_000  # 2026-08-20 00:00 UTC: every liquidation order from then on
SECONDS_BELOW = 1_000_000_000_000  # `result[].time` below this is in seconds, else milliseconds
_MAX_MS = 10**15

_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_EXACT_INT = 2**53  # integers below this are exact in a double
INF = math.inf


class Liquidate(msgspec.Struct, frozen=True, gc=False):
    contract: str  # e.g. BTC_USDT (USDT-settled), BTC_USD (BTC-settled)
    size: int | str  # liquidation ORDER size, contracts, signed; str with X-Gate-Size-Decimal: 1
    price: str  # order price, quote currency per contract-name base unit, decimal text
    time: int  # seconds before 2026-08-20, milliseconds since


class Push(msgspec.Struct, frozen=True, gc=False):  # an update, its result decoded in the same pass
    channel: str = ""  # futures.public_liquidates | futures.tickers | futures.pong | …
    event: str = ""  # update | all (data) | subscribe | unsubscribe (acks) | "" (pong)
    time: int = 0  # envelope time, s (not read: typed, so a malformed envelope is refused)
    time_ms: int = 0  # envelope time, ms (idem)
    result: list[Liquidate] | Liquidate | None = None


class Envelope(msgspec.Struct, frozen=True):  # any frame, `result` left undecoded
    channel: str = ""
    event: str = ""
    time: int = 0
    time_ms: int = 0
    result: msgspec.Raw = msgspec.Raw()


_decode_push = msgspec.json.Decoder(Push).decode
_decode_any = msgspec.json.Decoder(Envelope).decode
_decode_liquidates = msgspec.json.Decoder(list[Liquidate] | Liquidate).decode

# Per contract and catalogue: (mode, coin, price divisor, contract size digits, their places,
# price unit, id prefix); the digits as `numbers.exact_digits` reads the contract size.
_Route = tuple[int, str, float, int, int, float, str]
# SLOW: contract size digits not exact in a double, left to `_event` (its price divisor is nan)
PRICE_ONLY, INVERSE, LINEAR, LINEAR_USD, SLOW = 0, 1, 2, 3, 4


def _route(contract: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, contract, derive)
    prefix = f"{VENUE}:{contract}:"
    if inst is None:
        coin, bundle = normalize_coin(base_of(contract))
        return (PRICE_ONLY, coin, bundle, 0, 0, 1.0, prefix)
    unit = inst.price_unit if 0.0 < inst.price_unit < INF else math.nan  # broken: no price is right
    exact = exact_digits(inst.contract_size)
    digits, places = (int(exact[0]), exact[1]) if exact is not None else (0, 0)
    if inst.kind == "inverse":
        mode = (INVERSE if exact else SLOW) if inst.usd_quoted else PRICE_ONLY
        return (mode, inst.coin, 1.0 if mode != SLOW else math.nan, digits, places, 1.0, prefix)
    if inst.kind == "linear":
        mode = (LINEAR_USD if inst.usd_quoted else LINEAR) if exact else SLOW
        return (mode, inst.coin, unit if mode != SLOW else math.nan, digits, places, unit, prefix)
    return (PRICE_ONLY, inst.coin, unit, 0, 0, 1.0, prefix)  # quanto


def parser(max_usd: float = INF, min_ts: float = -INF) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    `_event`'s rules inline for the liquidations they plainly cover (integer or decimal size, plain
    decimal price, digit products below 2**53 divided once by an exact power of ten); an update
    with any other goes whole to `_all_events`, other frames to `_parse_other`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        try:
            push = _decode_push(frame)
        except (msgspec.DecodeError, UnicodeError):
            return _parse_other(frame, recv_ts, cat, max_usd, min_ts)
        if push.channel != CHANNEL or push.event != "update":
            return []
        result = push.result
        if result is None:
            return _parse_other(frame, recv_ts, cat, max_usd, min_ts)
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        out = []
        check = False
        for liq in result if isinstance(result, list) else [result]:
            # the rules of `_event`, inline for speed; any liquidation they do not plainly cover is `_event`'s
            contract = liq.contract
            route = routes.get(contract) or routes.setdefault(contract, _route(contract, cat))
            mode, coin, divisor, size_digits, size_places, price_unit, prefix = route
            size = liq.size
            p = liq.price
            time = liq.time
            ts = time * 1000 if time < SECONDS_BELOW else time
            p_head, _, p_tail = p.partition(".")
            p_digits = p_head + p_tail
            p_places = len(p_tail)
            signed: int | str = size  # the size as the id writes it: an int as str(size) does
            if isinstance(size, int):
                negative = size < 0
                count = -size if negative else size
                places = size_places
            else:  # X-Gate-Size-Decimal: -?[0-9]+(.[0-9]+)?, trailing zeros of the fraction dropped
                negative = size[:1] == "-"
                head, dot, tail = (size[1:] if negative else size).partition(".")
                if not (head + tail).isascii() or not head.isdigit() or not (tail.isdigit() or not dot):
                    return _all_events(result, recv_ts, cat, max_usd, min_ts)
                tail = tail.rstrip("0")
                signed = f"-{head}" if negative else head
                if tail:
                    signed = f"{signed}.{tail}"
                count = int(head + tail) if len(signed) <= 40 else 0
                places = len(tail) + size_places
            try:
                p_int = int(p_digits) if p_digits.isascii() and p_digits.isdecimal() else 0
            except ValueError:  # more digits than int() reads
                p_int = 0
            value = count * size_digits  # the contract value's digits, exact
            price = p_int / POW10[p_places] if p_int < _EXACT_INT and p_places < 23 else 0.0
            usd: float | None = None
            qty: float | None = None
            if mode == LINEAR_USD:
                usd_digits = value * p_int
                plain = 0 < usd_digits < _EXACT_INT and places + p_places < 23
                if plain:
                    qty = value / POW10[places]
                    usd = usd_digits / POW10[places + p_places]
                    if price_unit != 1.0:
                        usd /= price_unit
                        plain = 0.0 < usd < INF
            else:
                plain = 0 < count < _EXACT_INT and 0 < p_int < _EXACT_INT and value < _EXACT_INT and places < 23
                if plain and mode == INVERSE:
                    usd = value / POW10[places]
                    qty = usd / price
                elif plain and mode == LINEAR:
                    qty = value / POW10[places]
            coin_price = price / divisor
            # (qty and usd of plain digits are positive and finite; SLOW routes divide by nan)
            if not (plain and time > 0 and ts < _MAX_MS and 0.0 < coin_price < INF):
                return _all_events(result, recv_ts, cat, max_usd, min_ts)
            # ids.number_key inline for plain digits (see bybit.py)
            if not (p >= "1" or "0." <= p < "0/"):
                p = number_key(p)
            elif p[-1] <= "0" and "." in p:
                p = p.rstrip("0").rstrip(".")
            if ts < min_ts or (usd is not None and usd > max_usd):
                check = True
            side = NEGATIVE_SIZE_SIDE if negative else POSITIVE_SIZE_SIDE
            cover = COMPLETE if ts >= COMPLETE_SINCE_MS else SAMPLED
            event_id = f"{prefix}{ts}:{signed}:{p}"
            out.append(Liquidation(VENUE, contract, coin, side, coin_price, qty, usd, ts, recv_ts, cover, event_id))
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


def _parse_other(frame: Frame, recv_ts: int, cat: Catalogue, max_usd: float, min_ts: float) -> list[Liquidation]:
    """Frames the typed decode does not take: [] for other channels, BadFrame naming what is wrong."""
    try:
        push = _decode_any(frame)
        if push.channel != CHANNEL or push.event != "update":
            return []
        if not push.result:
            raise BadFrame("gate: public_liquidates update without result")
        decoded = _decode_liquidates(push.result)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"gate: {exc}") from None
    return _all_events(decoded, recv_ts, cat, max_usd, min_ts)


def _all_events(
    result: list[Liquidate] | Liquidate, recv_ts: int, cat: Catalogue, max_usd: float, min_ts: float
) -> list[Liquidation]:
    events = [_event(liq, recv_ts, cat) for liq in (result if isinstance(result, list) else [result])]
    return refuse_impossible(events, max_usd, min_ts)


parse = parser()


def _event(liq: Liquidate, recv_ts: int, cat: Catalogue) -> Liquidation:
    """The rules: one liquidation → its event, or BadFrame naming what is wrong."""
    contract = liq.contract
    try:
        size = liq.size
        if isinstance(size, str) and not _DECIMAL.fullmatch(size):
            raise BadNumber(f"size is not a decimal: {size!r}")
        signed = str(size) if isinstance(size, int) or "." not in size else size.rstrip("0").rstrip(".")
        if len(signed) > 40:
            raise BadNumber(f"size is out of range: {signed!r}")
        if float(signed) == 0:
            raise BadNumber("size must not be zero")
        contracts = Decimal(signed.lstrip("-"))
        price = positive(liq.price, "price")
        if liq.time <= 0:
            raise BadNumber(f"time must be positive: {liq.time!r}")
        ts = liq.time * 1000 if liq.time < SECONDS_BELOW else liq.time
        if ts >= _MAX_MS:
            raise BadNumber(f"time is out of range: {liq.time!r}")
        inst = cat.resolve(VENUE, contract, derive)
        qty: float | None = None
        usd: float | None = None
        if inst is None:  # quanto_multiplier is never guessed: unpriced
            coin, bundle = normalize_coin(base_of(contract))
            coin_price = price / bundle
        elif inst.kind == "inverse":
            coin, coin_price = inst.coin, price
            if inst.usd_quoted:  # usd = contracts × contract value, qty = usd / price
                usd = float(EXACT_DECIMAL.multiply(contracts, Decimal(repr(inst.contract_size))))
                qty = usd / price
        else:
            coin, coin_price = inst.coin, price / inst.price_unit
            if inst.kind == "linear":  # qty = contracts × contract size, usd = qty × price
                value = EXACT_DECIMAL.multiply(contracts, Decimal(repr(inst.contract_size)))
                qty = float(value)
                if inst.usd_quoted:
                    usd = float(EXACT_DECIMAL.multiply(value, Decimal(liq.price))) / inst.price_unit
        for name, amount in (("price", coin_price), ("qty", qty), ("usd", usd)):
            if amount is not None and not 0.0 < amount < INF:  # extreme inputs over/underflow
                raise BadNumber(f"{name} is out of range: {amount!r}")
    except (BadNumber, ArithmeticError, ValueError) as exc:  # ArithmeticError: decimal signals, / 0
        raise BadFrame(f"gate {contract}: {exc}") from None
    side = NEGATIVE_SIZE_SIDE if signed.startswith("-") else POSITIVE_SIZE_SIDE
    cover = COMPLETE if ts >= COMPLETE_SINCE_MS else SAMPLED
    event_id = f"{VENUE}:{contract}:{ts}:{signed}:{number_key(liq.price)}"
    return Liquidation(VENUE, contract, coin, side, coin_price, qty, usd, ts, recv_ts, cover, event_id)


def is_data(frame: Frame) -> bool:  # liquidation and ticker updates, contract_info pushes (`"all"`)
    if isinstance(frame, bytes):
        return b'"update"' in frame or b'"all"' in frame
    return '"update"' in frame or '"all"' in frame


NOTE = (
    "Gate: every liquidation order since 2026-08-20 (aggregated 1 s pushes); before that at most one "
    "per contract per second. The sign of `size` as the liquidated side is UNCONFIRMED; BTC-settled "
    "contracts have no USD value until their contract size is verified."
)

GATE_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=gate_rest.connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=10.0, ping=gate_rest.ping),
    silence_s=60.0,  # BTC_USD (btc-settled) trades less often than BTC_USDT
    instrument_requests=gate_rest.instrument_requests,
    parse_instruments=gate_rest.parse_instruments,
    notes=NOTE,
    checked_parse=parser,
)
