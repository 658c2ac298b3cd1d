"""Kraken Futures (`kraken_futures`): the public `trade` feed, liquidation trades only.

Docs: https://docs.kraken.com/exchange/api-reference/futures-websocket/trade (v1 feed, `type` of a trade)
      https://docs.kraken.com/exchange/api-reference/futures-websocket/heartbeat
      https://docs.kraken.com/api/docs/futures-api/trading/get-instruments (`/derivatives/api/v3/instruments`)
      peers: tardis-node `src/mappers/cryptofacilities.ts` (liquidations = `feed: trade, type: liquidation`)

Wire: `{"event":"subscribe","feed":"trade","product_ids":[…]}` → `{"event":"subscribed",…}`; the
  server first sends `{"event":"info","version":1}`, then per product a `trade_snapshot` (the latest
  trades), then one `{"feed":"trade",…}` frame per trade. `type` is `fill` (ordinary trade),
  `liquidation`, `termination` (a position terminated against the insurance fund: ADL-like, not a
  liquidation order, skipped) or `block` (block trade, skipped).
Side: `side` is the TAKER's side; the taker of a liquidation trade is the liquidation order placed
  on the account's behalf (UNCONFIRMED in the docs: tardis-node passes `side` through as the order
  side; Kraken's "Equity Protection Process" describes an IOC order for the account). A sell closes
  a long → long; a buy closes a short → short.
Size: `qty` is in contracts. `PI_`/`FI_` (inverse, coin-margined): one contract is 1 USD → usd = qty,
  qty in coins = usd / price (`derive`, the documented contract spec, also `contractSize` of the
  instruments endpoint). `PF_`/`FF_` (linear multi-collateral): one contract is `contractSize` coins
  (1 today) → qty = qty × size, usd = qty × price (USD quote). A linear product that the catalogue
  does not list has usd None and qty None: never a guess.
Coverage: complete: every match of a liquidation order is a public trade (one liquidation filled in
  several matches is several events, each its own `uid`, whose sum is the liquidation).
Id: `kraken_futures:{uid}` (the trade's unique id); without a uid, product, time, side, qty, price.
Snapshot on subscribe: `trade_snapshot` replays the latest trades of each product on EVERY subscribe.
  Its liquidations are parsed (they are real, with exchange times, and fill the last reconnect's gap);
  their uids make a replay of one already stored a duplicate that the pipeline drops, so nothing is
  double counted. `is_data` does not count a snapshot as life: it comes even from a stale feed.
Heartbeat: Kraken closes a connection without a client ping for 60 s: WebSocket pings every 30 s.
  The `heartbeat` feed is subscribed too (`{"feed":"heartbeat","time":…}`), a control frame. The data
  that proves the feed alive: live trades on every product, and the `ticker_lite` of PF_XBTUSD
  (`COMPANION`, it updates as BTC's price moves, many times a minute); 60 s without either is a failure.
Limits: REST 500 cost units per 10 s (UNCONFIRMED for the public instruments endpoint).
Products: every PF_/PI_/FF_/FI_ product in the catalogue (instruments endpoint, or the bundled
  snapshot), else `DEFAULT_PRODUCTS`.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument
from liqwatch.model import COMPLETE, LONG, SHORT, Liquidation, Side
from liqwatch.numbers import BadNumber, positive
from liqwatch.venues.base import (
    BadFrame,
    Frame,
    Heartbeat,
    VenueSpec,
)
from liqwatch.venues.kraken_futures_rest import (
    DEFAULT_PRODUCTS as DEFAULT_PRODUCTS,  # tests read it here
)
from liqwatch.venues.kraken_futures_rest import (
    INSTRUMENTS_PATH as INSTRUMENTS_PATH,
)
from liqwatch.venues.kraken_futures_rest import (
    INVERSE_PREFIXES,
    coin_of,
    connections,
    instrument_requests,
    parse_instruments,
)
from liqwatch.venues.routes import contract_amounts, in_range

MAX_MS = 10**15  # exchange times at or beyond this are not milliseconds of this era
VENUE = "kraken_futures"
URLS = {"ws": "wss://futures.kraken.com/ws/v1"}
REST = "https://futures.kraken.com"

LIQUIDATION = "liquidation"
SIDES: Mapping[str, Side] = {"sell": LONG, "buy": SHORT}  # the taker (liquidation order) side


class Trade(msgspec.Struct, frozen=True):
    product_id: str = ""
    uid: str = ""
    side: str = ""
    type: str = ""
    time: int = 0
    qty: float = 0.0  # contracts
    price: float = 0.0


class Message(msgspec.Struct, frozen=True):
    """Every frame of the feed in one shape: events (`event`), trades, snapshots and heartbeats."""

    event: str = ""
    feed: str = ""
    product_id: str = ""
    uid: str = ""
    side: str = ""
    type: str = ""
    time: int = 0
    qty: float = 0.0
    price: float = 0.0
    trades: list[Trade] = []


_decode = msgspec.json.Decoder(Message).decode


def derive(product: str) -> Instrument | None:
    """Inverse products: 1 USD contracts (the documented spec). Linear sizes: the catalogue only."""
    if not product.startswith(INVERSE_PREFIXES):
        return None
    coin, _ = coin_of(product)
    return Instrument(VENUE, product, coin, "inverse", 1.0, "USD", 1.0, "rule")


def _event(trade: Trade, recv_ts: int, cat: Catalogue) -> Liquidation:
    side = SIDES.get(trade.side)
    if side is None:
        raise BadNumber(f"unknown side {trade.side!r}")
    price = positive(trade.price, "price")
    positive(trade.qty, "qty")
    if not 0 < trade.time < MAX_MS:
        raise BadNumber(f"time must be positive milliseconds: {trade.time!r}")
    inst = cat.resolve(VENUE, trade.product_id, derive)
    qty: float | None = None
    usd: float | None = None
    if inst is None:
        coin, _ = coin_of(trade.product_id)
        coin_price = price
    else:
        coin = inst.coin
        coin_price, qty, usd = contract_amounts(inst, trade.qty, trade.price, price)
    key = trade.uid or f"{trade.product_id}:{trade.time}:{trade.side}:{trade.qty!r}:{trade.price!r}"
    return Liquidation(
        VENUE,
        trade.product_id,
        coin,
        side,
        coin_price,
        in_range(qty, "qty"),
        in_range(usd, "usd"),
        trade.time,
        recv_ts,
        COMPLETE,
        f"{VENUE}:{key}",
    )


def parse(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
    try:
        message = _decode(frame)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"kraken_futures: {exc}") from None
    if message.event:
        if message.event in ("error", "alert", "subscribed_failed"):
            text = frame.decode(errors="replace") if isinstance(frame, bytes) else frame
            raise BadFrame(f"kraken_futures: {message.event}: {text[:200]}")
        return []
    if message.feed == "trade":
        m = message
        trades = [Trade(m.product_id, m.uid, m.side, m.type, m.time, m.qty, m.price)]
    elif message.feed == "trade_snapshot":
        trades = message.trades
    else:
        return []
    out = []
    for trade in trades:
        if trade.type != LIQUIDATION:
            continue
        try:
            out.append(_event(trade, recv_ts, cat))
        except (BadNumber, ValueError, OverflowError) as exc:
            raise BadFrame(f"kraken_futures {trade.product_id}: {exc}") from None
    return out


class _Feed(msgspec.Struct):
    feed: str = ""


_decode_feed = msgspec.json.Decoder(_Feed).decode


def is_data(frame: Frame) -> bool:
    """A live trade or ticker; not a snapshot (replayed on every subscribe), heartbeat, info or ack."""
    try:
        return _decode_feed(frame).feed in ("trade", "ticker_lite")
    except (msgspec.DecodeError, UnicodeError):
        return False


NOTE = "Kraken Futures: every liquidation trade; the taker side as the liquidation order's is UNCONFIRMED."

KRAKEN_FUTURES_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=30.0),  # WebSocket pings: Kraken wants one within 60 s
    silence_s=60.0,
    instrument_requests=instrument_requests,
    parse_instruments=parse_instruments,
    notes=NOTE,
)
