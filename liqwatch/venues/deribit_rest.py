"""Deribit requests (`deribit`): the session's JSON-RPC (subscribe, heartbeat), the instruments
catalogue, the trades backfill's requests and pages. deribit.py reads the trades.

Docs: https://docs.deribit.com/api-reference/session-management/public-set_heartbeat
      https://docs.deribit.com/api-reference/market-data/public-get_instruments
      https://docs.deribit.com/api-reference/market-data/public-get_last_trades_by_currency_and_time

Session: `public/set_heartbeat` (HEARTBEAT_S), then `public/subscribe` to `channels()`; a server
  `test_request` is answered with `public/test` (`reply`), and `ping` sends one too.
Naming (`derive`, for what the catalogue does not list): BASE-EXPIRY is inverse, BASE_QUOTE-EXPIRY
  linear (USDC/USDT); options (four dash parts) and combos are neither.
Instruments: `public/get_instruments?currency=any&kind=future`. `instrument_type` (older name
  `future_type`) `reversed` is inverse, its trades' `amount` in USD (contract size 1 here: the REST
  `contract_size`, 10 USD for BTC-PERPETUAL, is the order step, not the unit of `amount`); `linear`
  is linear in the base coin, quoted in `quote_currency` (USDC/USDT). Other kinds (combos) are left out.
Backfill: `public/get_last_trades_by_currency_and_time` returns the stream's trade objects (the docs
  say the last 24 hours only), oldest first with `sorting=asc`, up to 1000 a page; `has_more` says
  another page follows, from the last trade's timestamp (the ids dedup the overlap).
  `rest_trades_as_push` wraps a page's trades as the notification that would carry them, which
  `deribit.parse_rest_trades` parses with the stream's rules.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin
from liqwatch.venues.base import BadFrame, Connection, Frame, InstrumentsPage, RestRequest

VENUE = "deribit"
BACKFILL_PATH = "/public/get_last_trades_by_currency_and_time"
BACKFILL_COUNT = 1000  # the endpoint's maximum page size
# Quote currencies of linear instruments, written after an underscore: BTC_USDC-PERPETUAL.
LINEAR_QUOTES = ("USDC", "USDT")


# Settlement currencies whose futures are subscribed (docs allow BTC, ETH, USDC, USDT, EURR, any).
CURRENCIES = ("BTC", "ETH", "USDC", "USDT")
# UNCONFIRMED (research §6): `raw` needs an authenticated session, public clients use `100ms`.
INTERVAL = "100ms"
HEARTBEAT_S = 10  # public/set_heartbeat interval; the docs' minimum is 10 s


class Channel(msgspec.Struct, frozen=True):
    channel: str = ""
    type: str = ""


class Header(msgspec.Struct, frozen=True):
    """Any frame, data not read: is a frame that Envelope cannot read a trades notification? a test_request?"""

    method: str = ""
    params: Channel | None = None


decode_header = msgspec.json.Decoder(Header).decode


def _rpc(method: str, params: Mapping[str, object], rpc_id: int) -> str:
    return msgspec.json.encode({"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params}).decode()


TEST_REPLY = _rpc("public/test", {}, 9)


def reply(frame: Frame) -> str | None:
    """`public/test` for a server `test_request`; None for every other frame (never raises)."""
    if (b"test_request" not in frame) if isinstance(frame, bytes) else ("test_request" not in frame):
        return None
    try:
        msg = decode_header(frame)
    except (msgspec.DecodeError, UnicodeError):
        return None
    if msg.method == "heartbeat" and msg.params is not None and msg.params.type == "test_request":
        return TEST_REPLY
    return None


def ping(now_ms: int) -> str:
    return _rpc("public/test", {}, now_ms)


def channels() -> list[str]:
    return [f"trades.future.{currency}.{INTERVAL}" for currency in CURRENCIES]


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    subscribe = [
        _rpc("public/set_heartbeat", {"interval": HEARTBEAT_S}, 1),
        _rpc("public/subscribe", {"channels": channels()}, 2),
    ]
    return [Connection("ws", urls["ws"], subscribe)]


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


def instrument_requests() -> list[RestRequest]:
    return [RestRequest("/public/get_instruments", {"currency": "any", "kind": "future"})]


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        response = msgspec.json.decode(body, type=_InstrumentsResponse)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"deribit instruments: {exc}") from None
    return InstrumentsPage([inst for inst in map(_instrument, response.result) if inst is not None])


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


class _Stamped(msgspec.Struct, frozen=True):
    timestamp: int  # ms since epoch


class _Page(msgspec.Struct, frozen=True):
    trades: msgspec.Raw = msgspec.Raw(b"[]")  # a list of the stream's trade objects
    has_more: bool = False


class _Stamps(msgspec.Struct, frozen=True):
    trades: list[_Stamped] = []
    has_more: bool = False


class _RestError(msgspec.Struct, frozen=True):
    code: int = 0
    message: str = ""


class _Response(msgspec.Struct, frozen=True):
    result: msgspec.Raw = msgspec.Raw()  # a page of trades; absent (or null) on errors
    error: _RestError | None = None


def _result(body: Frame) -> msgspec.Raw:
    try:
        response = msgspec.json.decode(body, type=_Response)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"deribit trades: {exc}") from None
    if response.error is not None:
        raise BadFrame(f"deribit trades: error {response.error.code} {response.error.message}")
    if not response.result or bytes(response.result) == b"null":
        raise BadFrame("deribit trades: response without result")
    return response.result


def rest_trades_as_push(body: Frame) -> bytes:
    """The `trades` notification carrying a `get_last_trades_by_*_and_time` response's trades, or
    BadFrame for an error reply or a body that is not one."""
    try:
        page = msgspec.json.decode(_result(body), type=_Page)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"deribit trades: {exc}") from None
    trades = bytes(page.trades)
    return b'{"method":"subscription","params":{"channel":"trades.rest","data":' + trades + b"}}"


def backfill_next(req: RestRequest, body: Frame) -> RestRequest | None:
    """The following page (from the last trade's timestamp; ids dedup the overlap), or None."""
    try:
        page = msgspec.json.decode(_result(body), type=_Stamps)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"deribit trades: {exc}") from None
    if not page.has_more or not page.trades:
        return None
    params = dict(req.params)
    start = int(params.get("start_timestamp", "0"))
    last = max(trade.timestamp for trade in page.trades)
    # A full page within one millisecond would repeat forever: step past it.
    params["start_timestamp"] = str(last if last > start else start + 1)
    return RestRequest(req.path, params)
