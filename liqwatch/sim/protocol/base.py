"""What every venue's WebSocket protocol shares: the Out/Close/Route types, VenueState, Session, helpers."""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple

import msgspec

from liqwatch.sim.model import Liq, Push
from liqwatch.sim.tape import PriceBook

Kind = Literal["control", "pong", "data"]


class Out(NamedTuple):
    kind: Kind  # control: acks, errors, heartbeats; pong: answers to pings; data: pushes
    text: str


class Close(NamedTuple):
    code: int
    reason: str


class Route(NamedTuple):
    conn: str  # connection name (the venue's URL key)
    combined: bool = False  # Binance: {"stream","data"} wrapper
    streams: tuple[str, ...] = ()  # Binance: streams named in the URL
    silent: bool = False  # acks but never sends data (legacy URL)


class VenueState:
    """What a venue's sessions, ticks and REST answers share; the server updates it as it publishes."""

    def __init__(self, venue: str, book: PriceBook, clock: Callable[[], int], seed: int = 1) -> None:
        self.venue = venue
        self.book = book
        self.clock = clock  # tape time, ms
        self.rng = random.Random(f"liqwatch-sim/state/{seed}/{venue}")
        self.active: dict[str, Liq] = {}  # BitMEX: liquidation orders on the book (orderID → truth)
        self.recent: deque[Liq] = deque(maxlen=5_000)  # for the REST backfill endpoints
        self.last: dict[str, Push] = {}  # OKX: the latest liquidation push per topic
        self.sequence = itertools.count(1)
        self.trade_ids = itertools.count(900_000_000)

    def published(self, push: Push) -> None:
        if push.op == "insert" and push.truths:
            self.active[push.key] = push.truths[0]
        elif push.op == "delete":
            self.active.pop(push.key, None)
        if push.truths:
            self.recent.extend(push.truths)
            if self.venue == "okx":
                self.last[push.topic] = push

    def conn_id(self) -> str:
        a, b, c, d, e = (self.rng.getrandbits(bits) for bits in (32, 16, 16, 16, 48))
        return f"{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}"

    def price(self, coin: str) -> float:
        return self.book.last(coin)


_decode_any = msgspec.json.Decoder().decode


def _json(text: str | bytes) -> Any:
    try:
        return _decode_any(text)
    except msgspec.DecodeError:
        return None


def _matches(subs: set[str], topic: str) -> bool:
    if topic == "*":
        return bool(subs)
    if topic in subs:
        return True
    head = topic
    while ":" in head:
        head = head.rpartition(":")[0]
        if head in subs:
            return True
    return False


class Session:
    """One client connection's protocol state. Subclasses speak one venue."""

    venue = ""
    idle_s: float | None = None  # close when the client sent nothing this long
    idle_close = Close(1000, "idle timeout")

    def __init__(self, state: VenueState, route: Route, query: Mapping[str, str], headers: Mapping[str, str]):
        self.state = state
        self.route = route
        self.conn = route.conn
        self.query = query
        self.headers = headers
        self.subs: set[str] = set()
        self.conn_id = state.conn_id()

    # what the server calls
    def opened(self) -> list[Out]:
        return []

    def receive(self, text: str) -> list[Out]:
        return []

    def heartbeat(self) -> list[Out] | Close:
        """Called every `heartbeat_s` seconds when that is set (Deribit)."""
        return []

    heartbeat_s: float | None = None

    def wants(self, push: Push) -> bool:
        if self.route.silent or (push.conn and push.conn != self.conn):
            return False
        return _matches(self.subs, push.topic)

    def render(self, push: Push) -> list[str]:
        return [push.text]

    def wire(self, text: str) -> str | bytes:
        """What goes on the socket for `text`: the text itself, or a binary frame (HTX gzips all)."""
        return text

    @property
    def now(self) -> int:
        return self.state.clock()
