"""HTX, formerly Huobi (`htx`): `public.*.liquidation_orders` on the three notification WebSockets.

Docs: https://www.htx.com/en-us/opend/newApiPages/ (USDT-M "Subscribe Liquidation Orders (no
        authentication)", coin-M swap and futures the same), huobiapi.github.io/docs/usdt_swap/v1/en/
      REST contract info: `/linear-swap-api/v1/swap_contract_info` (USDT-M),
        `/swap-api/v1/swap_contract_info` (coin-M swaps), `/api/v1/contract_contract_info` (coin-M futures)
      peers: tardis-node `src/mappers/huobi.ts` (side = direction, amount = volume);
        HuobiRDCenter SDKs (`public.*.liquidation_orders` wildcard)

Connections: `linear` wss://api.hbdm.com/linear-swap-notification (USDT-M swaps and futures),
  `swap` …/swap-notification (coin-M swaps), `futures` …/notification (coin-M futures). Each
  subscribes `{"op":"sub","cid":…,"topic":"public.*.liquidation_orders"}` (the wildcard covers every
  contract, no authentication) → `{"op":"sub",…,"err-code":0}`; a non-zero err-code is a bad frame
  naming the code. Data: `{"op":"notify","topic":"public.BTC-USDT.liquidation_orders","ts":…,
  "data":[{contract_code, symbol, direction, offset, volume, price, created_at, amount,
  trade_turnover, …}]}`; `data` can batch several orders.
Binary frames: every frame (data, acks, pings) is gzip-compressed: `inflate` turns it into the
  JSON text the journal keeps and `parse` reads (`parse` also inflates bytes that start with the
  gzip magic, so a raw frame parses too).
Heartbeat: the server sends `{"op":"ping","ts":"…"}` every 5 s (ts sometimes a string, sometimes a
  number) and closes the connection after a few unanswered: `heartbeat.reply` echoes ts verbatim in
  `{"op":"pong","ts":…}`; the market endpoints' `{"ping":n}` gets `{"pong":n}`. Liquidations are
  rare (a few a minute over all contracts), so a server ping counts as life (`is_data`): a socket
  that stops pinging is dead within `silence_s`. A subscription lapsed on a pinging socket is NOT
  detected (UNCONFIRMED that it can happen; no companion topic pushes regularly on these hosts).
Side: `direction` is the liquidation ORDER side (`offset` is "close"): sell closes a long → long,
  buy closes a short → short (tardis-node passes `direction` as the order side).
Size: `volume` is in CONTRACTS. USDT-M: qty = volume × contract_size (coins), usd = qty × price.
  Coin-M (swaps and futures): usd = volume × contract_size (USD: BTC 100, others 10 today),
  qty = usd / price. contract_size comes from the contract info endpoints (catalogue, or the
  bundled snapshot). A coin-M contract the catalogue does not list (an expired future in an old
  journal) follows HTX's contract spec, 100 USD for BTC and 10 USD for every other coin (`derive`,
  UNCONFIRMED for coins listed after 2023). An unknown USDT-M contract gives usd None and qty None:
  linear sizes differ per coin and are never guessed (the row's own `amount` and `trade_turnover`
  are rounded by HTX and not used).
Numbers: JSON numbers (HTX quotes some numbers in other messages: strings are read too).
Coverage: complete: each liquidation order is pushed (UNCONFIRMED beyond the docs' wording).
Id: `htx:{contract_code}:{created_at}:{direction}:{volume}:{price}` (no order id on the wire): two
  identical orders in the same millisecond would be stored once.
Limits: REST public 800 requests/s per IP (UNCONFIRMED); WebSocket sub requests are not limited
  below the one we send.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin
from liqwatch.model import COMPLETE, LONG, SHORT, Liquidation, Side
from liqwatch.numbers import BadNumber, positive
from liqwatch.venues.base import BadFrame, Frame, Heartbeat, VenueSpec
from liqwatch.venues.htx_rest import connections, instrument_requests, parse_instruments
from liqwatch.venues.routes import contract_amounts, in_range

MAX_MS = 10**15  # exchange times at or beyond this are not milliseconds of this era
VENUE = "htx"
URLS = {
    "linear": "wss://api.hbdm.com/linear-swap-notification",
    "swap": "wss://api.hbdm.com/swap-notification",
    "futures": "wss://api.hbdm.com/notification",
}
REST = "https://api.hbdm.com"
SIDES: Mapping[str, Side] = {"sell": LONG, "buy": SHORT}  # the liquidation ORDER's direction
INVERSE_USD = {"BTC": 100.0}  # coin-M contract value; every other coin: INVERSE_USD_OTHER
INVERSE_USD_OTHER = 10.0
_COIN_M_FUTURE = re.compile(r"([A-Z0-9]+?)(\d{6}|_CW|_NW|_CQ|_NQ)")  # BTC200925, BTC_CQ (an alias)
MAX_INFLATED = 16 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def inflate(frame: bytes) -> str:
    """The JSON text of a gzip frame (at most 16 MB of it)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    text = inflater.decompress(frame, MAX_INFLATED)
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("not a complete gzip frame, or larger than 16 MB inflated")
    return text.decode()


class Order(msgspec.Struct, frozen=True):
    contract_code: str
    direction: str
    volume: int | float | str  # contracts
    price: int | float | str
    created_at: int | str  # ms; HTX quotes some numbers
    symbol: str = ""  # the coin: BTC


class Push(msgspec.Struct, frozen=True):
    op: str = ""  # notify | sub | ping | pong | error | close
    topic: str = ""
    data: msgspec.Raw = msgspec.Raw()
    err_code: int = msgspec.field(default=0, name="err-code")
    err_msg: str = msgspec.field(default="", name="err-msg")
    ts: msgspec.Raw = msgspec.Raw()
    ping: msgspec.Raw = msgspec.Raw()


_decode_push = msgspec.json.Decoder(Push).decode
_decode_orders = msgspec.json.Decoder(list[Order]).decode


def _text(frame: Frame) -> Frame:
    if isinstance(frame, bytes) and frame.startswith(GZIP_MAGIC):
        try:
            return inflate(frame)
        except (ValueError, zlib.error, UnicodeError) as exc:
            raise BadFrame(f"htx: binary frame is not gzip JSON: {exc}") from None
    return frame


def canonical(value: int | float | str) -> str:
    """A number as id text, the same whether HTX sent 500, 500.0 or "500.00"."""
    text = value if isinstance(value, str) else repr(value)
    if "." in text and "e" not in text.lower():
        text = text.rstrip("0").rstrip(".")
    return text


def derive(contract: str) -> Instrument | None:
    """Coin-M contracts (BTC-USD, BTC200925, BTC_CQ) by HTX's contract spec; USDT-M: the catalogue only."""
    base, dash, quote = contract.partition("-")
    future = _COIN_M_FUTURE.fullmatch(contract)
    if dash and quote == "USD" and base:
        coin = normalize_coin(base)[0]
    elif future is not None:
        coin = normalize_coin(future.group(1))[0]
    else:
        return None
    return Instrument(VENUE, contract, coin, "inverse", INVERSE_USD.get(coin, INVERSE_USD_OTHER), "USD", 1.0, "rule")


def _event(order: Order, recv_ts: int, cat: Catalogue) -> Liquidation:
    side = SIDES.get(order.direction)
    if side is None:
        raise BadNumber(f"unknown direction {order.direction!r}")
    price = positive(order.price, "price")
    positive(order.volume, "volume")
    created = order.created_at
    ts = created if isinstance(created, int) else int(created) if created.isascii() and created.isdigit() else 0
    if not 0 < ts < MAX_MS:
        raise BadNumber(f"created_at must be positive milliseconds: {created!r}")
    inst = cat.resolve(VENUE, order.contract_code, derive)
    qty: float | None = None
    usd: float | None = None
    if inst is None:
        coin = normalize_coin(order.symbol or order.contract_code.partition("-")[0])[0]
        coin_price = price
    else:
        coin = inst.coin
        coin_price, qty, usd = contract_amounts(inst, order.volume, order.price, price)
    volume, price_text = canonical(order.volume), canonical(order.price)
    return Liquidation(
        VENUE,
        order.contract_code,
        coin,
        side,
        coin_price,
        in_range(qty, "qty"),
        in_range(usd, "usd"),
        ts,
        recv_ts,
        COMPLETE,
        f"{VENUE}:{order.contract_code}:{ts}:{order.direction}:{volume}:{price_text}",
    )


def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    try:
        push = _decode_push(_text(frame))
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"htx: {exc}") from None
    if push.err_code:
        raise BadFrame(f"htx: {push.op} {push.topic} rejected: err-code {push.err_code} {push.err_msg}")
    if push.op != "notify" or not push.topic.endswith(".liquidation_orders"):
        return []
    try:
        orders = _decode_orders(push.data) if push.data else []
    except msgspec.DecodeError as exc:
        raise BadFrame(f"htx: {exc}") from None
    out = []
    for order in orders:
        try:
            out.append(_event(order, recv_ts, cat))
        except (BadNumber, ValueError, OverflowError) as exc:
            raise BadFrame(f"htx {order.contract_code}: {exc}") from None
    return out


def _scalar(raw: bytes) -> bool:
    return bool(raw) and (raw[:1] == b'"' or raw[:1].isdigit())


def reply(frame: Frame) -> str | None:
    """`{"op":"pong","ts":…}` for a server ping (ts echoed as sent); `{"pong":n}` for `{"ping":n}`."""
    try:
        push = _decode_push(_text(frame))
    except (msgspec.DecodeError, UnicodeError, BadFrame):
        return None
    if push.op == "ping" and _scalar(bytes(push.ts)):
        return f'{{"op":"pong","ts":{bytes(push.ts).decode()}}}'
    if _scalar(bytes(push.ping)):
        return f'{{"pong":{bytes(push.ping).decode()}}}'
    return None


def is_data(frame: Frame) -> bool:
    """Pushes and the server's pings (see the module docstring); not acks."""
    text = frame.decode(errors="replace") if isinstance(frame, bytes) else frame
    return '"notify"' in text or '"ping"' in text


NOTE = "HTX: every liquidation order on USDT-M, coin-M swaps and coin-M futures; unlisted contracts are unpriced."

HTX_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=20.0, reply=reply),
    silence_s=30.0,  # the server pings every 5 s
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes=NOTE,
    inflate=inflate,
)
