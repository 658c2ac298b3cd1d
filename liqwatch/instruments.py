"""Instrument catalogue: what one unit of a venue's size field is worth.

Pure lookups. The catalogue is filled from each venue's public instruments endpoint by
`feed.instruments` (which also caches it on disk next to the store); a small bundled
snapshot of the main contracts covers a first offline start.

Units, for one unit of the venue's size field:
- linear:  `contract_size` coins; price is quoted per `price_unit` coins
           (Binance 1000PEPEUSDT: contract_size 1000, price_unit 1000).
- inverse: `contract_size` USD (Binance COIN-M BTCUSD_PERP: 100).
- quanto:  settles in another coin; needs that coin's price, so no USD here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Literal

import msgspec

Kind = Literal["linear", "inverse", "quanto"]

USD_QUOTES = frozenset({"USD", "USDT", "USDC"})
ALIASES = {"XBT": "BTC"}

# "1000PEPE", "1000000MOG": the venue quotes a bundle of coins (1 followed by 3+ zeros).
_MULTIPLIER_PREFIX = re.compile(r"^(10{3,})([A-Z][A-Z0-9]*)$")
# Hyperliquid writes the same thing as "kPEPE".
_KILO_PREFIX = re.compile(r"^k([A-Z][A-Z0-9]*)$")


class Instrument(msgspec.Struct, frozen=True):
    venue: str
    symbol: str
    coin: str  # normalized base coin
    kind: Kind
    contract_size: float  # see module docstring
    quote: str  # currency the price (linear) or contract (inverse) is denominated in
    price_unit: float = 1.0  # coins per quoted price unit
    source: str = "rule"  # "rest" (venue endpoint), "snapshot" (bundled) or "rule" (documented convention)

    @property
    def usd_quoted(self) -> bool:
        return self.quote in USD_QUOTES


def normalize_coin(raw_base: str) -> tuple[str, float]:
    """(coin, how many coins one unit of `raw_base` is): "1000PEPE" → ("PEPE", 1000), "XBT" → ("BTC", 1)."""
    base = raw_base.upper() if not _KILO_PREFIX.match(raw_base) else raw_base
    match = _MULTIPLIER_PREFIX.match(base)
    multiplier = 1.0
    if match:
        multiplier = float(match.group(1))
        base = match.group(2)
    else:
        kilo = _KILO_PREFIX.match(base)
        if kilo:
            multiplier = 1000.0
            base = kilo.group(1)
    return ALIASES.get(base, base), multiplier


def split_symbol(symbol: str, quotes: Iterable[str]) -> tuple[str, str] | None:
    """("1000PEPE", "USDT") from "1000PEPEUSDT" given the venue's quote suffixes, longest first."""
    for quote in quotes:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return None


Derive = Callable[[str], "Instrument | None"]


class Catalogue:
    """(venue, symbol) → Instrument. Venue rules derive what the endpoints did not list."""

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self._known: dict[tuple[str, str], Instrument] = {}
        self._derived: dict[tuple[str, str], Instrument | None] = {}
        self._memos: dict[str, dict[object, object]] = {}
        self.update(instruments)

    def update(self, instruments: Iterable[Instrument]) -> None:
        for instrument in instruments:
            self._known[(instrument.venue, instrument.symbol)] = instrument
        self._derived.clear()
        for memo in self._memos.values():  # emptied in place: a parser may hold its memo between calls
            memo.clear()

    def memo(self, owner: str) -> dict[object, object]:
        """A per-owner cache of values computed from this catalogue, emptied whenever it changes (the
        same dict for the catalogue's life, so a caller may keep it)."""
        try:
            return self._memos[owner]
        except KeyError:
            memo: dict[object, object] = {}
            self._memos[owner] = memo
            return memo

    def get(self, venue: str, symbol: str) -> Instrument | None:
        return self._known.get((venue, symbol))

    def resolve(self, venue: str, symbol: str, derive: Derive) -> Instrument | None:
        """The listed instrument, else the venue rule's answer (memoized; None = unknown size)."""
        key = (venue, symbol)
        found = self._known.get(key)
        if found is not None:
            return found
        try:
            return self._derived[key]
        except KeyError:
            derived = self._derived[key] = derive(symbol)
            return derived

    def symbols(self, venue: str) -> list[str]:
        return sorted(symbol for v, symbol in self._known if v == venue)

    def instruments(self) -> list[Instrument]:
        return sorted(self._known.values(), key=lambda i: (i.venue, i.symbol))

    def __len__(self) -> int:
        return len(self._known)

    def to_json(self) -> bytes:
        return msgspec.json.encode(self.instruments())

    @classmethod
    def from_json(cls, data: bytes | str) -> Catalogue:
        return cls(msgspec.json.decode(data, type=list[Instrument]))


def bundled() -> Catalogue:
    """The snapshot of the main contracts that ships with liqwatch (one file per venue)."""
    catalogue = Catalogue()
    folder = resources.files("liqwatch") / "snapshot"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            catalogue.update(msgspec.json.decode(entry.read_bytes(), type=list[Instrument]))
    return catalogue
