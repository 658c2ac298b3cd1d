"""What the web layer reads: the store, live status, in-process live windows and counters.

One `WebContext` serves both `liqwatch run` (in-process collector: its Status, its LiveWindows,
its pipeline) and `liqwatch serve` (a store; status from the status file or the store).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liqwatch.analytics.summary import Summary, Window
from liqwatch.feed.clock import Clock, now_ms
from liqwatch.feed.collector import Status, read_status
from liqwatch.store.base import Store
from liqwatch.web.hub import LiveHub

STATIC_DIR = Path(__file__).with_name("static")

StatusSource = Callable[[], Awaitable[list[Status]]]


def status_of(collector_status: Callable[[], Status]) -> StatusSource:
    """The in-process collector's status (read on the event loop, where the collector runs)."""

    async def read() -> list[Status]:
        return [collector_status()]

    return read


def status_file(path: Path) -> StatusSource:
    """The status file a `liqwatch run` next to the store rewrites."""

    async def read() -> list[Status]:
        found = await asyncio.to_thread(read_status, path)
        return [] if found is None else [found]

    return read


async def no_status() -> list[Status]:
    return []


@dataclass
class WebContext:
    store: Store
    store_kind: str  # "duckdb" | "postgresql"
    windows: list[Window]
    hub: LiveHub = field(default_factory=LiveHub)
    statuses: StatusSource = no_status
    live_summary: Callable[[], Summary] | None = None  # in-process LiveWindows (event loop only)
    counters: Callable[[], dict[str, tuple[str, str, float]]] = dict  # extra /metrics values
    clock: Clock = now_ms
    static_dir: Path = STATIC_DIR
    summary_interval_s: float = 1.0
    venues_interval_s: float = 2.0
    extra: dict[str, Any] = field(default_factory=dict)
    api_token: str = ""  # required for /api, /metrics and the stream when set (web/access.py)
