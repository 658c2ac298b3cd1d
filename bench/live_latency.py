"""Live latency: frame received by the collector → the event on the WebSocket stream (/api/stream).

Runs `liqwatch run` (the real process, API in the same process) against the local simulator on
127.0.0.1 and a stream client here; for each liquidation, latency = client receive time − the
event's `recv_ts` (the collector's receive stamp of the frame; same machine, same wall clock, ms).

    python bench/live_latency.py [--seconds 30] [--scenario cascade] [--speed 60]

Alerts (frame → alert delivered to a local webhook receiver) are not measured yet: the alert
engine (liqwatch/alerts) was not wired into `liqwatch run` when this was written. The hook:
start a receiver here, pass its URL as a webhook sink with a rule that fires on every order,
and take (receive time − the alert's event recv_ts) the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from liqwatch.sim import SimConfig, Simulator


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(seconds: float, scenario: str, speed: float) -> list[float]:
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        config = SimConfig(scenario=scenario, seed=7, speed=speed, tick_s=0.5)
        async with Simulator(config) as sim:
            command = [sys.executable, "-m", "liqwatch", "run", "--db", str(db), "--port", "0", *sim.run_flags()]
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env
            )
            assert process.stderr is not None
            try:
                while not (found := re.search(rb"on (http://\S+)", await process.stderr.readline())):
                    pass
                url = found.group(1).decode().replace("http", "ws", 1) + "/api/stream"
                drain = asyncio.create_task(process.stderr.read())
                async with connect(url, max_size=None) as ws:
                    deadline = time.monotonic() + seconds
                    while time.monotonic() < deadline:
                        text = await ws.recv()
                        received = time.time() * 1000
                        message = json.loads(text)
                        if message["type"] == "liquidations":
                            latencies += [received - e["recv_ts"] for e in message["events"]]
            finally:
                process.send_signal(signal.SIGINT)
                await process.wait()
            drain.cancel()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--scenario", default="cascade")
    parser.add_argument("--speed", type=float, default=60.0)
    args = parser.parse_args()
    latencies = asyncio.run(measure(args.seconds, args.scenario, args.speed))
    if not latencies:
        sys.exit("no liquidations reached the stream")
    print(
        f"frame received → event on /api/stream: {len(latencies):,} events over {args.seconds:g} s; "
        f"p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
        f"max {max(latencies):.1f} ms"
    )


if __name__ == "__main__":
    main()
