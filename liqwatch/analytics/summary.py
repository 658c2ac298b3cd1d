"""Window summaries: totals, sides, counts, largest order, per-coin and per-venue breakdowns.

`summarize` is the pure-Python REFERENCE implementation: every store computes the same `Summary`
in its own query language and is tested to be EQUAL to it (not approximately equal).

Semantics (design.md):
- a window `w` ending at `at` holds the events with `at - w < ts <= at`;
- `count` counts every event, including those without a USD value; `unpriced_count` says how
  many had none, and they add nothing to the USD sums;
- `largest` is the event with the greatest USD value (at 1e-8 USD resolution), ties broken by the
  earliest `ts`, then the smallest `id`; None when no event of the window has a USD value;
- `coverage` names each venue that contributed at least one event to the window: "sampled" if any
  of its events there is sampled (its totals are lower bounds), else "complete".

Exactness: USD sums are integer sums of each event's `usd_units` (USD × 1e8, rounded once per
event by `usd_units`), reported as `units_to_usd(total)`. Integer sums do not depend on the order
of the additions, so SQL and Python agree to the last bit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from liqwatch.model import Coverage, Liquidation

UNITS_PER_USD = 100_000_000  # usd_units: integer count of 1e-8 USD
MAX_UNITS = 2**63 - 1  # fits a SQL BIGINT

Window = tuple[str, int]  # (label, length in ms), e.g. ("4h", 14_400_000)

UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_WINDOW = re.compile(r"^(\d+)([a-zA-Z]+)$")


def usd_units(usd: float | None) -> int | None:
    """The event's USD value as an integer count of 1e-8 USD: round(usd × 1e8) (None stays None)."""
    if usd is None:
        return None
    if not math.isfinite(usd):
        raise ValueError(f"usd is not finite: {usd!r}")
    units = round(usd * UNITS_PER_USD)
    if abs(units) > MAX_UNITS:
        raise ValueError(f"usd is out of range: {usd!r}")
    return units


def units_to_usd(units: int) -> float:
    """An exact integer sum of usd_units back to USD (correctly rounded: int / int is exact in Python)."""
    return round(units / UNITS_PER_USD, 8)


class Totals(msgspec.Struct, frozen=True):
    total_usd: float
    long_usd: float
    short_usd: float
    count: int  # every event, priced or not
    long_count: int
    short_count: int
    unpriced_count: int  # events without a USD value (unknown contract size)


class WindowSummary(msgspec.Struct, frozen=True):
    label: str  # e.g. "4h"
    start: int  # ms, exclusive: at - w
    end: int  # ms, inclusive: at
    total_usd: float
    long_usd: float
    short_usd: float
    count: int
    long_count: int
    short_count: int
    unpriced_count: int
    largest: Liquidation | None
    by_coin: dict[str, Totals]  # ordered by total_usd desc, then name
    by_venue: dict[str, Totals]  # ordered by total_usd desc, then name
    coverage: dict[str, Coverage]  # venues that contributed events, ordered by name


class Summary(msgspec.Struct, frozen=True):
    at: int  # ms
    windows: list[WindowSummary]


# --- windows -----------------------------------------------------------------------------------


def parse_window(text: str) -> Window:
    """ "4h" → ("4h", 14_400_000). Units: s, m, h, d, w; a whole positive number."""
    label = text.strip()
    match = _WINDOW.match(label)
    if not match:
        raise ValueError(f"bad window {text!r}: expected a whole number and a unit (s, m, h, d, w), e.g. 15m, 4h, 7d")
    amount, unit = int(match.group(1)), match.group(2)
    if unit not in UNIT_MS:
        raise ValueError(f"bad window {text!r}: unknown unit {unit!r}; use s, m, h, d or w")
    if amount <= 0:
        raise ValueError(f"bad window {text!r}: the length must be positive")
    return label, amount * UNIT_MS[unit]


def parse_windows(text: str) -> list[Window]:
    """ "1h,4h,12h,24h" → [("1h", 3_600_000), …] in the given order; labels must be distinct."""
    parts = [part for part in (p.strip() for p in text.split(",")) if part]
    if not parts:
        raise ValueError(f"no windows in {text!r}: expected e.g. 1h,4h,12h,24h")
    windows = [parse_window(part) for part in parts]
    labels = [label for label, _ in windows]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ValueError(f"duplicate window {', '.join(duplicates)} in {text!r}")
    return windows


def check_windows(windows: Sequence[Window]) -> None:
    """ValueError unless every window has a positive length and the labels are distinct."""
    seen: set[str] = set()
    for label, length in windows:
        if length <= 0:
            raise ValueError(f"window {label!r} must have a positive length, not {length}")
        if label in seen:
            raise ValueError(f"duplicate window {label!r}")
        seen.add(label)


# --- building blocks shared by every implementation -------------------------------------------


class Tally:
    """Integer accumulator behind one Totals: add events, or add pre-aggregated groups (stores)."""

    __slots__ = ("long_count", "long_units", "short_count", "short_units", "unpriced")

    def __init__(self) -> None:
        self.long_units = 0
        self.short_units = 0
        self.long_count = 0
        self.short_count = 0
        self.unpriced = 0

    def add(self, side: str, units: int, count: int, unpriced: int) -> None:
        """Add `count` events of one side whose priced ones sum to `units`; `unpriced` had no USD."""
        if side == "long":
            self.long_units += units
            self.long_count += count
        else:
            self.short_units += units
            self.short_count += count
        self.unpriced += unpriced

    @property
    def units(self) -> int:
        return self.long_units + self.short_units

    def totals(self) -> Totals:
        return Totals(
            total_usd=units_to_usd(self.units),
            long_usd=units_to_usd(self.long_units),
            short_usd=units_to_usd(self.short_units),
            count=self.long_count + self.short_count,
            long_count=self.long_count,
            short_count=self.short_count,
            unpriced_count=self.unpriced,
        )


class WindowTally:
    """Everything one window needs, filled by `summarize` or by a store's grouped query rows."""

    __slots__ = ("all", "by_coin", "by_venue", "coverage")

    def __init__(self) -> None:
        self.all = Tally()
        self.by_coin: dict[str, Tally] = {}
        self.by_venue: dict[str, Tally] = {}
        self.coverage: dict[str, Coverage] = {}

    def add(self, venue: str, coin: str, side: str, coverage: Coverage, units: int, count: int, unpriced: int) -> None:
        if count <= 0:
            return
        self.all.add(side, units, count, unpriced)
        coin_tally = self.by_coin.get(coin)
        if coin_tally is None:
            coin_tally = self.by_coin[coin] = Tally()
        coin_tally.add(side, units, count, unpriced)
        venue_tally = self.by_venue.get(venue)
        if venue_tally is None:
            venue_tally = self.by_venue[venue] = Tally()
        venue_tally.add(side, units, count, unpriced)
        if self.coverage.get(venue) != "sampled":
            self.coverage[venue] = coverage

    def build(self, label: str, start: int, end: int, largest: Liquidation | None) -> WindowSummary:
        totals = self.all.totals()
        return WindowSummary(
            label=label,
            start=start,
            end=end,
            total_usd=totals.total_usd,
            long_usd=totals.long_usd,
            short_usd=totals.short_usd,
            count=totals.count,
            long_count=totals.long_count,
            short_count=totals.short_count,
            unpriced_count=totals.unpriced_count,
            largest=largest,
            by_coin=_ranked(self.by_coin),
            by_venue=_ranked(self.by_venue),
            coverage=dict(sorted(self.coverage.items())),
        )


def _ranked(tallies: dict[str, Tally]) -> dict[str, Totals]:
    order = sorted(tallies.items(), key=lambda item: (-item[1].units, item[0]))
    return {name: tally.totals() for name, tally in order}


def largest_key(event: Liquidation) -> tuple[int, int, str]:
    """Sort key: the first in ascending order is the largest (max usd, earliest ts, smallest id)."""
    units = usd_units(event.usd)
    return (-(units if units is not None else -1), event.ts, event.id)


# --- the reference implementation --------------------------------------------------------------


def summarize(events: Iterable[Liquidation], at: int, windows: Sequence[Window]) -> Summary:
    """Per window (label, length ms) ending at `at`: totals, breakdowns, coverage and largest."""
    check_windows(windows)
    tallies = [WindowTally() for _ in windows]
    best: list[tuple[tuple[int, int, str], Liquidation] | None] = [None] * len(windows)
    starts = [at - length for _, length in windows]
    earliest = min(starts, default=at)
    for event in events:
        ts = event.ts
        if ts > at or ts <= earliest:
            continue
        units = usd_units(event.usd)
        key = None if units is None else (-units, ts, event.id)
        for i, start in enumerate(starts):
            if ts <= start:
                continue
            if units is None:
                tallies[i].add(event.venue, event.coin, event.side, event.coverage, 0, 1, 1)
            else:
                tallies[i].add(event.venue, event.coin, event.side, event.coverage, units, 1, 0)
                current = best[i]
                if key is not None and (current is None or key < current[0]):
                    best[i] = (key, event)
    return Summary(
        at=at,
        windows=[
            tally.build(label, start, at, None if pick is None else pick[1])
            for (label, _), start, tally, pick in zip(windows, starts, tallies, best, strict=True)
        ],
    )


# --- JSON (`liqwatch summary --json`) ----------------------------------------------------------


def iso_ms(ms: int) -> str:
    """2026-11-21T08:00:00Z, with .mmm only when the time has milliseconds."""
    moment = datetime.fromtimestamp(ms // 1000, tz=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    return text + "Z"


def _breakdown(totals: dict[str, Totals]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "total_usd": t.total_usd,
            "long_usd": t.long_usd,
            "short_usd": t.short_usd,
            "count": t.count,
            "long_count": t.long_count,
            "short_count": t.short_count,
            "unpriced_count": t.unpriced_count,
        }
        for name, t in totals.items()
    }


def summary_to_json(summary: Summary) -> dict[str, Any]:
    """The `liqwatch summary --json` document (the shape is a public contract; see design.md)."""
    windows: dict[str, Any] = {}
    for w in summary.windows:
        windows[w.label] = {
            "start": w.start,
            "end": w.end,
            "total_usd": w.total_usd,
            "long_usd": w.long_usd,
            "short_usd": w.short_usd,
            "count": w.count,
            "long_count": w.long_count,
            "short_count": w.short_count,
            "unpriced_count": w.unpriced_count,
            "largest": None if w.largest is None else msgspec.to_builtins(w.largest),
            "by_coin": _breakdown(w.by_coin),
            "by_venue": _breakdown(w.by_venue),
            "coverage": dict(w.coverage),
        }
    return {"at": summary.at, "at_iso": iso_ms(summary.at), "windows": windows}
