"""Live rolling windows (1h/4h/12h/24h by default) kept in memory, O(1) amortized per event.

`LiveWindows` is a pipeline Sink. It holds the events of the longest window and, per window,
running integer totals (USD units, long/short, counts, unpriced) with per-coin and per-venue
tallies, so `summary(at)` costs O(coins + venues) and never rescans the events.

Contract (tested with hypothesis against the reference `analytics.summary.summarize`):

    LiveWindows.summary(at) == summarize(E, at, windows)

where E is every distinct event (first occurrence of each id) fed so far, for every `at` that is
at or after the cursor: the latest `advance(at)` (which `summary(at)` calls, and `write` calls
with the clock's time when a clock is given). `at` before the cursor raises ValueError: expired
events are forgotten. Events may arrive in any order: one newer than the cursor waits in a
pending heap until the cursor passes it (clock skew: venues stamp events a little ahead of the
local clock); one older than the cursor is counted in every window it still belongs to; one at
or before `cursor - longest window` can never be in a window again and is ignored (and so it is
by `summarize` for every supported `at`). Ids are one liquidation with one ts (as in the store):
a repeated id is ignored while its first copy is held, and afterwards it is too old anyway.

How (per window; the work per event is O(1) amortized when events arrive in ts order):
- `ordered`: a deque of the window's events in ts order; arrivals at or after its tail are
  appended, and expiry pops from the left while `ts <= at - length`;
- `late`: events that arrived older than that tail (out of order) go to a min-heap on ts
  instead (O(log k) for the k stragglers held), expired the same way;
- the largest order: a monotonic deque over `ordered` (each entry is better than every later
  one: a newer and bigger order makes older, smaller ones irrelevant) plus, for stragglers, a
  heap on the largest-key with lazy deletion (expired tops are dropped when seen; the heap is
  compacted when more than half of it is expired). The window's largest is the better front.

`slices` turns nested windows into disjoint slices (0–1h, 1–4h, 4–12h, 12–24h: 1–4h = 4h − 1h)
and names where the damage concentrated, exactly in integer USD units.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

import msgspec

from liqwatch.analytics.summary import (
    UNITS_PER_USD,
    Summary,
    Tally,
    Totals,
    Window,
    WindowSummary,
    WindowTally,
    check_windows,
    units_to_usd,
    usd_units,
)
from liqwatch.model import Gap, Liquidation

H = 3_600_000
DEFAULT_WINDOWS: tuple[Window, ...] = (("1h", H), ("4h", 4 * H), ("12h", 12 * H), ("24h", 24 * H))

Key = tuple[int, int, str]  # (-usd_units, ts, id): the smallest is the largest order (summary.largest_key)
Entry = tuple[int | None, Liquidation]  # (usd_units or None, event): shared by every window holding it


class WindowStats(msgspec.Struct, frozen=True):
    """Sizes of the internal structures: what the structural (not timed) tests look at."""

    now: int | None  # the cursor
    held: int  # events in the longest window
    pending: int  # events newer than the cursor, waiting
    ids: int  # ids remembered for dedup (held + pending)
    ordered: list[int]  # per window: events in the in-order deque
    late: list[int]  # per window: stragglers in the late heap
    best: list[int]  # per window: monotonic deque length
    late_best: list[int]  # per window: largest-heap length (lazy, includes expired)
    accepted: int  # events taken
    duplicates: int  # events ignored: id already held
    too_old: int  # events ignored: at or before cursor - longest window
    invalid: int  # events ignored by `write`: usd not finite or out of range
    steps: int  # loop iterations spent expiring, releasing and pruning: O(events) in total


class WindowUnits(msgspec.Struct, frozen=True):
    """One window's exact integer totals (USD × 1e8), the input of `slices`."""

    label: str
    length: int  # ms
    long_units: int
    short_units: int
    long_count: int
    short_count: int
    unpriced_count: int


class _Window:
    __slots__ = ("best", "label", "late", "late_best", "length", "ordered", "sampled", "tally")

    def __init__(self, label: str, length: int) -> None:
        self.label = label
        self.length = length
        self.tally = WindowTally()
        self.sampled: dict[str, int] = {}  # venue → sampled events of it in the window
        self.ordered: deque[Entry] = deque()
        self.late: list[tuple[int, int, Entry]] = []  # heap on (ts, seq)
        self.best: deque[tuple[Key, Liquidation]] = deque()
        self.late_best: list[tuple[Key, Liquidation]] = []  # heap on key, lazy deletion


class LiveWindows:
    """In-memory rolling windows and a pipeline Sink; see the module docstring for the contract.

    `clock` (epoch ms, optional) is read by `write` to advance the cursor before taking events,
    and by `summary()` without an argument; the windows never read the time themselves.
    """

    def __init__(self, windows: Sequence[Window] = DEFAULT_WINDOWS, *, clock: Callable[[], int] | None = None) -> None:
        check_windows(windows)
        if not windows:
            raise ValueError("LiveWindows needs at least one window")
        self.windows: tuple[Window, ...] = tuple(windows)
        self.clock = clock
        self._windows = [_Window(label, length) for label, length in self.windows]
        self._longest = max(length for _, length in self.windows)
        self._outer = next(w for w in self._windows if w.length == self._longest)  # owns the ids
        self._now: int | None = None
        self._pending: list[tuple[int, int, Entry]] = []  # heap on (ts, seq): ts > cursor
        self._ids: set[str] = set()
        self._seq = itertools.count()
        self.accepted = 0
        self.duplicates = 0
        self.too_old = 0
        self.invalid = 0
        self.gaps = 0
        self._steps = 0

    # -- Sink ---------------------------------------------------------------------------------------

    def write(self, events: Sequence[Liquidation]) -> None:
        if self.clock is not None:
            now = self.clock()
            if self._now is None or now > self._now:
                self.advance(now)
        for event in events:
            try:
                self.add(event)
            except ValueError:
                self.invalid += 1

    def write_gap(self, gap: Gap) -> None:
        self.gaps += 1  # gaps are stored, not windowed

    def close(self) -> None:
        pass

    # -- feeding ------------------------------------------------------------------------------------

    @property
    def now(self) -> int | None:
        """The cursor: the latest time advanced to (None before the first advance)."""
        return self._now

    def add(self, event: Liquidation) -> bool:
        """Take one event; False when it is ignored (a held id, or too old for every window).

        ValueError (and nothing changes) when its usd is not finite or out of range.
        """
        if event.id in self._ids:
            self.duplicates += 1
            return False
        now = self._now
        if now is not None and event.ts <= now - self._longest:
            self.too_old += 1
            return False
        entry: Entry = (usd_units(event.usd), event)
        self._ids.add(event.id)
        self.accepted += 1
        if now is None or event.ts > now:
            heapq.heappush(self._pending, (event.ts, next(self._seq), entry))
        else:
            self._place(entry, now)
        return True

    def advance(self, at: int) -> None:
        """Move the cursor to `at` (never back: ValueError): expire old events, release pending ones."""
        now = self._now
        if now is not None and at < now:
            raise ValueError(f"at {at} is before the windows' cursor {now}: expired events are gone")
        self._now = at
        for window in self._windows:
            self._expire(window, at - window.length)
        pending = self._pending
        floor = at - self._longest
        while pending and pending[0][0] <= at:
            self._steps += 1
            ts, _, entry = heapq.heappop(pending)
            if ts <= floor:
                self._ids.discard(entry[1].id)
            else:
                self._place(entry, at)

    # -- reading ------------------------------------------------------------------------------------

    def _resolve(self, at: int | None) -> int:
        if at is None:
            if self.clock is not None:
                at = self.clock()
                if self._now is not None and at < self._now:
                    at = self._now  # a wall clock stepping back a little
            elif self._now is not None:
                at = self._now
            else:
                raise ValueError("no time given, no clock, and nothing advanced yet")
        self.advance(at)
        return at

    def summary(self, at: int | None = None) -> Summary:
        """The `Summary` at `at` (default: the clock's time, else the cursor); advances to it."""
        at = self._resolve(at)
        windows = []
        for window in self._windows:
            tally = window.tally
            tally.coverage = {venue: "sampled" if window.sampled.get(venue) else "complete" for venue in tally.by_venue}
            windows.append(tally.build(window.label, at - window.length, at, self._largest(window)))
        return Summary(at=at, windows=windows)

    def units(self, at: int | None = None) -> list[WindowUnits]:
        """Each window's exact integer totals at `at` (advances to it, like `summary`)."""
        self._resolve(at)
        return [_units_of(w.label, w.length, w.tally.all) for w in self._windows]

    def stats(self) -> WindowStats:
        return WindowStats(
            now=self._now,
            held=len(self._outer.ordered) + len(self._outer.late),
            pending=len(self._pending),
            ids=len(self._ids),
            ordered=[len(w.ordered) for w in self._windows],
            late=[len(w.late) for w in self._windows],
            best=[len(w.best) for w in self._windows],
            late_best=[len(w.late_best) for w in self._windows],
            accepted=self.accepted,
            duplicates=self.duplicates,
            too_old=self.too_old,
            invalid=self.invalid,
            steps=self._steps,
        )

    # -- internals ----------------------------------------------------------------------------------

    def _place(self, entry: Entry, now: int) -> None:
        ts = entry[1].ts
        for window in self._windows:
            if ts > now - window.length:
                self._insert(window, entry)

    def _insert(self, window: _Window, entry: Entry) -> None:
        units, event = entry
        _count(window, entry, 1)
        ordered = window.ordered
        if not ordered or ordered[-1][1].ts <= event.ts:
            ordered.append(entry)
            if units is not None:
                key: Key = (-units, event.ts, event.id)
                best = window.best
                while best and key < best[-1][0]:  # a newer, better order: the older can never win
                    self._steps += 1
                    best.pop()
                best.append((key, event))
        else:
            heapq.heappush(window.late, (event.ts, next(self._seq), entry))
            if units is not None:
                heapq.heappush(window.late_best, ((-units, event.ts, event.id), event))

    def _expire(self, window: _Window, threshold: int) -> None:
        outer = window is self._outer
        ordered = window.ordered
        while ordered and ordered[0][1].ts <= threshold:
            self._steps += 1
            entry = ordered.popleft()
            _count(window, entry, -1)
            if outer:
                self._ids.discard(entry[1].id)
        best = window.best
        while best and best[0][1].ts <= threshold:
            self._steps += 1
            best.popleft()
        late = window.late
        while late and late[0][0] <= threshold:
            self._steps += 1
            entry = heapq.heappop(late)[2]
            _count(window, entry, -1)
            if outer:
                self._ids.discard(entry[1].id)
        late_best = window.late_best
        while late_best and late_best[0][1].ts <= threshold:
            self._steps += 1
            heapq.heappop(late_best)
        if len(late_best) > 2 * len(late) + 64:  # mostly expired entries buried under live ones
            self._steps += len(late_best)
            window.late_best = [item for item in late_best if item[1].ts > threshold]
            heapq.heapify(window.late_best)

    @staticmethod
    def _largest(window: _Window) -> Liquidation | None:
        best = window.best[0] if window.best else None
        late = window.late_best[0] if window.late_best else None
        if best is None:
            return None if late is None else late[1]
        if late is None or best[0] < late[0]:
            return best[1]
        return late[1]


def _count(window: _Window, entry: Entry, sign: int) -> None:
    """Add (sign 1) or remove (sign -1) one event from a window's tallies."""
    units, event = entry
    if units is None:
        units, unpriced = 0, sign
    else:
        units, unpriced = sign * units, 0
    side = event.side
    tally = window.tally
    tally.all.add(side, units, sign, unpriced)
    for name, groups in ((event.coin, tally.by_coin), (event.venue, tally.by_venue)):
        group = groups.get(name)
        if group is None:
            group = groups[name] = Tally()
        group.add(side, units, sign, unpriced)
        if sign < 0 and group.long_count + group.short_count == 0:
            del groups[name]
    if event.coverage == "sampled":
        sampled = window.sampled
        left = sampled.get(event.venue, 0) + sign
        if left:
            sampled[event.venue] = left
        else:
            del sampled[event.venue]


def _units_of(label: str, length: int, tally: Tally) -> WindowUnits:
    return WindowUnits(
        label, length, tally.long_units, tally.short_units, tally.long_count, tally.short_count, tally.unpriced
    )


# --- slices: where the damage concentrated ---------------------------------------------------------


class Slice(msgspec.Struct, frozen=True):
    """The events with `start < ts <= end`: between two nested windows, e.g. 1–4h ago."""

    label: str  # "0–1h", "1–4h", "4–12h", "12–24h"
    start: int  # ms, exclusive: at - outer window
    end: int  # ms, inclusive: at - inner window (at for the first slice)
    total_usd: float
    long_usd: float
    short_usd: float
    count: int
    long_count: int
    short_count: int
    unpriced_count: int
    usd_per_hour: float


class Slices(msgspec.Struct, frozen=True):
    at: int
    slices: list[Slice]  # most recent first
    dominant: str | None  # label of the slice with the most USD (ties: the most recent); None if no USD
    densest: str | None  # label of the slice with the most USD per hour (ties: the most recent)


_LABEL = re.compile(r"^(\d+)([a-zA-Z]+)$")


def slice_label(inner: str | None, outer: str) -> str:
    """(None, "1h") → "0–1h"; ("1h", "4h") → "1–4h"; ("30m", "4h") → "30m–4h"."""
    if inner is None:
        return f"0–{outer}"
    a, b = _LABEL.match(inner), _LABEL.match(outer)
    if a and b and a.group(2) == b.group(2):
        return f"{a.group(1)}–{outer}"
    return f"{inner}–{outer}"


def slices(
    source: Summary | LiveWindows | Iterable[Liquidation],
    at: int | None = None,
    windows: Sequence[Window] = DEFAULT_WINDOWS,
) -> Slices:
    """Disjoint slices between nested windows (shortest first) and where the damage concentrated.

    `source` is one of:
    - a `LiveWindows` (its windows; `at` as for its `summary`): exact;
    - events (`at` required; `windows`, default 1h/4h/12h/24h): exact, the same as the first
      for the same events;
    - a `Summary` (its windows and `at`; `at`, if given, must be the same): sums are recovered
      from its USD floats, exact while every window total is under 2**26 USD (~$67M), within
      one float step of the total above that (pass events or LiveWindows when that matters).
    Windows of equal length are refused (an empty slice is a mistake, not data).
    """
    if isinstance(source, Summary):
        if at is not None and at != source.at:
            raise ValueError(f"at {at} is not the summary's at {source.at}")
        at = source.at
        units = [_units_of_summary(w.label, w.end - w.start, w) for w in source.windows]
    elif isinstance(source, LiveWindows):
        units = source.units(at)
        now = source.now
        assert now is not None  # units() advanced to it
        at = now
    else:
        if at is None:
            raise ValueError("slices of events need `at`")
        units = _units_of_events(source, at, windows)
    return _slices(at, units)


def _units_of_summary(label: str, length: int, totals: WindowSummary | Totals) -> WindowUnits:
    return WindowUnits(
        label,
        length,
        _float_units(totals.long_usd),
        _float_units(totals.short_usd),
        totals.long_count,
        totals.short_count,
        totals.unpriced_count,
    )


def _float_units(usd: float) -> int:
    """A summary's USD float back to integer units (exact below 2**26 USD: see `slices`)."""
    return round(Decimal(usd) * UNITS_PER_USD)


def _units_of_events(events: Iterable[Liquidation], at: int, windows: Sequence[Window]) -> list[WindowUnits]:
    check_windows(windows)
    tallies = [Tally() for _ in windows]
    earliest = at - max((length for _, length in windows), default=0)
    for event in events:
        ts = event.ts
        if ts > at or ts <= earliest:
            continue
        units = usd_units(event.usd)
        for (_, length), tally in zip(windows, tallies, strict=True):
            if ts > at - length:
                tally.add(event.side, units or 0, 1, 1 if units is None else 0)
    return [_units_of(label, length, t) for (label, length), t in zip(windows, tallies, strict=True)]


def _slices(at: int, windows: list[WindowUnits]) -> Slices:
    ordered = sorted(windows, key=lambda w: w.length)
    for a, b in itertools.pairwise(ordered):
        if a.length == b.length:
            raise ValueError(f"windows {a.label} and {b.label} have the same length: no slice between them")
    out: list[Slice] = []
    totals: list[tuple[int, int]] = []  # (units, length ms) per slice
    inner: WindowUnits | None = None
    for outer in ordered:
        long_units = outer.long_units - (inner.long_units if inner else 0)
        short_units = outer.short_units - (inner.short_units if inner else 0)
        long_count = outer.long_count - (inner.long_count if inner else 0)
        short_count = outer.short_count - (inner.short_count if inner else 0)
        inner_length = inner.length if inner else 0
        span = outer.length - inner_length
        units = long_units + short_units
        out.append(
            Slice(
                label=slice_label(inner.label if inner else None, outer.label),
                start=at - outer.length,
                end=at - inner_length,
                total_usd=units_to_usd(units),
                long_usd=units_to_usd(long_units),
                short_usd=units_to_usd(short_units),
                count=long_count + short_count,
                long_count=long_count,
                short_count=short_count,
                unpriced_count=outer.unpriced_count - (inner.unpriced_count if inner else 0),
                usd_per_hour=round(units * H / span / UNITS_PER_USD, 8),
            )
        )
        totals.append((units, span))
        inner = outer
    dominant = densest = None
    if any(units for units, _ in totals):
        top = 0
        dense = 0
        for i, (units, span) in enumerate(totals):
            if units > totals[top][0]:
                top = i
            if units * totals[dense][1] > totals[dense][0] * span:  # units/span, compared exactly
                dense = i
        dominant, densest = out[top].label, out[dense].label
    return Slices(at=at, slices=out, dominant=dominant, densest=densest)
