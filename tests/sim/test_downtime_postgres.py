"""Collector downtime on a PostgreSQL store: the gap log lives in the state directory (a database
URL names no directory), and a stop followed by a restart leaves one "collector not running" gap per
venue in the shared store, covering the time no collector ran."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from liqwatch.feed.gaplog import DOWNTIME
from liqwatch.sim import SimConfig, Simulator
from liqwatch.store.postgres import PostgresStore
from tests.sim.test_cli import ENV
from tests.sim.test_crash import _wait_for_events
from tests.store.conftest import pg_dsn, pg_server  # noqa: F401  (fixtures)

VENUES = ("okx", "bitget")


def now_ms() -> int:
    return int(time.time() * 1000)


def test_a_restart_on_postgresql_leaves_a_downtime_gap_per_venue(tmp_path: Path, pg_dsn: str) -> None:  # noqa: F811
    state = tmp_path / "state"
    marks: dict[str, int] = {}

    async def collect(sim: Simulator) -> None:
        command = [sys.executable, "-m", "liqwatch", "run", "--db", pg_dsn, "--state-dir", str(state)]
        process = await asyncio.create_subprocess_exec(
            *command, "--no-serve", *sim.run_flags(), stderr=asyncio.subprocess.PIPE, env=ENV
        )
        await _wait_for_events(state / "status.json", process.pid, 3)
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, stderr.decode()

    async def main() -> None:
        config = SimConfig(venues=VENUES, scenario="crash", seed=5, speed=300, tick_s=0.2)
        async with Simulator(config) as sim:
            await collect(sim)
            marks["stopped"] = now_ms()
            await asyncio.sleep(1.5)  # nobody collects
            marks["restarted"] = now_ms()
            await collect(sim)

    asyncio.run(main())
    assert (state / "gaps.jsonl").is_file()
    with PostgresStore(pg_dsn) as store:
        downtime = {g.venue: g for g in store.gaps() if g.reason == DOWNTIME}
    assert set(downtime) == set(VENUES)
    for gap in downtime.values():
        # from the last frame the first collector took to the first frame of the second
        assert gap.start <= marks["stopped"] and gap.end >= marks["restarted"], gap
