"""The venue registry: the only place a venue id is bound to its module."""

from __future__ import annotations

from dataclasses import replace

from liqwatch.instruments import Catalogue
from liqwatch.model import Liquidation
from liqwatch.venues import binance, bitget, bitmex, bybit, deribit, gate, okx
from liqwatch.venues.base import BadFrame, Frame, Parse, VenueSpec

# No single liquidation is worth $10B, and exchange times before 2001 are seconds mistaken for
# milliseconds: a frame that yields either is impossible and goes to the dead letters.
MAX_USD = 1e10
MIN_TS = 1_000_000_000_000


def plausible(parse: Parse) -> Parse:
    """`parse`, refusing frames whose events no venue could have sent (see MAX_USD, MIN_TS)."""

    def checked(frame: Frame, recv_ts: int, cat: Catalogue) -> list[Liquidation]:
        events = parse(frame, recv_ts, cat)
        for event in events:
            if event.ts < MIN_TS or (event.usd is not None and event.usd > MAX_USD):
                raise BadFrame(f"{event.venue} {event.symbol}: impossible values (usd {event.usd}, ts {event.ts})")
        return events

    return checked


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

REGISTRY: dict[str, VenueSpec] = {spec.id: replace(spec, parse=plausible(spec.parse)) for spec in _SPECS}
VENUE_IDS: tuple[str, ...] = tuple(REGISTRY)


def spec(venue: str) -> VenueSpec:
    try:
        return REGISTRY[venue]
    except KeyError:
        raise KeyError(f"unknown venue {venue!r}; known: {', '.join(VENUE_IDS)}") from None
