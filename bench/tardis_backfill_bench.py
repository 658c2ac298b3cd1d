"""Tardis backfill benchmark: is `liqwatch backfill tardis` bounded by the download, or by liqwatch?

A local HTTP server holds a month of Tardis `binance-futures` liquidation day files (generated in
the published format: ~250 USD-M symbols, varied prices, sizes and times, so that they gzip about
as real files do; the output gives the bytes a row) and serves them at a set bandwidth, shared by
all connections, each answer after a set latency. For each bandwidth the backfill runs into a
fresh DuckDB file (its time includes closing the store); printed beside it is the time the
download alone takes at that bandwidth (every byte once, the latency once a file, DOWNLOADS files
at a time). A ratio near 1 means the backfill is bounded by the download; "unlimited" is
liqwatch's own ceiling.

    python bench/tardis_backfill_bench.py                      # 30 days × 40,000 rows
    python bench/tardis_backfill_bench.py --days 10 --rows 20000 --mbps 10 20
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import random
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from liqwatch.backfill import tardis_days
from liqwatch.backfill.tardis_days import tardis_backfill
from liqwatch.instruments import bundled
from liqwatch.store.duckdb import DuckDBStore

DAY_MS = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
# ~250 USD-M contracts, as many as Binance lists (names made up past the well-known ones; Binance's
# naming rule prices any …USDT symbol, venues/binance_rest.py)
COINS = [
    "BTC",
    "ETH",
    "SOL",
    "XRP",
    "DOGE",
    "BNB",
    "ADA",
    "AVAX",
    "LINK",
    "LTC",
    "DOT",
    "TRX",
    "SUI",
    "1000PEPE",
    "1000SHIB",
    "WIF",
    "ARB",
    "OP",
    "APT",
    "NEAR",
]
COINS += [f"COIN{n}" for n in range(230)]


def day_file(day: int, rows: int, symbols: list[tuple[str, float]], seed: int) -> bytes:
    """A day of Binance USD-M liquidations as Tardis publishes them (gzip CSV, in time order)."""
    draw = random.Random(seed)
    times = sorted(draw.randrange(DAY_MS) for _ in range(rows))
    lines = [HEADER]
    for offset in times:
        symbol, price = draw.choice(symbols)
        ts = (day + offset) * 1000 + draw.randrange(1000)
        side = draw.choice(("buy", "sell"))
        fill = f"{price * draw.uniform(0.97, 1.03):.{max(1, 6 - len(str(int(price))))}f}"
        size = f"{max(0.001, draw.uniform(10, 50_000) / price):.3f}".rstrip("0").rstrip(".")
        lines.append(f"binance-futures,{symbol},{ts},{ts + draw.randrange(2_000, 90_000)},,{side},{fill},{size}")
    return gzip.compress(("\n".join(lines) + "\n").encode(), 6)


class Throttled:
    """A bandwidth shared by every connection: bytes leave at most at `rate` per second."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.next_free = time.monotonic()
        self.lock = threading.Lock()

    def wait_for(self, size: int) -> None:
        if self.rate is None:
            return
        with self.lock:
            start = max(self.next_free, time.monotonic())
            self.next_free = start + size / self.rate
        delay = self.next_free - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def serve(bodies: dict[str, bytes], throttle: Throttled, latency: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = bodies.get("/".join(self.path.split("/")[4:7]))
            time.sleep(latency)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for start in range(0, len(body), 64 << 10):
                piece = body[start : start + (64 << 10)]
                throttle.wait_for(len(piece))
                self.wfile.write(piece)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def serving(bodies: dict[str, bytes], rate: float | None, latency: float) -> tuple[multiprocessing.Process, int]:
    """The server on a process of its own (in this one it would take the importer's CPU and lock)."""
    ready: multiprocessing.Queue[int] = multiprocessing.get_context("fork").Queue()

    def run() -> None:
        server = serve(bodies, Throttled(rate), latency)
        ready.put(server.server_address[1])
        server.serve_forever()

    process = multiprocessing.get_context("fork").Process(target=run, daemon=True)
    process.start()
    return process, ready.get(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rows", type=int, default=40_000, help="liquidations a day")
    parser.add_argument("--mbps", type=float, nargs="*", default=[5, 10, 20, 40], help="bandwidths, MB/s")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each answer")
    args = parser.parse_args()
    catalogue = bundled()
    draw = random.Random(1)
    symbols = [(f"{coin}USDT", 10 ** draw.uniform(-3, 4.7)) for coin in COINS]
    bodies = {}
    for k in range(args.days):
        day = T0 + k * DAY_MS
        stamp = time.strftime("%Y/%m/%d", time.gmtime(day / 1000))
        bodies[stamp] = day_file(day, args.rows, symbols, k)
    total = sum(map(len, bodies.values()))
    rows = args.days * args.rows
    print(
        f"{args.days} days × {args.rows:,} rows of {len(symbols)} symbols: {total / 1e6:.1f} MB of gzip, "
        f"{total / rows:.1f} bytes a row; {args.latency * 1000:.0f} ms before each answer"
    )
    print("| bandwidth | download alone | backfill | backfill ÷ download | rows/s |")
    print("|---|---:|---:|---:|---:|")
    for mbps in [None, *args.mbps]:
        server, port = serving(bodies, mbps * 1e6 if mbps else None, args.latency)
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp, DuckDBStore(Path(tmp) / "b.duckdb") as store:
            started = time.perf_counter()
            report = asyncio.run(
                tardis_backfill(
                    store,
                    catalogue,
                    exchanges=["binance-futures"],
                    symbols=["PERPETUALS"],
                    since=T0,
                    until=T0 + args.days * DAY_MS,
                    api_key="bench",
                    base=url,
                )
            )
        took = time.perf_counter() - started  # the store closed too: its closing checkpoint is the backfill's
        server.kill()
        assert report.stored == rows, report.describe()
        waves = -(-args.days // getattr(tardis_days, "DOWNLOADS", 1))  # 1: before they downloaded side by side
        alone = (total / (mbps * 1e6) if mbps else 0.0) + waves * args.latency
        label = f"{mbps:g} MB/s" if mbps else "unlimited"
        ratio = f"{took / alone:.2f}" if mbps else "—"
        print(f"| {label} | {alone:.1f} s | {took:.1f} s | {ratio} | {rows / took:,.0f} |")


if __name__ == "__main__":
    main()
