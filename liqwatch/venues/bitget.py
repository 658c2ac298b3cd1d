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


class Entry(msgspec.Struct, frozen=True, gc=False):
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


class Push(msgspec.Struct, frozen=True, gc=False):
    """A liquidation push with its entries decoded in the same pass (other frames fail it)."""

    arg: Arg | None = None
    action: str = ""
    event: str = ""
    data: list[Entry] | None = None


_decode_push = msgspec.json.Decoder(Push).decode
_decode_any = msgspec.json.Decoder(Envelope).decode
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


def _parse_other(frame: Frame) -> list[Liquidation]:
    """A frame that is not a well-formed liquidation push: [] for acks, errors and other topics,
    else BadFrame naming what is wrong with it."""
    try:
        msg = _decode_any(frame)
        arg = msg.arg
        if arg is None or arg.topic != LIQ_TOPIC or msg.event:
            return []
        if not msg.data:
            raise BadFrame("bitget liquidation: no data")
        _decode_entries(msg.data)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"bitget: {exc}") from None
    raise BadFrame("bitget liquidation: unreadable entries")  # pragma: no cover (the decoders agree)


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    """`parse`, refusing (BadFrame, as `venues.plausible` words it) an event above max_usd or before min_ts.

    One path: the push is decoded once into typed entries; each entry becomes an event by the
    rules written in `_event` (inlined in the loop for the entries they plainly cover: listed
    symbol, known side, digits for ts, positive finite numbers); frames of any other shape go to
    `_parse_other`, which returns [] for control frames and words the error for broken ones.
    """

    def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        if len(frame) < 8 and _is_pong(frame):
            return []
        try:
            msg = _decode_push(frame)
        except (msgspec.DecodeError, UnicodeError):
            return _parse_other(frame)
        arg = msg.arg
        if arg is None or arg.topic != LIQ_TOPIC or msg.event:
            return []
        entries = msg.data
        if entries is None:
            raise BadFrame("bitget liquidation: no data")
        quote = INST_TYPES.get(arg.instType)
        routes: dict[object, _Route] = cat.memo(VENUE)  # type: ignore[assignment]
        out = []
        check = False
        for entry in entries:
            # the rules of `_event`, inline for speed; any entry they do not cover is `_event`'s
            symbol = entry.symbol
            side_text = entry.side
            ts_text = entry.ts
            route = routes.get(symbol)
            plain_ts = ts_text.isdigit() and ts_text.isascii() and len(ts_text) < 19
            if route is None or side_text not in SIDES or not plain_ts:
                event = _event(entry, quote, recv_ts, cat, routes)
            else:
                amount_text = entry.amount
                try:
                    amount = float(amount_text)
                    price = float(entry.price)
                except ValueError:
                    amount = price = 0.0
                coin, bundle, listed_quote, prefix = route
                qty = amount / price * bundle if price > 0.0 else 0.0
                coin_price = price / bundle if bundle > 0.0 else 0.0
                ts = int(ts_text)
                if not (0.0 < amount < INF and 0.0 < qty < INF and 0.0 < coin_price < INF and ts > 0):
                    event = _event(entry, quote, recv_ts, cat, routes)
                else:
                    usd = amount if (quote if quote is not None else listed_quote) in USD_QUOTES else None
                    a = amount_text  # number_key without the call when plainly canonical
                    plain = a[-1] not in "0." and (a[0] in "123456789" or a[1:2] == ".") and a.isascii()
                    key = a if plain and a.replace(".", "", 1).isdigit() else number_key(a)
                    side = LONG if side_text == "buy" else SHORT
                    event_id = f"{prefix}{ts_text}:{side_text}:{key}"
                    event = Liquidation(
                        VENUE, symbol, coin, side, coin_price, qty, usd, ts, recv_ts, COVERAGE, event_id
                    )
            if event.ts < min_ts or (event.usd is not None and event.usd > max_usd):
                check = True
            out.append(event)
        return refuse_impossible(out, max_usd, min_ts) if check else out

    return parse


parse = parser()

# Per symbol and catalogue: (coin, bundle, the catalogue's quote, id prefix); None: unlisted.
_Route = tuple[str, float, str, str] | None


def _route(symbol: str, cat: Catalogue) -> _Route:
    inst = cat.resolve(VENUE, symbol, derive)
    return None if inst is None else (inst.coin, inst.price_unit, inst.quote, f"{VENUE}:{symbol}:")


def _event(entry: Entry, quote: str | None, recv_ts: int, cat: Catalogue, routes: dict[object, _Route]) -> Liquidation:
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
    try:
        amount = float(entry.amount)
        price = float(entry.price)
    except ValueError:
        amount = price = math.nan
    if not (0.0 < amount < INF and 0.0 < price < INF):
        try:  # the same wording as every venue's number errors
            positive(entry.amount, "amount")
            positive(entry.price, "price")
        except BadNumber as exc:
            raise BadFrame(f"bitget: {exc}") from None
    event_id = f"{VENUE}:{symbol}:{ts_text}:{entry.side}:{number_key(entry.amount)}"
    try:
        route = routes[symbol]
    except KeyError:
        route = routes[symbol] = _route(symbol, cat)
    if route is None:  # no quote suffix we know: the coin and its bundle are unknown (venues/base.py)
        return unlisted(VENUE, symbol, side, price, ts, recv_ts, COVERAGE, event_id)
    coin, bundle, listed_quote, _ = route
    qty = amount / price * bundle
    coin_price = price / bundle if bundle > 0.0 else 0.0
    if not (0.0 < qty < INF and coin_price > 0.0):  # extreme inputs over/underflow; a broken catalogue
        raise BadFrame(f"bitget: {symbol}: amount / price out of range")
    usd = amount if (quote if quote is not None else listed_quote) in USD_QUOTES else None
    return Liquidation(VENUE, symbol, coin, side, coin_price, qty, usd, ts, recv_ts, COVERAGE, event_id)


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
