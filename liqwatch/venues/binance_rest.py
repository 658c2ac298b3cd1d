"""Binance's instruments: the REST lists (`GET /fapi/v1/exchangeInfo`, `GET /dapi/v1/exchangeInfo`) →
catalogue rows, and what a symbol's name says when the lists lack it (venues/binance.py sizes events).

USD-M: a linear contract per symbol, its coin and bundle from `baseAsset` (1000PEPE → PEPE × 1000).
COIN-M: an inverse contract of `contractSize` USD (symbols without one are skipped, never guessed).
Unlisted symbols: USD-M by the quote suffix (FDUSD, BUSD, USDT, USDC; a 1000… prefix is a bundle);
COIN-M `<COIN>USD_…` contracts of 100 USD (BTC) or 10 USD (others). Anything else: unsized.
Aster (a Binance clone) reads its own list with `ExchangeInfo`. `connections`: the SUBSCRIBE
request of one `market` socket (Binance's and Aster's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin, split_symbol
from liqwatch.venues.base import Connection, InstrumentsPage, RestRequest

USDM = "binance_usdm"
COINM = "binance_coinm"
# Quote assets of USD-M symbols, longest first so "USDC" is not read as "USD" + "C".
USDM_QUOTES = ("FDUSD", "BUSD", "USDT", "USDC")
Connections = Callable[[Mapping[str, str], Catalogue], list[Connection]]
Instruments = Callable[[RestRequest, bytes], InstrumentsPage]


def connections(*streams: str) -> Connections:
    """One `market` socket subscribed to `streams` (the pure VenueSpec.connections)."""
    request = msgspec.json.encode({"method": "SUBSCRIBE", "params": streams, "id": 1}).decode()
    return lambda urls, _cat: [Connection("market", urls["market"], [request])]


class Symbol(msgspec.Struct):
    symbol: str
    baseAsset: str = ""
    quoteAsset: str = ""
    contractType: str = ""
    contractSize: float = 0.0  # COIN-M only: USD per contract
    status: str = ""
    contractStatus: str = ""


class ExchangeInfo(msgspec.Struct):
    symbols: list[Symbol] = []


def parse_usdm_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    info = msgspec.json.decode(body, type=ExchangeInfo)
    out = []
    for sym in info.symbols:
        coin, bundle = normalize_coin(sym.baseAsset or sym.symbol)
        out.append(Instrument(USDM, sym.symbol, coin, "linear", bundle, sym.quoteAsset, bundle, "rest"))
    return InstrumentsPage(out)


def parse_coinm_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    info = msgspec.json.decode(body, type=ExchangeInfo)
    out = []
    for sym in info.symbols:
        if sym.contractSize <= 0:
            continue
        coin, _ = normalize_coin(sym.baseAsset)
        out.append(Instrument(COINM, sym.symbol, coin, "inverse", sym.contractSize, "USD", 1.0, "rest"))
    return InstrumentsPage(out)


def derive_usdm(symbol: str) -> Instrument | None:
    pair = symbol.split("_", 1)[0]
    parts = split_symbol(pair, USDM_QUOTES)
    if parts is None:
        return None
    coin, bundle = normalize_coin(parts[0])
    return Instrument(USDM, symbol, coin, "linear", bundle, parts[1], price_unit=bundle)


def derive_coinm(symbol: str) -> Instrument | None:
    pair = symbol.split("_", 1)[0]
    if not pair.endswith("USD") or len(pair) <= 3:
        return None
    coin, _ = normalize_coin(pair[:-3])
    return Instrument(COINM, symbol, coin, "inverse", 100.0 if coin == "BTC" else 10.0, "USD")
