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
  BTC-settled (type inverse): the USD value of a contract is UNCONFIRMED, so usd comes from the
  catalogue only when it lists a value (`INVERSE_USD_PER_CONTRACT`, empty until verified), else usd
  and qty are None. An unknown contract gives usd None and qty None: quanto_multiplier varies per
  contract (BTC 0.0001, ETH 0.01, …) and is never guessed.
  Multiplier-prefixed names (a 1000XXX_USDT contract) quote a bundle: qty in coins, price per coin.
Time: `result[].time` was seconds until 2026-08-20 and is milliseconds since: ts = t × 1000 when
  t < 1e12, else t.
Coverage: "complete" for events with ts ≥ 2026-08-20 00:00 UTC (`COMPLETE_SINCE_MS`): Gate then
  switched to an aggregated push of every liquidation order (merged per contract per 1 s, or as soon
  as 20 are cached); "sampled" before (at most one order per contract per second).
Id: `gate:{contract}:{ts}:{size}:{price}` (research §0.5) with ts in ms and size written without
  trailing zeros, so the integer and the decimal form of one liquidation get the same id.
Connections: one per settlement currency (`usdt`, `btc`), each subscribing the liquidations of all
  contracts and `futures.tickers` of its BTC contract (BTC_USDT / BTC_USD), which ticks with the
  market so a silent-but-open socket is detected. Heartbeat: `{"time","channel":"futures.ping"}`
  every 10 s (as Gate's demo client), answered by `futures.pong` (a control frame).
Subscribe `time`: the request envelope has a `time` (unix s; the doc: "gap between request time and
  server time must not exceed 60 seconds"). The only reported rejections (REQUEST_EXPIRED) come from
  signed requests; the docs' own public subscribe examples send `"time": 123456` with a success
  reply, and some public clients omit it. The connection builds each subscribe frame at send time
  (`subscribe_at`), so `time` is the real unix second, as the doc asks.
Instruments: `GET /api/v4/futures/{usdt,btc}/contracts`; the `futures.contract_info` WS channel
  (2026-08-20) pushes quanto_multiplier changes: `parse_contract_info` turns such a push into
  Instruments that the collector can feed to `Catalogue.update`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin
from liqwatch.model import COMPLETE, LONG, SAMPLED, SHORT, Coverage, Liquidation, Side
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

VENUE = "gate"

URLS = {
    "usdt": "wss://fx-ws.gateio.ws/v4/ws/usdt",
    "btc": "wss://fx-ws.gateio.ws/v4/ws/btc",
}
REST = "https://api.gateio.ws"

CHANNEL = "futures.public_liquidates"
TICKERS = "futures.tickers"
CONTRACT_INFO = "futures.contract_info"
COMPANION = {"usdt": "BTC_USDT", "btc": "BTC_USD"}  # per connection: its busiest contract's ticker

# UNCONFIRMED (research §8): a negative `size` is a sell liquidation order, which closes a LONG.
NEGATIVE_SIZE_SIDE: Side = LONG
POSITIVE_SIZE_SIDE: Side = SHORT if NEGATIVE_SIZE_SIDE == LONG else LONG

# 2026-08-20 00:00 UTC: aggregated push of every liquidation order from then on.
COMPLETE_SINCE_MS = 1_787_184_000_000
# `result[].time` below this is in seconds (before 2026-08-20), else milliseconds.
SECONDS_BELOW = 1_000_000_000_000
_MAX_MS = 10**15

# The `time` of subscribe requests (only signed requests are checked against the clock).
SUBSCRIBE_TIME_S = 0

# UNCONFIRMED: USD value of one contract of the BTC-settled inverse contracts. Filled only once
# verified (e.g. {"BTC_USD": 1.0}); until then their events have usd None.
INVERSE_USD_PER_CONTRACT: Mapping[str, float] = {}

_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
INF = math.inf


class Liquidate(msgspec.Struct, frozen=True):
    contract: str  # e.g. BTC_USDT (USDT-settled), BTC_USD (BTC-settled)
    size: int | str  # liquidation ORDER size, contracts, signed; str with X-Gate-Size-Decimal: 1
    price: str  # order price, quote currency per contract-name base unit, decimal text
    time: int  # seconds before 2026-08-20, milliseconds since


class Push(msgspec.Struct, frozen=True):
    """Updates, subscribe acks and pongs in one shape (`result` is decoded per channel)."""

    channel: str = ""  # futures.public_liquidates | futures.tickers | futures.pong | …
    event: str = ""  # update | all (data) | subscribe | unsubscribe (acks) | "" (pong)
    time: int = 0  # envelope time, s
    time_ms: int = 0  # envelope time, ms
    result: msgspec.Raw = msgspec.Raw()


_decode_push = msgspec.json.Decoder(Push).decode
_decode_liquidates = msgspec.json.Decoder(list[Liquidate] | Liquidate).decode


def _base(contract: str) -> str:
    return contract.split("_", 1)[0]


def derive(symbol: str) -> Instrument | None:
    """Only verified inverse contract values; quanto_multiplier has no naming convention."""
    usd = INVERSE_USD_PER_CONTRACT.get(symbol)
    if usd is None:
        return None
    coin, _ = normalize_coin(_base(symbol))
    return Instrument(VENUE, symbol, coin, "inverse", usd, "USD", 1.0, "rule")


def liquidated_side(size: float) -> Side:
    if size == 0:
        raise BadNumber("size must not be zero")
    return NEGATIVE_SIZE_SIDE if size < 0 else POSITIVE_SIZE_SIDE


def size_text(size: int | str) -> str:
    """The size as plain decimal text without trailing zeros: -124, "-124.50" → "-124.5"."""
    if isinstance(size, int):
        return str(size)
    if not _DECIMAL.fullmatch(size):
        raise BadNumber(f"size is not a decimal: {size!r}")
    if "." in size:
        size = size.rstrip("0").rstrip(".")
    return size


def milliseconds(time: int) -> int:
    if time <= 0:
        raise BadNumber(f"time must be positive: {time!r}")
    ts = time * 1000 if time < SECONDS_BELOW else time
    if ts >= _MAX_MS:
        raise BadNumber(f"time is out of range: {time!r}")
    return ts


def coverage(ts: int) -> Coverage:
    return COMPLETE if ts >= COMPLETE_SINCE_MS else SAMPLED


def _liquidation(liq: Liquidate, recv_ts: int, cat: Catalogue) -> Liquidation:
    signed = size_text(liq.size)
    if len(signed) > 40:
        raise BadNumber(f"size is out of range: {signed!r}")
    side = liquidated_side(float(signed))
    contracts = signed.lstrip("-")
    price = positive(liq.price, "price")
    ts = milliseconds(liq.time)
    inst = cat.resolve(VENUE, liq.contract, derive)
    qty: float | None = None
    usd: float | None = None
    if inst is None:
        coin, bundle = normalize_coin(_base(liq.contract))
        coin_price = price / bundle
    else:
        coin = inst.coin
        coin_price, qty, usd = contract_amounts(inst, contracts, liq.price, price)
    return Liquidation(
        venue=VENUE,
        symbol=liq.contract,
        coin=coin,
        side=side,
        price=coin_price,
        qty=in_range(qty, "qty"),
        usd=in_range(usd, "usd"),
        ts=ts,
        recv_ts=recv_ts,
        coverage=coverage(ts),
        id=f"{VENUE}:{liq.contract}:{ts}:{signed}:{number_key(liq.price)}",
    )


def _parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The reference parse: every frame the fast path in `parser` does not take comes here."""
    try:
        push = _decode_push(frame)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"gate: {exc}") from None
    if push.channel != CHANNEL or push.event != "update":
        return []
    if not push.result:
        raise BadFrame("gate: public_liquidates update without result")
    try:
        decoded = _decode_liquidates(push.result)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"gate: {exc}") from None
    entries = decoded if isinstance(decoded, list) else [decoded]
    out: list[Liquidation] = []
    for liq in entries:
        out.append(_one(liq, recv_ts, cat))
    return out


def _one(liq: Liquidate, recv_ts: int, cat: Catalogue) -> Liquidation:
    try:
        return _liquidation(liq, recv_ts, cat)
    except (BadNumber, ValueError, OverflowError) as exc:
        raise BadFrame(f"gate {liq.contract}: {exc}") from None


class _FastPush(msgspec.Struct, frozen=True):
    """Push with `result` decoded as liquidations in the same pass."""

    channel: str = ""
    event: str = ""
    time: int = 0
    time_ms: int = 0
    result: list[Liquidate] | Liquidate | None = None


_decode_fast = msgspec.json.Decoder(_FastPush).decode

# How a contract's events are computed (_liquidation's branches, per contract and catalogue):
_PRICE_ONLY = 0  # unlisted, quanto, or inverse without a USD quote: qty and usd None
_INVERSE = 1  # usd = contracts × contract value, qty = usd / price
_LINEAR = 2  # qty = contracts × contract size (no USD quote)
_LINEAR_USD = 3  # qty = contracts × size, usd = qty × price (÷ price_unit)
_SLOW = 4  # contract digits that are not exact in a double: _liquidation decides
# (mode, coin, price divisor, contract value digits, their places, price_unit, id prefix)
_Route = tuple[int, str, float, float, int, float, str]
_EXACT_SIZE = 2**53  # |size| below this is exact as a float


def _route(contract: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, contract, derive)
    prefix = f"{VENUE}:{contract}:"
    if inst is None:
        coin, bundle = normalize_coin(_base(contract))
        return (_PRICE_ONLY, coin, bundle, 0.0, 0, 1.0, prefix)
    if not 0.0 < inst.price_unit < math.inf:  # a broken catalogue entry: _liquidation words the error
        return (_SLOW, inst.coin, 1.0, 0.0, 0, 1.0, prefix)
    size = exact_digits(inst.contract_size)  # as exact_product reads it
    size_digits, size_places = size if size is not None else (0.0, 0)
    if inst.kind == "inverse":
        mode = (_INVERSE if size else _SLOW) if inst.usd_quoted else _PRICE_ONLY
        return (mode, inst.coin, 1.0, size_digits, size_places, 1.0, prefix)
    if inst.kind == "linear":
        mode = (_LINEAR_USD if inst.usd_quoted else _LINEAR) if size else _SLOW
        return (mode, inst.coin, inst.price_unit, size_digits, size_places, inst.price_unit, prefix)
    return (_PRICE_ONLY, inst.coin, inst.price_unit, 0.0, 0, 1.0, prefix)


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    One decode into typed liquidations, then per liquidation a fast path that gives what
    `_liquidation` gives for integer or decimal sizes and plain decimal prices
    (`numbers.plain_digits` inline: digit products below 2**53 divided once by an exact power
    of ten); anything else goes to `_liquidation`, frames of any other shape to `_parse`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        try:
            push = _decode_fast(frame)
        except (msgspec.DecodeError, UnicodeError):
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        if push.channel != CHANNEL or push.event != "update":
            return []
        result = push.result
        if result is None:
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        short = len(frame) < MAX_DIGITS  # no digit string in it that int() would refuse
        out: list[Liquidation] = []
        check = False
        for liq in result if isinstance(result, list) else [result]:
            contract = liq.contract
            route = routes.get(contract)
            if route is None:
                route = routes[contract] = _route(contract, cat)
            mode, coin, divisor, size_digits, size_places, price_unit, prefix = route
            size = liq.size
            price_text = liq.price
            head, _, tail = price_text.partition(".")
            price_digits = head + tail
            price_places = len(tail)
            time = liq.time
            ts = time * 1000 if time < SECONDS_BELOW else time
            if (
                mode == _SLOW
                or not price_digits.isdecimal()
                or price_places > 22
                or not (short or len(price_text) < MAX_DIGITS)
                or time <= 0
                or ts >= _MAX_MS
            ):
                out.append(_one(liq, recv_ts, cat))
                check = True
                continue
            # The size as size_text writes it (`signed`), its sign and its digits.
            signed: int | str = size  # an int formats as str(size)
            if isinstance(size, int):
                negative = size < 0
                count = float(-size if negative else size) if -_EXACT_SIZE < size < _EXACT_SIZE else 0.0
                places = size_places  # of count × contract value
            else:  # X-Gate-Size-Decimal: -?[0-9]+(.[0-9]+)?, trailing zeros of the fraction dropped
                negative = size.startswith("-")
                head, dot, tail = (size[1:] if negative else size).partition(".")
                if not (head.isdigit() and head.isascii() and (not dot or (tail.isdigit() and tail.isascii()))):
                    out.append(_one(liq, recv_ts, cat))
                    check = True
                    continue
                tail = tail.rstrip("0")
                signed = f"-{head}" if negative else head
                if tail:
                    signed = f"{signed}.{tail}"
                count = float(head + tail) if len(signed) <= 40 and (short or len(size) < MAX_DIGITS) else 0.0
                places = len(tail) + size_places
            price_value = float(price_digits)
            qty: float | None = None
            usd: float | None = None
            if mode == _LINEAR_USD:
                value_digits = count * size_digits
                usd_digits = value_digits * price_value
                # usd_digits in (0, 2**53) with every factor an integer: all of them exact
                if not (0.0 < usd_digits < EXACT_INT and places + price_places < 23):
                    out.append(_one(liq, recv_ts, cat))
                    check = True
                    continue
                price = price_value / POW10[price_places]
                qty = value_digits / POW10[places]
                usd = usd_digits / POW10[places + price_places]
                if price_unit != 1.0:
                    usd /= price_unit
                    if not 0.0 < usd < INF:
                        out.append(_one(liq, recv_ts, cat))
                        check = True
                        continue
            else:
                value_digits = count * size_digits
                if not (0.0 < count < EXACT_INT and 0.0 < price_value < EXACT_INT and places < 23):
                    out.append(_one(liq, recv_ts, cat))
                    check = True
                    continue
                price = price_value / POW10[price_places]
                if mode == _INVERSE:
                    usd = value_digits / POW10[places] if value_digits < EXACT_INT else 0.0
                    qty = usd / price
                    if not 0.0 < qty < INF:
                        out.append(_one(liq, recv_ts, cat))
                        check = True
                        continue
                elif mode == _LINEAR:
                    if not value_digits < EXACT_INT:
                        out.append(_one(liq, recv_ts, cat))
                        check = True
                        continue
                    qty = value_digits / POW10[places]
            if ts < min_ts or (usd is not None and usd > max_usd):
                check = True
            # number_key without the call: the price is plain decimal text here
            p = price_text
            price_key = (
                p if p[-1] not in "0." and (p[0] in "123456789" or p[1:2] == ".") and p.isascii() else number_key(p)
            )
            out.append(
                Liquidation(
                    VENUE,
                    contract,
                    coin,
                    NEGATIVE_SIZE_SIDE if negative else POSITIVE_SIZE_SIDE,
                    price / divisor,
                    qty,
                    usd,
                    ts,
                    recv_ts,
                    COMPLETE if ts >= COMPLETE_SINCE_MS else SAMPLED,
                    f"{prefix}{ts}:{signed}:{price_key}",
                )
            )
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()


def is_data(frame: Frame) -> bool:
    """Liquidation and ticker updates (`"update"`) and contract_info pushes (`"all"`)."""
    if isinstance(frame, bytes):
        return b'"update"' in frame or b'"all"' in frame
    return '"update"' in frame or '"all"' in frame


def subscribe_frame(channel: str, payload: Sequence[str], time_s: int = SUBSCRIBE_TIME_S) -> str:
    request = {"time": time_s, "channel": channel, "event": "subscribe", "payload": list(payload)}
    return msgspec.json.encode(request).decode()


def subscribe_at(channel: str, payload: Sequence[str]) -> Callable[[int], str]:
    """The subscribe request, stamped with the time it is sent (Gate checks it within 60 s)."""
    return lambda now_ms: subscribe_frame(channel, payload, now_ms // 1000)


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    return [
        Connection(
            name,
            urls[name],
            [subscribe_at(CHANNEL, ["!all"]), subscribe_at(TICKERS, [COMPANION[name]])],
        )
        for name in ("usdt", "btc")
        if name in urls
    ]


def _ping(now_ms: int) -> str:
    return msgspec.json.encode({"time": now_ms // 1000, "channel": "futures.ping"}).decode()


def instrument(name: str, kind: str | None, quanto_multiplier: str | None, source: str) -> Instrument | None:
    """The catalogue entry of one contract; None when its contract value is not known."""
    base, _, quote = name.partition("_")
    if not base or not quote:
        return None
    coin, bundle = normalize_coin(base)
    if kind == "inverse":
        usd = INVERSE_USD_PER_CONTRACT.get(name)
        return None if usd is None else Instrument(VENUE, name, coin, "inverse", usd, "USD", 1.0, source)
    if kind != "direct" or quanto_multiplier is None:
        return None
    try:
        positive(quanto_multiplier, "quanto_multiplier")
        size = exact_product(quanto_multiplier, bundle)
    except (BadNumber, ValueError, OverflowError):
        return None
    return Instrument(VENUE, name, coin, "linear", size, quote, bundle, source)


class _Contract(msgspec.Struct):
    name: str
    type: str | None = None  # direct (USDT-settled, linear) | inverse (BTC-settled)
    quanto_multiplier: str | None = None  # direct: base-coin units per contract
    in_delisting: bool | None = None


class _ContractInfo(msgspec.Struct):
    contract: str
    quanto_multiplier: str | None = None


_decode_contract_info = msgspec.json.Decoder(list[_ContractInfo] | _ContractInfo).decode

_SETTLE_KIND = {"usdt": "direct", "btc": "inverse"}


def parse_contract_info(frame: Frame, settle: str = "usdt") -> list[Instrument]:
    """A `futures.contract_info` push on the `settle` connection → Instruments for the catalogue."""
    try:
        push = _decode_push(frame)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"gate: {exc}") from None
    if push.channel != CONTRACT_INFO or push.event not in ("all", "update") or not push.result:
        return []
    try:
        decoded = _decode_contract_info(push.result)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"gate contract_info: {exc}") from None
    infos = decoded if isinstance(decoded, list) else [decoded]
    kind = _SETTLE_KIND.get(settle)
    found = (instrument(info.contract, kind, info.quanto_multiplier, "rest") for info in infos)
    return [inst for inst in found if inst is not None]


def instrument_requests() -> list[RestRequest]:
    return [RestRequest(f"/api/v4/futures/{settle}/contracts") for settle in ("usdt", "btc")]


def parse_instruments(req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        contracts = msgspec.json.decode(body, type=list[_Contract])
    except msgspec.DecodeError as exc:
        raise BadFrame(f"gate contracts: {exc}") from None
    settle = req.path.rstrip("/").split("/")[-2] if req.path.count("/") >= 2 else ""
    out = []
    for contract in contracts:
        inst = instrument(contract.name, contract.type or _SETTLE_KIND.get(settle), contract.quanto_multiplier, "rest")
        if inst is not None:
            out.append(inst)
    return InstrumentsPage(out)


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
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=10.0, ping=_ping),
    silence_s=60.0,  # BTC_USD (btc-settled) trades less often than BTC_USDT
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes=NOTE,
    checked_parse=parser,
)
