"""Lighter (`lighter`): the `trade/{market_id}` channel, trades of type "liquidation".

Docs: https://apidocs.lighter.xyz/docs/websocket-reference (connection, channels, Trade JSON)
      `GET /api/v1/orderBooks` (market ids, symbols; the OrderBook model of elliottech/lighter-python)
Peers: tardis-node `src/mappers/lighter.ts` (LighterLiquidationMapper: `update/trade` frames,
       `liquidation_trades` of `type == "liquidation"`, symbol = market id, amount = `size`);
       the official client `elliottech/lighter-python` `ws_client.py` (ping/pong); tardis-node's
       recorded test frames (`subscribed/trade` and `update/trade` on `trade:1`, BTC, 2026-04).

Protocol: `{"type":"subscribe","channel":"trade/{market_id}"}` per market; frames carry
  `"channel":"trade:{market_id}"`, `trades` (every trade) and `liquidation_trades` (the
  liquidations). `subscribed/trade` answers the subscribe with recent trades and liquidations.
Snapshot: `subscribed/trade` is HISTORY (a recorded one carried a liquidation 52 minutes old): not
  parsed, as tardis-node does; counting it would count again, in the live windows after a restart,
  liquidations already stored; a reconnect's loss is on the record as a gap. Its frame is journaled.
Events: `update/trade` entries of `type == "liquidation"` from `liquidation_trades` and from `trades`
  (should a version list them there too), once per trade id per frame. `deleverage` (ADL),
  `market-settlement` and `trade` are not liquidations.
Side: the liquidated account is the TAKER (its liquidation order crosses the book; the recorded
  sample: bid_client_id 0, taker_fee 10000 = 1 %, taker_position_size_before "-0.01664" = exactly the
  size: a short closed in full). `is_maker_ask` true → the taker bought → a SHORT was liquidated;
  false → the taker sold → a LONG. tardis maps the same flag to the order side (buy / sell).
Size: `size` in base units of the market (coins; a `1000X` market in bundles of 1000, price per
  bundle: qty = size × 1000, price / 1000), `usd_amount` the venue's USD(C) notional (= size × price
  in the recorded samples): usd = usd_amount, exact as sent; size × price when it is missing.
  A market id the catalogue does not list has coin "#{id}" and qty, usd None, never a guess.
Bundled markets (offline start; REST replaces them): ids 0 ETH, 1 BTC, 2 SOL, 3 DOGE, 4 1000PEPE,
  7 XRP, 8 LINK, 16 SUI, 17 1000SHIB, 25 BNB, as two independent public clients' id tables agree
  and the recorded BTC frame (market 1 at 75,602.8) confirms.
Coverage: complete: the channel carries every trade of the market, liquidations included.
Id: `lighter:{market_id}:{trade_id}` (`trade_id_str`, else `trade_id`).
Time: `timestamp` in ms.
Heartbeat: the client sends `{"type":"ping"}` (the official client: every 30 s; we send every 20 s)
  and answers a server `{"type":"ping"}` with `{"type":"pong"}`.
Limits (UNCONFIRMED, from a third-party client crate, not Lighter's pages): 500 subscriptions per
  connection, 200 client messages a minute: `MARKETS_PER_CONNECTION` = 100.
UNCONFIRMED: the taker = liquidated rule as a documented rule (it rests on recorded frames); the
  limits; whether `update/trade` repeats older liquidation trades (tardis' test sequence repeats one:
  ids keep it single within a run and in the store); the `1000X` bundle reading.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin
from liqwatch.model import COMPLETE, LONG, SHORT, Liquidation
from liqwatch.numbers import BadNumber, exact_product2, positive
from liqwatch.venues.base import BadFrame, Connection, Frame, Heartbeat, InstrumentsPage, RestRequest, VenueSpec
from liqwatch.venues.routes import contract_amounts, in_range

VENUE = "lighter"
URLS = {"stream": "wss://mainnet.zklighter.elliot.ai/stream"}
REST = "https://mainnet.zklighter.elliot.ai"
UPDATE = "update/trade"
LIQUIDATION = "liquidation"
MARKETS_PER_CONNECTION = 100
PING = '{"type":"ping"}'
PONG = '{"type":"pong"}'


class Trade(msgspec.Struct, frozen=True):
    trade_id: int | None = None
    trade_id_str: str = ""
    type: str = ""
    market_id: int | None = None
    size: str = ""
    price: str = ""
    usd_amount: str | None = None
    is_maker_ask: bool | None = None
    timestamp: int | None = None


class Message(msgspec.Struct, frozen=True):
    type: str = ""
    channel: str = ""
    trades: list[Trade] | None = None
    liquidation_trades: list[Trade] | None = None


class Envelope(msgspec.Struct, frozen=True):
    type: str = ""


_decode = msgspec.json.Decoder(Message).decode
_decode_envelope = msgspec.json.Decoder(Envelope).decode


def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    try:
        message = _decode(frame)
    except (msgspec.DecodeError, UnicodeError) as exc:
        return _other_type(frame, exc)
    if message.type != UPDATE:
        return []  # subscribe snapshots (history, see above), pongs, other channels
    out: list[Liquidation] = []
    seen: set[str] = set()
    for trades in (message.liquidation_trades, message.trades):
        for trade in trades or ():
            if trade.type != LIQUIDATION:
                continue
            trade_id = trade.trade_id_str or ("" if trade.trade_id is None else str(trade.trade_id))
            if trade_id in seen:
                continue
            seen.add(trade_id)
            try:
                out.append(_event(trade, trade_id, recv_ts, cat))
            except (BadNumber, ValueError, OverflowError) as exc:
                raise BadFrame(f"lighter trade {trade_id or '?'}: {exc}") from None
    return out


def _other_type(frame: Frame, exc: Exception) -> list[Liquidation]:
    """A frame that is not a trade message as expected: other message types are no concern."""
    try:
        kind = _decode_envelope(frame).type
    except (msgspec.DecodeError, UnicodeError):
        raise BadFrame(f"lighter: {exc}") from None
    if kind == UPDATE:
        raise BadFrame(f"lighter: {exc}") from None
    return []


def _event(trade: Trade, trade_id: str, recv_ts: int, cat: Catalogue) -> Liquidation:
    if not trade_id or trade.market_id is None or trade.timestamp is None or trade.is_maker_ask is None:
        raise ValueError("liquidation trade without trade_id, market_id, timestamp or is_maker_ask")
    size = positive(trade.size, "size")
    price = positive(trade.price, "price")
    market = str(trade.market_id)
    inst = cat.get(VENUE, market)
    qty: float | None = None
    usd: float | None = None
    if inst is None:
        coin, coin_price = f"#{market}", price
    else:
        coin = inst.coin
        if inst.contract_size == 1.0 and inst.price_unit == 1.0:  # every market but the 1000X bundles
            coin_price, qty, usd = price, size, None
        else:
            coin_price, qty, usd = contract_amounts(inst, trade.size, trade.price, price)
        if inst.usd_quoted:  # the venue's own notional; size × price exactly when it is missing
            stated = trade.usd_amount
            usd = positive(stated, "usd_amount") if stated is not None else exact_product2(trade.size, trade.price)
    return Liquidation(
        VENUE,
        market,
        coin,
        SHORT if trade.is_maker_ask else LONG,  # the taker (liquidated) bought: it was short
        coin_price,
        in_range(qty, "qty"),
        in_range(usd, "usd"),
        trade.timestamp,
        recv_ts,
        COMPLETE,
        f"{VENUE}:{market}:{trade_id}",
    )


def is_data(frame: Frame) -> bool:
    """Trade updates prove the stream alive; `connected`, `subscribed/trade` and pongs do not."""
    return (b'"update/' in frame) if isinstance(frame, bytes) else ('"update/' in frame)


def reply(frame: Frame) -> str | None:
    """Answer the server's own ping."""
    text = frame if isinstance(frame, str) else frame.decode(errors="replace")
    return PONG if len(text) < 64 and '"ping"' in text else None


def subscribe_frame(market: str) -> str:
    return msgspec.json.encode({"type": "subscribe", "channel": f"trade/{market}"}).decode()


def connections(urls: Mapping[str, str], cat: Catalogue) -> list[Connection]:
    listed = sorted(cat.symbols(VENUE), key=lambda m: int(m) if m.isdigit() else -1)
    chunks = [listed[i : i + MARKETS_PER_CONNECTION] for i in range(0, len(listed), MARKETS_PER_CONNECTION)]
    return [Connection("stream", urls["stream"], [subscribe_frame(m) for m in chunk]) for chunk in chunks]


class _OrderBook(msgspec.Struct):
    symbol: str = ""
    market_id: int | None = None
    market_type: str = "perp"
    status: str = ""


class _OrderBooks(msgspec.Struct):
    order_books: list[_OrderBook] = []


def instrument(market_id: int, symbol: str, source: str) -> Instrument | None:
    """A perpetual: `size` in base units of `symbol` (a 1000X bundle is 1000 coins), USDC quoted."""
    if not symbol or "/" in symbol or market_id < 0:
        return None
    coin, bundle = normalize_coin(symbol)
    return Instrument(VENUE, str(market_id), coin, "linear", bundle, "USDC", bundle, source)


def instrument_requests() -> list[RestRequest]:
    return [RestRequest("/api/v1/orderBooks")]


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        listed = msgspec.json.decode(body, type=_OrderBooks)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"lighter orderBooks: {exc}") from None
    found = (
        instrument(book.market_id, book.symbol, "rest")
        for book in listed.order_books
        if book.market_id is not None and book.market_type == "perp"
    )
    return InstrumentsPage([inst for inst in found if inst is not None])


LIGHTER_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=20.0, ping=lambda _now: PING, reply=reply),
    silence_s=60.0,
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes="Lighter: every liquidation trade of every perpetual market (ADL excluded); taker = liquidated.",
)
