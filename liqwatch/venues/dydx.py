"""dYdX v4 indexer (`dydx`): the `v4_trades` channel per market, trades of type LIQUIDATED.

Docs: https://docs.dydx.xyz/indexer-client/websockets (channels, trades)
      https://docs.dydx.xyz/interaction/data/feeds (connect, subscribe, rate limiting)
      https://docs.dydx.xyz/types/trade_type (TradeType: LIMIT, LIQUIDATED, DELEVERAGED)
      https://docs.dydx.exchange/api_integration-indexer/indexer_websocket (heartbeat, URLs)
      the indexer HTTP API `GET /v4/perpetualMarkets` (markets by ticker)
Peers: tardis-node `src/mappers/dydxv4.ts` (DydxV4LiquidationsMapper: `channel_data` trades with
       `type == "LIQUIDATED"`, side as sent, `size` as amount); nautilus_trader `nautilus_dydx`.

Protocol: `{"type":"subscribe","channel":"v4_trades","id":"BTC-USD","batched":true}` per market; the
  server answers `subscribed` with the market's recent trades as `contents.trades`, then pushes
  `channel_batch_data` (`contents` is a list of `{"trades": [...]}`) or, unbatched, `channel_data`.
Snapshot: the `subscribed` trades are HISTORY (the last trades before this connection), not news:
  they are not parsed. Counting them would count again, in the live windows after a restart,
  liquidations already stored, and a reconnect's loss is on the record as a gap anyway. Same choice
  as tardis-node (it maps `channel_data` only). The frame is journaled, so nothing is lost from the
  record. ADL: `DELEVERAGED` trades are auto-deleveraging, not liquidations: skipped; so are LIMIT,
  MARKET and any other type.
Side: `side` is the TAKER's side and the liquidation order is the taker (the protocol matches the
  liquidated subaccount's liquidation order against the book; the indexer's fill types are
  LIQUIDATED for the liquidated taker's fill and LIQUIDATION for the maker's, and a trade carries
  its taker fill's type): SELL closes a long → long, BUY closes a short → short. A LIQUIDATION
  trade, should one appear, is the maker's view of the same match: not counted again.
  UNCONFIRMED in dYdX's own words (tardis passes `side` through as the liquidation's order side;
  the indexer's DeleveragingEvent doc says `is_buy` = "liquidating a short position", the same
  convention for the other kind of forced close).
Size: `size` is in the base asset (coins), `price` in USD (USDC at par): qty = size, usd = size ×
  price, one exact decimal product. Markets come from `/v4/perpetualMarkets` into the catalogue
  (linear, contract size 1, quote USD); a ticker the catalogue does not list gives qty and usd None
  (its coin from the ticker's base), never a guess.
Coverage: complete. The indexer streams every fill of the market (the channel is the market's
  trade tape), liquidations included; a liquidation matched against several makers is several
  trades, each an event (sums are right; counts are fills, not orders).
Id: `dydx:{ticker}:{trade id}`; the indexer's trade id (e.g. "0165e6170000000200000002") is the
  fill's id, the same over WebSocket and REST `/v4/trades/perpetualMarket/{ticker}`.
Time: `createdAt` (RFC 3339, ms) is the block time; exact integer milliseconds.
Heartbeat: the server sends a WebSocket ping control frame every 30 s and disconnects without a pong
  within 10 s (the client library answers). Liveness: each connection also subscribes
  `v4_block_height` (one small push per block, ~1 s), so a silent indexer is noticed even when its
  markets do not trade.
Limits: 2 subscriptions per (connection + channel + channel id) per second (docs); at most 32
  subscriptions per channel per connection (nautilus_trader's client; UNCONFIRMED in dYdX's docs):
  `MARKETS_PER_CONNECTION` markets per connection.
UNCONFIRMED: the taker = liquidated rule (above); the 32-per-channel cap; `v4_block_height` as the
  liveness companion (documented channel, its cadence not stated); that one `/v4/perpetualMarkets`
  answer lists every market (no paging is followed: the indexer's default page is taken to
  exceed the market count).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin
from liqwatch.model import COMPLETE, LONG, SHORT, Liquidation, Side
from liqwatch.numbers import BadNumber, exact_product2, positive
from liqwatch.venues.base import BadFrame, Connection, Frame, Heartbeat, InstrumentsPage, RestRequest, VenueSpec
from liqwatch.venues.routes import contract_amounts, in_range

VENUE = "dydx"
URLS = {"ws": "wss://indexer.dydx.trade/v4/ws"}
REST = "https://indexer.dydx.trade"
CHANNEL = "v4_trades"
BLOCK_HEIGHT = "v4_block_height"
MARKETS_PER_CONNECTION = 32
LIQUIDATED = "LIQUIDATED"
SIDES: dict[str, Side] = {"SELL": LONG, "BUY": SHORT}  # the liquidation (taker) order's side → position
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class Trade(msgspec.Struct, frozen=True):
    id: str = ""
    side: str = ""
    size: str = ""
    price: str = ""
    type: str = ""
    createdAt: datetime | None = None


class Trades(msgspec.Struct, frozen=True):
    trades: list[Trade] = []


class Message(msgspec.Struct, frozen=True):
    type: str = ""
    channel: str = ""
    id: str = ""  # the market ticker on v4_trades
    contents: list[Trades] | Trades | None = None


class Envelope(msgspec.Struct, frozen=True):
    channel: str = ""


_decode = msgspec.json.Decoder(Message).decode
_decode_envelope = msgspec.json.Decoder(Envelope).decode


def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    try:
        message = _decode(frame)
    except (msgspec.DecodeError, UnicodeError) as exc:
        return _other_channel(frame, exc)
    if message.channel != CHANNEL or message.type not in ("channel_batch_data", "channel_data"):
        return []  # acks, the subscribe snapshot (history, see above), block heights, errors
    contents = message.contents
    batches = contents if isinstance(contents, list) else [contents] if contents is not None else []
    ticker = message.id
    out: list[Liquidation] = []
    for batch in batches:
        for trade in batch.trades:
            if trade.type == LIQUIDATED:
                try:
                    out.append(_event(ticker, trade, recv_ts, cat))
                except (BadNumber, ValueError, OverflowError) as exc:
                    raise BadFrame(f"dydx {ticker} trade {trade.id}: {exc}") from None
    return out


def _other_channel(frame: Frame, exc: Exception) -> list[Liquidation]:
    """A frame that is not a v4_trades message as expected: another channel's is no concern."""
    try:
        channel = _decode_envelope(frame).channel
    except (msgspec.DecodeError, UnicodeError):
        raise BadFrame(f"dydx: {exc}") from None
    if channel == CHANNEL:
        raise BadFrame(f"dydx: {exc}") from None
    return []


def _event(ticker: str, trade: Trade, recv_ts: int, cat: Catalogue) -> Liquidation:
    side = SIDES.get(trade.side)
    if side is None:
        raise ValueError(f"side is not BUY or SELL: {trade.side!r}")
    if not ticker or not trade.id:
        raise ValueError("trade without market or id")
    if trade.createdAt is None:
        raise ValueError("trade without createdAt")
    size = positive(trade.size, "size")
    price = positive(trade.price, "price")
    created = trade.createdAt if trade.createdAt.tzinfo else trade.createdAt.replace(tzinfo=UTC)
    ts = (created - _EPOCH) // _MS
    inst = cat.get(VENUE, ticker)
    qty: float | None = None
    usd: float | None = None
    if inst is None:
        coin, bundle = normalize_coin(ticker.partition("-")[0])
        coin_price = price / bundle
    else:
        coin = inst.coin
        if inst.contract_size == 1.0 and inst.price_unit == 1.0 and inst.usd_quoted:  # every plain X-USD
            coin_price, qty, usd = price, size, exact_product2(trade.size, trade.price)
        else:
            coin_price, qty, usd = contract_amounts(inst, trade.size, trade.price, price)
    return Liquidation(
        VENUE,
        ticker,
        coin,
        side,
        coin_price,
        in_range(qty, "qty"),
        in_range(usd, "usd"),
        ts,
        recv_ts,
        COMPLETE,
        f"{VENUE}:{ticker}:{trade.id}",
    )


def is_data(frame: Frame) -> bool:
    """Trade pushes and block heights prove the indexer alive; `connected` and `subscribed` do not."""
    if isinstance(frame, bytes):
        return b'"channel_data"' in frame or b'"channel_batch_data"' in frame
    return '"channel_data"' in frame or '"channel_batch_data"' in frame


def subscribe_frame(channel: str, market: str | None = None) -> str:
    request: dict[str, object] = {"type": "subscribe", "channel": channel}
    if market is not None:
        request |= {"id": market, "batched": True}
    return msgspec.json.encode(request).decode()


def markets(cat: Catalogue) -> list[str]:
    return cat.symbols(VENUE)


def connections(urls: Mapping[str, str], cat: Catalogue) -> list[Connection]:
    listed = markets(cat)
    chunks = [listed[i : i + MARKETS_PER_CONNECTION] for i in range(0, len(listed), MARKETS_PER_CONNECTION)]
    return [
        Connection(
            "ws",
            urls["ws"],
            [subscribe_frame(BLOCK_HEIGHT)] + [subscribe_frame(CHANNEL, market) for market in chunk],
        )
        for chunk in chunks
    ]


class _Market(msgspec.Struct):
    ticker: str = ""
    status: str = ""


class _Markets(msgspec.Struct):
    markets: dict[str, _Market] = {}


def instrument(ticker: str, source: str) -> Instrument | None:
    """A perpetual `BASE-USD`: size in base coins, price in USD (USDC at par)."""
    base, dash, quote = ticker.partition("-")
    if not base or not dash or quote != "USD":
        return None
    coin, bundle = normalize_coin(base)
    return Instrument(VENUE, ticker, coin, "linear", bundle, "USD", bundle, source)


def instrument_requests() -> list[RestRequest]:
    return [RestRequest("/v4/perpetualMarkets")]


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        listed = msgspec.json.decode(body, type=_Markets)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"dydx perpetualMarkets: {exc}") from None
    found = (instrument(market.ticker or key, "rest") for key, market in listed.markets.items())
    return InstrumentsPage([inst for inst in found if inst is not None])


DYDX_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=20.0),  # WebSocket pings both ways; the server pings every 30 s
    silence_s=30.0,  # v4_block_height pushes about once a second
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes="dYdX v4: every liquidation fill on the indexer trade tape (ADL excluded); taker = liquidated (UNCONFIRMED).",
)
