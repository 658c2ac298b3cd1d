"""End to end: `liqwatch run` restarted after downtime asks OKX's and Deribit's REST (the
simulator's, in their real shapes) for what it missed, once, beside the live feed."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from liqwatch.sim import SimConfig, Simulator
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import ev
from tests.web.test_run_serves import ENV, drain


def test_a_restarted_collector_asks_rest_for_its_downtime(tmp_path: Path) -> None:
    db = tmp_path / "down.duckdb"
    now = int(time.time() * 1000)
    with DuckDBStore(db) as store:  # what the collector stored before it went down two hours ago
        store.write_events(
            [
                ev(now - 2 * 3_600_000, 1000.0, venue="okx", symbol="BTC-USDT-SWAP", id="okx-before"),
                ev(now - 2 * 3_600_000, 1000.0, venue="deribit", symbol="BTC-PERPETUAL", id="deribit-before"),
            ]
        )

    async def main() -> list[str]:
        config = SimConfig(venues=("okx", "deribit"), scenario="crash", seed=7, speed=60, tick_s=0.2)
        async with Simulator(config) as sim:
            command = [sys.executable, "-m", "liqwatch", "run", "--db", str(db), "--no-serve", *sim.run_flags()]
            process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=ENV
            )
            lines: list[str] = []
            drainer = asyncio.create_task(drain(process, lines))
            try:
                async with asyncio.timeout(90):
                    while sum("downtime since" in line for line in lines) < 2:
                        assert process.returncode is None, "".join(lines)
                        await asyncio.sleep(0.2)
            finally:
                process.send_signal(signal.SIGTERM)
                await process.wait()
                await drainer
            return lines

    lines = asyncio.run(main())
    filled = [line for line in lines if "downtime since" in line]
    assert any("filled okx downtime" in line for line in filled), lines
    assert any("filled deribit downtime" in line for line in filled), lines
