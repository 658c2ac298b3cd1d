"""A tiny test venue, an in-test WebSocket server on 127.0.0.1, a recording sleep and stores."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec
from websockets.asyncio.server import ServerConnection, serve

from liqwatch.instruments import Catalogue
from liqwatch.model import COMPLETE, Gap, Liquidation, Side
from liqwatch.venues.base import BadFrame, Connection, Frame, Heartbeat, VenueSpec

VENUE = "testvenue"
ACK = '{"op":"ack"}'
TICK = '{"tick":1}'


class _Liq(msgspec.Struct):
    id: str
    s: str = "BTCUSDT"
    side: str = "long"
    p: str = "100"
    q: str = "2"
    T: int = 1_767_225_600_000  # 2026-01-01: a plausible time (before any test's wall-clock receive time)


class _Msg(msgspec.Struct):
    op: str = ""
    tick: int = 0
    liq: _Liq | None = None


_decode = msgspec.json.Decoder(_Msg).decode


def liq(event_id: str, **fields: Any) -> str:
    return msgspec.json.encode({"liq": {"id": event_id, **fields}}).decode()


def parse(frame: Frame, recv_ts: int, _cat: Catalogue) -> list[Liquidation]:
    if frame in ("pong", b"pong"):
        return []
    try:
        msg = _decode(frame)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"testvenue: {exc}") from None
    if msg.liq is None:
        return []
    item = msg.liq
    if item.s == "CRASH":
        raise RuntimeError("parser bug")
    price, qty = float(item.p), float(item.q)
    side: Side = "long" if item.side == "long" else "short"
    return [Liquidation(VENUE, item.s, "BTC", side, price, qty, price * qty, item.T, recv_ts, COMPLETE, item.id)]


def is_data(frame: Frame) -> bool:
    text = frame.decode() if isinstance(frame, bytes) else frame
    return '"liq"' in text or '"tick"' in text


def connections(urls: Any, _cat: Catalogue) -> list[Connection]:
    return [Connection(name, url, ['{"op":"subscribe","args":["' + name + '"]}']) for name, url in urls.items()]


SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls={"main": "ws://127.0.0.1:9/unused"},
    rest_base="http://127.0.0.1:9",
    connections=connections,
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=0.0),
    silence_s=5.0,
)


def spec(**changes: Any) -> VenueSpec:
    return replace(SPEC, **changes)


def conn(url: str, subscribe: Sequence[str] = ()) -> Connection:
    return Connection("main", url, list(subscribe))


Handler = Callable[[ServerConnection, int], Awaitable[None]]


@asynccontextmanager
async def ws_server(handler: Handler, **kwargs: Any) -> AsyncIterator[str]:
    """Serve `handler(ws, n)` (n: 1 for the first connection, 2 for the second…) on a free port."""
    counter = itertools.count(1)

    async def run(ws: ServerConnection) -> None:
        await handler(ws, next(counter))

    async with serve(run, "127.0.0.1", 0, **kwargs) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws"


@dataclass
class Recorder:
    """on_frame / on_gap / sleep doubles that record, with events to await."""

    frames: list[tuple[int, Frame]] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_frame(self, _spec: VenueSpec, recv_ts: int, frame: Frame) -> None:
        self.frames.append((recv_ts, frame))
        self.changed.set()

    def on_gap(self, gap: Gap) -> None:
        self.gaps.append(gap)
        self.changed.set()

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.changed.set()
        await asyncio.sleep(0)

    async def until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()

    def data_ts(self) -> list[int]:
        return [ts for ts, frame in self.frames if is_data(frame)]


class Clock:
    """Deterministic wall clock: every call is 10 ms later."""

    def __init__(self, start: int = 1_700_000_000_000, step: int = 10) -> None:
        self._ticks: Iterator[int] = itertools.count(start, step)

    def __call__(self) -> int:
        return next(self._ticks)


class MaxJitter:
    """An rng for Backoff that always picks the upper bound, so delays are predictable."""

    def uniform(self, a: float, b: float) -> float:
        return b


class MemoryStore:
    """The write side of a Store, in memory: idempotent on the event id."""

    def __init__(self) -> None:
        self.by_id: dict[str, Liquidation] = {}
        self.gap_list: list[Gap] = []
        self.fail_next = 0  # make the next N writes raise

    def write_events(self, events: Sequence[Liquidation]) -> int:
        if self.fail_next:
            self.fail_next -= 1
            raise OSError("database is locked")
        new = [e for e in events if e.id not in self.by_id]
        for e in new:
            self.by_id[e.id] = e
        return len(new)

    def write_gaps(self, gaps: Sequence[Gap]) -> None:
        self.gap_list.extend(gaps)

    def count(self) -> int:
        return len(self.by_id)

    def gaps(self) -> list[Gap]:
        return list(self.gap_list)

    def close(self) -> None:
        pass


def event(event_id: str, ts: int = 1_000) -> Liquidation:
    return Liquidation(VENUE, "BTCUSDT", "BTC", "long", 100.0, 1.0, 100.0, ts, ts, COMPLETE, event_id)
