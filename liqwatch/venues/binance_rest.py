"""Binance's instrument lists (`GET /fapi/v1/exchangeInfo`, `GET /dapi/v1/exchangeInfo`) → catalogue rows.

USD-M: a linear contract per symbol, its coin and bundle from `baseAsset` (1000PEPE → PEPE × 1000).
COIN-M: an inverse contract of `contractSize` USD (symbols without one are skipped, never guessed).
Aster (a Binance clone) reads its own list with `ExchangeInfo`.
"""

from __future__ import annotations

import msgspec

from liqwatch.instruments import Instrument, normalize_coin
from liqwatch.venues.base import InstrumentsPage, RestRequest

USDM = "binance_usdm"
COINM = "binance_coinm"


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
