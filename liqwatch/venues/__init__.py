"""The venue registry: the only place a venue id is bound to its module."""

from __future__ import annotations

from liqwatch.venues import binance, bitget, bitmex, bybit, deribit, gate, okx
from liqwatch.venues.base import VenueSpec

_SPECS: list[VenueSpec] = [
    binance.USDM_SPEC,
    binance.COINM_SPEC,
    bybit.BYBIT_SPEC,
    okx.OKX_SPEC,
    bitmex.BITMEX_SPEC,
    deribit.DERIBIT_SPEC,
    bitget.BITGET_SPEC,
    gate.GATE_SPEC,
]

REGISTRY: dict[str, VenueSpec] = {spec.id: spec for spec in _SPECS}
VENUE_IDS: tuple[str, ...] = tuple(REGISTRY)


def spec(venue: str) -> VenueSpec:
    try:
        return REGISTRY[venue]
    except KeyError:
        raise KeyError(f"unknown venue {venue!r}; known: {', '.join(VENUE_IDS)}") from None
