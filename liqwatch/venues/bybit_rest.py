"""Bybit's instruments: `GET /v5/market/instruments-info` (linear and inverse), else the naming rule.

Docs: https://bybit-exchange.github.io/docs/v5/market/instrument

`contractType` tells linear (LinearPerpetual, LinearFutures: size in base coin) from inverse
(InversePerpetual, InverseFutures: contracts of 1 USD); `baseCoin` carries the bundle in its name
("1000PEPE", and Bybit's suffix form "SHIB1000" = 1000 SHIB). Pages follow `nextPageCursor`.
A symbol the catalogue does not list is read by Bybit's documented naming (`derive`).
"""

from __future__ import annotations

import re

import msgspec

from liqwatch.instruments import Instrument, normalize_coin
from liqwatch.venues.base import BadFrame, InstrumentsPage, RestRequest

VENUE = "bybit"

# Bybit also writes the bundle after the coin: "SHIB1000" = 1000 SHIB.
_SUFFIX_BUNDLE = re.compile(r"^([A-Z]+)(10{3,})$")
_LINEAR_QUOTES = ("USDT", "USDC")
_DATED = re.compile(r"^([A-Z0-9]+)-(\d{1,2}[A-Z]{3}\d{2})$")  # BTCUSDT-26DEC25, BTC-26DEC25 (USDC)
_INVERSE_DATED = re.compile(r"^([A-Z0-9]+)USD[FGHJKMNQUVXZ]\d{2}$")  # BTCUSDH25: month code + year


def coin_of(raw_base: str) -> tuple[str, float]:
    """("PEPE", 1000) from "1000PEPE"; ("SHIB", 1000) from Bybit's suffix form "SHIB1000"."""
    suffix = _SUFFIX_BUNDLE.match(raw_base)
    if suffix:
        coin, _ = normalize_coin(suffix.group(1))
        return coin, float(suffix.group(2))
    return normalize_coin(raw_base)


def derive(symbol: str) -> Instrument | None:
    """The documented symbol convention, for symbols the catalogue does not list.

    Linear: …USDT, …USDC, …PERP (USDC perpetual), …USDT-26DEC25 / BTC-26DEC25 (dated).
    Inverse: …USD, …USDH25 (USD + month code + year), 1 contract = 1 USD.
    """
    dated = _DATED.match(symbol)
    head = dated.group(1) if dated else symbol
    for quote in _LINEAR_QUOTES:
        if head.endswith(quote) and len(head) > len(quote):
            return _linear(symbol, head[: -len(quote)], quote)
    if dated:
        return _linear(symbol, head, "USDC")
    if symbol.endswith("PERP") and len(symbol) > 4:
        return _linear(symbol, symbol[:-4], "USDC")
    inverse = _INVERSE_DATED.match(symbol)
    if (symbol.endswith("USD") and len(symbol) > 3) or inverse:
        coin, _ = coin_of(inverse.group(1) if inverse else symbol[:-3])
        return Instrument(VENUE, symbol, coin, "inverse", 1.0, "USD")
    return None


def _linear(symbol: str, base: str, quote: str) -> Instrument:
    coin, bundle = coin_of(base)
    return Instrument(VENUE, symbol, coin, "linear", bundle, quote, price_unit=bundle)


class _Instrument(msgspec.Struct):
    symbol: str
    contractType: str = ""  # LinearPerpetual, LinearFutures, InversePerpetual, InverseFutures
    status: str = ""  # Trading, PreLaunch, Delivering, Closed
    baseCoin: str = ""  # "1000PEPE" for 1000PEPEUSDT: the bundle is in the name
    quoteCoin: str = ""  # USDT, USDC (linear), USD (inverse)
    settleCoin: str = ""  # USDT, USDC, or the coin itself (inverse)


class _Result(msgspec.Struct):
    category: str = ""
    items: list[_Instrument] = msgspec.field(default_factory=list, name="list")
    nextPageCursor: str = ""


class _Response(msgspec.Struct):
    retCode: int = 0
    retMsg: str = ""
    result: _Result | None = None


_LINEAR_TYPES = frozenset({"LinearPerpetual", "LinearFutures"})
_INVERSE_TYPES = frozenset({"InversePerpetual", "InverseFutures"})


def instrument_requests() -> list[RestRequest]:
    return [
        RestRequest("/v5/market/instruments-info", {"category": category, "limit": "1000"})
        for category in ("linear", "inverse")
    ]


def parse_instruments(req: RestRequest, body: bytes) -> InstrumentsPage:
    response = msgspec.json.decode(body, type=_Response)
    if response.retCode != 0 or response.result is None:
        raise BadFrame(f"bybit instruments-info: retCode {response.retCode} {response.retMsg!r}")
    out = []
    for item in response.result.items:
        base = item.baseCoin
        if item.contractType in _LINEAR_TYPES:
            if not base or not item.quoteCoin:
                continue
            coin, bundle = coin_of(base)
            out.append(Instrument(VENUE, item.symbol, coin, "linear", bundle, item.quoteCoin, bundle, "rest"))
        elif item.contractType in _INVERSE_TYPES:
            if not base:
                continue
            coin, _ = coin_of(base)
            out.append(Instrument(VENUE, item.symbol, coin, "inverse", 1.0, item.quoteCoin or "USD", 1.0, "rest"))
    cursor = response.result.nextPageCursor
    following = None
    if cursor and response.result.items:
        following = RestRequest(req.path, {**req.params, "cursor": cursor})
    return InstrumentsPage(out, following)
