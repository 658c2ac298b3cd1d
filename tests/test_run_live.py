"""`liqwatch run` as a real process against a Binance-protocol server on 127.0.0.1.

The server acks the SUBSCRIBE, pushes forceOrder frames (one of them twice, one malformed), then
drops the connection once; the collector must reconnect, record the outage as a gap, journal
every frame, dead-letter the bad one, and store each liquidation exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve

from liqwatch.store.duckdb import DuckDBStore


def force_order(i: int, side: str = "SELL") -> str:
    order = {"s": "BTCUSDT", "S": side, "o": "LIMIT", "f": "IOC", "q": "0.010", "p": "90000.0"}
    order |= {"ap": f"{90000 + i}.5", "X": "FILLED", "l": "0.010", "z": "0.010", "T": 1_763_712_000_000 + i}
    return json.dumps({"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "E": 0, "o": order}})


TICK = '{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"90000.0"}}'


class BinanceLikeServer:
    def __init__(self) -> None:
        self.subscriptions: list[str] = []
        self.connections = 0
        self.port = 0
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        request = await ws.recv()
        self.subscriptions.append(str(request))
        await ws.send(json.dumps({"result": None, "id": json.loads(request)["id"]}))
        if self.connections == 1:
            for i in range(3):
                await ws.send(force_order(i))
            await ws.send(force_order(1))  # the same liquidation again
            await ws.send('{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL"}}')  # malformed
            await asyncio.sleep(0.3)
            await ws.close()  # an outage
            return
        await ws.send(TICK)
        await ws.send(force_order(1))  # replayed after the reconnect
        await ws.send(force_order(3, side="BUY"))
        while True:
            await asyncio.sleep(0.2)
            await ws.send(TICK)

    async def main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        async with serve(self.handler, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop

    def __enter__(self) -> BinanceLikeServer:
        self._thread = threading.Thread(target=asyncio.run, args=(self.main(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(10)


@pytest.fixture
def server() -> Iterator[BinanceLikeServer]:
    with BinanceLikeServer() as running:
        yield running


def test_run_collects_reconnects_and_stores_each_liquidation_once(server: BinanceLikeServer, tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    command = [
        sys.executable,
        "-m",
        "liqwatch",
        "run",
        "--db",
        str(db),
        "--venues",
        "binance_usdm",
        "--venue-url",
        f"binance_usdm=ws://127.0.0.1:{server.port}/market/stream",
        "--offline-catalogue",
        "--no-serve",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        status_file = tmp_path / "live.state" / "status.json"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if status_file.exists() and server.connections >= 2:
                venue = json.loads(status_file.read_text())["venues"]["binance_usdm"]
                if venue["events"] >= 4 and venue["gaps"] >= 1:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the collector did not reconnect and collect in time")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "!forceOrder@arr" in server.subscriptions[0]

    with DuckDBStore(db, read_only=True) as store:
        from liqwatch.store.base import EventFilter

        events = list(store.events(EventFilter()))
        gaps = store.gaps("binance_usdm")
    assert [(e.ts - 1_763_712_000_000, e.side) for e in events] == [(0, "long"), (1, "long"), (2, "long"), (3, "short")]
    assert events[1].usd == 900.015  # 0.010 × 90001.5
    assert len(gaps) >= 1 and gaps[0].end >= gaps[0].start

    # nothing beside the store but its state directory (which .gitignore covers)
    assert {p.name for p in tmp_path.iterdir()} <= {"live.duckdb", "live.duckdb.wal", "live.state"}
    journal = list((tmp_path / "live.state" / "journal").glob("*.jsonl*"))
    assert journal, "frames must be journaled"
    letters = (tmp_path / "live.state" / "dead-letters.jsonl").read_text().splitlines()
    assert len(letters) == 1 and "missing required field" in json.loads(letters[0])["reason"]
