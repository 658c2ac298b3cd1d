"""The venue registry: the only place a venue id is bound to its module."""

from __future__ import annotations

from dataclasses import replace

from liqwatch.instruments import Catalogue
from liqwatch.model import Liquidation
from liqwatch.venues import (
    aster,
    binance,
    bitfinex,
    bitget,
    bitmex,
    bybit,
    deribit,
    dydx,
    gate,
    htx,
    hyperliquid,
    kraken_futures,
    lighter,
    okx,
)

# MAX_USD and MIN_TS (base.py) bound what a frame can yield: beyond them it is a BadFrame.
from liqwatch.venues.base import MAX_USD, MIN_TS, Frame, Parse, VenueSpec, refuse_impossible


def plausible(parse: Parse) -> Parse:
    """`parse`, refusing frames whose events no venue could have sent (see MAX_USD, MIN_TS)."""

    def checked(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        return refuse_impossible(parse(frame, recv_ts, cat), MAX_USD, MIN_TS)

    return checked


def _registered(spec: VenueSpec) -> VenueSpec:
    """The spec whose parse refuses impossible events: the venue's own inline check, else the wrapper."""
    checked = spec.checked_parse(MAX_USD, MIN_TS) if spec.checked_parse is not None else plausible(spec.parse)
    return replace(spec, parse=checked)


_SPECS: list[VenueSpec] = [
    binance.USDM_SPEC,
    binance.COINM_SPEC,
    bybit.BYBIT_SPEC,
    okx.OKX_SPEC,
    bitmex.BITMEX_SPEC,
    deribit.DERIBIT_SPEC,
    bitget.BITGET_SPEC,
    gate.GATE_SPEC,
    aster.ASTER_SPEC,
    dydx.DYDX_SPEC,
    lighter.LIGHTER_SPEC,
    kraken_futures.KRAKEN_FUTURES_SPEC,
    bitfinex.BITFINEX_SPEC,
    htx.HTX_SPEC,
    hyperliquid.HYPERLIQUID_SPEC,
]

REGISTRY: dict[str, VenueSpec] = {spec.id: _registered(spec) for spec in _SPECS}
VENUE_IDS: tuple[str, ...] = tuple(REGISTRY)


def spec(venue: str) -> VenueSpec:
    try:
        return REGISTRY[venue]
    except KeyError:
        raise KeyError(f"unknown venue {venue!r}; known: {', '.join(VENUE_IDS)}") from None
