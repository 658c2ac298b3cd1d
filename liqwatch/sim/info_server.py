"""The simulator's Hyperliquid HTTP endpoint: POST /info and GET /Mainnet/leaderboard on 127.0.0.1.

The venue servers speak REST through websockets' handshake hook, which only takes GET requests
without a body; Hyperliquid's /info is a POST with a JSON body, so it gets this minimal HTTP/1.1
server of its own (one request per connection). Answers come from `sim.rest.hyperliquid` (pure).

It enforces Hyperliquid's documented budget (1200 weight per rolling minute per IP; HTTP 429 beyond)
and keeps a request log (time by `clock`, request type, weight, status) so tests can count the
weight a client spent per minute. `clock` is injectable: a test that paces a client on a virtual
clock gives the server the same clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from liqwatch.sim.rest import hyperliquid as hl
from liqwatch.sim.rest.common import Reply, json_reply
from liqwatch.sim.tape import PriceBook

log = logging.getLogger("liqwatch.sim.hyperliquid")
MINUTE_S = 60.0
MAX_BODY = 1 << 16


@dataclass(frozen=True)
class InfoRequest:
    t: float  # clock() seconds
    kind: str  # request type, or the path for GETs
    weight: int
    status: int


class InfoServer:
    def __init__(
        self,
        book: PriceBook,
        now_ms: Callable[[], int],
        seed: int = 1,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        weight_per_min: int = hl.WEIGHT_PER_MIN,
        clock: Callable[[], float] = time.monotonic,
        wallets: int = hl.WALLETS,
    ) -> None:
        self.book = book
        self.now_ms = now_ms
        self.seed, self.wallets = seed, wallets
        self.state = hl.HyperliquidState(seed, wallets, hl.marks(book), now_ms())  # opened now, at the marks
        self.host = host
        self.port = port
        self.weight_per_min = weight_per_min
        self.clock = clock
        self.log: list[InfoRequest] = []
        self._window: deque[tuple[float, int]] = deque()
        self._server: asyncio.Server | None = None

    def reopen(self, opened_ms: int) -> None:
        """The wallets open again, at `opened_ms` and the book's marks now (after a generated past)."""
        self.state = hl.HyperliquidState(self.seed, self.wallets, hl.marks(self.book), opened_ms)

    @property
    def url(self) -> str:
        """The base URL: POST {url}/info, GET {url}/Mainnet/leaderboard."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5.0)
            self._server = None

    def spent(self, now: float) -> int:
        while self._window and self._window[0][0] <= now - MINUTE_S:
            self._window.popleft()
        return sum(w for _, w in self._window)

    def answer(self, method: str, path: str, body: bytes) -> Reply:
        """One request → its reply; logs it and charges its weight."""
        now = self.clock()
        path = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and path.endswith("/leaderboard"):
            self.log.append(InfoRequest(now, "leaderboard", 0, 200))
            return json_reply(hl.leaderboard(self.state))
        if method != "POST" or path != "/info":
            self.log.append(InfoRequest(now, f"{method} {path}", 0, 404))
            return json_reply({"error": f"hyperliquid: no such endpoint {method} {path}"}, 404)
        kind = hl.request_type(body)
        if self.spent(now) + hl.weight(kind) > self.weight_per_min:
            self.log.append(InfoRequest(now, kind or "?", 0, 429))
            wait = max(1, math.ceil(self._window[0][0] + MINUTE_S - now)) if self._window else 1
            return Reply(429, b"null", (("Retry-After", str(wait)),))
        reply, items = hl.info(body, self.state, self.book, self.now_ms())
        weight = hl.weight(kind, items)
        self._window.append((now, weight))
        self.log.append(InfoRequest(now, kind or "?", weight, reply.status))
        return reply

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            length = min(int(headers.get("content-length", "0") or 0), MAX_BODY)
            body = await reader.readexactly(length) if length else b""
            reply = self.answer(method, target, body)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError):
            reply = Reply(400, b'{"error":"bad request"}')
        try:
            status = f"HTTP/1.1 {reply.status} {_PHRASES.get(reply.status, 'Error')}\r\n"
            extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers if k.lower() != "content-type")
            writer.write(
                (
                    f"{status}Content-Type: application/json\r\nContent-Length: {len(reply.body)}\r\n"
                    f"{extra}Connection: close\r\n\r\n"
                ).encode()
                + reply.body
            )
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


_PHRASES = {200: "OK", 400: "Bad Request", 404: "Not Found", 422: "Unprocessable Entity", 429: "Too Many Requests"}
