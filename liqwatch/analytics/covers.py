"""What a total covers, in one short line: "13 venues; Binance, OKX, Bitget sampled; Hyperliquid not connected".

Pure. `summary` (CLI and JSON), `/api/summary`, `/api/exchanges` and the report's data note all say it
with these words, built from:
- the venues whose events are in the figure's window, with their coverage (sampled venues publish
  only some liquidations: their totals are lower bounds);
- the venues liqwatch collects live by default (`venues.lifecycle.LIVE_VENUE_IDS`; a closed venue
  such as BitMEX counts only when its history is in the window);
- what the running collector, if any, says of each venue: "not covered" (Hyperliquid without a
  node directory), "connected", "silent", "down".

A live venue without events in the window is "not connected" when the collector says it is not
covered, counted (as zero) when the collector has it connected, and "no data from" otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

VENUE_NAMES: dict[str, str] = {
    "binance_usdm": "Binance",
    "binance_coinm": "Binance COIN-M",
    "bybit": "Bybit",
    "okx": "OKX",
    "bitmex": "BitMEX",
    "deribit": "Deribit",
    "bitget": "Bitget",
    "gate": "Gate",
    "hyperliquid": "Hyperliquid",
    "kraken_futures": "Kraken Futures",
    "bitfinex": "Bitfinex",
    "htx": "HTX",
    "dydx": "dYdX",
    "lighter": "Lighter",
    "aster": "Aster",
}
# Sampled lists name an exchange once: Binance's two hosts are one exchange to a reader.
_EXCHANGE = {"binance_coinm": "Binance"}

LiveState = str  # "connected" | "silent" | "down" | "not covered" | "unknown" | "closed"


class Covers(msgspec.Struct, frozen=True):
    line: str
    venues: list[str]  # venue ids the figure includes (events in the window, or connected with none)
    sampled: list[str]  # of those, the ones whose totals are lower bounds
    not_connected: list[str]  # live venues the collector does not cover (how to cover: `liqwatch status`)
    no_data: list[str]  # other live venues with nothing in the window


def venue_name(venue: str) -> str:
    return VENUE_NAMES.get(venue, venue)


def _names(venues: Iterable[str], exchanges: bool = False) -> str:
    shown = [(_EXCHANGE.get(v, venue_name(v)) if exchanges else venue_name(v)) for v in venues]
    return ", ".join(dict.fromkeys(shown))


def covers(
    in_window: Mapping[str, str],
    live_venues: Iterable[str],
    live_states: Mapping[str, LiveState] | None = None,
    order: Iterable[str] = VENUE_NAMES,
) -> Covers:
    """The line for a figure whose window holds events of `in_window` (venue → "complete" | "sampled")."""
    states = live_states or {}
    rank = {v: i for i, v in enumerate(order)}

    def ordered(venues: Iterable[str]) -> list[str]:
        return sorted(set(venues), key=lambda v: (rank.get(v, len(rank)), v))

    missing = [v for v in live_venues if v not in in_window]
    not_connected = ordered(v for v in missing if states.get(v) == "not covered")
    zero = [v for v in missing if states.get(v) in ("connected", "silent")]
    no_data = ordered(v for v in missing if v not in not_connected and v not in zero)
    venues = ordered([*in_window, *zero])
    sampled = ordered(v for v, c in in_window.items() if c == "sampled")
    parts = [f"{len(venues)} venue{'s' if len(venues) != 1 else ''}" if venues else "no venue"]
    if sampled:
        parts.append(f"{_names(sampled, exchanges=True)} sampled")
    if not_connected:
        parts.append(f"{_names(not_connected)} not connected")
    if no_data:
        parts.append(f"no data from {_names(no_data)}")
    return Covers("; ".join(parts), venues, sampled, not_connected, no_data)


def covers_json(found: Covers) -> dict[str, object]:
    return msgspec.to_builtins(found)  # type: ignore[no-any-return]
