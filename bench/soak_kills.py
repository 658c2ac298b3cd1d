"""Compressed 24 h soak with periodic kills: `liqwatch run` (a real subprocess, a real DuckDB file)
against the simulator at `--speed` so that `--seconds` of wall time play a day of tape, killed with
SIGKILL every `--kill-every` seconds (at a random moment of its life: start-up, bursts, reconnects)
and restarted on the same --db, with a fault mix on the venues; stopped with Ctrl-C at the end.

Reports, from the simulator's sent-log parsed with liqwatch's own parsers against the store:
delivered, stored, lost outside the last second before a kill or stop (must be 0), stored twice
(must be 0), and per venue whether every downtime has its "collector not running" gap.

    python bench/soak_kills.py                            # 24 h of tape in 120 s, a kill every ~12 s
    python bench/soak_kills.py --seconds 300 --kill-every 20 --json soak-kills.json

A benchmark, not a test (tests/sim/test_downtime.py is the short version in the suite).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from liqwatch.instruments import bundled
from liqwatch.sim import SimConfig, Simulator
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import BadFrame

VENUES = ("binance_usdm", "bybit", "okx", "bitget", "gate", "deribit")
FAULTS = "drop-every=700,garbage=0.005"
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def now_ms() -> int:
    return int(time.time() * 1000)


async def _spawn(sim: Simulator, db: Path, log: Path) -> asyncio.subprocess.Process:
    command = [sys.executable, "-m", "liqwatch", "run", "--db", str(db), "--no-serve", "--offline-catalogue"]
    command += sim.run_flags()
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(*command, stdout=out, stderr=out, env=ENV)


async def soak(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    db, sent_log, log = work / "soak.duckdb", work / "sent.jsonl", work / "run.log"
    speed = 86_400 / args.seconds
    ends: list[tuple[int, int]] = []
    downtimes: list[tuple[int, int]] = []
    config = SimConfig(
        venues=VENUES, scenario="calm", seed=args.seed, speed=speed, sent_log=sent_log, tick_s=0.5, faults=FAULTS
    )
    started = time.monotonic()
    async with Simulator(config) as sim:
        while True:
            process = await _spawn(sim, db, log)
            if downtimes:
                downtimes[-1] = (downtimes[-1][0], now_ms())
            remaining = args.seconds - (time.monotonic() - started)
            life = min(rng.uniform(0.3, 2.0) * args.kill_every, remaining)
            await asyncio.sleep(max(life, 0.2))
            signalled = now_ms()
            if time.monotonic() - started >= args.seconds:
                process.send_signal(signal.SIGINT)
                await asyncio.wait_for(process.wait(), 120)
                ends.append((signalled, now_ms()))
                final_code = process.returncode
                break
            process.kill()
            await process.wait()
            ends.append((signalled, now_ms()))
            downtimes.append((now_ms(), 0))
            await asyncio.sleep(rng.uniform(0.2, 1.0))
        await sim.pause()
        faults = dict(sim.faults_applied)
    wall = time.monotonic() - started
    with DuckDBStore(db, read_only=True) as store:
        ids = [e.id for e in store.events(EventFilter())]
        gaps = store.gaps(None, 0, 2**62)
    catalogue = bundled()
    delivered: dict[str, str] = {}
    safe: set[str] = set()
    for line in sent_log.read_text().splitlines():
        record = json.loads(line)
        spec = REGISTRY.get(record["venue"])
        if spec is None:
            continue
        try:
            events = spec.parse(record["frame"], record["ts"], catalogue)
        except BadFrame:
            continue
        at_risk = any(a - 1000 <= record["ts"] <= b for a, b in ends)
        for event in events:
            delivered.setdefault(event.id, event.venue)
            if not at_risk:
                safe.add(event.id)
    stored = set(ids)
    heard = {v for v in delivered.values()} & set(VENUES)
    missing_gaps = [
        (venue, gone, back)
        for gone, back in downtimes
        for venue in sorted(heard)
        if not any(
            g.venue == venue and "collector not running" in g.reason and g.start <= gone and g.end >= back for g in gaps
        )
    ]
    return {
        "wall_s": round(wall, 1),
        "tape_hours": round(wall * speed / 3600, 1),
        "speed": round(speed),
        "venues": list(VENUES),
        "faults": FAULTS,
        "faults_applied": faults,
        "kills": len(ends) - 1,
        "final_exit_code": final_code,
        "delivered": len(delivered),
        "stored": len(stored),
        "stored_twice": len(ids) - len(stored),
        "lost_outside_last_second": len(safe - stored),
        "lost_in_last_second": len((set(delivered) - safe) - stored),
        "downtimes": len(downtimes),
        "downtime_gaps_missing": len(missing_gaps),
        "gaps": len(gaps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0, help="wall seconds (a day of tape is played in them)")
    parser.add_argument("--kill-every", type=float, default=12.0, help="mean seconds between kills")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liqwatch-soak-kills-") as tmp:
        result = asyncio.run(soak(args, Path(tmp)))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
