"""Bitget (`bitget`): UTA v3 public WebSocket, topic `liquidation` per instType.

Docs: https://www.bitget.com/api-doc/uta/websocket/public/Liquidation-Channel
      https://www.bitget.com/api-doc/common/websocket-intro (ping/pong)

Side: `side` is the side of the liquidated POSITION (doc: "buy: Long position liquidation, sell:
  Short position liquidation"): buy → long, sell → short. tardis-node agrees ("Bitget side is
  position side").
Size: `amount` is the liquidated amount in the QUOTE coin (doc: "Unit: quote coin"), `price` the
  liquidation price. usd = amount (USDT, USDC and USD at par: usdt-futures, usdc-futures and
  coin-futures are all quoted in one of them); qty = amount / price. No contract size is needed,
  so the catalogue only supplies the coin (and a bundle for multiplier-prefixed symbols such as
  1000XUSDT: price / bundle, qty × bundle).
Coverage: sampled (`COVERAGE`). The docs conflict (research §7): one copy of the page says at most
  the largest long and the largest short per pair per second, another says every liquidation in
  batches every 20 s. Until verified live the totals are treated as lower bounds.
Id: `bitget:{symbol}:{ts}:{side}:{amount}` (research §0.5).
Subscriptions: one connection, `liquidation` for usdt-futures, coin-futures and usdc-futures (no
  symbol: the topic covers the whole instType), plus the BTCUSDT `ticker` topic that ticks several
  times a second and proves the socket alive.
Heartbeat: send the text `ping` well within 30 s; the server answers the text `pong`.
Instruments: none fetched. `amount` is quote-denominated, so no contract size is needed, and the
  coin follows from the symbol (`derive`). (A UTA instruments endpoint exists in the UTA docs but
  its path and response were not confirmed from a source here, so it is not used.)
UNCONFIRMED:
  - coverage cadence (above): flip `COVERAGE` to COMPLETE if the 20 s full-batch reading is right;
  - the v3 ticker subscribe argument `{"instType","topic":"ticker","symbol"}` (`TICKER_ARG`) comes
    from tardis-node's live client and the tiagosiebler/bitget-api V3 client, not Bitget's own page;
  - the heartbeat wording for v3 (the v2 intro page documents `ping`/`pong` every 30 s);
  - coin-futures `amount` in USD (the field table says "quote coin" for every instType).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Literal

import msgspec

from liqwatch.instruments import USD_QUOTES, Catalogue, Instrument, normalize_coin
from liqwatch.model import LONG, SAMPLED, SHORT, Coverage, Liquidation
from liqwatch.numbers import BadNumber, positive
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
    unlisted,
)
from liqwatch.venues.ids import number_key

VENUE = "bitget"

URLS = {"public": "wss://ws.bitget.com/v3/ws/public"}
REST = "https://api.bitget.com"

COVERAGE: Coverage = SAMPLED  # docs conflict (1 s max-per-side vs 20 s full batches): research §7
# Position side → liquidated side (buy = a long was liquidated).
SIDES = {"buy": LONG, "sell": SHORT}
# instType → the quote coin `amount` is denominated in.
INST_TYPES = {"usdt-futures": "USDT", "coin-futures": "USD", "usdc-futures": "USDC"}
LIQ_TOPIC = "liquidation"
# Companion stream (UNCONFIRMED shape, see module docstring).
TICKER_ARG = {"instType": "usdt-futures", "topic": "ticker", "symbol": "BTCUSDT"}

_QUOTES = ("USDT", "USDC")
# Coin-futures: "BTCUSD", dated "BTCUSDZ25" (month code + year) or "BTCUSD_251226".
_COIN_FUTURES = re.compile(r"^([A-Z0-9]+?)USD(?:[FGHJKMNQUVXZ]\d{2}|_\d{6})?$")
_MAX_TS = 2**63 - 1
INF = math.inf


class Entry(msgspec.Struct, frozen=True):
    symbol: str  # e.g. BTCUSDT (usdt-futures), BTCUSD (coin-futures), BTCPERP (usdc-futures)
    side: str  # POSITION side: buy (a long was liquidated) or sell (a short)
    price: str  # liquidation price, quote per coin (per bundle for 1000X symbols)
    amount: str  # liquidated amount in the QUOTE coin (USDT / USD / USDC)
    ts: str  # ms since epoch, as a decimal string


class Arg(msgspec.Struct, frozen=True):
    instType: str = ""  # usdt-futures, coin-futures, usdc-futures
    topic: str = ""  # "liquidation", "ticker", …
    symbol: str = ""  # only on per-symbol topics (ticker)


class Envelope(msgspec.Struct, frozen=True):
    """Pushes (`{"action","arg","data","ts"}`), acks and errors (`{"event","arg",…}`) in one shape."""

    arg: Arg | None = None
    action: str = ""  # snapshot / update on pushes
    event: str = ""  # subscribe / error on control frames
    data: msgspec.Raw = msgspec.Raw()  # list of Entry on `liquidation` pushes


_decode = msgspec.json.Decoder(Envelope).decode
_decode_entries = msgspec.json.Decoder(list[Entry]).decode


def derive(symbol: str) -> Instrument | None:
    """Coin and quote from the symbol: …USDT, …USDC, …PERP (USDC), …USD[Z25] (coin-futures)."""
    for quote in _QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return _linear(symbol, symbol[: -len(quote)], quote)
    if symbol.endswith("PERP") and len(symbol) > 4:
        return _linear(symbol, symbol[:-4], "USDC")
    coin_futures = _COIN_FUTURES.match(symbol)
    if coin_futures:
        coin, _ = normalize_coin(coin_futures.group(1))
        # Size here is quote-denominated anyway; contract_size is not used for Bitget.
        return Instrument(VENUE, symbol, coin, "inverse", 1.0, "USD")
    return None


def _linear(symbol: str, base: str, quote: str) -> Instrument:
    coin, bundle = normalize_coin(base)
    return Instrument(VENUE, symbol, coin, "linear", bundle, quote, price_unit=bundle)


def _is_pong(frame: Frame) -> bool:
    return frame.strip() == (b"pong" if isinstance(frame, bytes) else "pong")


def _parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    """The reference parse: every frame the fast path in `parser` does not take comes here."""
    if len(frame) < 8 and _is_pong(frame):
        return []
    try:
        msg = _decode(frame)
        arg = msg.arg
        if arg is None or arg.topic != LIQ_TOPIC or msg.event:
            return []
        if not msg.data:
            raise BadFrame("bitget liquidation: no data")
        entries = _decode_entries(msg.data)
        quote = INST_TYPES.get(arg.instType)
        return [_event(entry, quote, recv_ts, cat) for entry in entries]
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"bitget: {exc}") from None
    except (BadNumber, OverflowError, IndexError) as exc:  # numbers beyond float or table range
        raise BadFrame(f"bitget: {exc}") from None


def _one(entry: _FastEntry, quote: str | None, recv_ts: int, cat: Catalogue) -> Liquidation:
    try:
        return _event(entry, quote, recv_ts, cat)
    except (BadNumber, OverflowError, IndexError) as exc:
        raise BadFrame(f"bitget: {exc}") from None


class _FastEntry(msgspec.Struct, frozen=True, gc=False):
    """Entry, as strict as it and stricter: sides the fast path knows (else `_parse`)."""

    symbol: str
    side: Literal["buy", "sell"]
    price: str
    amount: str
    ts: str


class _FastEnvelope(msgspec.Struct, frozen=True, gc=False):
    """Envelope with `data` decoded as entries in the same pass."""

    arg: Arg | None = None
    action: str = ""
    event: str = ""
    data: list[_FastEntry] | None = None


_decode_fast = msgspec.json.Decoder(_FastEnvelope).decode

# Per symbol and catalogue: (coin, bundle, the catalogue's quote or None if unlisted, id prefix,
# whether the fast path may take it: not for a bundle of 0 from a broken catalogue entry).
_Route = tuple[str, float, str | None, str, bool]


def _route(symbol: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, symbol, derive)
    prefix = f"{VENUE}:{symbol}:"
    if inst is None:  # unlisted: `_event` stores it unpriced
        return (symbol, 1.0, None, prefix, False)
    return (inst.coin, inst.price_unit, inst.quote, prefix, inst.price_unit != 0.0)


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    `liquidation` pushes are decoded once into typed entries; per entry a fast path gives what
    `_event` gives. Anything it does not cover goes to `_event`, frames of any other shape to
    `_parse`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        if len(frame) < 8 and _is_pong(frame):
            return []
        try:
            msg = _decode_fast(frame)
        except (msgspec.DecodeError, UnicodeError):
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        arg = msg.arg
        if arg is None or arg.topic != LIQ_TOPIC or msg.event:
            return []
        entries = msg.data
        if entries is None:
            return refuse_impossible(_parse(frame, recv_ts, cat), max_usd, min_ts)
        quote = INST_TYPES.get(arg.instType)
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        out: list[Liquidation] = []
        check = False
        for entry in entries:
            symbol = entry.symbol
            ts_text = entry.ts
            if not symbol or not ts_text.isdigit() or not ts_text.isascii() or len(ts_text) > 19:
                out.append(_one(entry, quote, recv_ts, cat))
                check = True
                continue
            ts = int(ts_text)
            try:
                amount = float(entry.amount)
                price = float(entry.price)
            except ValueError:
                amount = price = 0.0
            route = routes.get(symbol)
            if route is None:
                route = routes[symbol] = _route(symbol, cat)
            coin, bundle, listed_quote, prefix, fast = route
            if not (0 < ts <= _MAX_TS and 0.0 < amount < INF and 0.0 < price < INF and fast):
                out.append(_one(entry, quote, recv_ts, cat))
                check = True
                continue
            qty = amount / price * bundle
            coin_price = price / bundle
            if not (0.0 < qty < INF and coin_price > 0.0):
                out.append(_one(entry, quote, recv_ts, cat))
                check = True
                continue
            usd = amount if (quote if quote is not None else listed_quote) in USD_QUOTES else None
            if ts < min_ts or (usd is not None and usd > max_usd):
                check = True
            out.append(
                Liquidation(
                    VENUE,
                    symbol,
                    coin,
                    LONG if entry.side == "buy" else SHORT,  # SIDES; the fast decode takes buy and sell only
                    coin_price,
                    qty,
                    usd,
                    ts,
                    recv_ts,
                    COVERAGE,
                    f"{prefix}{ts_text}:{entry.side}:{number_key(entry.amount)}",
                )
            )
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()


def _event(entry: Entry | _FastEntry, quote: str | None, recv_ts: int, cat: Catalogue) -> Liquidation:
    symbol = entry.symbol
    side = SIDES.get(entry.side)
    if side is None:
        raise BadNumber(f"{symbol}: unknown side {entry.side!r}")
    if not symbol:
        raise BadNumber("empty symbol")
    ts_text = entry.ts
    if not (0 < len(ts_text) <= 19 and ts_text.isascii() and ts_text.isdigit()) or not 0 < int(ts_text) <= _MAX_TS:
        raise BadNumber(f"{symbol}: bad ts {ts_text!r}")
    ts = int(ts_text)
    amount = positive(entry.amount, "amount")
    price = positive(entry.price, "price")
    inst = cat.resolve(VENUE, symbol, derive)
    if inst is None:  # no quote suffix we know: the coin and its bundle are unknown (venues/base.py)
        return unlisted(
            VENUE,
            symbol,
            side,
            price,
            ts,
            recv_ts,
            COVERAGE,
            f"{VENUE}:{symbol}:{ts_text}:{entry.side}:{number_key(entry.amount)}",
        )
    coin, bundle = inst.coin, inst.price_unit
    if quote is None:
        quote = inst.quote
    usd = amount if quote in USD_QUOTES else None
    qty = amount / price * bundle
    coin_price = price / bundle
    if not (0.0 < qty < math.inf and coin_price > 0.0):  # extreme inputs over/underflow
        raise BadNumber(f"{symbol}: amount / price out of range")
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
        COVERAGE,
        f"{VENUE}:{symbol}:{ts_text}:{entry.side}:{number_key(entry.amount)}",
    )


def is_data(frame: Frame) -> bool:
    # Pushes carry "action"; acks/errors carry "event" instead and pongs are plain text.
    return (b'"action"' in frame) if isinstance(frame, bytes) else ('"action"' in frame)


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    args: list[dict[str, str]] = [{"instType": t, "topic": LIQ_TOPIC} for t in INST_TYPES]
    args.append(TICKER_ARG)
    subscribe = msgspec.json.encode({"op": "subscribe", "args": args}).decode()
    return [Connection("public", urls["public"], [subscribe])]


def _ping(_now_ms: int) -> str:
    return "ping"


def instrument_requests() -> list[RestRequest]:
    return []  # amount is quote-denominated: no contract size to fetch (see module docstring)


def parse_instruments(_req: RestRequest, _body: bytes) -> InstrumentsPage:
    return InstrumentsPage([])


BITGET_SPEC = VenueSpec(
    id=VENUE,
    coverage=COVERAGE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=20.0, ping=_ping),  # silent clients are dropped after 30 s
    silence_s=30.0,
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes="Bitget's public liquidation feed is sampled (docs conflict on its cadence): totals are lower bounds.",
    checked_parse=parser,
)
