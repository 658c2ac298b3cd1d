"""End to end: `liqwatch run` against the simulator serves the API in the same process: live
events reach /api/stream, /metrics counts frames, and /api/summary equals `liqwatch summary`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from liqwatch.sim import SimConfig, Simulator

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
VENUES = ("binance_usdm", "bybit", "okx")


async def read_address(process: asyncio.subprocess.Process, lines: list[str]) -> str:
    assert process.stderr is not None
    async with asyncio.timeout(60):
        while True:
            line = (await process.stderr.readline()).decode()
            assert line, "liqwatch run ended before serving: " + "".join(lines)
            lines.append(line)
            found = re.search(r"API and dashboard on (http://\S+)", line)
            if found:
                return found.group(1)


async def drain(process: asyncio.subprocess.Process, lines: list[str]) -> None:
    assert process.stderr is not None
    while line := await process.stderr.readline():
        lines.append(line.decode())


def test_run_serves_the_live_api_and_its_numbers_match_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    at = int(time.time() * 1000) + 86_400_000  # after everything the sped-up tape can stamp

    async def main() -> dict[str, Any]:
        config = SimConfig(venues=VENUES, scenario="crash", seed=3, speed=300, tick_s=0.2)
        async with Simulator(config) as sim:
            command = [sys.executable, "-m", "liqwatch", "run", "--db", str(db), "--port", "0", *sim.run_flags()]
            process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=ENV
            )
            lines: list[str] = []
            try:
                url = await read_address(process, lines)
                drainer = asyncio.create_task(drain(process, lines))
                async with connect(url.replace("http", "ws", 1) + "/api/stream") as ws:
                    assert json.loads(await ws.recv())["type"] == "hello"
                    async with asyncio.timeout(60):
                        while (message := json.loads(await ws.recv()))["type"] != "liquidations":
                            pass
                    # Binance's host pushes the merged USD-M + COIN-M universe (`st` tells them apart)
                    assert message["events"] and message["events"][0]["venue"] in (*VENUES, "binance_coinm")
                await sim.pause()
                async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                    # Everything the collector took is in the store once the count stops moving.
                    async with asyncio.timeout(60):
                        while True:
                            venues = (await client.get("/api/venues")).json()["venues"]
                            stored = (await client.get("/api/health")).json()["events"]
                            if stored and stored == sum(v["events"] for v in venues):
                                break
                            await asyncio.sleep(0.2)
                    assert {v["venue"] for v in venues if v["state"] == "connected"} == set(VENUES)
                    metrics = (await client.get("/metrics")).text
                    assert re.search(r'^liqwatch_frames_total\{venue="okx"\} [1-9]', metrics, re.M)
                    summary = (await client.get("/api/summary", params={"at": at, "windows": "1h,24h,2d"})).json()
            finally:
                process.send_signal(signal.SIGINT)
                await asyncio.wait_for(process.wait(), 60)
            drainer.cancel()
            assert process.returncode == 0, "".join(lines)
            return summary

    api_summary = asyncio.run(main())
    assert api_summary["windows"]["2d"]["count"] > 0
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "liqwatch",
            "summary",
            "--db",
            str(db),
            "--json",
            "--at",
            str(at),
            "--windows",
            "1h,24h,2d",
        ],
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    )
    cli_summary = json.loads(cli.stdout)
    # The numbers are the same; what they cover may differ in words: while the collector ran, a venue
    # connected with no event in the window counted as zero, and once it stopped, the store alone
    # cannot tell that venue from one never heard from ("no data from").
    api_covers, cli_covers = api_summary.pop("covers"), cli_summary.pop("covers")
    assert cli_summary == api_summary
    with_events = set(api_summary["windows"]["2d"]["by_venue"])
    assert set(api_covers["venues"]) == with_events | set(VENUES)
    assert set(cli_covers["venues"]) == with_events
    assert set(api_covers["sampled"]) == set(cli_covers["sampled"])
