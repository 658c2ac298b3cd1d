"""Which venues liqwatch collects live, which are closed (history only), and what covering one takes.

Pure data. A closed venue keeps its parser (capture journals and Tardis history still import),
is not in the default venue set, `liqwatch run --venues` refuses it with its closure date, and
the status views say "closed <date>", never "down".
"""

from __future__ import annotations

from liqwatch.venues import VENUE_IDS, hyperliquid

# venue id → the UTC date its exchange closed (BitMEX: 2026-09-23 04:00 UTC, announced 2026-07-23,
# reduce-only from 2026-08-26; research/venues-2.md).
CLOSED: dict[str, str] = {"bitmex": "2026-09-23"}

# The default venue set of `liqwatch run` and the simulator.
LIVE_VENUE_IDS: tuple[str, ...] = tuple(v for v in VENUE_IDS if v not in CLOSED)


def closed_note(venue: str) -> str | None:
    """The status word of a closed venue ("closed 2026-09-23"), else None."""
    day = CLOSED.get(venue)
    return f"closed {day}" if day else None


def refuse_closed(venues: tuple[str, ...] | list[str]) -> str | None:
    """The one-line refusal for a live selection naming a closed venue, else None."""
    closed = [v for v in venues if v in CLOSED]
    if not closed:
        return None
    names = ", ".join(f"{v} (the exchange closed on {CLOSED[v]})" for v in closed)
    return (
        f"--venues: {names} cannot be collected live any more; its parser stays for history: "
        "`liqwatch import` its capture journals or Tardis CSV files"
    )


# venue id → why it is not collected without more set-up, and how to cover it.
HOW_TO_COVER: dict[str, str] = {hyperliquid.VENUE: hyperliquid.NOT_COVERED}


def not_covered_note(venue: str) -> str:
    """What a selected venue with nothing to read says in the status views."""
    return HOW_TO_COVER.get(venue, "not covered: no connection configured")
