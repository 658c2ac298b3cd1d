"""End to end through the command line: `liqwatch run` (a real process) against the simulator stores
exactly what the simulator delivered; `liqwatch sim` prints the flags and serves until Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from liqwatch.sim import SimConfig, Simulator
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues.lifecycle import LIVE_VENUE_IDS
from tests.sim.helpers import parse_sent, read_sent, sim_catalogue

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


class SimThread:
    """A Simulator on its own event loop in a background thread (the collector is another process)."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.sim: Simulator | None = None
        self._stop: asyncio.Future[None] | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = self.loop.create_future()
        self.sim = Simulator(self.config)
        await self.sim.start()
        self.ready.set()
        try:
            await self._stop
        finally:
            await self.sim.stop()

    def call(self, coroutine: Any) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def __enter__(self) -> Simulator:
        self._thread.start()
        assert self.ready.wait(30)
        assert self.sim is not None
        return self.sim

    def __exit__(self, *exc: object) -> None:
        assert self.loop is not None and self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(30)


def test_liqwatch_run_stores_what_the_simulator_sent(tmp_path: Path) -> None:
    sent_log = tmp_path / "sent.jsonl"
    db = tmp_path / "live.duckdb"
    status_file = tmp_path / "live.state" / "status.json"
    # The simulator also acts as a Hyperliquid node writing its fills files, from the top of an hour
    # (speed 300: an hour every 12 s); the collector is told to read them from that first hour's file.
    node = tmp_path / "hl" / "data"
    start = int(time.time()) // 3600 * 3600 * 1000 - 3_600_000
    first = datetime.fromtimestamp(start / 1000, UTC)
    position = {"file": f"node_fills_by_block/hourly/{first:%Y%m%d}/{first.hour}", "offset": 0}
    (tmp_path / "live.state").mkdir()
    (tmp_path / "live.state" / "hyperliquid-node.json").write_text(json.dumps(position))
    config = SimConfig(
        scenario="crash", seed=4, speed=300, sent_log=sent_log, tick_s=0.2, hyperliquid_node_dir=node, start_ms=start
    )
    runner = SimThread(config)
    with runner as sim:
        command = [sys.executable, "-m", "liqwatch", "run", "--db", str(db), "--port", "0", *sim.run_flags()]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        try:
            _wait(lambda: _every_venue_has_events(status_file), 60, "the collector did not collect from every venue")
            runner.call(sim.pause())
            sent = dict(sim.sent_by_venue)
            _wait(lambda: _frames(status_file) == sent, 30, f"not every frame sent was received: {sent} sent")
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr[-3000:]
    with DuckDBStore(db, read_only=True) as store:
        stored = [e.id for e in store.events(EventFilter())]
    expected, _ = parse_sent(read_sent(sent_log), sim_catalogue())
    assert len(stored) == len(set(stored))
    assert set(stored) == {e.id for e in expected}
    assert {e.venue for e in expected} == set(LIVE_VENUE_IDS)  # BitMEX closed: not collected
    assert "--hyperliquid-node-dir" in sim.run_flags() and "bitmex" not in sim.run_flags()[1]
    assert list((node / "node_fills_by_block" / "hourly").glob("*/*"))  # speed 300: hours rotated


def _status(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())["venues"]  # type: ignore[no-any-return]
    except (FileNotFoundError, ValueError, KeyError):
        return {}


def _every_venue_has_events(path: Path) -> bool:
    venues = _status(path)
    return set(venues) == set(LIVE_VENUE_IDS) and all(v["events"] > 0 for v in venues.values())


def _frames(path: Path) -> dict[str, int]:
    return {venue: v["frames"] for venue, v in _status(path).items()}


def _wait(condition: Any, seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(failure)


@pytest.fixture
def sim_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    command = [sys.executable, "-m", "liqwatch", "sim", "--venues", "okx,hyperliquid", "--scenario", "crash"]
    command += ["--speed", "200", "--seed", "3", "--sent-log", str(tmp_path / "sent.jsonl")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    assert process.stdout is not None
    line = process.stdout.readline()
    try:
        yield process, line
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=30)


def test_liqwatch_sim_prints_the_run_flags_and_serves_until_ctrl_c(
    sim_process: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    process, line = sim_process
    words = shlex.split(line)
    assert words[:4] == ["liqwatch", "run", "--venues", "okx"]  # hyperliquid has no liqwatch feed
    pairs = list(zip(words[4::2], words[5::2], strict=True))
    url = dict(pairs)["--venue-url"].partition("=")[2]
    rest = sorted(value.partition("=")[0] for flag, value in pairs if flag == "--rest-url")
    assert rest == ["hyperliquid", "okx"]  # hyperliquid: the watched wallets' /info
    assert all(v.partition("=")[2].startswith("http://127.0.0.1:") for f, v in pairs if f == "--rest-url")

    async def listen() -> list[str]:
        frames: list[str] = []
        async with connect(url) as ws:
            await ws.send('{"op":"subscribe","args":[{"channel":"liquidation-orders","instType":"SWAP"}]}')
            async with asyncio.timeout(20):
                while not any('"liquidation-orders"' in f and '"data"' in f for f in frames):
                    frames.append(str(await ws.recv()))
        return frames

    frames = asyncio.run(listen())
    assert json.loads(frames[0])["event"] == "subscribe"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "stopped" in stderr
    logged = [r["frame"] for r in read_sent(tmp_path / "sent.jsonl")]
    assert frames == logged[: len(frames)]
