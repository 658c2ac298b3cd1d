"""WS /api/stream against a real uvicorn server: events published into the pipeline reach every
client; a client that never reads is skipped ahead while ingestion and the other clients go on."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import struct
import time
from dataclasses import replace
from typing import Any

import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect

from liqwatch import queries
from liqwatch.model import Liquidation
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.web.context import WebContext
from liqwatch.web.hub import LiveHub
from tests.web.conftest import AT, known_events
from tests.web.server import AppServer


async def next_of(ws: ClientConnection, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == kind:
                return message


def batch(tag: str, n: int, size: int = 1) -> list[Liquidation]:
    base = known_events(n)
    return [msgspec.structs.replace(e, id=f"{tag}:{i}", symbol=e.symbol + "X" * size) for i, e in enumerate(base)]


def test_published_events_summaries_and_venues_reach_the_socket(context: WebContext, store: DuckDBStore) -> None:
    ctx = replace(context, hub=LiveHub(), summary_interval_s=0.05, venues_interval_s=0.05)
    with AppServer(ctx) as server:

        async def main() -> None:
            async with connect(server.ws_url) as ws, connect(server.ws_url) as eth_only:
                hello = json.loads(await ws.recv())
                assert hello["type"] == "hello" and hello["windows"] == ["1h", "4h", "12h", "24h"]
                await eth_only.recv()
                await eth_only.send(json.dumps({"coins": ["eth"], "min_usd": 0}))
                summary = await next_of(ws, "summary")
                assert summary["summary"] == queries.summary_json(store, AT, ctx.windows)
                venues = await next_of(ws, "venues")
                assert [v["venue"] for v in venues["venues"]] == ["binance_usdm", "bybit", "okx", "bitmex"]
                await next_of(eth_only, "summary")  # the filter message has been read by now

                events = batch("live", 20)
                await asyncio.to_thread(server.publish, events)
                got = await next_of(ws, "liquidations")
                assert got["events"] == [msgspec.to_builtins(e) for e in events]
                filtered = await next_of(eth_only, "liquidations")
                assert filtered["events"] == [msgspec.to_builtins(e) for e in events if e.coin == "ETH"]

        asyncio.run(main())


def test_a_client_that_never_reads_is_skipped_ahead_and_slows_nobody(context: WebContext) -> None:
    ctx = replace(context, hub=LiveHub(queue_size=16), summary_interval_s=3600)
    bursts, per_burst = 30, 10
    with AppServer(ctx) as server:

        async def main() -> None:
            async with (
                connect(server.ws_url, max_queue=4, compression=None) as stalled,
                connect(server.ws_url, max_size=None) as reader,
            ):
                await stalled.recv()
                await reader.recv()
                received: list[str] = []
                for b in range(bursts):  # ~40 MB uncompressed: far more than the socket buffers hold
                    for m in range(per_burst):
                        await asyncio.to_thread(server.publish, batch(f"b{b}m{m}", 200, size=600))
                    while len(received) < (b + 1) * per_burst:  # the reading client gets every message
                        message = json.loads(await asyncio.wait_for(reader.recv(), 30))
                        assert message["type"] == "liquidations", message["type"]
                        received.append(message["events"][0]["id"])
                assert received == [f"b{b}m{m}:0" for b in range(bursts) for m in range(per_burst)]
                assert server.pipeline.published == bursts * per_burst * 200  # ingestion never waited

                # The stalled client now reads: it was told what it lost, and caught up to the present.
                last = f"b{bursts - 1}m{per_burst - 1}:0"
                kinds, dropped, seen = [], 0, []
                async with asyncio.timeout(60):
                    while last not in seen:
                        message = json.loads(await stalled.recv())
                        kinds.append(message["type"])
                        if message["type"] == "skipped":
                            dropped += message["dropped"]
                        elif message["type"] == "liquidations":
                            seen.append(message["events"][0]["id"])
                assert "skipped" in kinds and dropped > 0
                assert len(seen) + dropped == bursts * per_burst
                assert ctx.hub.dropped_total >= dropped

        asyncio.run(main())


def _open_raw_stream(url: str) -> socket.socket:
    """A bare TCP client that completes the WebSocket handshake and then never reads: a browser tab."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /api/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head[:80]
    return sock


def test_a_closed_tab_is_unregistered_without_socket_send_warnings(
    context: WebContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A tab that closes resets its connection while the hub still holds messages for it: the first
    write finds the peer gone, and the stream must stop there, not write the backlog into a dead
    socket (asyncio logs "socket.send() raised exception" for each such write: 15 per closed tab)."""
    ctx = replace(context, hub=LiveHub(), summary_interval_s=3600)
    with AppServer(ctx) as server, caplog.at_level(logging.WARNING):
        for round_ in range(3):
            tab = _open_raw_stream(server.ws_url)
            deadline = time.monotonic() + 10
            while len(ctx.hub.clients) != 1:
                assert time.monotonic() < deadline, "the stream never registered the tab"
                time.sleep(0.01)

            async def close_tab_during_a_burst(tab: socket.socket = tab, round_: int = round_) -> None:
                # One turn of the server's loop: the tab resets, then 40 messages queue for it.
                tab.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                tab.close()
                for m in range(40):
                    server.pipeline.publish(batch(f"r{round_}m{m}", 3))

            server.call(close_tab_during_a_burst()).result(10)
            while ctx.hub.clients:
                assert time.monotonic() < deadline, "the closed tab is still a subscriber"
                time.sleep(0.01)
    assert ctx.hub.disconnected == 3
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [w for w in warned if "socket.send" in w], warned
