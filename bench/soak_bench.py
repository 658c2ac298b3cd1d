"""Soak benchmark: liqwatch's collector (in this process, writing a real DuckDB file) against the
simulator (in a child process, so the two do not share one event loop and one GIL) at a target
rate of liquidations per second across all venues, for a while.

Reports: liquidations sent (parsed from the simulator's sent-log with liqwatch's own parsers) vs
stored (in DuckDB), missing and duplicate ids, frame-to-store latency p50/p99/max (an event's
receive time → its batch committed to DuckDB, measured in the StoreSink's store), and resident
memory (VmRSS of this process) sampled over time.

    python bench/soak_bench.py                      # 5,000 liquidations/s for 600 s
    python bench/soak_bench.py --seconds 60 --rate 5000 --json soak.json

The rate is reached through the simulator's --speed: the `calm` scenario's steady tape is sampled
for its liquidations per tape second, and speed = rate / that. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from liqwatch.feed.collector import Collector
from liqwatch.feed.instruments import load_catalogue
from liqwatch.feed.journal import DeadLetters, Journal, read_journal
from liqwatch.feed.rest import RestClient
from liqwatch.model import Gap, Liquidation
from liqwatch.pipeline import Pipeline, StoreSink
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tape_rate(scenario: str, seed: int, venues: Sequence[str], tape_s: int = 1800) -> float:
    """Liquidations per tape second over the first `tape_s` of the scenario."""
    from liqwatch.sim.tape import liquidations, scenario_tape

    start = 1_795_000_000_000
    tape = itertools.takewhile(
        lambda push: push.at < start + tape_s * 1000, scenario_tape(scenario, seed, venues, start)
    )
    return sum(1 for _ in liquidations(tape)) / tape_s


class TimedStore:
    """The StoreSink's store: times each committed batch against its events' receive times."""

    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        self.latencies_ms: list[int] = []
        self.lock = threading.Lock()

    def write_events(self, events: Sequence[Liquidation]) -> int:
        new = self.store.write_events(events)
        now = int(time.time() * 1000)
        with self.lock:
            self.latencies_ms.extend(now - e.recv_ts for e in events)
        return new

    def write_gaps(self, gaps: Sequence[Gap]) -> None:
        self.store.write_gaps(gaps)


def simulator_process(config: dict[str, Any], ready: Any, stop: Any) -> None:
    """Child: run the simulator until `stop` is set; report its URLs, then what it sent."""
    from liqwatch.sim import SimConfig, Simulator

    async def main() -> None:
        sim = Simulator(SimConfig(**config))
        await sim.start()
        ready.send({"urls": sim.urls, "rest_urls": sim.rest_urls})
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await sim.pause()
        await asyncio.sleep(float(config.get("tick_s", 1.0)) + 1.0)  # (pause lets the client drain)
        stop.clear()
        ready.send({"sent": sim.sent, "faults": dict(sim.faults_applied)})
        while not stop.is_set():  # wait until the collector read everything, then hang up
            await asyncio.sleep(0.1)
        await sim.stop()

    asyncio.run(main())


def percentile(values: list[int], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


async def soak(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    venues = [v for v in (args.venues.split(",") if args.venues else REGISTRY)]
    per_tape_s = tape_rate(args.scenario, args.seed, venues)
    speed = args.speed or args.rate / per_tape_s
    sent_log = work / "sent.jsonl"
    config = {
        "venues": tuple(venues),
        "scenario": args.scenario,
        "seed": args.seed,
        "speed": speed,
        "sent_log": sent_log,
        "tick_s": 1.0,
    }
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    stop = ctx.Event()
    proc = ctx.Process(target=simulator_process, args=(config, child, stop), daemon=True)
    proc.start()
    endpoints = await asyncio.to_thread(parent.recv)
    print(
        f"soak: {len(venues)} venues, scenario {args.scenario} at {per_tape_s:.2f} liq/tape-s, speed {speed:,.0f} "
        f"(target {args.rate:,.0f} liq/s) for {args.seconds:g} s",
        file=sys.stderr,
    )

    specs = [REGISTRY[v] for v in venues]
    async with RestClient(timeout=10.0) as client:
        catalogue = await load_catalogue(specs, client, rest_overrides=endpoints["rest_urls"], timeout=30.0)
    db_path = work / "soak.duckdb"
    store = DuckDBStore(db_path)
    timed = TimedStore(store)
    sink = StoreSink(timed)
    journal = Journal(work / "journal")
    journal.start()
    dead = DeadLetters(work / "dead-letters.jsonl")
    collector = Collector(
        specs,
        catalogue=catalogue,
        journal=journal,
        dead_letters=dead,
        pipeline=Pipeline([sink]),
        url_overrides=endpoints["urls"],
        max_ahead_ms=max(300_000, int(speed * 3_600_000)),  # the tape clock runs `speed`x the wall clock
    )
    task = asyncio.create_task(collector.run())
    started = time.monotonic()
    memory: list[tuple[float, float, int]] = []  # (s, RSS MB, events so far)
    next_sample = 0.0
    while (elapsed := time.monotonic() - started) < args.seconds:
        if elapsed >= next_sample:
            events = sum(v.events for v in collector.status().venues.values())
            memory.append((round(elapsed, 1), round(rss_mb(), 1), events))
            print(f"  {elapsed:6.0f} s  RSS {memory[-1][1]:7.1f} MB  events {events:,}", file=sys.stderr)
            next_sample += args.sample_s
        await asyncio.sleep(0.2)
    stop.set()
    summary = await asyncio.to_thread(parent.recv)
    # read what was sent: stop when every frame arrived or nothing more does for 2 s
    received, still = -1, 0
    while True:
        now = sum(v.frames for v in collector.status().venues.values())
        if now >= summary["sent"] or still >= 20:
            break
        received, still = now, (still + 1 if now == received else 0)
        await asyncio.sleep(0.1)
    stop.set()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    journal.close()
    dead.close()
    await asyncio.to_thread(proc.join, 30)
    wall = time.monotonic() - started
    memory.append((round(wall, 1), round(rss_mb(), 1), sum(v.events for v in collector.status().venues.values())))
    status = collector.status()
    sink.close()
    rows = store._fetch("SELECT count(*), count(DISTINCT id) FROM events")[0]
    store.close()

    sent_ids: set[str] = set()
    frames = bad = 0
    for record in read_journal(sent_log):
        frames += 1
        spec = REGISTRY.get(record.venue)
        if spec is None:
            continue
        try:
            sent_ids.update(e.id for e in spec.parse(record.frame, record.ts, catalogue))
        except Exception:
            bad += 1
    with DuckDBStore(db_path, read_only=True) as db:
        stored_ids = {row[0] for row in db._fetch("SELECT id FROM events")}
    lat = timed.latencies_ms
    result = {
        "venues": venues,
        "scenario": args.scenario,
        "speed": round(speed),
        "seconds": args.seconds,
        "target_rate": args.rate,
        "frames_sent": frames,
        "liquidations_sent": len(sent_ids),
        "achieved_rate": round(len(sent_ids) / args.seconds),
        "stored": rows[0],
        "stored_distinct": rows[1],
        "missing": len(sent_ids - stored_ids),
        "extra": len(stored_ids - sent_ids),
        "bad_frames_sent": bad,
        "reconnects": sum(v.reconnects for v in status.venues.values()),
        "gaps": sum(v.gaps for v in status.venues.values()),
        "latency_ms": {
            "p50": percentile(lat, 0.50),
            "p99": percentile(lat, 0.99),
            "max": max(lat, default=float("nan")),
            "mean": round(statistics.fmean(lat), 1) if lat else float("nan"),
        },
        "rss_mb": [{"s": s, "mb": mb, "events": n} for s, mb, n in memory],
        "sim_faults": summary.get("faults", {}),
    }
    return result


def report(result: dict[str, Any]) -> str:
    lat = result["latency_ms"]
    rss = [m["mb"] for m in result["rss_mb"]]
    lines = [
        f"venues: {len(result['venues'])}, scenario {result['scenario']}, speed {result['speed']:,}, "
        f"{result['seconds']:g} s",
        "",
        "| figure | value |",
        "|---|---|",
        f"| liquidations sent | {result['liquidations_sent']:,} ({result['achieved_rate']:,}/s; target "
        f"{result['target_rate']:,.0f}/s) |",
        f"| frames sent | {result['frames_sent']:,} |",
        f"| stored (distinct) | {result['stored']:,} ({result['stored_distinct']:,}) |",
        f"| missing / extra | {result['missing']:,} / {result['extra']:,} |",
        f"| reconnects / gaps | {result['reconnects']} / {result['gaps']} |",
        f"| frame→store latency p50 / p99 / max | {lat['p50']:.0f} / {lat['p99']:.0f} / {lat['max']:.0f} ms |",
        f"| RSS start / peak / end | {rss[0]:.0f} / {max(rss):.0f} / {rss[-1]:.0f} MB |",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=5000.0, help="target liquidations/s, all venues")
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--scenario", default="calm", help="a steady tape is best (default calm)")
    parser.add_argument("--speed", type=float, default=None, help="simulator speed (default: from --rate)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--venues", default="", help="comma-separated (default: every venue)")
    parser.add_argument("--sample-s", type=float, default=5.0, help="RSS sampling interval")
    parser.add_argument("--json", default=None, help="also write the figures as JSON to this file")
    parser.add_argument("--keep", default=None, help="keep the DuckDB file, journal and sent-log in this directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="liqwatch-soak-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(soak(args, work))
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if result["missing"] == 0 and result["stored"] == result["stored_distinct"] else 1


if __name__ == "__main__":
    sys.exit(main())
