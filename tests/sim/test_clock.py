"""The simulator's exchange clock is read by the demo's API on worker threads, not only on the loop."""

from __future__ import annotations

import asyncio

from liqwatch.sim import SimConfig, Simulator


def test_tape_time_can_be_read_from_another_thread_and_runs_at_the_speed() -> None:
    async def main() -> tuple[int, int, int]:
        async with Simulator(SimConfig(venues=("okx",), speed=1000, start_ms=1_700_000_000_000)) as sim:
            before = sim.tape_now()
            from_thread = await asyncio.to_thread(sim.tape_now)
            await asyncio.sleep(0.05)
            after = await asyncio.to_thread(sim.tape_now)
        return before, from_thread, after

    before, from_thread, after = asyncio.run(main())
    assert 1_700_000_000_000 <= before <= from_thread < after
    assert after - before >= 50 * 1000 * 0.9  # ≥ 0.05 s of wall time at 1000×
