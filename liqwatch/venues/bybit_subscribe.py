"""Bybit's subscriptions: one `allLiquidation.{symbol}` topic per symbol, split over requests.

Docs: https://bybit-exchange.github.io/docs/v5/ws/connect

There is no wildcard topic: the symbols come from the catalogue (refreshed from the instruments
endpoint, bybit_rest.py), split into the linear and the inverse connection, else a short default
list. One subscribe request's `args` array must stay within 21,000 characters, so the topics are
split over several requests (UNCONFIRMED wording: we count the JSON-encoded array, the stricter
reading). A `tickers.*` topic per connection ticks every 100 ms and proves the socket alive
between liquidations.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue
from liqwatch.venues.base import Connection

VENUE = "bybit"
LIQ_TOPIC = "allLiquidation."
MAX_ARGS_CHARS = 21_000  # the whole `args` array of one subscribe request
# Subscribed on a connection whose kind the catalogue lists no Bybit symbols for.
DEFAULT_SYMBOLS = {
    "linear": ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "BNBUSDT", "1000PEPEUSDT", "SHIB1000USDT"),
    "inverse": ("BTCUSD", "ETHUSD", "XRPUSD"),
}
COMPANION = {"linear": "tickers.BTCUSDT", "inverse": "tickers.BTCUSD"}  # ticks every 100 ms


def subscribe_messages(topics: list[str]) -> list[str]:
    """Subscribe requests whose encoded `args` array stays within MAX_ARGS_CHARS characters each."""
    out: list[str] = []
    batch: list[str] = []
    size = 2  # "[" and "]"
    for topic in topics:
        cost = len(msgspec.json.encode(topic)) + (1 if batch else 0)
        if batch and size + cost > MAX_ARGS_CHARS:
            out.append(msgspec.json.encode({"op": "subscribe", "args": batch}).decode())
            batch, size = [], 2
            cost -= 1
        batch.append(topic)
        size += cost
    if batch:
        out.append(msgspec.json.encode({"op": "subscribe", "args": batch}).decode())
    return out


def symbols_by_kind(cat: Catalogue) -> dict[str, list[str]]:
    """The catalogue's Bybit symbols split into the linear and inverse connections."""
    split: dict[str, list[str]] = {"linear": [], "inverse": []}
    for symbol in cat.symbols(VENUE):
        inst = cat.get(VENUE, symbol)
        if inst is not None and inst.kind in split:
            split[inst.kind].append(symbol)
    return split


def connections(urls: Mapping[str, str], cat: Catalogue) -> list[Connection]:
    listed = symbols_by_kind(cat)
    out = []
    for name in ("linear", "inverse"):
        topics = [COMPANION[name]] + [LIQ_TOPIC + symbol for symbol in listed[name] or DEFAULT_SYMBOLS[name]]
        out.append(Connection(name, urls[name], subscribe_messages(topics)))
    return out
