"""The one schema everything in liqwatch speaks: a normalized Liquidation and a Gap.

Field order and names are the public contract of `liqwatch events --format jsonl`
(see design.md): venue, symbol, coin, side, price, qty, usd, ts, recv_ts, coverage, id.
`side` is the side of the POSITION that was liquidated, never the order side.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Side = Literal["long", "short"]
Coverage = Literal["complete", "sampled"]

LONG: Side = "long"
SHORT: Side = "short"
COMPLETE: Coverage = "complete"
SAMPLED: Coverage = "sampled"


class Liquidation(msgspec.Struct, frozen=True, gc=False):
    venue: str  # venue id, e.g. "binance_usdm"
    symbol: str  # venue-native instrument id, e.g. "1000PEPEUSDT"
    coin: str  # normalized base coin, e.g. "PEPE"
    side: Side  # side of the liquidated POSITION
    price: float  # per one unit of `coin` (multiplier prefixes undone)
    qty: float | None  # size in units of `coin`; None when the contract size is unknown
    usd: float | None  # notional in USD (USDT/USDC at par); None when the contract size is unknown
    ts: int  # exchange time, ms since epoch
    recv_ts: int  # local receive time, ms since epoch
    coverage: Coverage  # "sampled": the venue publishes at most some liquidations (a lower bound)
    id: str  # stable dedup key: the same liquidation always gets the same id


class Gap(msgspec.Struct, frozen=True):
    """A span during which a venue's feed was not being received (outage, reconnect, silence)."""

    venue: str
    start: int  # ms since epoch, last moment the feed was known good
    end: int  # ms since epoch, moment the feed was good again
    reason: str


class Candle(msgspec.Struct, frozen=True):
    """One price bar of a venue's instrument (REST klines; later the mark-price streams).

    The bar covers [open_ts, open_ts + interval_ms): its close is the price at its end.
    Prices are per one unit of `coin` (multiplier prefixes undone), in the instrument's quote
    currency (USDT and USDC at par with USD).
    """

    venue: str
    symbol: str  # venue-native instrument id, e.g. "BTCUSDT", "BTC-USDT-SWAP"
    coin: str
    interval_ms: int
    open_ts: int  # ms since epoch
    open: float
    high: float
    low: float
    close: float
    source: str = "rest"  # "rest" (klines endpoint) or "stream" (mark-price stream)


StatKind = Literal["open_interest_usd", "funding_rate"]


class MarketStat(msgspec.Struct, frozen=True):
    """A polled market statistic: open interest (USD notional) or a funding rate (per period)."""

    venue: str
    symbol: str
    coin: str
    kind: StatKind
    ts: int  # ms since epoch: the time the venue states for the value
    value: float


event_encoder = msgspec.json.Encoder()
event_decoder = msgspec.json.Decoder(Liquidation)
