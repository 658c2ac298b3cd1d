"""Wall-clock helpers for the feed (injected everywhere as `clock: Callable[[], int]`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], int]


class FastClock:
    """A clock that runs `speed` times faster than the wall clock (the simulator's exchange clock in
    `liqwatch demo`). What is timed on the wire (a server's pings, a venue's silence bound) still runs
    on the wall clock: measured with this one, its spans are `speed` times longer (speed_of)."""

    def __init__(self, now: Clock, speed: float) -> None:
        self._now = now
        self.speed = speed

    def __call__(self) -> int:
        return self._now()


def speed_of(clock: Clock) -> float:
    """How many ms of `clock` pass per wall-clock ms (1 unless it is a FastClock)."""
    return clock.speed if isinstance(clock, FastClock) else 1.0


def now_ms() -> int:
    """Milliseconds since the epoch, from the system clock."""
    return time.time_ns() // 1_000_000


def utc_day(ms: int) -> str:
    """The UTC calendar day of an epoch-ms time, "YYYY-MM-DD"."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")
