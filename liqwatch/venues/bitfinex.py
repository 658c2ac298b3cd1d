"""Bitfinex (`bitfinex`): the `status` channel, key `liq:global` (every liquidation on the platform).

Docs: https://docs.bitfinex.com/reference/ws-public-status (liquidation feed, row layout)
      https://docs.bitfinex.com/docs/ws-general (info events, `hb`, ping/pong, limits)
      https://docs.bitfinex.com/reference/rest-public-conf (`pub:list:pair:futures`, `…:margin`)
      https://docs.bitfinex.com/reference/rest-public-liquidations (`/v2/liquidations/hist`, history)
      peers: tardis-node `src/mappers/bitfinex.ts` (liquidations: initial triggers only)

Wire: `{"event":"subscribe","channel":"status","key":"liq:global"}` → `{"event":"subscribed",
  "channel":"status","chanId":N,"key":"liq:global"}`; then `[N, [ROW, …]]` with ROW =
  `["pos", POS_ID, MTS, null, SYMBOL, AMOUNT, BASE_PRICE, null, IS_MATCH, IS_MARKET_SOLD, null,
  LIQUIDATION_PRICE]`, and `[N, "hb"]` every 15 s without data. `{"event":"info",…}` on connect
  (code 20051: the server restarts and closes the socket, the connection reconnects; 20060/20061:
  maintenance, during which the feed is quiet and the silence watchdog reconnects until it ends).
Channel state: data frames carry only the channel id the ack assigned. `parse` does NOT keep it:
  a liquidation frame is recognised by its shape, a list of rows that start with "pos", which no
  other public channel sends. So `parse` stays a pure function of the frame, and a journal imports
  exactly as the live feed parsed it even when the ack is not in the file (a day's journal starts
  mid-connection; held-out frames come without acks). The ticker companion `[N, [BID, …]]` has
  numbers where rows would be and gives nothing.
Which rows: IS_MATCH 0 is the initial liquidation trigger; IS_MATCH 1 rows are the matches that
  follow it (one liquidation can have several): only triggers are events, as tardis-node does.
  IS_MARKET_SOLD (sold on the market vs taken over) does not change that.
Side: AMOUNT is the signed POSITION: > 0 a long was liquidated, < 0 a short. Zero: bad frame.
Size: |AMOUNT| is in base coin for every Bitfinex position (`derive`): qty = |AMOUNT|.
USD: qty × LIQUIDATION_PRICE (the price at which the position was liquidated; BASE_PRICE is the
  position's entry price and would value it at the wrong moment). A row without a liquidation
  price uses BASE_PRICE (UNCONFIRMED that such rows exist). USDt (UST) and USD count at par;
  any other quote (a BTC-quoted margin pair, test pairs) gives usd None.
Symbol: `tBTCF0:USTF0` (perpetual) → BTC/USDT; `tBTCUSD` (margin) → BTC/USD; `tDOGE:USD` → DOGE/USD.
Coverage: complete (the docs call it the liquidation feed of the platform; UNCONFIRMED).
Id: `bitfinex:{POS_ID}:{MTS}`. A snapshot replayed on subscribe (UNCONFIRMED whether liq:global
  sends one) repeats ids, so it is stored once.
Heartbeat: the server's `hb` proves the channel, not data; WebSocket pings every 20 s. The
  ticker of tBTCUSD (changes many times a minute) is the data that proves the feed alive.
Limits: 20 connections a minute per IP (api-pub), 25 channels per connection; REST history
  3 requests a minute.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin
from liqwatch.model import COMPLETE, LONG, SHORT, Liquidation
from liqwatch.numbers import BadNumber, exact_product, number, positive
from liqwatch.venues.base import BadFrame, Connection, Frame, Heartbeat, InstrumentsPage, RestRequest, VenueSpec
from liqwatch.venues.routes import in_range

MAX_MS = 10**15  # exchange times at or beyond this are not milliseconds of this era
VENUE = "bitfinex"
URLS = {"public": "wss://api-pub.bitfinex.com/ws/2"}
REST = "https://api-pub.bitfinex.com"
FUTURES_PATH = "/v2/conf/pub:list:pair:futures"  # perpetuals: BTCF0:USTF0, …
MARGIN_PATH = "/v2/conf/pub:list:pair:margin"  # margin pairs, whose positions are liquidated too
LIQ_KEY = "liq:global"
COMPANION = "tBTCUSD"
QUOTE_NAMES = {"UST": "USDT"}  # Bitfinex's name for USDt

_decode = msgspec.json.Decoder().decode


def split_symbol(symbol: str) -> tuple[str, str]:
    """(base, quote) of a Bitfinex symbol: tBTCF0:USTF0 → (BTC, USDT), tETHUSD → (ETH, USD)."""
    body = symbol[1:] if symbol.startswith(("t", "f")) else symbol
    base, colon, quote = body.partition(":")
    if not colon:
        base, quote = body[:3], body[3:]
    base = base.removesuffix("F0")
    quote = quote.removesuffix("F0")
    return base, QUOTE_NAMES.get(quote, quote)


def derive(symbol: str) -> Instrument | None:
    """AMOUNT is in base coin for every Bitfinex position: one unit is one coin."""
    base, quote = split_symbol(symbol)
    if not base or not quote:
        return None
    coin, _ = normalize_coin(base)
    return Instrument(VENUE, symbol, coin, "linear", 1.0, quote, 1.0, "rule")


def _number(value: object) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _event(row: list[object], recv_ts: int, cat: Catalogue) -> Liquidation:
    pos_id, mts, symbol = row[1], row[2], row[4]
    amount, base_price, liq_price = _number(row[5]), _number(row[6]), _number(row[11])
    if not isinstance(symbol, str) or not symbol:
        raise BadNumber(f"symbol is not a name: {symbol!r}")
    if not isinstance(pos_id, int) or not isinstance(mts, int) or isinstance(mts, bool) or not 0 < mts < MAX_MS:
        raise BadNumber(f"position id or time is not an integer of milliseconds: {pos_id!r}, {mts!r}")
    if amount is None or number(amount, "amount") == 0:
        raise BadNumber(f"amount must be a non-zero number: {row[5]!r}")
    if (liq_price is None and row[11] is not None) or (base_price is None and row[6] is not None):
        raise BadNumber(f"a price is not a number: {row[11]!r}, {row[6]!r}")  # null is no price; text is bad
    price_value = liq_price if liq_price else base_price
    if price_value is None:
        raise BadNumber(f"no price: {row[11]!r}, {row[6]!r}")
    price = positive(price_value, "price")
    size = -amount if amount < 0 else amount
    inst = cat.resolve(VENUE, symbol, derive)
    qty: float | None = None
    usd: float | None = None
    coin = split_symbol(symbol)[0]
    if inst is not None:
        coin = inst.coin
        qty = exact_product(size, inst.contract_size)
        usd = exact_product(size, inst.contract_size, price_value) if inst.usd_quoted else None
    elif coin:
        coin = normalize_coin(coin)[0]
    return Liquidation(
        VENUE,
        symbol,
        coin,
        LONG if amount > 0 else SHORT,
        price,
        in_range(qty, "qty"),
        in_range(usd, "usd"),
        mts,
        recv_ts,
        COMPLETE,
        f"{VENUE}:{pos_id}:{mts}",
    )


def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    try:
        message = _decode(frame)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"bitfinex: {exc}") from None
    if isinstance(message, dict):
        if message.get("event") == "error":
            raise BadFrame(f"bitfinex: error {message.get('code')}: {message.get('msg')}")
        return []
    if not isinstance(message, list) or len(message) < 2 or not isinstance(message[1], list):
        return []  # heartbeats, and any frame that is not a channel update
    payload = message[1]
    rows = [payload] if payload and payload[0] == "pos" else payload
    if not rows or not all(isinstance(row, list) and row and row[0] == "pos" for row in rows):
        return []  # another channel's update (the ticker companion)
    out = []
    for row in rows:
        if len(row) < 12:
            raise BadFrame(f"bitfinex: liquidation row has {len(row)} fields, expected 12")
        if row[8] != 0:  # a match of an earlier trigger, not a liquidation of its own
            continue
        try:
            out.append(_event(row, recv_ts, cat))
        except (BadNumber, ValueError, OverflowError, TypeError) as exc:
            raise BadFrame(f"bitfinex {row[4]!r}: {exc}") from None
    return out


def is_data(frame: Frame) -> bool:
    """Channel updates; not `hb`, not events (info, acks, pongs)."""
    text = frame.decode(errors="replace") if isinstance(frame, bytes) else frame
    head = text.lstrip()[:1]
    return head == "[" and '"hb"' not in text[:40]


def subscribe_frames() -> list[str]:
    encode = msgspec.json.encode
    return [
        encode({"event": "subscribe", "channel": "status", "key": LIQ_KEY}).decode(),
        encode({"event": "subscribe", "channel": "ticker", "symbol": COMPANION}).decode(),
    ]


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    return [Connection(name, url, subscribe_frames()) for name, url in urls.items()]


def instrument_requests() -> list[RestRequest]:
    return [RestRequest(FUTURES_PATH), RestRequest(MARGIN_PATH)]


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    """`[["BTCF0:USTF0", …]]` (perpetuals) or `[["BTCUSD", "DOGE:USD", …]]` (margin): base-coin amounts."""
    try:
        lists = msgspec.json.decode(body, type=list[list[str]])
    except msgspec.DecodeError as exc:
        raise BadFrame(f"bitfinex pairs: {exc}") from None
    out = []
    for pair in lists[0] if lists else []:
        inst = derive(f"t{pair}")
        if inst is not None:
            out.append(msgspec.structs.replace(inst, source="rest"))
    return InstrumentsPage(out)


NOTE = "Bitfinex: every liquidation trigger on the platform (liq:global); matches that follow it are not counted again."

BITFINEX_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=20.0),
    silence_s=60.0,
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes=NOTE,
)
