"""WS /api/stream: hello, then liquidations as they arrive, summaries (~1 s) and venue status (~2 s).

The periodic messages are built once per tick for all clients by `tick_forever` (a task of the
app's lifespan) and only while someone listens. Inside `liqwatch run` the summary comes from the
in-process LiveWindows (no store read); otherwise from the store, in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import msgspec
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from liqwatch import queries
from liqwatch.analytics.summary import summary_to_json
from liqwatch.feed.clock import speed_of
from liqwatch.web.access import allowed
from liqwatch.web.context import WebContext
from liqwatch.web.hub import StreamClient, parse_filter
from liqwatch.web.venues import venue_rows

log = logging.getLogger("liqwatch.web.stream")


async def summary_doc(ctx: WebContext) -> dict[str, Any]:
    if ctx.live_summary is not None:
        return summary_to_json(ctx.live_summary())
    return await asyncio.to_thread(queries.summary_json, ctx.store, ctx.clock(), ctx.windows)


async def venues_doc(ctx: WebContext) -> list[dict[str, Any]]:
    now = ctx.clock()
    statuses = await ctx.statuses()
    activity = await asyncio.to_thread(queries.activity, ctx.store, now)
    return venue_rows(statuses, activity, now, speed_of(ctx.clock))


async def tick_forever(ctx: WebContext) -> None:
    """Broadcast summaries and venue status while clients are connected; never raises."""
    hub = ctx.hub
    loop = asyncio.get_running_loop()
    next_venues = 0.0
    while True:
        await asyncio.sleep(ctx.summary_interval_s)
        if not hub.clients:
            continue
        try:
            hub.broadcast({"type": "summary", "summary": await summary_doc(ctx)})
            if loop.time() >= next_venues:
                next_venues = loop.time() + ctx.venues_interval_s
                hub.broadcast({"type": "venues", "venues": await venues_doc(ctx)})
        except Exception:  # a store hiccup must not end the stream's ticker
            log.exception("live stream: building a periodic message failed")


async def _pump(ws: WebSocket, client: StreamClient) -> None:
    while (message := await client.next()) is not None:
        await ws.send_text(message)
        client.sent += 1
        # Neither a queued message nor a writable socket makes these awaits yield, so without this
        # a backlog would be written in one go: once a write finds the peer gone (a closed tab
        # resets the connection), asyncio only tells the server on its next turn, and every write
        # until then logs "socket.send() raised exception". Yielding lets the disconnect land, and
        # the next send raises it here instead.
        await asyncio.sleep(0)


async def _listen(ws: WebSocket, client: StreamClient) -> None:
    while True:
        text = await ws.receive_text()
        found = parse_filter(text)
        if found is not None:
            client.filter = found


def stream_router(ctx: WebContext) -> APIRouter:
    router = APIRouter()

    @router.websocket("/api/stream")
    async def stream(ws: WebSocket) -> None:
        if not allowed(ctx.api_token, ws.headers, ws.query_params):
            await ws.close(code=1008, reason="access token required")  # policy violation
            return
        await ws.accept()
        client = ctx.hub.connect()
        hello = {"type": "hello", "at": ctx.clock(), "windows": [label for label, _ in ctx.windows]}
        tasks: list[asyncio.Task[None]] = []
        try:
            await ws.send_text(msgspec.json.encode(hello).decode())
            tasks = [asyncio.create_task(_pump(ws, client)), asyncio.create_task(_listen(ws, client))]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and isinstance(task.exception(), Exception):
                    error = task.exception()
                    if not isinstance(error, WebSocketDisconnect | RuntimeError | OSError):
                        log.warning("live stream client ended: %r", error)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            ctx.hub.disconnect(client)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(BaseException):
                    await task
            with contextlib.suppress(Exception):
                await ws.close()

    return router
