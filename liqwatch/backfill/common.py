"""What every backfill shares: its report, its progress bar, JSON fetching with retries on
bodies that arrive cut, and the marks that make a killed backfill resume where it stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from liqwatch.feed.rest import RestClient, RestError
from liqwatch.model import Liquidation
from liqwatch.venues.base import BadFrame, RestRequest

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]
DECODE_RETRIES = 3


class BackfillError(Exception):
    """A backfill that cannot go on: one line naming the cause and the next step."""


@dataclass
class BackfillReport:
    source: str
    requests: int = 0
    events: int = 0  # parsed
    stored: int = 0  # new in the store
    aggregates: int = 0
    candles: int = 0
    resumed: bool = False
    notes: list[str] = field(default_factory=list)

    def resume(self, since: int, done: int | None) -> int:
        """Where a task starts: `since`, or later where its mark says it got to (then noted as resumed)."""
        start = max(since, done or since)
        self.resumed = self.resumed or start > since
        return start

    def publish(self, publish: Callable[[list[Liquidation]], int], events: list[Liquidation]) -> None:
        """Write parsed events (`publish` returns how many were new) and count both."""
        if events:
            self.events += len(events)
            self.stored += publish(events)

    def describe(self) -> str:
        parts = [f"{self.source}: {self.requests:,} request{'s' * (self.requests != 1)}"]
        if self.events or self.stored:
            parts.append(f"{self.events:,} events, {self.stored:,} new")
        if self.aggregates:
            parts.append(f"{self.aggregates:,} aggregate-history buckets")
        if self.candles:
            parts.append(f"{self.candles:,} candles")
        text = ", ".join(parts)
        if self.resumed:
            text += " (resumed where the last run stopped)"
        if self.notes:
            text += "; " + "; ".join(self.notes[:5])
            if len(self.notes) > 5:
                text += f"; … {len(self.notes) - 5} more"
        return text


class Steps:
    """A Rich progress bar over a known number of steps (off when not on a terminal)."""

    def __init__(self, description: str, total: int, enabled: bool) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            disable=not enabled,
            transient=True,
            console=Console(stderr=True),
        )
        self._task = self._bar.add_task(description, total=total)

    def __enter__(self) -> Steps:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)

    def step(self, description: str | None = None) -> None:
        self._bar.update(self._task, advance=1, description=description)

    def add(self, more: int) -> None:
        total = self._bar.tasks[0].total or 0
        self._bar.update(self._task, total=total + more)


def decode_json(body: bytes) -> Any:
    return msgspec.json.decode(body)


async def fetch_json(
    client: RestClient,
    base: str,
    request: RestRequest,
    report: BackfillReport,
    *,
    headers: dict[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Any:
    """GET and decode JSON (see fetch)."""
    return await fetch(client, base, request, report, decode_json, headers=headers, sleep=sleep)


async def fetch(
    client: RestClient,
    base: str,
    request: RestRequest,
    report: BackfillReport,
    parse: Callable[[bytes], T],
    *,
    headers: dict[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """GET and parse; a body that does not parse (cut short on the way) is fetched again, a few
    times. 429 (Retry-After), 5xx and network errors are retried by the RestClient."""
    for attempt in range(1, DECODE_RETRIES + 1):
        report.requests += 1
        try:
            body = await client.get(base, request, headers)
        except RestError as exc:
            raise BackfillError(str(exc)) from None
        try:
            return parse(body)
        except (msgspec.DecodeError, BadFrame, ValueError) as exc:
            if attempt == DECODE_RETRIES:
                raise BackfillError(
                    f"GET {base}{request.path}: unreadable reply after {attempt} tries ({exc})"
                ) from None
            await sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def headers_of(key: str | None, name: str, prefix: str = "") -> dict[str, str] | None:
    return {name: f"{prefix}{key}"} if key else None
