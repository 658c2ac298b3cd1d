"""The live hub: a pipeline Sink that fans liquidations out to WebSocket clients.

`Pipeline.publish` runs on the event loop for every parsed frame, so `write` must never wait:
it encodes the batch once and appends it to every client's bounded queue. A client whose queue
is full loses its OLDEST messages (it is skipped ahead to the present) and is told how many it
lost with a `{"type": "skipped", "dropped": n}` message; nothing a client does can slow ingestion
or the other clients. Called from another thread, `write` hands the batch to the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

import msgspec

from liqwatch.model import Gap, Liquidation

_encoder = msgspec.json.Encoder()


class ClientFilter(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """What a client may send: only liquidations of these coins and at least this USD value."""

    coins: list[str] | None = None
    min_usd: float | None = None

    def keeps(self, event: Liquidation) -> bool:
        if self.coins and event.coin not in self.coins:
            return False
        return self.min_usd is None or (event.usd is not None and event.usd >= self.min_usd)

    @property
    def active(self) -> bool:
        return bool(self.coins) or self.min_usd is not None


class StreamClient:
    """One WebSocket client's bounded outbox; `next()` waits for the next message to send."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.outbox: deque[str] = deque()
        self.filter = ClientFilter()
        self.dropped = 0  # messages lost since the last `skipped` notice
        self.dropped_total = 0
        self.sent = 0
        self._ready = asyncio.Event()
        self.closed = False

    def offer(self, message: str) -> None:
        if len(self.outbox) >= self.capacity:
            self.outbox.popleft()
            self.dropped += 1
            self.dropped_total += 1
        self.outbox.append(message)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def next(self) -> str | None:
        """The next message (a `skipped` notice first if some were lost); None once closed."""
        while not self.outbox and not self.closed:
            self._ready.clear()
            await self._ready.wait()
        if self.closed:
            return None
        if self.dropped:
            notice = _encoder.encode({"type": "skipped", "dropped": self.dropped}).decode()
            self.dropped = 0
            return notice
        return self.outbox.popleft()


class LiveHub:
    """Pipeline Sink + broadcaster. Counters feed /metrics."""

    def __init__(self, *, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self.clients: set[StreamClient] = set()
        self.events = 0  # liquidations offered to clients
        self.messages = 0  # messages offered (per client)
        self.dropped = 0  # messages dropped for slow clients, all clients ever
        self.disconnected = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop the clients live on (writes from other threads are handed to it)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    # -- clients (event loop) ---------------------------------------------------------------------

    def connect(self) -> StreamClient:
        if self._loop is None:
            self.bind(asyncio.get_running_loop())
        client = StreamClient(self.queue_size)
        if self._closed:
            client.close()
        self.clients.add(client)
        return client

    def disconnect(self, client: StreamClient) -> None:
        if client in self.clients:
            self.clients.discard(client)
            self.dropped += client.dropped_total
            self.disconnected += 1
        client.close()

    @property
    def dropped_total(self) -> int:
        return self.dropped + sum(c.dropped_total for c in self.clients)

    def broadcast(self, message: dict[str, Any]) -> None:
        """Offer one message to every client (event loop only)."""
        if not self.clients:
            return
        text = _encoder.encode(message).decode()
        for client in list(self.clients):
            client.offer(text)
            self.messages += 1

    # -- Sink ---------------------------------------------------------------------------------------

    def write(self, events: Sequence[Liquidation]) -> None:
        if not events or not self.clients:
            return
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._fan_out, list(events))
        else:
            self._fan_out(events)

    def _fan_out(self, events: Sequence[Liquidation]) -> None:
        self.events += len(events)
        everything: str | None = None
        for client in list(self.clients):
            if client.filter.active:
                kept = [e for e in events if client.filter.keeps(e)]
                if not kept:
                    continue
                text = _encoder.encode({"type": "liquidations", "events": kept}).decode()
            else:
                if everything is None:
                    everything = _encoder.encode({"type": "liquidations", "events": events}).decode()
                text = everything
            client.offer(text)
            self.messages += 1

    def write_gap(self, gap: Gap) -> None:
        pass  # venue status messages report outages

    def close(self) -> None:
        self._closed = True
        for client in list(self.clients):
            if self._loop is not None and threading.get_ident() != self._loop_thread:
                self._loop.call_soon_threadsafe(client.close)
            else:
                client.close()


def parse_filter(text: str) -> ClientFilter | None:
    """A client's filter message, or None when it is not one (ignored: the stream is read-only)."""
    try:
        found = msgspec.json.decode(text, type=ClientFilter)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    coins = [c.upper() for c in found.coins] if found.coins else None
    return ClientFilter(coins=coins, min_usd=found.min_usd)
