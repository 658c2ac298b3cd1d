"""Live rolling windows (1h/4h/12h/24h by default) kept in memory, O(1) amortized per event.

`LiveWindows` is a pipeline Sink. Per window it keeps running integer totals (USD units,
long/short, counts, unpriced) with per-coin and per-venue tallies, so `summary(at)` costs
O(coins + venues) and never rescans the events.

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

How, in bounded memory (about 48 bytes per held event, not the event itself):
- the spine: the held events of the longest window in ts order, as four packed integer columns
  (ts, USD units, a code for coin / venue / side / priced / sampled, the id's 64-bit hash).
  Every window ends at the cursor, so each window is a suffix of the spine: a start index per
  window. Expiry moves a window's start forward, taking the event out of its tallies; the
  longest window's start is the spine's head, and the spine is compacted when half of it is
  dead. An event arriving in ts order is appended; a straggler is inserted at its place (a short
  move near the tail), counted only in the windows it belongs to;
- the ids: their 64-bit hashes in an open-addressing table with deletion (16 bytes an id); a
  false duplicate needs two held ids with one hash (probability ~n²/2⁶⁵);
- the largest order: a staircase of the events no other held event beats — none both newer (or
  as new) and larger — ordered by ts, so sizes fall as ts rises; the largest of a window is the
  first step inside it. Only these few events are kept whole.

`slices` turns nested windows into disjoint slices (0–1h, 1–4h, 4–12h, 12–24h: 1–4h = 4h − 1h)
and names where the damage concentrated, exactly in integer USD units.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
from array import array
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

_SAMPLED, _SHORT, _PRICED = 1, 2, 4
_VENUE_SHIFT, _COIN_SHIFT, _VENUE_MASK = 3, 11, 0xFF


class WindowStats(msgspec.Struct, frozen=True):
    """Sizes of the internal structures: what the structural (not timed) tests look at."""

    now: int | None  # the cursor
    held: int  # events in the longest window
    pending: int  # events newer than the cursor, waiting
    ids: int  # ids remembered for dedup (held + pending)
    in_window: list[int]  # per window: events it holds
    stragglers: int  # events inserted before the spine's tail (arrived out of ts order)
    staircase: int  # events kept whole as largest-order candidates
    spine: int  # allocated spine rows (held + dead rows awaiting compaction)
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
    __slots__ = ("label", "length", "sampled", "start", "tally")

    def __init__(self, label: str, length: int) -> None:
        self.label = label
        self.length = length
        self.tally = WindowTally()
        self.sampled: dict[str, int] = {}  # venue → sampled events of it in the window
        self.start = 0  # spine index of the window's oldest event


class _IdSet:
    """64-bit hashes in open addressing with linear probing and tombstones; about 16 bytes an id."""

    _EMPTY, _DEAD = 0, 1

    def __init__(self) -> None:
        self._table = array("q", bytes(8 * 16))
        self._mask = 15
        self.count = 0
        self._dead = 0

    @staticmethod
    def key(event_id: str) -> int:
        h = hash(event_id)
        return h if h > 1 or h < 0 else h + 2  # 0 and 1 mark empty and deleted slots

    def _slot(self, key: int) -> int:
        """Index of `key`, or -(index of the first free slot on its probe path) - 1."""
        table, mask = self._table, self._mask
        index = key & mask
        free = -1
        while True:
            slot = table[index]
            if slot == key:
                return index
            if slot == self._EMPTY:
                return -(index if free < 0 else free) - 1
            if slot == self._DEAD and free < 0:
                free = index
            index = (index + 1) & mask

    def __contains__(self, key: int) -> bool:
        return self._slot(key) >= 0

    def add(self, key: int) -> None:
        found = self._slot(key)
        if found >= 0:
            return
        index = -found - 1
        if self._table[index] == self._DEAD:
            self._dead -= 1
        self._table[index] = key
        self.count += 1
        if 2 * (self.count + self._dead) > self._mask + 1:
            self._resize()

    def discard(self, key: int) -> None:
        found = self._slot(key)
        if found >= 0:
            self._table[found] = self._DEAD
            self.count -= 1
            self._dead += 1
            if self._mask > 15 and 8 * self.count < self._mask + 1:
                self._resize()

    def _resize(self) -> None:
        live = [k for k in self._table if k != self._EMPTY and k != self._DEAD]
        size = 16
        while size < 4 * len(live):
            size *= 2
        self._table = array("q", bytes(8 * size))
        self._mask = size - 1
        self._dead = 0
        self.count = 0
        for k in live:
            self._table[-self._slot(k) - 1] = k
            self.count += 1


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
        self._now: int | None = None
        # heap on (ts, seq) of events newer than the cursor, with their id key and usd units
        self._pending: list[tuple[int, int, Liquidation, int, int | None]] = []
        self._seq = itertools.count()
        self._ids = _IdSet()
        # the spine: held events in ts order, rows [head, len) alive
        self._ts = array("q")
        self._units = array("q")
        self._code = array("q")
        self._hash = array("q")
        self._head = 0
        self._coins: list[str] = []
        self._coin_index: dict[str, int] = {}
        self._venues: list[str] = []
        self._venue_index: dict[str, int] = {}
        # the staircase of largest-order candidates: ts rising, keys rising (sizes falling)
        self._stair_ts: list[int] = []
        self._stair: list[tuple[Key, Liquidation]] = []
        self.accepted = 0
        self.duplicates = 0
        self.too_old = 0
        self.invalid = 0
        self.gaps = 0
        self.stragglers = 0
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
        key = _IdSet.key(event.id)
        if key in self._ids:
            self.duplicates += 1
            return False
        now = self._now
        if now is not None and event.ts <= now - self._longest:
            self.too_old += 1
            return False
        units = usd_units(event.usd)  # ValueError for a usd no window can hold, before anything changes
        self._ids.add(key)
        self.accepted += 1
        if now is None or event.ts > now:
            heapq.heappush(self._pending, (event.ts, next(self._seq), event, key, units))
        else:
            self._place(event, key, units, now)
        return True

    def advance(self, at: int) -> None:
        """Move the cursor to `at` (never back: ValueError): expire old events, release pending ones."""
        now = self._now
        if now is not None and at < now:
            raise ValueError(f"at {at} is before the windows' cursor {now}: expired events are gone")
        self._now = at
        self._expire(at)
        pending = self._pending
        floor = at - self._longest
        while pending and pending[0][0] <= at:
            self._steps += 1
            ts, _, event, key, units = heapq.heappop(pending)
            if ts <= floor:
                self._ids.discard(key)
            else:
                self._place(event, key, units, at)

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
            windows.append(tally.build(window.label, at - window.length, at, self._largest(at - window.length)))
        return Summary(at=at, windows=windows)

    def units(self, at: int | None = None) -> list[WindowUnits]:
        """Each window's exact integer totals at `at` (advances to it, like `summary`)."""
        self._resolve(at)
        return [_units_of(w.label, w.length, w.tally.all) for w in self._windows]

    def stats(self) -> WindowStats:
        size = len(self._ts)
        return WindowStats(
            now=self._now,
            held=size - self._head,
            pending=len(self._pending),
            ids=self._ids.count,
            in_window=[size - w.start for w in self._windows],
            stragglers=self.stragglers,
            staircase=len(self._stair),
            spine=size,
            accepted=self.accepted,
            duplicates=self.duplicates,
            too_old=self.too_old,
            invalid=self.invalid,
            steps=self._steps,
        )

    # -- internals ----------------------------------------------------------------------------------

    def _encode(self, event: Liquidation, priced: bool) -> int:
        coin = self._coin_index.get(event.coin)
        if coin is None:
            coin = self._coin_index[event.coin] = len(self._coins)
            self._coins.append(event.coin)
        venue = self._venue_index.get(event.venue)
        if venue is None:
            venue = self._venue_index[event.venue] = len(self._venues)
            self._venues.append(event.venue)
            if venue > _VENUE_MASK:
                raise ValueError("more than 256 venues")
        code = (coin << _COIN_SHIFT) | (venue << _VENUE_SHIFT)
        if priced:
            code |= _PRICED
        if event.side != "long":
            code |= _SHORT
        if event.coverage == "sampled":
            code |= _SAMPLED
        return code

    def _place(self, event: Liquidation, key: int, units: int | None, now: int) -> None:
        """Put a held event on the spine (at its place by ts) and into the windows it belongs to."""
        code = self._encode(event, units is not None)
        value = 0 if units is None else units
        ts = event.ts
        spine_ts = self._ts
        if not spine_ts or spine_ts[-1] <= ts:
            position = len(spine_ts)
            spine_ts.append(ts)
            self._units.append(value)
            self._code.append(code)
            self._hash.append(key)
        else:
            position = bisect.bisect_right(spine_ts, ts, self._head)
            self._steps += len(spine_ts) - position  # the rows moved
            self.stragglers += 1
            spine_ts.insert(position, ts)
            self._units.insert(position, value)
            self._code.insert(position, code)
            self._hash.insert(position, key)
        for window in self._windows:
            if ts > now - window.length:  # inside: at or after the window's first event
                self._count(window, value, code, 1)
            else:  # older than the window: inserted at or before its first event
                window.start += 1
        if units is not None:
            self._offer((-units, ts, event.id), event)

    def _offer(self, key: Key, event: Liquidation) -> None:
        """Keep `event` as a largest-order candidate unless a held event at least as new beats it."""
        stair_ts, stair = self._stair_ts, self._stair
        ts = event.ts
        j = bisect.bisect_left(stair_ts, ts)
        if j < len(stair) and stair[j][0] <= key:  # a newer (or as new), larger order: never the largest
            return
        while j < len(stair) and stair_ts[j] == ts:  # as new and smaller: beaten by this one
            self._steps += 1
            del stair_ts[j], stair[j]
        while j > 0 and stair[j - 1][0] >= key:  # older and not larger: beaten by this one
            self._steps += 1
            j -= 1
            del stair_ts[j], stair[j]
        stair_ts.insert(j, ts)
        stair.insert(j, (key, event))

    def _expire(self, at: int) -> None:
        spine_ts, units, codes = self._ts, self._units, self._code
        size = len(spine_ts)
        for window in self._windows:
            threshold = at - window.length
            start = window.start
            while start < size and spine_ts[start] <= threshold:
                self._steps += 1
                self._count(window, units[start], codes[start], -1)
                start += 1
            window.start = start
        head = min(window.start for window in self._windows)
        hashes = self._hash
        for row in range(self._head, head):
            self._ids.discard(hashes[row])
        self._steps += head - self._head
        self._head = head
        if head > 1024 and 2 * head > size:  # compact: drop the dead rows
            for column in (spine_ts, units, codes, hashes):
                del column[:head]
            for window in self._windows:
                window.start -= head
            self._head = 0
        threshold = at - self._longest
        stair_ts = self._stair_ts
        drop = bisect.bisect_right(stair_ts, threshold)
        if drop:
            self._steps += drop
            del stair_ts[:drop], self._stair[:drop]

    def _largest(self, threshold: int) -> Liquidation | None:
        """The largest held order with ts > threshold: the first step of the staircase after it."""
        k = bisect.bisect_right(self._stair_ts, threshold)
        return self._stair[k][1] if k < len(self._stair) else None

    def _count(self, window: _Window, units: int, code: int, sign: int) -> None:
        """Add (sign 1) or remove (sign -1) one event from a window's tallies."""
        if code & _PRICED:
            units, unpriced = sign * units, 0
        else:
            units, unpriced = 0, sign
        side = "short" if code & _SHORT else "long"
        venue = self._venues[(code >> _VENUE_SHIFT) & _VENUE_MASK]
        tally = window.tally
        tally.all.add(side, units, sign, unpriced)
        for name, groups in ((self._coins[code >> _COIN_SHIFT], tally.by_coin), (venue, tally.by_venue)):
            group = groups.get(name)
            if group is None:
                group = groups[name] = Tally()
            group.add(side, units, sign, unpriced)
            if sign < 0 and group.long_count + group.short_count == 0:
                del groups[name]
        if code & _SAMPLED:
            sampled = window.sampled
            left = sampled.get(venue, 0) + sign
            if left:
                sampled[venue] = left
            else:
                del sampled[venue]


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
