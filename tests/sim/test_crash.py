"""Crash safety (issue #3, part 4): `liqwatch run` killed with SIGKILL mid-stream, then restarted on
the same --db, loses nothing it received more than a second before the kill and counts nothing twice.

The collector journals every frame before parsing it (fsynced every 0.5 s) and writes the store in
batches from a thread, so a kill -9 can leave the last moments in the journal but not in DuckDB.
At start `open_live` replays the journal's tail into the pipeline (`recover`), DuckDB replays its own
WAL on open, and event ids make the replay idempotent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import time
from pathlib import Path

from liqwatch.instruments import Catalogue
from liqwatch.sim import SimConfig, Simulator
from liqwatch.sim.node_writer import hour_path
from liqwatch.sim.tape import scenario_tape
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY
from tests.sim.helpers import parse_sent, read_sent, sim_catalogue

VENUES = ("binance_usdm", "okx", "bybit", "gate")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


async def _start(sim: Simulator, db: Path) -> asyncio.subprocess.Process:
    command = [sys.executable, "-m", "liqwatch", "run", "--db", str(db), "--no-serve", *sim.run_flags()]
    return await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=ENV
    )


async def _wait_for_events(status_file: Path, pid: int, events: int, timeout: float = 60.0) -> None:
    """Until the status file written by process `pid` counts at least `events` new events."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = json.loads(status_file.read_text())
        except (FileNotFoundError, ValueError):
            status = None
        if status and status["pid"] == pid and sum(v["events"] for v in status["venues"].values()) >= events:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"process {pid} did not collect {events} events in {timeout} s")


def test_kill_9_and_restart_lose_nothing_and_count_nothing_twice(tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    status_file = tmp_path / "live.state" / "status.json"
    sent_log = tmp_path / "sent.jsonl"

    start = int(time.time()) // 3600 * 3600 * 1000 - 3_600_000

    async def main() -> tuple[int, int, str]:
        # Hyperliquid too, from a simulated node's files read from the tape's first hour (see test_cli)
        node = tmp_path / "hl"
        first_hour = hour_path(node, start).relative_to(node)
        (tmp_path / "live.state").mkdir()
        (tmp_path / "live.state" / "hyperliquid-node.json").write_text(
            json.dumps({"file": str(first_hour), "offset": 0})
        )
        config = SimConfig(
            venues=VENUES,
            scenario="crash",
            seed=21,
            speed=300,
            sent_log=sent_log,
            tick_s=0.2,
            hyperliquid_node_dir=node,
            start_ms=start,
        )
        async with Simulator(config) as sim:
            first = await _start(sim, db)
            await _wait_for_events(status_file, first.pid, 200)
            await asyncio.sleep(1.5)  # mid-stream: frames keep arriving up to the kill
            killed_at = int(time.time() * 1000)
            first.kill()  # SIGKILL: no flush, no journal close, no DuckDB checkpoint
            await first.wait()
            assert first.returncode == -signal.SIGKILL
            in_store_after_kill = _count(db)

            second = await _start(sim, db)
            await _wait_for_events(status_file, second.pid, 100)
            await asyncio.sleep(1.0)
            second.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(second.communicate(), 60)
            assert second.returncode == 0, stderr.decode()
            await sim.pause()
        return killed_at, in_store_after_kill, stderr.decode()

    killed_at, in_store_after_kill, stderr = asyncio.run(main())

    # DuckDB's WAL survived the kill: what was committed before it is readable at once.
    assert in_store_after_kill > 0
    # The restart replayed the journal (the frames the first process received).
    assert "replayed" in stderr and "journaled frames" in stderr, stderr

    with DuckDBStore(db, read_only=True) as store:
        stored = list(store.events(EventFilter()))
    ids = [e.id for e in stored]
    assert len(ids) == len(set(ids)), "an event stored twice"

    records = read_sent(sent_log)
    catalogue = _catalogue()
    before = [r for r in records if int(r["ts"]) < killed_at - 1000]  # type: ignore[call-overload]
    must_have = {e.id for e in parse_sent(before, catalogue)[0]}
    everything = {e.id for e in parse_sent(records, catalogue)[0]}
    assert len(must_have) > 100
    missing = must_have - set(ids)
    assert not missing, f"{len(missing)} liquidations delivered > 1 s before the kill are lost"
    # nothing invented: what was not delivered over a WebSocket came from the restart's REST
    # backfill of OKX's downtime (live_tasks.downtime_task), and is on the simulator's own tape
    backfilled = set(ids) - everything
    assert backfilled <= okx_tape(start, max(e.ts for e in stored), catalogue)
    assert any(i.startswith("hyperliquid:") for i in must_have)  # the node's files were followed across the kill

    # `liqwatch events` (the user's view) lists each id once.
    import subprocess

    out = subprocess.run(
        [sys.executable, "-m", "liqwatch", "events", "--db", str(db), "--format", "jsonl"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=True,
    ).stdout
    listed = [json.loads(line)["id"] for line in out.splitlines() if line.strip()]
    assert len(listed) == len(set(listed)) == len(ids)


def _count(db: Path) -> int:
    with DuckDBStore(db, read_only=True) as store:
        return store.count()


def okx_tape(start: int, end: int, catalogue: Catalogue) -> set[str]:
    """The ids of every OKX liquidation on the test's tape up to `end`: what its REST can serve."""
    venues = (*VENUES, "hyperliquid")  # the tape of a simulator that also writes a node's files
    tape = itertools.takewhile(lambda p: p.at <= end + 5_000, scenario_tape("crash", 21, venues, start))
    return {e.id for p in tape if p.venue == "okx" for e in REGISTRY["okx"].parse(p.text, p.at, catalogue)}


def _catalogue() -> Catalogue:
    return sim_catalogue()
