"""What the alert rules produce and how the rule definitions look. Pure: no I/O.

An `Alert` is the one record every sink formats: the rule that raised it, a de-duplication
`key` (the same breach, order, cascade, silence or gap always gets the same key, so the engine
and any receiver can drop repeats), a human title and text, the numbers behind it in `fields`,
and the events behind it.

Rule definitions are frozen structs built by `alerts.config` (or directly in code and tests).
Every rule has `sinks`: the names of the sinks its alerts go to (empty = every sink).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

import msgspec

from liqwatch import money as house
from liqwatch.model import Liquidation, Side

AlertKind = Literal["window", "order", "squeeze", "venue", "level", "wallets", "writes"]
FieldValue = str | int | float | bool | None


class Alert(msgspec.Struct, frozen=True):
    kind: AlertKind
    rule: str  # the rule's name
    key: str  # de-duplication key: the same condition always gets the same key
    ts: int  # ms since epoch: when it was raised (the engine's clock)
    title: str  # one line
    text: str  # a sentence or two, plain text
    fields: dict[str, FieldValue]  # the numbers, machine-readable
    events: list[Liquidation] = msgspec.field(default_factory=list)  # the events behind it (a few at most)
    resolved: bool = False  # True: the condition is over (a venue sending again)


class WindowRule(msgspec.Struct, frozen=True):
    """USD liquidated in a trailing window (one coin or all, one side or both) above a threshold."""

    name: str
    window: str  # label, e.g. "1h"
    window_ms: int
    above_usd: float
    rearm_below_usd: float  # fires again only after the value fell to this (hysteresis)
    coin: str | None = None  # None: all coins together
    side: Side | None = None  # None: longs + shorts
    venue: str | None = None  # None: every venue
    cooldown_ms: int = 15 * 60_000
    sinks: tuple[str, ...] = ()


class OrderRule(msgspec.Struct, frozen=True):
    """A single liquidation above a threshold."""

    name: str
    above_usd: float
    coin: str | None = None
    side: Side | None = None
    venue: str | None = None
    cooldown_ms: int = 0  # 0: every qualifying order is an alert
    max_age_ms: int = 5 * 60_000  # older events (journal replay at start-up) raise nothing
    sinks: tuple[str, ...] = ()


class SqueezeRule(msgspec.Struct, frozen=True):
    """A one-sided burst (`analytics.squeeze.cascades`) in the trailing window."""

    name: str
    window: str
    window_ms: int
    min_usd: float = 1_000_000.0  # the burst's USD
    min_count: int = 5
    gap_ms: int = 30_000  # events further apart than this split a burst
    rate_multiple: float = 10.0  # burst USD/min against the side's average in the window
    coin: str | None = None
    side: Side | None = None  # None: both sides
    venue: str | None = None
    max_events: int = 200_000  # memory bound on the events held for the window
    sinks: tuple[str, ...] = ()


class VenueRule(msgspec.Struct, frozen=True):
    """A venue silent for too long (collector status), or a feed gap recorded."""

    name: str
    venue: str | None = None  # None: every venue
    silent_after_ms: int | None = 10 * 60_000  # None: no silence alerts
    gaps: bool = True
    min_gap_ms: int = 0
    notify_recovery: bool = True  # also say when a silent venue sends again
    sinks: tuple[str, ...] = ()


class LevelRule(msgspec.Struct, frozen=True):
    """Price broke through a major modelled liquidation level (analytics.levels_events.BreakThrough)."""

    name: str
    coins: tuple[str, ...] = ("BTC", "ETH")  # the coins whose levels are watched
    side: Side | None = None  # side of the positions whose levels broke (short: price went up); None: both
    min_fuel_usd: float = 0.0  # modelled fuel the bar cleared, at least
    min_realized_usd: float = 0.0  # same-side liquidations that followed so far, at least
    cooldown_ms: int = 60 * 60_000  # per coin and side
    max_age_ms: int = 2 * 60 * 60_000  # break-throughs of bars that ended longer ago raise nothing (start-up)
    sinks: tuple[str, ...] = ()


class WalletsRule(msgspec.Struct, frozen=True):
    """Watched wallets' unrealized loss on one side (optionally one coin group) crossed above_usd."""

    name: str
    above_usd: float
    rearm_below_usd: float  # fires again only after the loss fell below this (hysteresis)
    side: Side | None = None  # None: either side
    group: str | None = None  # "BTC", "ETH" or "altcoins"; None: all coins
    cooldown_ms: int = 60 * 60_000
    sinks: tuple[str, ...] = ()


class WritesRule(msgspec.Struct, frozen=True):
    """The collector failed to write what it received: journal, store or gap log (a full disk)."""

    name: str
    cooldown_ms: int = 15 * 60_000  # while failures go on, at most one alert per cooldown
    notify_recovery: bool = True
    sinks: tuple[str, ...] = ()


Rule = WindowRule | OrderRule | SqueezeRule | VenueRule | LevelRule | WalletsRule | WritesRule


# --- small shared helpers -----------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_DURATION_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_duration_ms(text: str) -> int:
    """ "15m" → 900_000; "500ms", "1.5s", "2h", "1d", "0s". ValueError with a hint otherwise."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"bad duration {text!r}: expected a number and a unit (ms, s, m, h, d), e.g. 30s, 15m")
    return round(float(match.group(1)) * _DURATION_MS[match.group(2)])


def money(usd: float) -> str:
    """The house style for tables and alert titles (liqwatch.money): $748.3M, $12.5K, $950."""
    return house.table(usd)


def duration_words(ms: int) -> str:
    """90_000 → "1m30s"; 3_600_000 → "1h"; 4_000 → "4s"."""
    seconds = max(ms, 0) // 1000
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts[:2]) or f"{max(ms, 0)}ms"


def iso(ms: int) -> str:
    """2026-11-21T08:00:00Z (second precision, UTC)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def matches(event: Liquidation, coin: str | None, side: Side | None, venue: str | None) -> bool:
    return (
        (coin is None or event.coin == coin)
        and (side is None or event.side == side)
        and (venue is None or event.venue == venue)
    )


def scope_words(coin: str | None, side: Side | None, venue: str | None) -> str:
    """ "BTC short", "all long", "ETH on okx", "all"."""
    words = [coin or "all"]
    if side is not None:
        words.append(side)
    if venue is not None:
        words.append(f"on {venue}")
    return " ".join(words)
