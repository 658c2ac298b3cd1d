"""What the simulator publishes: a truth liquidation (`Liq`) and a frame on the tape (`Push`). Pure."""

from __future__ import annotations

from typing import NamedTuple

from liqwatch.model import Side
from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market


class Liq(NamedTuple):
    """One liquidation as the venue published it: the wire values and what they mean (the truth)."""

    venue: str  # the market's venue (Binance: binance_usdm or binance_coinm, whichever host sends it)
    symbol: str
    coin: str
    side: Side  # the liquidated POSITION
    price: str  # wire price (quoted per `bundle` coins)
    size: str  # wire size, unsigned (contracts, coins, bundles or quote amount: see markets.py)
    ts: int  # exchange time, ms
    ref: str = ""  # venue order/trade id where the venue has one (BitMEX orderID, Deribit trade_id)
    variant: int = 0  # seeded bits for wire choices that do not change the meaning
    coin_price: float = 0.0  # expected normalized values (markets.expected)
    qty: float | None = None
    usd: float | None = None


class Push(NamedTuple):
    """One frame a venue endpoint publishes."""

    at: int  # exchange time the frame is published, ms
    venue: str  # endpoint venue id ("" for a clock marker: nothing to send)
    conn: str  # connection at the venue ("" = any)
    topic: str  # what a client must be subscribed to ("*" = any subscription on the connection)
    text: str  # the frame as a plain subscriber receives it
    truths: tuple[Liq, ...] = ()
    op: str = ""  # BitMEX bookkeeping: insert | update | delete (the server keeps the active orders)
    key: str = ""  # BitMEX orderID


def truth(m: Market, side: Side, price: str, size: str, ts: int, ref: str = "", variant: int = 0) -> Liq:
    """The truth of a liquidation of `size` at `price` on market `m`, with its expected normalized values."""
    coin_price, qty, usd = mk.expected(m, price, size)
    return Liq(m.venue, m.symbol, m.coin, side, price, size, ts, ref, variant, coin_price, qty, usd)
