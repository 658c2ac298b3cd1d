"""What liqwatch sends Kraken Futures (subscribe frames) and its products (REST instruments).

Docs: https://docs.kraken.com/exchange/api-reference/futures-websocket/trade (subscribe)
      https://docs.kraken.com/api/docs/futures-api/trading/get-instruments (`INSTRUMENTS_PATH`)

Connections: one WebSocket subscribing `trade` for every PF_/PI_/FF_/FI_ product of the catalogue
  (else `DEFAULT_PRODUCTS`), the `ticker_lite` of `COMPANION` and `heartbeat`.
Products: `futures_inverse` are inverse (contractSize USD), `flexible_futures` and
  `futures_vanilla` linear (contractSize coins); untradeable products, other types and products
  without a positive contractSize are left out. Coin: `base` when given, else the name (coin_of).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument, Kind, normalize_coin
from liqwatch.venues.base import BadFrame, Connection, InstrumentsPage, RestRequest

VENUE = "kraken_futures"
INSTRUMENTS_PATH = "/derivatives/api/v3/instruments"
INVERSE_PREFIXES = ("PI_", "FI_")  # 1 USD contracts
PREFIXES = ("PF_", "FF_", *INVERSE_PREFIXES)
QUOTES = ("USDC", "USDT", "USD")
COMPANION = "PF_XBTUSD"  # its ticker_lite proves the feed alive between trades
DEFAULT_PRODUCTS = ("PF_XBTUSD", "PF_ETHUSD", "PF_SOLUSD", "PF_XRPUSD", "PF_DOGEUSD", "PI_XBTUSD", "PI_ETHUSD")


def coin_of(product: str) -> tuple[str, str]:
    """("BTC", "USD") from PF_XBTUSD, FI_XBTUSD_260327."""
    body = product.partition("_")[2].partition("_")[0] if "_" in product else product
    for quote in QUOTES:
        if body.endswith(quote) and len(body) > len(quote):
            return normalize_coin(body[: -len(quote)])[0], quote
    return normalize_coin(body)[0], ""


def products(cat: Catalogue) -> list[str]:
    listed = [s for s in cat.symbols(VENUE) if s.startswith(PREFIXES)]
    return listed or list(DEFAULT_PRODUCTS)


def subscribe_frame(feed: str, product_ids: list[str] | None = None) -> str:
    request: dict[str, object] = {"event": "subscribe", "feed": feed}
    if product_ids is not None:
        request["product_ids"] = product_ids
    return msgspec.json.encode(request).decode()


def connections(urls: Mapping[str, str], cat: Catalogue) -> list[Connection]:
    subscribe = [
        subscribe_frame("trade", products(cat)),
        subscribe_frame("ticker_lite", [COMPANION]),
        subscribe_frame("heartbeat"),
    ]
    return [Connection(name, url, subscribe) for name, url in urls.items()]


class _Instrument(msgspec.Struct):
    symbol: str
    type: str = ""  # futures_inverse | flexible_futures | futures_vanilla | spot index
    contractSize: float | None = None
    tradeable: bool = True
    base: str | None = None
    quote: str | None = None


class _Instruments(msgspec.Struct):
    result: str = ""
    instruments: list[_Instrument] = []
    error: str | None = None


_KINDS: Mapping[str, Kind] = {"futures_inverse": "inverse", "flexible_futures": "linear", "futures_vanilla": "linear"}


def instrument(raw: _Instrument) -> Instrument | None:
    kind = _KINDS.get(raw.type)
    size = raw.contractSize
    if kind is None or not raw.tradeable or size is None or not size > 0 or not raw.symbol.startswith(PREFIXES):
        return None
    coin, quote = coin_of(raw.symbol)
    if raw.base:
        coin = normalize_coin(raw.base)[0]
    return Instrument(VENUE, raw.symbol, coin, kind, size, raw.quote or quote or "USD", 1.0, "rest")


def instrument_requests() -> list[RestRequest]:
    return [RestRequest(INSTRUMENTS_PATH)]


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        response = msgspec.json.decode(body, type=_Instruments)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"kraken_futures instruments: {exc}") from None
    if response.result != "success":
        raise BadFrame(f"kraken_futures instruments: {response.result or 'no result'}: {response.error}")
    found = (instrument(raw) for raw in response.instruments)
    return InstrumentsPage([inst for inst in found if inst is not None])
