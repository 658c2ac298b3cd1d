"""BitMEX's instruments: the REST list (`GET /api/v1/instrument/active`) → catalogue rows, and what a
symbol's name says when the list lacks it (the size rules they feed: venues/bitmex.py).

inverse (isInverse, e.g. XBTUSD): one contract is `multiplier / underlyingToSettleMultiplier` quote
  units (XBTUSD: -100000000 / -100000000 = 1 USD);
linear (neither inverse nor quanto, e.g. XBTUSDT): one contract is `1 / underlyingToPositionMultiplier`
  coins (XBTUSDT: 1/1000000 BTC), per bundle for multiplier-prefixed roots;
quanto (isQuanto, e.g. ETHUSD): kept with its multiplier; its USD value needs the XBT/USD price.
Rows without these numbers (indices, spot pairs) are skipped, never guessed. Unlisted symbols: only
XBTUSD and BTCUSD (UNCONFIRMED whether the API drops the XBT alias) are derived, as the documented
1-USD inverse perpetual; any other gets its coin and bundle from the name, never a size.
Requests: `instrument_requests`, and the stream's subscribe (`connections`): `liquidation` and
`instrument:<XBTUSD>`, which ticks every few seconds and proves the feed alive between
liquidations. Heartbeat: the text `ping`, answered by the text `pong`; BitMEX recommends pinging
after ~5 s without a message (UNCONFIRMED value: PING_INTERVAL_S).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin, split_symbol
from liqwatch.venues.base import BadFrame, Connection, InstrumentsPage, RestRequest

VENUE = "bitmex"
# Symbols the docs describe as 1-USD inverse perpetuals; used only when the catalogue lacks them.
INVERSE_1USD = frozenset({"XBTUSD", "BTCUSD"})
# Quote suffixes of BitMEX perpetual symbols, longest first ("XBTUSDT" is not "XBTUSD" + "T").
QUOTES = ("USDT", "USDC", "USD", "EUR", "XBT")
# Futures symbols end in a month code and a two-digit year: XBTZ24, TRXZ19, XBTUSDTH25.
_FUTURES_SUFFIX = re.compile(r"^(.+?)[FGHJKMNQUVXZ]\d\d$")


class InstrumentRow(msgspec.Struct):
    symbol: str
    rootSymbol: str | None = None
    underlying: str | None = None  # base coin, e.g. XBT, ETH
    quoteCurrency: str | None = None  # e.g. USD, USDT
    settlCurrency: str | None = None  # e.g. XBt, USDt
    typ: str | None = None  # FFWCSX perpetual, FFCCSX future, MRCXXX index, …
    isInverse: bool | None = None
    isQuanto: bool | None = None
    multiplier: float | None = None  # XBTUSD: -100000000 (satoshi per contract per 1/price)
    underlyingToPositionMultiplier: float | None = None  # linear: contracts per coin
    underlyingToSettleMultiplier: float | None = None  # inverse: settle units per coin


def instrument_of(raw: InstrumentRow) -> Instrument | None:
    underlying = raw.underlying or raw.rootSymbol
    if not underlying or not raw.quoteCurrency:
        return None
    coin, bundle = normalize_coin(underlying)
    quote = raw.quoteCurrency.upper()
    if raw.isQuanto:
        size = raw.multiplier if raw.multiplier else 0.0
        return Instrument(VENUE, raw.symbol, coin, "quanto", size, quote, 1.0, "rest")
    if raw.isInverse:
        if not raw.multiplier or not raw.underlyingToSettleMultiplier:
            return None
        size = raw.multiplier / raw.underlyingToSettleMultiplier
        if not (math.isfinite(size) and size > 0):
            return None
        return Instrument(VENUE, raw.symbol, coin, "inverse", size, quote, 1.0, "rest")
    per_coin = raw.underlyingToPositionMultiplier
    if not per_coin or not math.isfinite(per_coin) or per_coin <= 0:
        return None  # indices, spot pairs without a position multiplier
    return Instrument(VENUE, raw.symbol, coin, "linear", bundle / per_coin, quote, bundle, "rest")


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        rows = msgspec.json.decode(body, type=list[InstrumentRow])
    except msgspec.DecodeError as exc:
        raise BadFrame(f"bitmex instruments: {exc}") from None
    return InstrumentsPage([inst for inst in map(instrument_of, rows) if inst is not None])


def _root(symbol: str) -> tuple[str, str]:
    """(root, quote) guessed from a symbol: "XBTUSD" → ("XBT", "USD"), "TRXZ19" → ("TRX", "")."""
    futures = _FUTURES_SUFFIX.match(symbol)
    body = futures.group(1) if futures else symbol
    parts = split_symbol(body, QUOTES)
    if parts is not None:
        return parts[0].rstrip("_"), parts[1]
    return body, ""


def coin_of(symbol: str) -> tuple[str, float]:
    """(coin, coins per quoted unit) guessed from an unlisted symbol: "1000PEPEUSDT" → ("PEPE", 1000)."""
    return normalize_coin(_root(symbol)[0])


def derive(symbol: str) -> Instrument | None:
    """The documented convention for symbols the catalogue does not list (see module docstring)."""
    if symbol in INVERSE_1USD:
        return Instrument(VENUE, symbol, "BTC", "inverse", 1.0, "USD")
    return None


# UNCONFIRMED (research §5 ping wording): BitMEX suggests a ping after ~5 s without any message.
PING_INTERVAL_S = 5.0
# The instrument whose `instrument` table updates prove the socket alive. The first of these found in
# the REST catalogue wins (UNCONFIRMED whether the API renames XBT… symbols to BTC…).
COMPANION_SYMBOLS = ("XBTUSD", "BTCUSD")


def ping(_now_ms: int) -> str:
    return "ping"


def companion_symbol(cat: Catalogue) -> str:
    """XBTUSD unless the venue's own instrument list only knows the BTC… name."""
    for symbol in COMPANION_SYMBOLS:
        inst = cat.get(VENUE, symbol)
        if inst is not None and inst.source == "rest":
            return symbol
    return COMPANION_SYMBOLS[0]


def subscribe_message(companion: str) -> str:
    return msgspec.json.encode({"op": "subscribe", "args": ["liquidation", f"instrument:{companion}"]}).decode()


def connections(urls: Mapping[str, str], cat: Catalogue) -> list[Connection]:
    return [Connection("realtime", urls["realtime"], [subscribe_message(companion_symbol(cat))])]


def instrument_requests() -> list[RestRequest]:
    return [RestRequest("/api/v1/instrument/active")]
