"""run_connection against real WebSocket servers on 127.0.0.1 (no socket mocks)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from liqwatch.feed.backoff import Backoff
from liqwatch.feed.connection import ConnectionState, run_connection
from liqwatch.venues.base import Heartbeat
from tests.feed.helpers import ACK, TICK, Clock, MaxJitter, Recorder, conn, liq, spec, ws_server


@contextlib.asynccontextmanager
async def running(coro: Coroutine[Any, Any, Any]) -> AsyncIterator[asyncio.Task[Any]]:
    task = asyncio.create_task(coro)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_subscribe_frames_are_sent_in_order_and_frames_delivered() -> None:
    received: list[str] = []

    async def handler(ws: ServerConnection, _n: int) -> None:
        received.append(str(await ws.recv()))
        received.append(str(await ws.recv()))
        await ws.send(ACK)
        await ws.send(liq("a"))
        await ws.wait_closed()

    async def main() -> Recorder:
        rec = Recorder()
        async with ws_server(handler) as url:
            state = ConnectionState("testvenue", "main", url)
            c = conn(url, ['{"op":"subscribe","args":["a"]}', '{"op":"subscribe","args":["b"]}'])
            async with running(run_connection(spec(), c, rec.on_frame, rec.on_gap, state=state, sleep=rec.sleep)):
                await rec.until(lambda: len(rec.frames) == 2)
                assert state.connected and state.data_frames == 1 and state.frames == 2
        return rec

    rec = asyncio.run(main())
    assert received == ['{"op":"subscribe","args":["a"]}', '{"op":"subscribe","args":["b"]}']
    assert [frame for _, frame in rec.frames] == [ACK, liq("a")]
    assert rec.gaps == [] and rec.delays == []


def test_text_ping_is_sent_and_the_pong_is_not_mistaken_for_data() -> None:
    """OKX-like: the client sends the text `ping`, the server answers `pong`."""
    pings: list[str] = []

    async def handler(ws: ServerConnection, _n: int) -> None:
        async for message in ws:
            if message == "ping":
                pings.append(message)
                await ws.send("pong")

    async def main() -> ConnectionState:
        rec = Recorder()
        okx_like = spec(heartbeat=Heartbeat(interval_s=0.02, ping=lambda _now: "ping"))
        async with ws_server(handler) as url:
            state = ConnectionState("testvenue", "main", url)
            coro = run_connection(okx_like, conn(url), rec.on_frame, rec.on_gap, state=state, sleep=rec.sleep)
            async with running(coro):
                await rec.until(lambda: len(rec.frames) >= 3)
        return state

    state = asyncio.run(main())
    assert len(pings) >= 3
    assert state.data_frames == 0 and state.last_data_ts is None


def test_server_test_request_gets_the_heartbeat_reply() -> None:
    """Deribit-like: the server sends test_request, the client must answer public/test."""
    test_request = '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}'
    replies: list[str] = []

    async def handler(ws: ServerConnection, _n: int) -> None:
        await ws.send(test_request)
        replies.append(str(await ws.recv()))
        await ws.send(TICK)
        await ws.wait_closed()

    def reply(frame: str | bytes) -> str | None:
        text = frame if isinstance(frame, str) else frame.decode()
        if '"test_request"' in text:
            return '{"jsonrpc":"2.0","id":8212,"method":"public/test","params":{}}'
        return None

    async def main() -> None:
        rec = Recorder()
        deribit_like = spec(heartbeat=Heartbeat(interval_s=0.0, reply=reply))
        async with (
            ws_server(handler) as url,
            running(run_connection(deribit_like, conn(url), rec.on_frame, rec.on_gap, sleep=rec.sleep)),
        ):
            await rec.until(lambda: len(rec.frames) == 2)

    asyncio.run(main())
    assert [json.loads(r)["method"] for r in replies] == ["public/test"]


def _drop_and_come_back(how: str) -> tuple[Recorder, ConnectionState]:
    async def handler(ws: ServerConnection, n: int) -> None:
        await ws.send(liq(f"before{n}") if n == 1 else liq("after"))
        if n == 1:
            if how == "abort":
                ws.transport.abort()
            else:
                await ws.close(1011, "internal error")
            return
        await ws.wait_closed()

    async def main() -> tuple[Recorder, ConnectionState]:
        rec = Recorder()
        async with ws_server(handler) as url:
            state = ConnectionState("testvenue", "main", url)
            coro = run_connection(
                spec(), conn(url), rec.on_frame, rec.on_gap, state=state, sleep=rec.sleep, clock=Clock()
            )
            async with running(coro):
                await rec.until(lambda: len(rec.gaps) == 1)
        return rec, state

    return asyncio.run(main())


def test_a_dropped_connection_reconnects_and_records_the_gap() -> None:
    rec, state = _drop_and_come_back("close")
    before, after = rec.data_ts()
    assert [(g.venue, g.start, g.end, g.reason) for g in rec.gaps] == [
        ("testvenue", before, after, "connection closed: code 1011 (internal error)")
    ]
    assert state.reconnects == 1 and state.gaps == 1 and len(rec.delays) == 1


def test_an_abnormal_closure_is_code_1006() -> None:
    rec, _ = _drop_and_come_back("abort")
    assert [g.reason for g in rec.gaps] == ["connection closed: code 1006"]


def test_open_but_silent_connection_is_a_failure() -> None:
    """The venue moved its URL: it still accepts and acks, then sends nothing."""
    connections = 0

    async def handler(ws: ServerConnection, n: int) -> None:
        nonlocal connections
        connections = n
        await ws.recv()  # the subscribe frame
        await ws.send(ACK)
        if n == 1:
            await ws.send(TICK)  # data, then acks only: still silent
        if n >= 2:
            await ws.send(TICK)
        await ws.wait_closed()

    async def main() -> Recorder:
        rec = Recorder()
        async with ws_server(handler) as url:
            c = conn(url, ['{"op":"subscribe"}'])
            quiet = spec(silence_s=0.3)
            async with running(run_connection(quiet, c, rec.on_frame, rec.on_gap, sleep=rec.sleep, clock=Clock())):
                await rec.until(lambda: len(rec.gaps) == 1)
        return rec

    rec = asyncio.run(main())
    first, second = rec.data_ts()
    assert [(g.start, g.end, g.reason) for g in rec.gaps] == [(first, second, "silent for 0.3 s")]
    assert connections == 2


def test_an_unanswered_application_ping_is_a_failure_long_before_silence() -> None:
    """Half-open: the server takes pings and sends nothing back; silence_s alone would take a minute."""

    async def handler(ws: ServerConnection, n: int) -> None:
        await ws.send(TICK)
        if n == 1:
            async for _ in ws:  # swallow pings, answer nothing
                pass
        await ws.wait_closed()

    async def main() -> Recorder:
        rec = Recorder()
        pinging = spec(silence_s=60.0, heartbeat=Heartbeat(interval_s=0.05, ping=lambda _now: "ping"))
        async with ws_server(handler) as url:
            coro = run_connection(pinging, conn(url), rec.on_frame, rec.on_gap, sleep=rec.sleep, clock=Clock())
            async with running(coro):
                await rec.until(lambda: len(rec.gaps) == 1)
        return rec

    rec = asyncio.run(main())
    first, second = rec.data_ts()[:2]
    assert [(g.start, g.end, g.reason) for g in rec.gaps] == [(first, second, "no reply to ping within 1 s")]


def test_unanswered_pings_are_harmless_while_data_flows() -> None:
    async def handler(ws: ServerConnection, _n: int) -> None:
        for i in range(40):
            await ws.send(liq(f"e{i}"))
            await asyncio.sleep(0.05)
        await ws.wait_closed()

    async def main() -> tuple[Recorder, ConnectionState]:
        rec = Recorder()
        pinging = spec(silence_s=60.0, heartbeat=Heartbeat(interval_s=0.05, ping=lambda _now: "ping"))
        async with ws_server(handler) as url:
            state = ConnectionState("testvenue", "main", url)
            coro = run_connection(pinging, conn(url), rec.on_frame, rec.on_gap, state=state, sleep=rec.sleep)
            async with running(coro):
                await rec.until(lambda: len(rec.frames) == 40)
        return rec, state

    rec, state = asyncio.run(main())
    assert rec.gaps == [] and state.reconnects == 0


def test_backoff_is_not_reset_by_a_handshake_only_connection() -> None:
    """Accept-ack-close three times: delays keep growing; a data frame resets them."""

    async def handler(ws: ServerConnection, n: int) -> None:
        await ws.send(ACK)
        if n == 4:
            await ws.send(TICK)

    async def main() -> Recorder:
        rec = Recorder()
        async with ws_server(handler) as url:
            backoff = Backoff(rng=MaxJitter())
            coro = run_connection(spec(), conn(url), rec.on_frame, rec.on_gap, backoff=backoff, sleep=rec.sleep)
            async with running(coro):
                await rec.until(lambda: len(rec.delays) == 5)
        return rec

    rec = asyncio.run(main())
    assert rec.delays == [1, 2, 4, 1, 2]


def test_connect_failures_at_start_are_one_gap_from_the_start() -> None:
    attempts = 0

    def reject_twice(_ws: ServerConnection, _request: Request) -> Response | None:
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            return Response(503, "Service Unavailable", Headers(), b"")
        return None

    async def handler(ws: ServerConnection, _n: int) -> None:
        await ws.send(TICK)
        await ws.wait_closed()

    async def main() -> Recorder:
        rec = Recorder()
        async with ws_server(handler, process_request=reject_twice) as url:
            clock = Clock()
            started = clock() + 10  # the next tick is run_connection's start
            async with running(
                run_connection(spec(), conn(url), rec.on_frame, rec.on_gap, sleep=rec.sleep, clock=clock)
            ):
                await rec.until(lambda: len(rec.gaps) == 1)
        assert rec.gaps[0].start == started
        return rec

    rec = asyncio.run(main())
    assert rec.gaps[0].reason == "connect failed: HTTP 503; then 1 failed reconnect (last: connect failed: HTTP 503)"
    assert rec.gaps[0].end == rec.data_ts()[0]


def test_a_clean_start_and_a_healthy_shutdown_record_no_gap() -> None:
    async def handler(ws: ServerConnection, _n: int) -> None:
        await ws.send(TICK)
        await ws.wait_closed()

    async def main() -> Recorder:
        rec = Recorder()
        async with (
            ws_server(handler) as url,
            running(run_connection(spec(), conn(url), rec.on_frame, rec.on_gap, sleep=rec.sleep)),
        ):
            await rec.until(lambda: len(rec.frames) == 1)
        return rec

    assert asyncio.run(main()).gaps == []


def test_an_outage_open_at_shutdown_is_recorded() -> None:
    async def handler(ws: ServerConnection, n: int) -> None:
        if n == 1:
            await ws.send(TICK)  # then the handler returns: the server closes (1000)

    async def main() -> Recorder:
        rec = Recorder()
        async with (
            ws_server(handler) as url,
            running(run_connection(spec(), conn(url), rec.on_frame, rec.on_gap, sleep=rec.sleep, clock=Clock())),
        ):
            await rec.until(lambda: len(rec.delays) >= 2)
        return rec

    rec = asyncio.run(main())
    [gap] = rec.gaps
    assert gap.start == rec.data_ts()[0] and gap.end > gap.start
    assert gap.reason.startswith("connection closed: code 1000") and gap.reason.endswith("; open at shutdown")
