"""Wall-clock helpers for the feed (injected everywhere as `clock: Callable[[], int]`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], int]


def now_ms() -> int:
    """Milliseconds since the epoch, from the system clock."""
    return time.time_ns() // 1_000_000


def utc_day(ms: int) -> str:
    """The UTC calendar day of an epoch-ms time, "YYYY-MM-DD"."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")
