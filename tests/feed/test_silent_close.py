"""A silent-but-acking venue closed by its own timer before our silence bound: the gap says "silent"
(issue 16 item 6), not just "connection closed"; a close soon after data stays "connection closed"."""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection

from liqwatch.feed.connection import run_connection
from tests.feed.helpers import ACK, TICK, Clock, Recorder, conn, spec, ws_server
from tests.feed.test_connection import running


def _gap_reason(close_after_s: float, silence_s: float) -> str:
    async def handler(ws: ServerConnection, n: int) -> None:
        await ws.recv()
        await ws.send(ACK)
        await ws.send(TICK)
        if n == 1:
            await asyncio.sleep(close_after_s)  # acks only, then the server's own lifetime ends it
            await ws.close(1001, "connection lifetime reached")
            return
        await ws.send(TICK)
        await ws.wait_closed()

    async def main() -> Recorder:
        rec = Recorder()
        async with ws_server(handler) as url:
            quiet = spec(silence_s=silence_s)
            coro = run_connection(
                quiet, conn(url, ['{"op":"subscribe"}']), rec.on_frame, rec.on_gap, sleep=rec.sleep, clock=Clock()
            )
            async with running(coro):
                await rec.until(lambda: len(rec.gaps) == 1)
        return rec

    return asyncio.run(main()).gaps[0].reason


def test_a_close_after_a_long_silence_is_reported_as_silence() -> None:
    reason = _gap_reason(1.2, silence_s=2.0)  # closed after 1.2 s of silence, before the 2 s watchdog
    assert reason.startswith("silent for ") and reason.endswith(
        "then connection closed: code 1001 (connection lifetime reached)"
    )


def test_a_close_right_after_data_is_a_close() -> None:
    assert _gap_reason(0.0, silence_s=30.0) == "connection closed: code 1001 (connection lifetime reached)"
