"""Deribit (`deribit`): liquidations are public trades flagged with `liquidation`.

Docs: https://docs.deribit.com/subscriptions/trades/tradeskindcurrencyinterval (trades.{kind}.{currency}.{interval})
      https://docs.deribit.com/api-reference/session-management/public-set_heartbeat
      https://docs.deribit.com/api-reference/market-data/public-get_instruments
      https://docs.deribit.com/api-reference/market-data/public-get_last_trades_by_currency_and_time

Feed: JSON-RPC `public/subscribe` to `trades.future.<CURRENCY>.100ms` for CURRENCIES (BTC, ETH and
  the USDC/USDT-settled linear contracts). `raw` needs authentication (research §6, UNCONFIRMED as
  a hard rule; INTERVAL is one constant). Trades tick constantly: they are the liveness stream too.
  `public/set_heartbeat` makes the server send `test_request`s, which Heartbeat.reply answers with
  `public/test` (else the server closes the socket).
Side: `direction` is the TAKER's; `liquidation` says who was liquidated: "T" (taker): the
  liquidated order side is `direction` → sell ⇒ long, buy ⇒ short. "M" (maker): the opposite →
  buy ⇒ long, sell ⇒ short. "MT" (both): two events, long and short, the same amount. Trades
  without `liquidation` yield nothing (unchecked); another flag or direction: BadFrame.
Size (`amount`): inverse ("reversed") perpetuals and futures (BTC-PERPETUAL, ETH-25DEC26) give
  USD → usd = amount, qty = amount / price. Linear USDC/USDT ones (BTC_USDC-PERPETUAL) give the
  base coin → qty = amount, usd = amount × price (USDC/USDT at par). The REST `contract_size`
  (10 USD for BTC-PERPETUAL) is the order step, not the unit of `amount`: not used. Options
  (BTC-27DEC24-100000-C) and combos are skipped: the `future` subscription does not carry them
  and an option's amount is not a liquidated position's notional.
Time: `timestamp` (ms). Id: `deribit:<instrument>:<trade_id>:<long|short>` (venues/ids.py): the
  liquidated POSITION side, not the M/T flag (a Tardis row says "T" for a trade the stream flagged
  "M"), so the two events of an "MT" trade get distinct ids and every source one id.
Coverage: complete (every liquidation trade is public).
Backfill: `public/get_last_trades_by_currency_and_time` returns the same trade objects (the last
  24 hours only, say the docs); requests, pages, instruments and naming (`derive`): deribit_rest.py.
"""

from __future__ import annotations

import math
from typing import Literal

import msgspec

from liqwatch.instruments import Catalogue, normalize_coin
from liqwatch.model import COMPLETE, LONG, SHORT, Liquidation, Side
from liqwatch.numbers import EXACT_INT, POW10, BadNumber, exact_product, float_digits, positive
from liqwatch.venues import deribit_rest
from liqwatch.venues.base import BadFrame, Frame, Heartbeat, Parse, VenueSpec, refuse_impossible
from liqwatch.venues.deribit_rest import backfill_next as backfill_next  # callers use deribit.…
from liqwatch.venues.deribit_rest import backfill_request as backfill_request
from liqwatch.venues.routes import INVERSE, LINEAR, SKIP, SLOW, Route, contract_route, price_only

VENUE = "deribit"
URLS = {"ws": "wss://www.deribit.com/ws/api/v2"}
REST = "https://www.deribit.com/api/v2"

# liquidation flag → the TAKER's direction → the liquidated POSITION sides of its events. T: the
# taker's order side is `direction` (sell closes a long); M: the maker's is the opposite (the maker
# sold into the taker's buy: a long was closed); MT: both, the maker's first.
SIDES: dict[str, dict[str, tuple[Side, ...]]] = {
    "T": {"sell": (LONG,), "buy": (SHORT,)},
    "M": {"buy": (LONG,), "sell": (SHORT,)},
    "MT": {"buy": (LONG, SHORT), "sell": (SHORT, LONG)},
}
INF = math.inf


class Trade(msgspec.Struct, frozen=True, gc=False):  # `public_trade`, the fields read
    trade_id: str  # unique per trade; the dedup key with the instrument
    instrument_name: str  # BTC-PERPETUAL, ETH-25DEC26, BTC_USDC-PERPETUAL, …
    timestamp: int  # trade time, ms since epoch
    price: float  # USD (inverse) or USDC/USDT (linear) per coin
    amount: float  # inverse: USD; linear and options: base coin
    direction: str  # the TAKER's direction: "buy" | "sell"
    liquidation: Literal["M", "T", "MT"] | None = None  # maker, taker or both liquidated; absent otherwise


class Params(msgspec.Struct, frozen=True, gc=False):
    channel: str = ""  # "trades.future.BTC.100ms"
    data: list[Trade] | None = None  # trades on trades.* channels
    type: str = ""  # heartbeat frames: "heartbeat" | "test_request"


class Envelope(msgspec.Struct, frozen=True, gc=False):  # notifications (trades decoded too), heartbeats, responses
    method: str = ""  # "subscription" | "heartbeat" | "" (responses)
    params: Params | None = None


_decode = msgspec.json.Decoder(Envelope).decode


def _route(name: str, cat: Catalogue) -> Route:
    prefix = f"{VENUE}:{name}:"
    if deribit_rest.is_option_or_combo(name):
        return (SKIP, "", 1.0, 0.0, 0, 0.0, 0, False, prefix)
    inst = cat.resolve(VENUE, name, deribit_rest.derive)
    if inst is None:
        coin, bundle = normalize_coin(name.partition("-")[0].partition("_")[0])
        return price_only(coin, bundle, prefix)
    return contract_route(inst, prefix)


def _events(trade: Trade, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """THE RULES for one liquidation trade (`parse`'s loop inlines them for the trades they plainly cover)."""
    name = trade.instrument_name
    if trade.liquidation is None:  # not a liquidation
        return []
    try:
        sides = SIDES[trade.liquidation].get(trade.direction)
        if sides is None:
            raise BadNumber(f"unknown direction {trade.direction!r}")
        positive(trade.amount, "amount")
        price = positive(trade.price, "price")
        if deribit_rest.is_option_or_combo(name):  # checked, then skipped: not a position's notional
            return []
        inst = cat.resolve(VENUE, name, deribit_rest.derive)
        qty = usd = None
        coin_price = price
        if inst is None:  # unlisted: priced only (venues/base.py)
            coin, bundle = normalize_coin(name.partition("-")[0].partition("_")[0])
            coin_price = price / bundle
        elif inst.kind == "inverse":  # amount in USD: usd = amount, qty = usd / price
            coin = inst.coin
            value = _sane(exact_product(trade.amount, inst.contract_size), "value")
            qty = _sane(value / price, "qty")
            usd = value if inst.usd_quoted else None
        elif inst.kind == "linear":  # amount in coin: qty = amount, usd = amount × price
            coin = inst.coin
            qty = _sane(exact_product(trade.amount, inst.contract_size), "qty")
            coin_price = price / inst.price_unit
            if inst.usd_quoted:
                usd = _sane(exact_product(trade.amount, inst.contract_size / inst.price_unit, trade.price), "usd")
        else:
            coin = inst.coin
    except BadNumber as exc:
        raise BadFrame(f"deribit {name} {trade.trade_id}: {exc}") from None
    ts = trade.timestamp
    prefix = f"{VENUE}:{name}:{trade.trade_id}:"
    return [
        Liquidation(VENUE, name, coin, side, coin_price, qty, usd, ts, recv_ts, COMPLETE, f"{prefix}{side}")
        for side in sides
    ]


def _all_events(trades: list[Trade], recv_ts: int, cat: Catalogue, max_usd: float, min_ts: float) -> list[Liquidation]:
    out = [event for trade in trades for event in _events(trade, recv_ts, cat)]
    return refuse_impossible(out, max_usd, min_ts)


def _sane(value: float, what: str) -> float:  # a product or quotient of positive inputs, in range
    if not (math.isfinite(value) and value > 0):
        raise BadNumber(f"{what} out of range: {value!r}")
    return value


def _other(frame: Frame, error: object) -> list[Liquidation]:
    """A frame Envelope cannot read: [] unless it is a trades notification, else BadFrame naming `error`."""
    try:
        msg = deribit_rest.decode_header(frame)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"deribit: {exc}") from None
    if msg.method != "subscription" or msg.params is None or not msg.params.channel.startswith("trades."):
        return []
    raise BadFrame(f"deribit {msg.params.channel}: {error}")


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    `_events`' rules inline where amount and price are the exact digits of their shortest repr
    (numbers.float_digits) with products below 2**53, divided once by an exact power of ten; a
    notification with any other trade is `_all_events`', other frames `_other`'s.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        try:
            msg = _decode(frame)
        except (msgspec.DecodeError, UnicodeError) as exc:
            return _other(frame, exc)
        params = msg.params
        if msg.method != "subscription" or params is None or not params.channel.startswith("trades."):
            return []
        trades = params.data
        if trades is None:
            raise BadFrame(f"deribit: {params.channel} notification without data")
        routes: dict[object, Route] = cat.memo(VENUE)  # type: ignore[assignment]
        out: list[Liquidation] = []
        check = False
        for trade in trades:
            flag = trade.liquidation
            if flag is None:
                continue
            amount = trade.amount
            price = trade.price
            name = trade.instrument_name
            route = routes.get(name) or routes.setdefault(name, _route(name, cat))
            mode, coin, divisor, size_digits, size_places, factor_digits, factor_places, usd_quoted, prefix = route
            sides = SIDES[flag].get(trade.direction)
            if sides is None or mode == SLOW or not (0.0 < amount < INF and 0.0 < price < INF):
                return _all_events(trades, recv_ts, cat, max_usd, min_ts)
            if amount.is_integer() and amount < EXACT_INT:  # its own digits (numbers.float_digits)
                digits, places = amount, 0
            else:
                found = float_digits(amount)
                if found is None:
                    return _all_events(trades, recv_ts, cat, max_usd, min_ts)
                digits, places = found
            if mode == SKIP:
                continue
            value_digits = digits * size_digits
            value_places = places + size_places
            ok = value_digits < EXACT_INT and value_places < 23
            qty: float | None
            usd: float | None
            if mode == INVERSE and ok:  # usd = amount × size (USD), qty = usd / price
                value = value_digits / POW10[value_places]
                in_qty = value / price
                qty, usd = in_qty, value if usd_quoted else None
                ok = 0.0 < in_qty < INF
            elif mode == LINEAR and ok:  # qty = amount × size, usd = amount × size / price_unit × price
                qty, usd = value_digits / POW10[value_places], None
                if usd_quoted:
                    price_found = (price, 0) if price.is_integer() and price < EXACT_INT else float_digits(price)
                    ok = price_found is not None
                    if price_found is not None:
                        usd_digits = digits * factor_digits * price_found[0]
                        usd_places = places + factor_places + price_found[1]
                        ok = usd_digits < EXACT_INT and usd_places < 23
                        usd = usd_digits / POW10[usd_places] if ok else None
            else:
                qty = usd = None
            if not ok:
                return _all_events(trades, recv_ts, cat, max_usd, min_ts)
            ts = trade.timestamp
            if ts < min_ts or (usd is not None and usd > max_usd):
                check = True
            coin_price = price / divisor
            trade_id = trade.trade_id
            for side in sides:
                event_id = f"{prefix}{trade_id}:{side}"
                out.append(Liquidation(VENUE, name, coin, side, coin_price, qty, usd, ts, recv_ts, COMPLETE, event_id))
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()


def parse_rest_trades(body: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The liquidations in a `get_last_trades_by_*_and_time` response, exactly as parse gives them."""
    return parse(deribit_rest.rest_trades_as_push(body), recv_ts, cat)


def is_data(frame: Frame) -> bool:
    return (b'"subscription"' in frame) if isinstance(frame, bytes) else ('"subscription"' in frame)


DERIBIT_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=deribit_rest.connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=30.0, ping=deribit_rest.ping, reply=deribit_rest.reply),
    silence_s=60.0,
    instrument_requests=deribit_rest.instrument_requests,
    parse_instruments=deribit_rest.parse_instruments,
    notes="Deribit liquidations are flagged public trades; options and combos are not counted.",
    checked_parse=parser,
)
