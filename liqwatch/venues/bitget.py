"""Bitget (`bitget`): UTA v3 public WebSocket, topic `liquidation` per instType.

Docs: https://www.bitget.com/api-doc/uta/websocket/public/Liquidation-Channel
      https://www.bitget.com/api-doc/common/websocket-intro (ping/pong)

Side: `side` is the liquidated POSITION's side (doc: "buy: Long position liquidation, sell: Short
  position liquidation"): buy → long, sell → short; tardis-node agrees ("position side").
Size: `amount` is in the QUOTE coin (doc: "Unit: quote coin"), `price` the liquidation price.
  usd = amount (usdt-, usdc- and coin-futures are quoted in USDT, USDC, USD: at par); qty = amount
  / price. No contract size is needed: the catalogue gives the coin, and a bundle for multiplier
  symbols (1000XUSDT: price / bundle, qty × bundle). `price` is read by value (text or a JSON
  number); `amount` and `ts` must be text (the id holds them).
Coverage: sampled (`COVERAGE`). The docs conflict (research §7): one copy says at most the largest
  long and short per pair per second, another every liquidation in batches every 20 s. Until
  verified live, totals are lower bounds.
Id: `bitget:{symbol}:{ts}:{side}:{amount}` (research §0.5).
Subscriptions: one connection: `liquidation` for usdt-, coin- and usdc-futures (no symbol: the
  topic covers the instType), and the BTCUSDT `ticker`, which ticks several times a second and
  proves the socket alive. Heartbeat: send `ping` well within 30 s; the server answers `pong`.
Instruments: none fetched (amount is in the quote; `derive` reads the coin from the symbol). A UTA
  instruments endpoint exists, but its path and response were not confirmed here.
UNCONFIRMED:
  - coverage cadence (above): flip `COVERAGE` to COMPLETE if the 20 s full-batch reading is right;
  - the v3 ticker argument `{"instType","topic":"ticker","symbol"}` (`TICKER_ARG`) is from
    tardis-node's live client and tiagosiebler/bitget-api V3, not Bitget's own page;
  - the v3 heartbeat wording (the v2 intro page documents `ping`/`pong` every 30 s);
  - coin-futures `amount` in USD (the field table says "quote coin" for every instType).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Literal

import msgspec

from liqwatch.instruments import USD_QUOTES, Catalogue, Instrument, normalize_coin, split_symbol
from liqwatch.model import LONG, SAMPLED, SHORT, Coverage, Liquidation
from liqwatch.numbers import BadNumber, positive, refuse_padding
from liqwatch.venues.base import BadFrame, Connection, Frame, Heartbeat, Parse, VenueSpec, refuse_impossible, unlisted
from liqwatch.venues.ids import number_key

VENUE = "bitget"

URLS = {"public": "wss://ws.bitget.com/v3/ws/public"}
REST = "https://api.bitget.com"

COVERAGE: Coverage = SAMPLED  # docs conflict (1 s max-per-side vs 20 s full batches): research §7
SIDES = {"buy": LONG, "sell": SHORT}  # position side → liquidated side
# instType → the quote coin `amount` is denominated in.
INST_TYPES = {"usdt-futures": "USDT", "coin-futures": "USD", "usdc-futures": "USDC"}
LIQ_TOPIC = "liquidation"
TICKER_ARG = {"instType": "usdt-futures", "topic": "ticker", "symbol": "BTCUSDT"}  # UNCONFIRMED shape

_QUOTES = ("USDT", "USDC")
# Coin-futures: "BTCUSD", dated "BTCUSDZ25" (month code + year) or "BTCUSD_251226".
_COIN_FUTURES = re.compile(r"^([A-Z0-9]+?)USD(?:[FGHJKMNQUVXZ]\d{2}|_\d{6})?$")
_MAX_TS = 2**63 - 1
INF = math.inf


class Entry(msgspec.Struct, frozen=True, gc=False):  # the hot path's: the lax decoder reads `price` text
    symbol: str  # e.g. BTCUSDT (usdt-futures), BTCUSD (coin-futures), BTCPERP (usdc-futures)
    side: Literal["buy", "sell"]  # POSITION side: buy (a long was liquidated) or sell (a short)
    price: float  # liquidation price, quote per coin (per bundle for 1000X symbols)
    amount: str  # liquidated amount in the QUOTE coin (USDT / USD / USDC)
    ts: str  # ms since epoch, as decimal text


class AnyEntry(msgspec.Struct, frozen=True, gc=False):  # any entry, for the rules (`_event`) to judge
    symbol: str
    side: str
    price: str | float
    amount: str
    ts: str


class Arg(msgspec.Struct, frozen=True, gc=False):
    instType: str = ""  # usdt-futures, coin-futures, usdc-futures
    topic: str = ""  # "liquidation", "ticker", …


class Push(msgspec.Struct, frozen=True, gc=False):  # pushes {"action","arg","data"}, acks {"event","arg"}
    arg: Arg | None = None
    action: str = ""  # snapshot / update on pushes
    event: str = ""  # subscribe / error on control frames
    data: list[Entry] | None = None  # decoded in the same pass; other frames fail it


class Envelope(msgspec.Struct, frozen=True, gc=False):  # Push, `data` undecoded (AnyEntry on liquidations)
    arg: Arg | None = None
    action: str = ""
    event: str = ""
    data: msgspec.Raw = msgspec.Raw()


_decode_push = msgspec.json.Decoder(Push, strict=False).decode  # strict=False: "89000" → 89000.0
_decode_any = msgspec.json.Decoder(Envelope).decode
_decode_entries = msgspec.json.Decoder(list[AnyEntry]).decode


def derive(symbol: str) -> Instrument | None:
    """Coin and quote from the symbol: …USDT, …USDC, …PERP (USDC), …USD[Z25] (coin-futures)."""
    base_quote = split_symbol(symbol, _QUOTES) or split_symbol(symbol, ("PERP",))
    if base_quote is not None:  # …PERP is USDC-margined
        coin, bundle = normalize_coin(base_quote[0])
        quote = "USDC" if base_quote[1] == "PERP" else base_quote[1]
        return Instrument(VENUE, symbol, coin, "linear", bundle, quote, price_unit=bundle)
    coin_futures = _COIN_FUTURES.match(symbol)
    if coin_futures:
        coin, _ = normalize_coin(coin_futures.group(1))
        return Instrument(VENUE, symbol, coin, "inverse", 1.0, "USD")  # contract_size unused here
    return None


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    The rules of `_event`, inline for the entries they plainly cover (listed symbol, digits for ts,
    positive finite numbers); a frame with any other entry or shape goes whole to `_by_rules`.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        if len(frame) < 8 and frame.strip() == (b"pong" if isinstance(frame, bytes) else "pong"):
            return []
        try:
            msg = _decode_push(frame)
        except (msgspec.DecodeError, UnicodeError):
            return _by_rules(frame, recv_ts, cat, max_usd, min_ts)
        arg = msg.arg
        if arg is None or arg.topic != LIQ_TOPIC or msg.event:
            return []
        entries = msg.data
        if entries is None:
            raise BadFrame("bitget liquidation: no data")
        quote = INST_TYPES.get(arg.instType)
        usd_quote = None if quote is None else quote in USD_QUOTES  # None: the catalogue's quote says
        routes: _Routes = cat.memo(VENUE)  # type: ignore[assignment]
        out = []
        check = False
        for entry in entries:
            symbol = entry.symbol
            ts_text = entry.ts
            route = routes.get(symbol)
            if route is None or not (ts_text.isdigit() and ts_text.isascii() and len(ts_text) < 19):
                return _by_rules(frame, recv_ts, cat, max_usd, min_ts)
            amount_text = entry.amount
            coin, bundle, listed_usd, prefix = route
            try:
                amount = float(amount_text)
                price = entry.price
                qty = amount / price * bundle
                coin_price = price / bundle
            except (ValueError, ZeroDivisionError):
                amount = qty = coin_price = 0.0
            ts = int(ts_text)
            if not (0.0 < amount < INF and 0.0 < qty < INF and 0.0 < coin_price < INF and ts > 0):
                return _by_rules(frame, recv_ts, cat, max_usd, min_ts)
            usd = amount if (listed_usd if usd_quote is None else usd_quote) else None
            if ts < min_ts or (usd is not None and usd > max_usd):
                check = True
            side_text = entry.side
            key = number_key(amount_text)
            if key is not amount_text:  # not canonical: float() may have read what no venue writes
                try:
                    refuse_padding(amount_text)
                except BadNumber:
                    return _by_rules(frame, recv_ts, cat, max_usd, min_ts)
            event_id = f"{prefix}{ts_text}:{side_text}:{key}"
            side = LONG if side_text == "buy" else SHORT
            out.append(Liquidation(VENUE, symbol, coin, side, coin_price, qty, usd, ts, recv_ts, COVERAGE, event_id))
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()

# Per symbol and catalogue: (coin, bundle, whether the catalogue's quote is USD, id prefix); None: unlisted.
_Route = tuple[str, float, bool, str] | None
_Routes = dict[object, _Route]


def _route(symbol: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, symbol, derive)
    return None if inst is None else (inst.coin, inst.price_unit, inst.quote in USD_QUOTES, f"{VENUE}:{symbol}:")


def _by_rules(frame: Frame, recv_ts: int, cat: Catalogue, max_usd: float, min_ts: float) -> list[Liquidation]:
    """Any frame, entry by entry through `_event`: [] for acks, errors and other topics."""
    try:
        msg = _decode_any(frame)
        arg = msg.arg
        if arg is None or arg.topic != LIQ_TOPIC or msg.event:
            return []
        if not msg.data:
            raise BadFrame("bitget liquidation: no data")
        entries = _decode_entries(msg.data)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"bitget: {exc}") from None
    quote = INST_TYPES.get(arg.instType)
    routes: _Routes = cat.memo(VENUE)  # type: ignore[assignment]
    return refuse_impossible([_event(e, quote, recv_ts, cat, routes) for e in entries], max_usd, min_ts)


def _event(entry: AnyEntry, quote: str | None, recv_ts: int, cat: Catalogue, routes: _Routes) -> Liquidation:
    symbol = entry.symbol
    side = SIDES.get(entry.side)
    if side is None:
        raise BadFrame(f"bitget: {symbol}: unknown side {entry.side!r}")
    if not symbol:
        raise BadFrame("bitget: empty symbol")
    ts_text = entry.ts
    if not (0 < len(ts_text) <= 19 and ts_text.isascii() and ts_text.isdigit()) or not 0 < int(ts_text) <= _MAX_TS:
        raise BadFrame(f"bitget: {symbol}: bad ts {ts_text!r}")
    ts = int(ts_text)
    try:  # the same wording as every venue's number errors
        amount, price = positive(entry.amount, "amount"), positive(entry.price, "price")
    except BadNumber as exc:
        raise BadFrame(f"bitget: {exc}") from None
    event_id = f"{VENUE}:{symbol}:{ts_text}:{entry.side}:{number_key(entry.amount)}"
    route = routes[symbol] if symbol in routes else routes.setdefault(symbol, _route(symbol, cat))
    if route is None:  # no quote suffix we know: the coin and its bundle are unknown (venues/base.py)
        return unlisted(VENUE, symbol, side, price, ts, recv_ts, COVERAGE, event_id)
    coin, bundle, listed_usd, _ = route
    qty = amount / price * bundle
    coin_price = price / bundle if bundle > 0.0 else 0.0
    if not (0.0 < qty < INF and coin_price > 0.0):  # extreme inputs over/underflow; a broken catalogue
        raise BadFrame(f"bitget: {symbol}: amount / price out of range")
    usd = amount if (quote in USD_QUOTES if quote is not None else listed_usd) else None
    return Liquidation(VENUE, symbol, coin, side, coin_price, qty, usd, ts, recv_ts, COVERAGE, event_id)


def is_data(frame: Frame) -> bool:
    # Pushes carry "action"; acks/errors carry "event" instead and pongs are plain text.
    return (b'"action"' in frame) if isinstance(frame, bytes) else ('"action"' in frame)


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    args = [*({"instType": t, "topic": LIQ_TOPIC} for t in INST_TYPES), TICKER_ARG]
    subscribe = msgspec.json.encode({"op": "subscribe", "args": args}).decode()
    return [Connection("public", urls["public"], [subscribe])]


BITGET_SPEC = VenueSpec(
    id=VENUE,
    coverage=COVERAGE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=20.0, ping=lambda _now_ms: "ping"),  # silent clients are dropped after 30 s
    silence_s=30.0,
    notes="Bitget's public liquidation feed is sampled (docs conflict on its cadence): totals are lower bounds.",
    checked_parse=parser,
)
