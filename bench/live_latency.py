"""Live latency: frame received by the collector → the event on the WebSocket stream (/api/stream),
and → the alert delivered to a webhook.

Runs `liqwatch run` (the real process, API in the same process) against the local simulator on
127.0.0.1, a stream client here, and a webhook receiver here (a config file with one alert rule
that fires on every liquidation, sent to it). For each liquidation, latency = arrival time here −
the event's `recv_ts` (the collector's receive stamp of the frame; same machine, same wall clock,
ms); an alert is matched to its event by the event id it carries.

    python bench/live_latency.py [--seconds 30] [--scenario cascade] [--speed 60] [--alert-above 100000]
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
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from websockets.asyncio.client import connect

from liqwatch.sim import SimConfig, Simulator


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Webhook:
    """A local alert receiver: (arrival ms, event id) of every alert POSTed to it."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []
        arrivals = self.arrivals

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrivals.append((time.time() * 1000, json.loads(body).get("fields", {}).get("id", "")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


ALERT_CONFIG = """
[alerts.sinks.bench]
type = "webhook"
url = "{url}"
[[alerts.rules]]
name = "every-order"
kind = "order"
above_usd = {above}
"""


async def measure(seconds: float, scenario: str, speed: float, above: float) -> tuple[list[float], list[float]]:
    """Latencies (ms) to the stream and to the webhook."""
    stream: list[float] = []
    recv_ts: dict[str, int] = {}
    hook = Webhook()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        config_file = Path(tmp) / "liqwatch.toml"
        config_file.write_text(ALERT_CONFIG.format(url=hook.url, above=above))
        config = SimConfig(scenario=scenario, seed=7, speed=speed, tick_s=0.5)
        async with Simulator(config) as sim:
            command = [sys.executable, "-m", "liqwatch", "run", "--db", str(db), "--config", str(config_file)]
            command += ["--port", "0", *sim.run_flags()]
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
                            stream += [received - e["recv_ts"] for e in message["events"]]
                            recv_ts |= {e["id"]: e["recv_ts"] for e in message["events"]}
                await asyncio.sleep(1.0)  # the last alerts on their way
            finally:
                process.send_signal(signal.SIGINT)
                await process.wait()
            drain.cancel()
    hook.close()
    alerts = [arrived - recv_ts[event_id] for arrived, event_id in hook.arrivals if event_id in recv_ts]
    return stream, alerts


def line(what: str, latencies: list[float], seconds: float) -> str:
    if not latencies:
        return f"{what}: nothing arrived"
    return (
        f"{what}: {len(latencies):,} events over {seconds:g} s; p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--scenario", default="cascade")
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument(
        "--alert-above", type=float, default=100_000.0, help="USD: the rule alerts on every order this large"
    )
    args = parser.parse_args()
    stream, alerts = asyncio.run(measure(args.seconds, args.scenario, args.speed, args.alert_above))
    if not stream:
        sys.exit("no liquidations reached the stream")
    print(line("frame received → event on /api/stream", stream, args.seconds))
    print(line(f"frame received → alert delivered (orders ≥ ${args.alert_above:,.0f})", alerts, args.seconds))


if __name__ == "__main__":
    main()
