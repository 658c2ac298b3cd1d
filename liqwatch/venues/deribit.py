"""Deribit (`deribit`): liquidations are public trades flagged with `liquidation`.

Docs: https://docs.deribit.com/subscriptions/trades/tradeskindcurrencyinterval (trades.{kind}.{currency}.{interval})
      https://docs.deribit.com/api-reference/session-management/public-set_heartbeat
      https://docs.deribit.com/api-reference/market-data/public-get_instruments
      https://docs.deribit.com/api-reference/market-data/public-get_last_trades_by_currency_and_time

Feed: JSON-RPC `public/subscribe` to `trades.future.<CURRENCY>.100ms` for CURRENCIES (BTC, ETH and
  the USDC/USDT-settled linear contracts). The `raw` interval needs authentication (research §6,
  UNCONFIRMED as a hard rule; INTERVAL is one constant). The trades themselves tick constantly, so
  they are also the liveness stream; `public/set_heartbeat` makes the server send `test_request`s,
  which Heartbeat.reply answers with `public/test` (else the server closes the socket).
Side: `direction` is the TAKER's direction; `liquidation` says who was liquidated:
  "T" (taker): the liquidated order side is `direction` → sell ⇒ long, buy ⇒ short.
  "M" (maker): the liquidated order side is the opposite of `direction` → buy ⇒ long, sell ⇒ short.
  "MT" (both): two events, one long and one short, with the same amount.
  Trades without `liquidation` yield nothing.
Size (`amount`): inverse ("reversed") perpetuals and futures (BTC-PERPETUAL, ETH-25DEC26) give
  USD → usd = amount, qty = amount / price. Linear USDC/USDT instruments (BTC_USDC-PERPETUAL) give
  the base coin → qty = amount, usd = amount × price (USDC/USDT at par). The REST `contract_size`
  (10 USD for BTC-PERPETUAL) is the order step, not the unit of `amount`, so it is not used.
  Options (BTC-27DEC24-100000-C) and combos are skipped (no event): the `future` subscription does
  not carry them and an option's amount is not a liquidated position notional.
Time: `timestamp` (ms). Id: `deribit:<instrument>:<trade_id>:<long|short>` (venues/ids.py): the
  suffix is the liquidated POSITION side, not the M/T flag (a Tardis row says "T" for a trade the
  stream flagged "M"), so the two events of an "MT" trade get distinct ids and every source one id.
Coverage: complete (every liquidation trade is public).
Backfill: `public/get_last_trades_by_currency_and_time` returns the same trade objects (the docs say
  the last 24 hours only); `backfill_request` / `parse_rest_trades` / `backfill_next` are pure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin
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

VENUE = "deribit"
URLS = {"ws": "wss://www.deribit.com/ws/api/v2"}
REST = "https://www.deribit.com/api/v2"

# Settlement currencies whose futures are subscribed (docs allow BTC, ETH, USDC, USDT, EURR, any).
CURRENCIES = ("BTC", "ETH", "USDC", "USDT")
# UNCONFIRMED (research §6): `raw` needs an authenticated session, public clients use `100ms`.
INTERVAL = "100ms"
HEARTBEAT_S = 10  # public/set_heartbeat interval; the docs' minimum is 10 s
# Quote currencies of linear instruments, written after an underscore: BTC_USDC-PERPETUAL.
LINEAR_QUOTES = ("USDC", "USDT")

# (liquidated party, taker direction) → liquidated POSITION side.
SIDES: dict[tuple[str, str], Side] = {
    ("T", "sell"): LONG,  # the taker sold: its long was closed
    ("T", "buy"): SHORT,
    ("M", "buy"): LONG,  # the maker sold into the taker's buy: the maker's long was closed
    ("M", "sell"): SHORT,
}
PARTIES = {"T": ("T",), "M": ("M",), "MT": ("M", "T")}
INF = math.inf


class Trade(msgspec.Struct, frozen=True):
    """One public trade (`public_trade` schema); only liquidation trades become events."""

    trade_id: str  # unique per trade; the dedup key with the instrument
    instrument_name: str  # BTC-PERPETUAL, ETH-25DEC26, BTC_USDC-PERPETUAL, …
    timestamp: int  # trade time, ms since epoch
    price: float  # USD (inverse) or USDC/USDT (linear) per coin
    amount: float  # inverse: USD; linear and options: base coin
    direction: str  # the TAKER's direction: "buy" | "sell"
    liquidation: str | None = None  # "M" maker liquidated, "T" taker, "MT" both; absent otherwise
    trade_seq: int = 0  # per-instrument sequence
    index_price: float | None = None
    mark_price: float | None = None


class Params(msgspec.Struct, frozen=True):
    channel: str = ""  # "trades.future.BTC.100ms"
    data: msgspec.Raw = msgspec.Raw()  # list of trades on trades.* channels (empty: absent)
    type: str = ""  # heartbeat frames: "heartbeat" | "test_request"


class Envelope(msgspec.Struct, frozen=True):
    """Notifications, heartbeats and JSON-RPC responses (acks, errors) in one shape."""

    method: str = ""  # "subscription" | "heartbeat" | "" (responses)
    params: Params | None = None


class TradesPage(msgspec.Struct, frozen=True):
    trades: list[Trade] = []
    has_more: bool = False


class RestError(msgspec.Struct, frozen=True):
    code: int = 0
    message: str = ""


class TradesResponse(msgspec.Struct, frozen=True):
    result: TradesPage | None = None
    error: RestError | None = None


_decode = msgspec.json.Decoder(Envelope).decode
_decode_trades = msgspec.json.Decoder(list[Trade]).decode
_decode_rest_trades = msgspec.json.Decoder(TradesResponse).decode


def is_option_or_combo(name: str) -> bool:
    """Options have four dash parts (BTC-27DEC24-100000-C); combos have more than two.

    A name without a dash is neither: it is an unlisted symbol, stored unpriced (venues/base.py).
    """
    return name.count("-") > 1


def derive(name: str) -> Instrument | None:
    """Deribit's naming convention: BASE-EXPIRY is inverse (amount in USD), BASE_QUOTE-EXPIRY linear."""
    base, dash, expiry = name.partition("-")
    if not dash or not base or not expiry or "-" in expiry:
        return None
    raw_base, underscore, quote = base.partition("_")
    if not raw_base:
        return None
    coin, bundle = normalize_coin(raw_base)
    if not underscore:
        return Instrument(VENUE, name, coin, "inverse", 1.0, "USD")
    if quote in LINEAR_QUOTES:
        return Instrument(VENUE, name, coin, "linear", bundle, quote, bundle)
    return None


def _parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The reference parse: every frame the fast path in `parser` does not take comes here."""
    try:
        msg = _decode(frame)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"deribit: {exc}") from None
    params = msg.params
    if msg.method != "subscription" or params is None or not params.channel.startswith("trades."):
        return []
    if not params.data:
        raise BadFrame(f"deribit: {params.channel} notification without data")
    try:
        trades = _decode_trades(params.data)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"deribit {params.channel}: {exc}") from None
    return _liquidations(trades, recv_ts, cat)


class _FastTrade(msgspec.Struct, frozen=True, gc=False):
    """Trade, as strict as it and stricter: flags and directions the fast path knows (else `_parse`)."""

    trade_id: str
    instrument_name: str
    timestamp: int
    price: float
    amount: float
    direction: Literal["buy", "sell"]
    liquidation: Literal["M", "T", "MT"] | None = None
    trade_seq: int = 0
    index_price: float | None = None
    mark_price: float | None = None


class _FastParams(msgspec.Struct, frozen=True, gc=False):
    """Params with `data` decoded as trades in the same pass."""

    channel: str = ""
    data: list[_FastTrade] | None = None
    type: str = ""


class _FastEnvelope(msgspec.Struct, frozen=True, gc=False):
    method: Literal["subscription"]  # heartbeats and responses go to _parse
    params: _FastParams | None = None


_decode_fast = msgspec.json.Decoder(_FastEnvelope).decode

# (liquidation flag, taker direction) → the events' (party, liquidated side), as _append makes them.
_PARTY_SIDES: dict[str, dict[str, tuple[tuple[str, Side], ...]]] = {
    flag: {direction: tuple((party, SIDES[(party, direction)]) for party in parties) for direction in ("buy", "sell")}
    for flag, parties in PARTIES.items()
}

# How an instrument's events are computed (_append's branches, per name and catalogue):
_PRICE_ONLY = routes.PRICE_ONLY
_INVERSE = routes.INVERSE
_LINEAR = routes.LINEAR
_SKIP = routes.SKIP
_SLOW = routes.SLOW
_Route = routes.Route


def _route(name: str, cat: Catalogue) -> _Route:
    prefix = f"{VENUE}:{name}:"
    if is_option_or_combo(name):
        return (_SKIP, "", 1.0, 0.0, 0, 0.0, 0, False, prefix)
    inst = cat.resolve(VENUE, name, derive)
    if inst is None:
        coin, bundle = normalize_coin(name.partition("-")[0].partition("_")[0])
        return price_only(coin, bundle, prefix)
    return contract_route(inst, prefix)


def _slow(trade: Trade | _FastTrade, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    out: list[Liquidation] = []
    try:
        _append(out, trade, recv_ts, cat)
    except BadNumber as exc:
        raise BadFrame(f"deribit {trade.instrument_name} {trade.trade_id}: {exc}") from None
    return out


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    One decode into typed trades, then per liquidation trade a fast path that gives what
    `_append` gives: amount and price as exact digits of their shortest repr (numbers.float_digits,
    integers inline), products below 2**53 divided once by an exact power of ten. Anything else
    goes to `_append`, frames of any other shape to `_parse`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        try:
            msg = _decode_fast(frame)
        except (msgspec.DecodeError, UnicodeError):
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        params = msg.params
        if params is None or not params.channel.startswith("trades."):
            return []
        trades = params.data
        if trades is None:
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        out: list[Liquidation] = []
        check = False
        for trade in trades:
            flag = trade.liquidation
            if flag is None:
                continue
            amount = trade.amount
            price = trade.price
            name = trade.instrument_name
            route = routes.get(name)
            if route is None:
                route = routes[name] = _route(name, cat)
            mode, coin, divisor, size_digits, size_places, factor_digits, factor_places, usd_quoted, prefix = route
            if not (0.0 < amount < INF and 0.0 < price < INF) or mode == _SLOW:
                out.extend(_slow(trade, recv_ts, cat))
                check = True
                continue
            # amount's digits (numbers.float_digits; an integer below 2**53 is its own digits)
            qty: float | None
            usd: float | None
            if mode == _INVERSE:
                if amount.is_integer() and amount < EXACT_INT:
                    value_digits = amount * size_digits
                    places = size_places
                else:
                    found = float_digits(amount)
                    if found is None:
                        out.extend(_slow(trade, recv_ts, cat))
                        check = True
                        continue
                    value_digits = found[0] * size_digits
                    places = found[1] + size_places
                if not (value_digits < EXACT_INT and places < 23):
                    out.extend(_slow(trade, recv_ts, cat))
                    check = True
                    continue
                value = value_digits / POW10[places]
                qty = value / price
                if not 0.0 < qty < INF:
                    out.extend(_slow(trade, recv_ts, cat))
                    check = True
                    continue
                usd = value if usd_quoted else None
            elif mode == _LINEAR:
                found = (amount, 0) if amount.is_integer() and amount < EXACT_INT else float_digits(amount)
                if found is None:
                    out.extend(_slow(trade, recv_ts, cat))
                    check = True
                    continue
                amount_digits, amount_places = found
                value_digits = amount_digits * size_digits
                places = amount_places + size_places
                if not (value_digits < EXACT_INT and places < 23):
                    out.extend(_slow(trade, recv_ts, cat))
                    check = True
                    continue
                qty = value_digits / POW10[places]
                usd = None
                if usd_quoted:
                    found = (price, 0) if price.is_integer() and price < EXACT_INT else float_digits(price)
                    if found is None:
                        out.extend(_slow(trade, recv_ts, cat))
                        check = True
                        continue
                    usd_digits = amount_digits * factor_digits * found[0]
                    places = amount_places + factor_places + found[1]
                    if not (usd_digits < EXACT_INT and places < 23):
                        out.extend(_slow(trade, recv_ts, cat))
                        check = True
                        continue
                    usd = usd_digits / POW10[places]
            elif mode == _SKIP:
                continue
            else:
                qty = usd = None
            ts = trade.timestamp
            if ts < min_ts or (usd is not None and usd > max_usd):
                check = True
            coin_price = price / divisor
            trade_id = trade.trade_id
            for _party, side in _PARTY_SIDES[flag][trade.direction]:
                out.append(
                    Liquidation(
                        VENUE,
                        name,
                        coin,
                        side,
                        coin_price,
                        qty,
                        usd,
                        ts,
                        recv_ts,
                        COMPLETE,
                        f"{prefix}{trade_id}:{side}",
                    )
                )
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()


def _liquidations(trades: list[Trade], recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    out: list[Liquidation] = []
    for trade in trades:
        if trade.liquidation is None:
            continue
        try:
            _append(out, trade, recv_ts, cat)
        except BadNumber as exc:
            raise BadFrame(f"deribit {trade.instrument_name} {trade.trade_id}: {exc}") from None
    return out


def _append(out: list[Liquidation], trade: Trade | _FastTrade, recv_ts: int, cat: Catalogue) -> None:
    liquidation = trade.liquidation or ""
    parties = PARTIES.get(liquidation)
    if parties is None:
        raise BadNumber(f"unknown liquidation flag {liquidation!r}")
    if trade.direction not in ("buy", "sell"):
        raise BadNumber(f"unknown direction {trade.direction!r}")
    positive(trade.amount, "amount")
    price = positive(trade.price, "price")
    name = trade.instrument_name
    if is_option_or_combo(name):
        return
    inst = cat.resolve(VENUE, name, derive)
    qty: float | None = None
    usd: float | None = None
    coin_price = price
    if inst is None:
        coin, bundle = normalize_coin(name.partition("-")[0].partition("_")[0])
        coin_price = price / bundle
    else:
        coin = inst.coin
        if inst.kind == "inverse":
            quote_value = _sane(exact_product(trade.amount, inst.contract_size), "value")
            qty = _sane(quote_value / price, "qty")
            usd = quote_value if inst.usd_quoted else None
        elif inst.kind == "linear":
            qty = _sane(exact_product(trade.amount, inst.contract_size), "qty")
            coin_price = price / inst.price_unit
            if inst.usd_quoted:
                factor = inst.contract_size / inst.price_unit
                usd = _sane(exact_product(trade.amount, factor, trade.price), "usd")
    for party in parties:
        side = SIDES[(party, trade.direction)]
        out.append(
            Liquidation(
                venue=VENUE,
                symbol=name,
                coin=coin,
                side=side,
                price=coin_price,
                qty=qty,
                usd=usd,
                ts=trade.timestamp,
                recv_ts=recv_ts,
                coverage=COMPLETE,
                id=f"{VENUE}:{name}:{trade.trade_id}:{side}",
            )
        )


def _sane(value: float, what: str) -> float:
    """A product or quotient of positive inputs that neither overflowed nor underflowed."""
    if not (math.isfinite(value) and value > 0):
        raise BadNumber(f"{what} out of range: {value!r}")
    return value


def is_data(frame: Frame) -> bool:
    return (b'"subscription"' in frame) if isinstance(frame, bytes) else ('"subscription"' in frame)


def _rpc(method: str, params: Mapping[str, object], rpc_id: int) -> str:
    return msgspec.json.encode({"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params}).decode()


TEST_REPLY = _rpc("public/test", {}, 9)


def reply(frame: Frame) -> str | None:
    """`public/test` for a server `test_request`; None for every other frame (never raises)."""
    if isinstance(frame, bytes):
        if b"test_request" not in frame:
            return None
    elif "test_request" not in frame:
        return None
    try:
        msg = _decode(frame)
    except msgspec.DecodeError:
        return None
    if msg.method == "heartbeat" and msg.params is not None and msg.params.type == "test_request":
        return TEST_REPLY
    return None


def ping(now_ms: int) -> str:
    return _rpc("public/test", {}, now_ms)


def channels() -> list[str]:
    return [f"trades.future.{currency}.{INTERVAL}" for currency in CURRENCIES]


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    return [
        Connection(
            "ws",
            urls["ws"],
            [
                _rpc("public/set_heartbeat", {"interval": HEARTBEAT_S}, 1),
                _rpc("public/subscribe", {"channels": channels()}, 2),
            ],
        )
    ]


class _Instrument(msgspec.Struct):
    instrument_name: str
    kind: str = ""  # "future", "option", "spot", "future_combo", "option_combo"
    base_currency: str = ""  # BTC, ETH, …
    quote_currency: str = ""  # USD (inverse), USDC (linear)
    counter_currency: str = ""
    settlement_currency: str | None = None  # BTC (inverse), USDC (linear)
    instrument_type: str | None = None  # "reversed" | "linear"
    future_type: str | None = None  # older name of instrument_type
    contract_size: float = 0.0  # order step (USD for inverse), not the unit of trade amounts


class _InstrumentsResponse(msgspec.Struct):
    result: list[_Instrument] = []


def _instrument(raw: _Instrument) -> Instrument | None:
    if raw.kind != "future" or not raw.base_currency:
        return None
    coin, bundle = normalize_coin(raw.base_currency)
    kind = raw.instrument_type or raw.future_type
    if kind == "reversed":
        return Instrument(VENUE, raw.instrument_name, coin, "inverse", 1.0, "USD", 1.0, "rest")
    if kind == "linear":
        quote = (raw.quote_currency or raw.counter_currency).upper()
        return Instrument(VENUE, raw.instrument_name, coin, "linear", bundle, quote, bundle, "rest")
    return None


def instrument_requests() -> list[RestRequest]:
    return [RestRequest("/public/get_instruments", {"currency": "any", "kind": "future"})]


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        response = msgspec.json.decode(body, type=_InstrumentsResponse)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"deribit instruments: {exc}") from None
    return InstrumentsPage([inst for inst in map(_instrument, response.result) if inst is not None])


BACKFILL_PATH = "/public/get_last_trades_by_currency_and_time"
BACKFILL_COUNT = 1000  # the endpoint's maximum page size


def backfill_request(currency: str, start_ms: int, end_ms: int, count: int = BACKFILL_COUNT) -> RestRequest:
    """Trades of one currency's futures in [start_ms, end_ms], oldest first."""
    return RestRequest(
        BACKFILL_PATH,
        {
            "currency": currency,
            "kind": "future",
            "start_timestamp": str(start_ms),
            "end_timestamp": str(end_ms),
            "count": str(count),
            "sorting": "asc",
        },
    )


def _rest_page(body: Frame) -> TradesPage:
    try:
        response = _decode_rest_trades(body)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"deribit trades: {exc}") from None
    if response.error is not None:
        raise BadFrame(f"deribit trades: error {response.error.code} {response.error.message}")
    if response.result is None:
        raise BadFrame("deribit trades: response without result")
    return response.result


def parse_rest_trades(body: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The liquidations in a `get_last_trades_by_*_and_time` response, exactly as parse gives them."""
    return _liquidations(_rest_page(body).trades, recv_ts, cat)


def backfill_next(req: RestRequest, body: Frame) -> RestRequest | None:
    """The following page (from the last trade's timestamp; ids dedup the overlap), or None."""
    page = _rest_page(body)
    if not page.has_more or not page.trades:
        return None
    params = dict(req.params)
    start = int(params.get("start_timestamp", "0"))
    last = max(trade.timestamp for trade in page.trades)
    # A full page within one millisecond would repeat forever: step past it.
    params["start_timestamp"] = str(last if last > start else start + 1)
    return RestRequest(req.path, params)


DERIBIT_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=30.0, ping=ping, reply=reply),
    silence_s=60.0,
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes="Deribit liquidations are flagged public trades; options and combos are not counted.",
    checked_parse=parser,
)
